package baas

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"io"
	"net/http"
	"time"

	client "github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/mock"
)

// ClockSkew is how far a request's timestamp claim may be from the mock's clock.
const ClockSkew = 5 * time.Minute

// The authentication errors of BAAS-16. QI Tech's public documentation gives the codes and statuses;
// the wording is the harness's.
var (
	errNoAPIKey = &mock.Problem{Status: http.StatusBadRequest, Code: client.CodeMissingAPIKey, Title: "Bad Request",
		Message: "Missing API-CLIENT-KEY header", Translation: "Cabeçalho API-CLIENT-KEY ausente"}
	errUnknownAPIKey = &mock.Problem{Status: http.StatusNotFound, Code: client.CodeUnknownAPIKey, Title: "Not Found",
		Message: "API-CLIENT-KEY not found", Translation: "API-CLIENT-KEY não encontrada"}
)

func errSignature(why string) *mock.Problem {
	return &mock.Problem{Status: http.StatusUnauthorized, Code: client.CodeInvalidSignature, Title: "Unauthorized",
		Message: "Invalid AUTHORIZATION: " + why, Translation: "AUTHORIZATION inválido: " + why}
}

// authenticated checks BAAS-16 before h runs: an API-CLIENT-KEY the mock knows, and an AUTHORIZATION
// ES512 JWT signed with that client's key whose claims match this call (method, path, MD5 of the body)
// and whose timestamp is within ClockSkew of the mock's clock. h gets the body again to read.
func (m *Mock) authenticated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, p := mock.ReadBody(r)
		if p != nil {
			m.fail(w, p)
			return
		}
		if p := m.checkSignature(r, raw); p != nil {
			m.fail(w, p)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		h(w, r)
	}
}

func (m *Mock) checkSignature(r *http.Request, body []byte) *mock.Problem {
	key := r.Header.Get(client.HeaderAPIClientKey)
	if key == "" {
		return errNoAPIKey
	}
	m.mu.Lock()
	pub := m.clients[key]
	m.mu.Unlock()
	if pub == nil {
		return errUnknownAPIKey
	}
	tok := r.Header.Get(client.HeaderAuthorization)
	if tok == "" {
		return errSignature("missing")
	}
	c, err := client.ParseAuthorization(tok, pub)
	if err != nil {
		return errSignature("not an ES512 JWT signed by this API client")
	}
	switch {
	case c.Method != r.Method:
		return errSignature(fmt.Sprintf("method claim %q, the call is %s", c.Method, r.Method))
	case c.URI != r.URL.EscapedPath():
		return errSignature(fmt.Sprintf("uri claim %q, the call is %s", c.URI, r.URL.EscapedPath()))
	case c.PayloadMD5 != client.PayloadMD5(body):
		return errSignature("payload_md5 does not match the body")
	}
	ts, err := time.Parse(time.RFC3339Nano, c.Timestamp)
	if err != nil {
		return errSignature(fmt.Sprintf("timestamp claim %q is not an ISO 8601 time", c.Timestamp))
	}
	if d := m.now().Sub(ts); d > ClockSkew || d < -ClockSkew {
		return errSignature(fmt.Sprintf("timestamp %s is more than %s from now", c.Timestamp, ClockSkew))
	}
	return nil
}

// ctlAddClient registers another API client: {"api_client_key", "public_key_pem"}.
func (m *Mock) ctlAddClient(w http.ResponseWriter, r *http.Request) {
	var in struct {
		APIClientKey string `json:"api_client_key"`
		PublicKeyPEM string `json:"public_key_pem"`
	}
	if p := mock.DecodeStrict(r, &in); p != nil {
		m.fail(w, p)
		return
	}
	pub, err := client.ParsePublicKey([]byte(in.PublicKeyPEM))
	if in.APIClientKey == "" || err != nil {
		m.fail(w, &mock.Problem{Status: http.StatusBadRequest, Code: mock.CodeMalformedJSON, Title: "Bad Request",
			Message: "conformance mock control API: want {api_client_key, public_key_pem} with a P-521 public key"})
		return
	}
	m.mu.Lock()
	m.clients[in.APIClientKey] = pub
	m.mu.Unlock()
	m.respond(w, http.StatusCreated, map[string]any{"api_client_key": in.APIClientKey})
}

func fixtureClients() map[string]*ecdsa.PublicKey {
	pub, err := client.ParsePublicKey([]byte(FixturePublicKeyPEM))
	if err != nil {
		panic("baas mock: the fixture public key does not parse: " + err.Error())
	}
	return map[string]*ecdsa.PublicKey{APIClientKey: pub}
}
