package baas

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	client "github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/mock"
)

// docClient signs the way QI's key-exchange pages and the public clients describe the string_to_sign
// scheme, written here from those documents and on purpose without clients/baas: the mock is checked
// against an independent reading, not against the harness's own code.
type docClient struct {
	key     string
	private *ecdsa.PrivateKey
	date    time.Time
	// what a test breaks on purpose
	md5, uri, sub string
}

func (c docClient) do(t *testing.T, h http.Handler, method, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var wire, bodyMD5, contentType string
	if body != nil {
		claims := jwt.MapClaims{}
		raw, _ := json.Marshal(body)
		require.NoError(t, json.Unmarshal(raw, &claims))
		encoded, err := jwt.NewWithClaims(jwt.SigningMethodES512, claims).SignedString(c.private)
		require.NoError(t, err)
		sum := md5.Sum([]byte(encoded))
		bodyMD5, contentType = hex.EncodeToString(sum[:]), "application/json"
		w, _ := json.Marshal(map[string]string{"encoded_body": encoded})
		wire = string(w)
	}
	if c.md5 != "" {
		bodyMD5 = c.md5
	}
	uri := path
	if c.uri != "" {
		uri = c.uri
	}
	sub := c.key
	if c.sub != "" {
		sub = c.sub
	}
	date := c.date.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	signature := fmt.Sprintf("%s\n%s\n%s\n%s\n%s", method, bodyMD5, contentType, date, uri)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES512, jwt.MapClaims{"sub": sub, "signature": signature}).SignedString(c.private)
	require.NoError(t, err)
	req := httptest.NewRequest(method, path, strings.NewReader(wire))
	req.Header.Set("Authorization", "QIT "+c.key+":"+tok)
	req.Header.Set("API-CLIENT-KEY", c.key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// readSigned checks a signed answer with the provider's public key, as the public clients' unsign does,
// and returns the body it carries.
func readSigned(t *testing.T, rec *httptest.ResponseRecorder, providerPEM string) map[string]any {
	t.Helper()
	block, _ := pem.Decode([]byte(providerPEM))
	pubAny, err := x509.ParsePKIXPublicKey(block.Bytes)
	require.NoError(t, err)
	pub := pubAny.(*ecdsa.PublicKey)
	var doc map[string]string
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc), rec.Body.String())
	encoded := doc["encoded_body"]
	require.NotEmpty(t, encoded, rec.Body.String())
	auth := rec.Header().Get("Authorization")
	_, tok, ok := strings.Cut(strings.TrimPrefix(auth, "QIT "), ":")
	require.True(t, ok, "Authorization %q", auth)
	sig := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, sig, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"ES512"}))
	require.NoError(t, err, "the answer's Authorization is signed with the provider's key")
	sum := md5.Sum([]byte(encoded))
	assert.Equal(t, hex.EncodeToString(sum[:]), strings.Split(sig["signature"].(string), "\n")[1], "its string_to_sign names the MD5 of the encoded_body")
	body := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(encoded, body, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"ES512"}))
	require.NoError(t, err, "the encoded_body is signed with the provider's key")
	return body
}

func TestStringToSignScheme(t *testing.T) {
	clk := mock.NewManualClock(time.Now())
	m, err := New(mock.Config{Schemas: registry, Now: clk.Now, BaaSSigning: []string{"claims", "qit"}})
	require.NoError(t, err)
	priv, err := client.ParsePrivateKey([]byte(FixturePrivateKeyPEM))
	require.NoError(t, err)
	c := docClient{key: APIClientKey, private: priv, date: clk.Now()}
	cpf := fixtures.RandomCPF()
	person := fixtures.BaaSPerson(cpf)

	// BAAS-17: token request and movement validation the string_to_sign way, answers signed.
	rec := c.do(t, m, "POST", client.PathTokenRequest, fixtures.BaaSTokenRequest(person))
	require.Equal(t, 200, rec.Code, rec.Body.String())
	assert.Empty(t, readSigned(t, rec, ProviderPublicKeyPEM), "BAAS-01's {} comes back encoded")
	m.mu.Lock()
	tok := m.tokens[owned(APIClientKey, cpf)].Value
	m.mu.Unlock()
	rec = c.do(t, m, "POST", client.PathMovementValidation, map[string]any{"token": "000000", "person_creation": map[string]any{"person": person}})
	require.Equal(t, 401, rec.Code)
	assert.Equal(t, client.CodeInvalidToken, readSigned(t, rec, ProviderPublicKeyPEM)["code"], "ACC000133, signed too")
	rec = c.do(t, m, "POST", client.PathMovementValidation, map[string]any{"token": tok, "person_creation": map[string]any{"person": person}})
	require.Equal(t, 200, rec.Code, rec.Body.String())
	created := readSigned(t, rec, ProviderPublicKeyPEM)
	assert.Equal(t, person.Name, created["return_response"].(map[string]any)["person"].(map[string]any)["name"])

	// Its failures, each GDF000014 with QI's text.
	for name, bad := range map[string]docClient{
		"another body's MD5":      {key: APIClientKey, private: priv, date: clk.Now(), md5: "0123456789abcdef0123456789abcdef"},
		"another URI":             {key: APIClientKey, private: priv, date: clk.Now(), uri: client.PathMovementValidation},
		"ten minutes old":         {key: APIClientKey, private: priv, date: clk.Now().Add(-10 * time.Minute)},
		"another sub":             {key: APIClientKey, private: priv, date: clk.Now(), sub: "someone-else"},
		"signed with another key": {key: APIClientKey, private: mustKey(t), date: clk.Now()},
	} {
		rec := bad.do(t, m, "POST", client.PathTokenRequest, fixtures.BaaSTokenRequest(fixtures.BaaSPerson(fixtures.RandomCPF())))
		assert.Equal(t, 401, rec.Code, name)
		var e map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), name)
		assert.Equal(t, "GDF000014", e["code"], name)
		assert.Equal(t, "QI Unauthenticated", e["description"], name)
	}

	// A mock that was not told to accept the scheme says which scheme it saw and how to enable it.
	plain := newMock(t, clk)
	rec = c.do(t, plain, "POST", client.PathTokenRequest, fixtures.BaaSTokenRequest(person))
	assert.Equal(t, 401, rec.Code)
	assert.Contains(t, rec.Body.String(), "string_to_sign way (Authorization: QIT")
	assert.Contains(t, rec.Body.String(), "--baas-signing claims,qit")
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := client.ParsePrivateKey([]byte(ProviderPrivateKeyPEM)) // a P-521 key that is not the client's
	require.NoError(t, err)
	return k
}

// TestQITSignerAgainstTheMock: the harness's own client (clients/baas.QITSigner) against the mock, and
// the answer read with the public key the control API serves.
func TestQITSignerAgainstTheMock(t *testing.T) {
	m, err := New(mock.Config{Schemas: registry, BaaSSigning: []string{"qit"}})
	require.NoError(t, err)
	srv := httptest.NewServer(m)
	defer srv.Close()
	resp, err := http.Get(srv.URL + mock.ControlPrefix + "/public_key")
	require.NoError(t, err)
	pemBytes := make([]byte, 4096)
	n, _ := resp.Body.Read(pemBytes)
	_ = resp.Body.Close()
	pub, err := client.ParsePublicKey(pemBytes[:n])
	require.NoError(t, err)
	priv, err := client.ParsePrivateKey([]byte(FixturePrivateKeyPEM))
	require.NoError(t, err)
	s := &client.QITSigner{APIClientKey: APIClientKey, Key: priv, ProviderKey: pub}
	c, err := client.NewClient(srv.URL, client.WithHTTPClient(&http.Client{Transport: s.Transport(http.DefaultTransport)}))
	require.NoError(t, err)
	_, r, err := c.TokenRequest(t.Context(), fixtures.BaaSTokenRequest(fixtures.BaaSPerson(fixtures.RandomCPF())))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)

	// An answer that a man in the middle re-encoded with another key is refused, never read.
	other := &client.QITSigner{APIClientKey: APIClientKey, Key: priv, ProviderKey: &priv.PublicKey}
	c, err = client.NewClient(srv.URL, client.WithHTTPClient(&http.Client{Transport: other.Transport(http.DefaultTransport)}))
	require.NoError(t, err)
	_, _, err = c.TokenRequest(t.Context(), fixtures.BaaSTokenRequest(fixtures.BaaSPerson(fixtures.RandomCPF())))
	assert.ErrorContains(t, err, "not an ES512 JWT signed by this key")
}

// TestCredentialsAreCheckedBeforeTheBody: a call without a known API-CLIENT-KEY is answered without a
// byte of its body being read, so an unauthenticated slow body holds nothing.
func TestCredentialsAreCheckedBeforeTheBody(t *testing.T) {
	srv, err := mock.Start("127.0.0.1:0", newMock(t, nil))
	require.NoError(t, err)
	defer srv.Close(t.Context())
	for key, want := range map[string]string{"": "GDF000003", "nobody-knows-me": "GDF000018"} {
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		require.NoError(t, err)
		head := "POST " + client.PathTokenRequest + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
		if key != "" {
			head += "API-CLIENT-KEY: " + key + "\r\n"
		}
		_, err = io.WriteString(c, head+"\r\n{") // one byte of a body that never comes
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, "answered before the body arrived")
		b, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(b), want)
		_ = c.Close()
	}
}
