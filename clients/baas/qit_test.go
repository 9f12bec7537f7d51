package baas

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestASignedAnswerOverTheLimitIsAnErrorNamingIt: the QIT transport reads an answer whole to check its
// signature; one past its limit is refused as too large, never cut and then judged on a part.
func TestASignedAnswerOverTheLimitIsAnErrorNamingIt(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, io.MultiReader(strings.NewReader(`{"encoded_body":"`), bytes.NewReader(bytes.Repeat([]byte("a"), MaxSignedAnswer)), strings.NewReader(`"}`)))
	}))
	defer srv.Close()
	signer := &QITSigner{APIClientKey: "key", Key: key, ProviderKey: &key.PublicKey}
	hc := &http.Client{Transport: signer.Transport(http.DefaultTransport)}
	resp, err := hc.Post(srv.URL+PathTokenRequest, "application/json", strings.NewReader(`{}`))
	if resp != nil {
		_ = resp.Body.Close()
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "over the 16 MiB")
}
