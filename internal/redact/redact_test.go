package redact

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStringMasksEverySecretLongestFirst(t *testing.T) {
	var r Redactor
	r.Add("Bearer tok-abcdef123", "short", "tok-abcdef123456789")
	assert.Equal(t, "auth [REDACTED] and [REDACTED], short stays", r.String("auth tok-abcdef123456789 and tok-abcdef123, short stays"))
	assert.Equal(t, "Authorization: [REDACTED]", r.String("Authorization: Bearer tok-abcdef123"), "the registered value is masked whole")
	assert.Equal(t, "token [REDACTED]", r.String("token tok-abcdef123"), "and the token alone too")
	var zero *Redactor
	assert.Equal(t, "as is", zero.String("as is"))
}

func TestPEMKeysAreMaskedWholeAndLineByLine(t *testing.T) {
	var r Redactor
	pem := "-----BEGIN EC PRIVATE KEY-----\nMIHcAgEBBEIBabcdefghijklmnopqrstuvwxyz0123456789\nAAAAbbbbCCCCddddEEEEffff\n-----END EC PRIVATE KEY-----\n"
	r.Add(pem)
	assert.Equal(t, "key: [REDACTED]\n", r.String("key: "+pem))
	assert.NotContains(t, r.String("a line: MIHcAgEBBEIBabcdefghijklmnopqrstuvwxyz0123456789"), "MIHcAgEBBEIB")
}

func TestWriterMasksSecretsSplitAcrossWrites(t *testing.T) {
	var r Redactor
	r.Add("s3cr3t-value-123456")
	var out bytes.Buffer
	w := r.Writer(&out)
	text := "first line\nthe key is s3cr3t-value-123456, then more\nand s3cr3t-value-12 (only a prefix) ends here"
	for i := 0; i < len(text); i += 3 { // three bytes at a time: every secret is split across writes
		_, err := w.Write([]byte(text[i:min(i+3, len(text))]))
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, "first line\nthe key is [REDACTED], then more\nand s3cr3t-value-12 (only a prefix) ends here", out.String())
}

func TestWriterIsSafeForConcurrentUseAndAddingLater(t *testing.T) {
	var r Redactor
	var out bytes.Buffer
	w := r.Writer(&out)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Add("late-secret-abcdef")
			_, _ = w.Write([]byte("x late-secret-abcdef y\n"))
		}()
	}
	wg.Wait()
	require.NoError(t, w.Flush())
	assert.NotContains(t, out.String(), "late-secret-abcdef")
	assert.Equal(t, 8, strings.Count(out.String(), Mask))
}
