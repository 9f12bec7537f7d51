package endpoint

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAndJoin(t *testing.T) {
	for _, bad := range []string{"ftp://x", "not a url", "http://", "::"} {
		_, err := Parse("p", bad)
		assert.Error(t, err, bad)
	}
	_, err := Parse("gu1", "ftp://x")
	assert.EqualError(t, err, `gu1: base URL "ftp://x": want http(s)://host[:port][/prefix]`)
	u, err := Parse("p", "https://sandbox.example/pre%2Ffix/")
	require.NoError(t, err)
	assert.Equal(t, "https://sandbox.example/pre%2Ffix", u.String())
	assert.Equal(t, "https://sandbox.example/pre%2Ffix/sessions/ses%2F1", Join(u, "/sessions/ses%2F1").String())
	assert.Equal(t, "abc…", Truncate("abcdef", 3))
	assert.Equal(t, "ab", Truncate("ab", 3))
}

func TestFilePartEscapesLikeMimeMultipart(t *testing.T) {
	h := FilePart("dni_selfie", `fóto "1".jpg`, "image/jpeg")
	assert.Equal(t, `form-data; name="dni_selfie"; filename="fóto \"1\".jpg"`, h.Get("Content-Disposition"))
	assert.Equal(t, "image/jpeg", h.Get("Content-Type"))
}
