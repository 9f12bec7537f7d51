package baas

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key is parsed once per process, and a token checked against a key once: a second check of the
// same token and key reads the first verdict, while another key, another token or a tampered one is
// verified afresh, so the memo never turns a bad signature good.
func TestSignaturesAreVerifiedOncePerTokenAndKey(t *testing.T) {
	pemKey := readVector(t, "es512-vector.key.pem")
	k1, err := ParsePrivateKey(pemKey)
	require.NoError(t, err)
	k2, err := ParsePrivateKey(append([]byte(nil), pemKey...))
	require.NoError(t, err)
	assert.Same(t, k1, k2, "the same PEM, one parsed key")

	s := &Signer{APIClientKey: "k", Key: k1}
	signed0, _ := Work()
	tok, err := s.Token("POST", PathTokenRequest, []byte(`{}`))
	require.NoError(t, err)
	signed1, _ := Work()
	assert.Equal(t, int64(1), signed1-signed0, "Work counts the signature")
	before := verifications.Load()
	c1, err := ParseAuthorization(tok, &k1.PublicKey)
	require.NoError(t, err)
	c2, err := ParseAuthorization(tok, &k1.PublicKey)
	require.NoError(t, err)
	assert.Equal(t, c1, c2)
	assert.Equal(t, int64(1), verifications.Load()-before, "the second check read the first verdict")
	c2.Method = "GET"
	c3, _ := ParseAuthorization(tok, &k1.PublicKey)
	assert.Equal(t, "POST", c3.Method, "a caller's change does not reach the memo")

	other, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	_, err = ParseAuthorization(tok, &other.PublicKey)
	assert.Error(t, err, "another key is checked, and fails")
	parts := strings.Split(tok, ".")
	sig := []byte(parts[2])
	sig[5] ^= 1
	_, err = ParseAuthorization(parts[0]+"."+parts[1]+"."+string(sig), &k1.PublicKey)
	assert.Error(t, err, "a tampered token is checked, and fails")
	_, err = ParseAuthorization(parts[0]+"."+parts[1]+"."+string(sig), &k1.PublicKey)
	assert.Error(t, err, "and fails again from the memo")
	assert.Equal(t, int64(3), verifications.Load()-before)
}
