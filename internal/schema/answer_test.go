package schema

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadAnswerAtTheLimit(t *testing.T) {
	b, over, err := ReadAnswer(bytes.NewReader(make([]byte, MaxAnswerBody)))
	require.NoError(t, err)
	assert.False(t, over, "exactly the limit is read whole")
	assert.Len(t, b, MaxAnswerBody)
	b, over, err = ReadAnswer(bytes.NewReader(make([]byte, MaxAnswerBody+1)))
	require.NoError(t, err)
	assert.True(t, over, "one byte more is over")
	assert.Len(t, b, MaxAnswerBody)
}

func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{"application/json": true, "application/json; charset=utf-8": true,
		"application/problem+json": true, "text/html; charset=utf-8": false, "": false, "application/jsonx": false} {
		assert.Equal(t, want, IsJSON(ct), ct)
	}
}
