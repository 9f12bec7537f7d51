package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
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

// TestEveryEncodingIsMasked plants a secret with the characters every encoding changes and looks for
// each of its forms inside longer texts: JSON, HTML, XML, URL query and path, base64 at every offset.
func TestEveryEncodingIsMasked(t *testing.T) {
	const secret = "s3<cr>&t+/=key/+"
	var r Redactor
	r.Add(secret)
	jsonHTML, _ := json.Marshal(secret)
	var b bytes.Buffer
	require.NoError(t, xml.EscapeText(&b, []byte(secret)))
	texts := map[string]string{
		"raw":             "x " + secret + " y",
		"json html":       `{"echo":` + string(jsonHTML) + `}`,
		"json slash":      `{"echo":"s3<cr>&t+\/=key\/+"}`,
		"html":            "<p>" + html.EscapeString(secret) + "</p>",
		"xml":             "<a>" + b.String() + "</a>",
		"query":           "https://evil.example/cb?secret=" + url.QueryEscape(secret) + "&x=1",
		"query lower":     "?secret=" + strings.ToLower(url.QueryEscape(secret)),
		"path":            "/echo/" + url.PathEscape(secret) + "/x",
		"basic":           "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+secret)),
		"bearer base64":   base64.StdEncoding.EncodeToString([]byte("Bearer " + secret)),
		"url base64 raw":  base64.RawURLEncoding.EncodeToString([]byte("ab" + secret + "cd")),
		"std base64 pad":  base64.StdEncoding.EncodeToString([]byte(secret)),
		"std base64 off1": base64.StdEncoding.EncodeToString([]byte("a" + secret)),
	}
	for name, text := range texts {
		masked := r.String(text)
		assert.Contains(t, masked, Mask, name)
		for _, f := range Forms(secret) {
			assert.NotContains(t, masked, f, "%s: a form of the secret is left in %q", name, masked)
		}
	}
	// The scan can fail: without the secret registered, every text keeps a form of it.
	var empty Redactor
	for name, text := range texts {
		found := false
		for _, f := range Forms(secret) {
			found = found || strings.Contains(empty.String(text), f)
		}
		assert.True(t, found, "%s: no form of the secret found in the unmasked text", name)
	}
}

// TestManySecretsStayCheap registers a secret per request, as a run does with each signed call, and
// masks a line after each: generations keep the total cost far from quadratic.
func TestManySecretsStayCheap(t *testing.T) {
	var r Redactor
	for i := 0; i < 2000; i++ {
		r.Add(fmt.Sprintf("eyJhbGciOiJFUzUxMiJ9.claims-%06d.signature-%06d", i, i))
		line := r.String(fmt.Sprintf("auth eyJhbGciOiJFUzUxMiJ9.claims-%06d.signature-%06d done", i, i))
		require.Equal(t, "auth [REDACTED] done", line)
	}
	assert.LessOrEqual(t, len(r.gens), 12, "generations stay logarithmic in the secrets")
	assert.Equal(t, "auth [REDACTED] done", r.String("auth eyJhbGciOiJFUzUxMiJ9.claims-000007.signature-000007 done"), "an early secret is still masked")
}

// BenchmarkStringWithARunsSecrets: masking 4 KiB of output with the dozen credentials a run holds,
// each in every form, nested ones included (go test -bench StringWithARunsSecrets ./internal/redact).
func BenchmarkStringWithARunsSecrets(b *testing.B) {
	var r Redactor
	for i := 0; i < 12; i++ {
		r.Add(fmt.Sprintf("S<secret-%d>&+/=ab12cd34/+=", i))
	}
	text := strings.Repeat("GET /identity/v1/sessions?filter[status]=IN_PROGRESS 200 {\"data\":[]} ", 64)[:4096]
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = r.String(text)
	}
}
