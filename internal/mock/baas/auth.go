package baas

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	client "github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/mock"
)

// ClockSkew is how far a request's timestamp claim may be from the mock's clock.
const ClockSkew = 5 * time.Minute

// The authentication errors of BAAS-16, with QI's codes, statuses and texts; why a signature was refused
// is the harness's own, in additional_data.reason.
var errNoAPIKey = &mock.Problem{Status: http.StatusBadRequest, Code: client.CodeMissingAPIKey, Title: "Bad Request",
	Message: "No API Client Key received", Translation: "No API Client Key received",
	IDs: []string{"BAAS-16"}, Rule: "every call carries the API-CLIENT-KEY header"}

func errUnknownAPIKey(key string) *mock.Problem {
	msg := "No ClientIntegration found for api_client_key: " + key
	return &mock.Problem{Status: http.StatusNotFound, Code: client.CodeUnknownAPIKey, Title: "Not Found", Message: msg, Translation: msg,
		IDs: []string{"BAAS-16"}, Rule: "API-CLIENT-KEY must be a key the provider issued"}
}

// errSignature refuses a call signed BAAS-16's way; errQIT one signed BAAS-17's.
func errSignature(why string) *mock.Problem {
	return &mock.Problem{Status: http.StatusUnauthorized, Code: client.CodeInvalidSignature, Title: "Unauthorized",
		Message: "QI Unauthenticated", Translation: "QI Unauthenticated", Data: map[string]any{"reason": why},
		IDs: []string{"BAAS-16"}, Rule: why}
}

func errQIT(why string) *mock.Problem {
	p := errSignature(why)
	p.IDs = []string{"BAAS-17"}
	return p
}

// authenticated checks the call's signature before h runs, in the scheme its Authorization shows:
//   - BAAS-16 (always): an API-CLIENT-KEY the mock knows and an AUTHORIZATION ES512 JWT signed with that
//     client's key whose claims match this call (method, path, MD5 of the body, of {} for GET and
//     DELETE) and whose timestamp is within ClockSkew of the mock's clock;
//   - BAAS-17 ("QIT <key>:<JWT>"), when the mock was told to accept it: see checkQIT. h then reads the
//     decoded body, and its answer goes back encoded and signed with the mock's provider key.
func (m *Mock) authenticated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The API client first: a call that names none, or one the mock does not know, is answered
		// before a byte of its body is read.
		if _, p := m.client(r); p != nil {
			// The body is never read: close the connection after the answer, or net/http would first
			// read (and discard) what is left of the body before answering.
			w.Header().Set("Connection", "close")
			m.fail(w, p)
			return
		}
		raw, p := mock.ReadBody(r)
		if p != nil {
			m.fail(w, p)
			return
		}
		if strings.HasPrefix(r.Header.Get("Authorization"), "QIT ") {
			plain, p := m.checkQIT(w, r, raw)
			if p != nil {
				m.fail(w, p)
				return
			}
			mock.FollowedInstead(r, "BAAS-16", "BAAS-17")
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(plain)), int64(len(plain))
			sw := &signedAnswer{header: http.Header{}}
			h(sw, r)
			m.writeSigned(w, r, sw)
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

// apiClient is an API client the mock knows: its public key and, where set when it was registered, the
// signing schemes it may use instead of the mock's.
type apiClient struct {
	pub     *ecdsa.PublicKey
	schemes map[string]bool
}

// client returns the public key of the API client the call names, or the problem.
func (m *Mock) client(r *http.Request) (*ecdsa.PublicKey, *mock.Problem) {
	key := r.Header.Get(client.HeaderAPIClientKey)
	if key == "" {
		return nil, errNoAPIKey
	}
	m.mu.Lock()
	c := m.clients[key]
	m.mu.Unlock()
	if c == nil {
		return nil, errUnknownAPIKey(key)
	}
	return c.pub, nil
}

func (m *Mock) checkSignature(r *http.Request, body []byte) *mock.Problem {
	pub, p := m.client(r)
	if p != nil {
		return p
	}
	tok := r.Header.Get(client.HeaderAuthorization)
	if tok == "" {
		return errSignature("AUTHORIZATION is missing")
	}
	c, err := client.ParseAuthorization(tok, pub)
	if err != nil {
		return errSignature("AUTHORIZATION is not an ES512 JWT signed by this API client")
	}
	signed := client.SignedPayload(r.Method, body)
	switch {
	case c.Method != r.Method:
		return errSignature(fmt.Sprintf("method claim %q, the call is %s", c.Method, r.Method))
	case c.URI != r.URL.EscapedPath():
		return errSignature(fmt.Sprintf("uri claim %q, the call is %s", c.URI, r.URL.EscapedPath()))
	case c.PayloadMD5 != client.PayloadMD5(signed):
		return errSignature("payload_md5 does not match the body")
	}
	ts, err := time.Parse(time.RFC3339Nano, c.Timestamp)
	if err != nil {
		return errSignature(fmt.Sprintf("timestamp claim %q is not an ISO 8601 time", c.Timestamp))
	}
	return m.fresh(ts, c.Timestamp)
}

// fresh refuses a signing time more than ClockSkew from the mock's clock.
func (m *Mock) fresh(t time.Time, as string) *mock.Problem {
	if d := m.now().Sub(t); d > ClockSkew || d < -ClockSkew {
		return errSignature(fmt.Sprintf("the signing time %s is more than %s from now", as, ClockSkew))
	}
	return nil
}

// checkQIT checks a call signed the string_to_sign way (BAAS-17) and returns the body its encoded_body
// carries. The Authorization's key must be the API-CLIENT-KEY and its sub; the JWT signed by that
// client; string_to_sign this call's method, the MD5 of the encoded_body sent with application/json (both
// empty without a body; a bodiless call may name application/json, as some clients do), an RFC 1123
// date within ClockSkew, and the path with its query.
func (m *Mock) checkQIT(w http.ResponseWriter, r *http.Request, raw []byte) ([]byte, *mock.Problem) {
	pub, p := m.client(r)
	if p != nil {
		return nil, p
	}
	if !m.accepts(r.Header.Get(client.HeaderAPIClientKey), client.SchemeQIT) {
		return nil, errQIT("this call is signed the string_to_sign way (Authorization: QIT <key>:<JWT>, BAAS-17), " +
			"which this mock was not told to accept: start it with --baas-signing claims,qit (or set providers.baas.options.signing)")
	}
	sig, err := client.ParseQITAuthorization(r.Header.Get("Authorization"), pub)
	if err != nil {
		return nil, errQIT("Authorization: " + err.Error())
	}
	key := r.Header.Get(client.HeaderAPIClientKey)
	uri := client.SignedURI(r.URL)
	var plain []byte
	wantMD5, wantType := "", ""
	if len(bytes.TrimSpace(raw)) > 0 {
		var doc map[string]any
		encoded := ""
		if json.Unmarshal(raw, &doc) == nil && len(doc) == 1 {
			encoded, _ = doc[client.EncodedBodyField].(string)
		}
		if encoded == "" {
			return nil, errQIT(`the body must be {"encoded_body": <JWT of the body>} in the string_to_sign scheme`)
		}
		var registered []string
		if plain, registered, err = client.DecodeBodyClaims(encoded, pub); err != nil {
			return nil, errQIT(err.Error())
		}
		if len(registered) > 0 {
			// A JWT library adds these on its own (jsonwebtoken adds iat); the documents do not forbid
			// them, and they are no member of the body.
			mock.Note(w, fmt.Sprintf("the encoded_body's registered JWT claims %s were accepted and not read as body members",
				strings.Join(registered, ", ")), "BAAS-17")
		}
		wantMD5, wantType = client.MD5Hex(encoded), "application/json"
	}
	switch {
	case sig.APIClientKey != key || sig.Sub != key:
		return nil, errQIT(fmt.Sprintf("the Authorization names %q (sub %q), API-CLIENT-KEY is %q", sig.APIClientKey, sig.Sub, key))
	case sig.Method != r.Method:
		return nil, errQIT(fmt.Sprintf("string_to_sign method %q, the call is %s", sig.Method, r.Method))
	case sig.URI != uri:
		return nil, errQIT(fmt.Sprintf("string_to_sign URI %q, the call is %s", sig.URI, uri))
	case sig.MD5 != wantMD5:
		return nil, errQIT("string_to_sign MD5 is not the MD5 of the encoded_body sent")
	case sig.ContentType != wantType && !(wantType == "" && sig.ContentType == "application/json"):
		return nil, errQIT(fmt.Sprintf("string_to_sign content type %q, want %q", sig.ContentType, wantType))
	}
	t, err := parseHTTPDate(sig.Date)
	if err != nil {
		return nil, errQIT(fmt.Sprintf("string_to_sign date %q is not an RFC 1123 date", sig.Date))
	}
	if p := m.fresh(t, sig.Date); p != nil {
		return nil, p
	}
	return plain, nil
}

// parseHTTPDate reads an RFC 1123 date, and the unpadded form some clients write ("Tue, 1 Dec 2026 9:5:3 GMT").
func parseHTTPDate(s string) (time.Time, error) {
	if t, err := http.ParseTime(s); err == nil {
		return t, nil
	}
	return time.Parse("Mon, 2 Jan 2006 15:4:5 GMT", s)
}

// signedAnswer holds a handler's answer until it is encoded.
type signedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (s *signedAnswer) Header() http.Header { return s.header }
func (s *signedAnswer) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
func (s *signedAnswer) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.body.Write(b)
}

// writeSigned sends a handler's answer the string_to_sign way: {"encoded_body": JWT of the body}, signed
// with the mock's provider key, and an Authorization over its MD5, as QI answers such a call.
func (m *Mock) writeSigned(w http.ResponseWriter, r *http.Request, a *signedAnswer) {
	key := r.Header.Get(client.HeaderAPIClientKey)
	signer := client.QITSigner{APIClientKey: key, Key: m.provider, Now: m.now}
	wire, auth, err := signer.Encode(r.Method, client.SignedURI(r.URL), a.body.Bytes())
	if err != nil {
		m.fail(w, &mock.Problem{Status: http.StatusInternalServerError, Code: mock.CodeInternal, Title: "Internal Server Error",
			Message: "conformance mock: could not sign the answer: " + err.Error()})
		return
	}
	for k, v := range a.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Authorization", auth)
	if len(wire) == 0 { // an empty answer goes out empty, its MD5 and content type empty, as a bodiless call
		w.WriteHeader(a.status)
		return
	}
	mock.WriteJSON(w, a.status, json.RawMessage(wire))
}

// accepts tells whether the mock takes scheme from the API client key.
func (m *Mock) accepts(key, scheme string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.clients[key]; c != nil && c.schemes != nil {
		return c.schemes[scheme]
	}
	return m.schemes[scheme]
}

// ctlSigning sets the signing schemes the mock accepts from the acting tenant (API client):
// {"schemes": ["claims", "qit"]}; another API client's stay as they were. The claims scheme (BAAS-16)
// is always accepted.
func (m *Mock) ctlSigning(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Schemes []string `json:"schemes"`
	}
	if p := mock.DecodeStrict(r, &in); p != nil {
		m.fail(w, p)
		return
	}
	set, err := Schemes(in.Schemes)
	if err != nil {
		m.fail(w, &mock.Problem{Status: http.StatusBadRequest, Code: mock.CodeSchemaViolation, Title: "Bad Request",
			Message: "conformance mock control API: " + err.Error()})
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	c := m.clients[tenant]
	if c != nil {
		c.schemes = set
	}
	m.mu.Unlock()
	if c == nil {
		m.fail(w, &mock.Problem{Status: http.StatusNotFound, Code: mock.CodeNotFound, Title: "Not Found",
			Message: "conformance mock control API: no API client " + tenant})
		return
	}
	m.respond(w, http.StatusOK, map[string]any{"schemes": in.Schemes})
}

// ctlPublicKey serves the mock's provider public key (PEM): what checks its signed answers (BAAS-17).
func (m *Mock) ctlPublicKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = io.WriteString(w, ProviderPublicKeyPEM)
}

// Schemes reads a list of signing schemes; the claims scheme is always in the set.
func Schemes(list []string) (map[string]bool, error) {
	set := map[string]bool{client.SchemeClaims: true}
	for _, s := range list {
		s = strings.TrimSpace(strings.ToLower(s))
		if !slices.Contains(client.Schemes, s) {
			return nil, fmt.Errorf("signing scheme %q: want %s", s, strings.Join(client.Schemes, " or "))
		}
		set[s] = true
	}
	return set, nil
}

// ctlAddClient registers another API client: {"api_client_key", "public_key_pem"}, and optionally the
// signing schemes it alone may use ("schemes": ["claims"]), whatever the mock accepts from others.
func (m *Mock) ctlAddClient(w http.ResponseWriter, r *http.Request) {
	var in struct {
		APIClientKey string   `json:"api_client_key"`
		PublicKeyPEM string   `json:"public_key_pem"`
		Schemes      []string `json:"schemes"`
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
	c := &apiClient{pub: pub}
	if in.Schemes != nil {
		set, err := Schemes(in.Schemes)
		if err != nil {
			m.fail(w, &mock.Problem{Status: http.StatusBadRequest, Code: mock.CodeSchemaViolation, Title: "Bad Request",
				Message: "conformance mock control API: " + err.Error()})
			return
		}
		c.schemes = set
	}
	m.mu.Lock()
	m.clients[in.APIClientKey] = c
	m.mu.Unlock()
	m.respond(w, http.StatusCreated, map[string]any{"api_client_key": in.APIClientKey})
}

func fixtureClients() map[string]*apiClient {
	pub, err := client.ParsePublicKey([]byte(FixturePublicKeyPEM))
	if err != nil {
		panic("baas mock: the fixture public key does not parse: " + err.Error())
	}
	return map[string]*apiClient{APIClientKey: {pub: pub}}
}
