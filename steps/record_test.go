package steps

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The recorder keeps exactly the bytes a request carries, whatever its Content-Length says.
func TestReadSizedKeepsWhatWasSent(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		size       int64
	}{
		{"size known", "hello", 5},
		{"size unknown", "hello", -1},
		{"no body", "", 0},
		{"longer than it said", "hello world", 5},
		{"shorter than it said", "hi", 5}, // the transport then refuses it, naming both lengths
	} {
		got, err := readSized(strings.NewReader(tc.body), tc.size)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.body, string(got), tc.name)
	}
	_, err := readSized(io.MultiReader(strings.NewReader("ab"), failing{}), 5)
	assert.ErrorIs(t, err, io.ErrClosedPipe, "a read error is the caller's")
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }
