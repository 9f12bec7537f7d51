package randid

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShapes(t *testing.T) {
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, UUID())
	assert.Regexp(t, `^ses-[A-Za-z0-9]{27}$`, Prefixed("ses", 27))
	assert.Regexp(t, `^[0-9a-f]{12}$`, Hex(6))
	assert.Regexp(t, `^[0-9]{11}$`, Digits(11))
	assert.NotEqual(t, UUID(), UUID())
}
