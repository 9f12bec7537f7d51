package baas

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	client "github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/schema"
)

// registry is the embedded schemas, which New uses when mock.Config names none.
var registry, _ = schema.Embedded()

func newMock(t testing.TB, clk *mock.ManualClock) *Mock {
	t.Helper()
	cfg := mock.Config{Schemas: registry, TokenTTL: time.Minute}
	if clk != nil {
		cfg.Now = clk.Now
	}
	m, err := New(cfg)
	require.NoError(t, err)
	return m
}

func do(t testing.TB, h http.Handler, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		raw, err = json.Marshal(b)
		require.NoError(t, err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	s := *fixtureSigner
	if m, ok := h.(*Mock); ok {
		s.Now = m.now // the signature's timestamp follows the mock's (possibly fake) clock
	}
	require.NoError(t, s.Sign(req, raw))
	h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), "body: %s", rec.Body.String())
	}
	return rec.Code, out
}

// fixtureSigner signs as the mock's fixture API client (BAAS-16).
var fixtureSigner = func() *client.Signer {
	s, err := client.NewSigner(APIClientKey, []byte(FixturePrivateKeyPEM))
	if err != nil {
		panic(err)
	}
	return s
}()

// signed signs req (whose body is raw) as the fixture client; control-API calls need no signature but
// carry one harmlessly.
func signed(t testing.TB, req *http.Request, raw []byte) *http.Request {
	t.Helper()
	req.Header.Set("Content-Type", "application/json")
	require.NoError(t, fixtureSigner.Sign(req, raw))
	return req
}

func tokenBody(doc string) *client.TokenRequestBody {
	return fixtures.BaaSTokenRequest(fixtures.BaaSPerson(doc))
}

func TestBadInputGetsDocumentedErrorShape(t *testing.T) {
	t.Parallel()
	m := newMock(t, nil)
	valid, _ := json.Marshal(tokenBody("68346734500"))
	cases := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"malformed json", "POST", client.PathTokenRequest, `{"contact_type":`, 400, mock.CodeMalformedJSON},
		{"json array", "POST", client.PathTokenRequest, `[1,2]`, 400, mock.CodeMalformedJSON},
		{"json null", "POST", client.PathTokenRequest, `null`, 400, mock.CodeMalformedJSON},
		{"two documents", "POST", client.PathTokenRequest, string(valid) + `{}`, 400, mock.CodeMalformedJSON},
		{"empty body", "POST", client.PathMovementValidation, ``, 400, mock.CodeMalformedJSON},
		{"schema violation", "POST", client.PathTokenRequest, `{"contact_type":"sms"}`, 400, mock.CodeSchemaViolation},
		{"contact type not a string", "POST", client.PathTokenRequest, `{"contact_type":5}`, 400, client.CodeContactTypeNotAllowed},
		{"contact type null", "POST", client.PathTokenRequest, `{"contact_type":null}`, 400, client.CodeContactTypeNotAllowed},
		{"unknown path", "POST", "/baas/unknown", `{}`, 404, mock.CodeNotFound},
		{"wrong method", "GET", client.PathTokenRequest, ``, 405, mock.CodeMethodNotAllowed},
		{"too large", "POST", client.PathTokenRequest, `{"x":"` + strings.Repeat("a", mock.MaxBody) + `"}`, 413, mock.CodeBodyTooLarge},
		{"token too short", "POST", client.PathMovementValidation, `{"token":"123","person_creation":{"person":{}}}`, 400, mock.CodeSchemaViolation},
		{"control: unknown field", "POST", mock.ControlPrefix + "/tokens", `{"document_numbr":"68346734500"}`, 400, mock.CodeMalformedJSON},
		{"control: bad cpf", "POST", mock.ControlPrefix + "/contacts", `{"document_number":"1"}`, 400, mock.CodeSchemaViolation},
		{"control: expire unknown", "POST", mock.ControlPrefix + "/tokens/expire", `{"document_number":"00000000000"}`, 404, mock.CodeNotFound},
		{"control: no sms", "GET", mock.ControlPrefix + "/sms?document_number=00000000000", ``, 404, mock.CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := do(t, m, tc.method, tc.path, tc.body)
			assert.Equal(t, tc.wantStatus, status, "%v", body)
			assert.Equal(t, tc.wantCode, body["code"])
			raw, _ := json.Marshal(body)
			vs, err := registry.ValidateDocument("baas/error.json", raw)
			require.NoError(t, err)
			assert.Empty(t, vs, "error body in the documented shape (BAAS-14)")
		})
	}
}

func TestSchemaViolationNamesPointerAndRule(t *testing.T) {
	t.Parallel()
	b := tokenBody("68346734500")
	b.PersonCreation.Person.Name = strings.Repeat("n", 101)
	status, body := do(t, newMock(t, nil), "POST", client.PathTokenRequest, b)
	require.Equal(t, 400, status)
	assert.Equal(t, mock.CodeSchemaViolation, body["code"])
	assert.Contains(t, body["description"], "/person_creation/person/name: maxLength")
	vs := body["additional_data"].(map[string]any)["violations"].([]any)
	require.Len(t, vs, 1)
	assert.Equal(t, "/person_creation/person/name", vs[0].(map[string]any)["pointer"])
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	clk := mock.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	m := newMock(t, clk)
	const doc = "12345678901"
	person := fixtures.BaaSPerson(doc)

	status, body := do(t, m, "POST", client.PathTokenRequest, tokenBody(doc))
	require.Equal(t, 200, status, "%v", body)
	assert.Empty(t, body)

	// The mock is the SMS gateway: the token went to the person's phone.
	status, sms := do(t, m, "GET", mock.ControlPrefix+"/sms?document_number="+doc, nil)
	require.Equal(t, 200, status)
	assert.Equal(t, "+55 34 988887777", sms["to"])
	tok := sms["token"].(string)
	assert.Regexp(t, `^[0-9]{6}$`, tok)
	assert.Equal(t, fixtures.BaaSAgent, sms["agent_document_number"])

	validate := func(token string) (int, map[string]any) {
		return do(t, m, "POST", client.PathMovementValidation, client.MovementValidationBody{Token: token, PersonCreation: client.PersonCreation{Person: person}})
	}
	status, body = validate(wrongDigits(tok))
	assert.Equal(t, 401, status)
	assert.Equal(t, client.CodeInvalidToken, body["code"])

	clk.Add(time.Minute) // the TTL
	status, body = validate(tok)
	assert.Equal(t, 401, status)
	assert.Equal(t, client.CodeExpiredToken, body["code"])
	assert.Equal(t, "Token Expirado", body["translation"])

	// A new token, used in time, creates the person; it cannot be used twice.
	status, _ = do(t, m, "POST", client.PathTokenRequest, tokenBody(doc))
	require.Equal(t, 200, status)
	_, sms = do(t, m, "GET", mock.ControlPrefix+"/sms?document_number="+doc, nil)
	tok = sms["token"].(string)
	clk.Add(59 * time.Second)
	status, body = validate(tok)
	require.Equal(t, 200, status, "%v", body)
	raw, _ := json.Marshal(body)
	vs, err := registry.ValidateDocument("baas/movement_validation.200.json", raw)
	require.NoError(t, err)
	assert.Empty(t, vs)
	rr := body["return_response"].(map[string]any)
	p := rr["person"].(map[string]any)
	assert.Equal(t, person.Name, p["name"])
	assert.Equal(t, doc, p["document_number"])
	assert.Equal(t, "1987-01-11T00:00:00", rr["date_of_birth"])
	assert.Equal(t, "2026-01-02T03:06:04", rr["created_at"])
	assert.Equal(t, p["person_key"], rr["kc_key"])
	assert.Nil(t, rr["spouse_name"], "DOC-16: the seed answers null")
	status, body = validate(tok)
	assert.Equal(t, 401, status)
	assert.Equal(t, client.CodeInvalidToken, body["code"])
}

func wrongDigits(tok string) string {
	b := []byte(tok)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestContacts(t *testing.T) {
	t.Parallel()
	m := newMock(t, nil)
	b := tokenBody("12345678901")
	b.AgentDocumentNumber = "11122233344"
	status, body := do(t, m, "POST", client.PathTokenRequest, b)
	assert.Equal(t, 400, status)
	assert.Equal(t, client.CodeContactDoesNotExist, body["code"])
	assert.Equal(t, "Contato nao existe", body["translation"])

	status, _ = do(t, m, "POST", mock.ControlPrefix+"/contacts", map[string]string{"document_number": "11122233344"})
	require.Equal(t, 201, status)
	status, _ = do(t, m, "POST", client.PathTokenRequest, b)
	assert.Equal(t, 200, status)

	status, _ = do(t, m, "POST", mock.ControlPrefix+"/contacts/remove", map[string]string{"document_number": "11122233344"})
	require.Equal(t, 204, status)
	status, _ = do(t, m, "POST", client.PathTokenRequest, b)
	assert.Equal(t, 400, status)

	// Outside +55 the SMS cannot be delivered (BAAS-06).
	b = tokenBody("12345678901")
	b.PersonCreation.Person.PhoneNumber.CountryCode = "54"
	status, body = do(t, m, "POST", client.PathTokenRequest, b)
	assert.Equal(t, 400, status)
	assert.Equal(t, client.CodeContactDoesNotExist, body["code"])

	// Reset restores the fixture contacts and forgets tokens.
	status, _ = do(t, m, "POST", mock.ControlPrefix+"/reset", nil)
	require.Equal(t, 204, status)
	status, _ = do(t, m, "GET", mock.ControlPrefix+"/sms?document_number=12345678901", nil)
	assert.Equal(t, 404, status)
}

func TestContactTypeIsSubstituted(t *testing.T) {
	t.Parallel()
	b := tokenBody("12345678901")
	b.ContactType = "whatsapp"
	status, body := do(t, newMock(t, nil), "POST", client.PathTokenRequest, b)
	assert.Equal(t, 400, status)
	assert.Equal(t, map[string]any{"title": "Bad Request", "description": "Contact type whatsapp not allowed",
		"translation": "Forma de contato por whatsapp não permitida", "code": "ACC000152", "additional_data": map[string]any{}}, body)
}

func TestControlIssuedTokens(t *testing.T) {
	t.Parallel()
	m := newMock(t, nil)
	person := fixtures.BaaSPerson("68346734500")
	body := client.MovementValidationBody{Token: "076244", PersonCreation: client.PersonCreation{Person: person}}
	status, _ := do(t, m, "POST", mock.ControlPrefix+"/tokens", map[string]any{"document_number": "68346734500", "token": "076244", "expired": true})
	require.Equal(t, 201, status)
	status, resp := do(t, m, "POST", client.PathMovementValidation, body)
	assert.Equal(t, 401, status)
	assert.Equal(t, client.CodeExpiredToken, resp["code"])
	status, _ = do(t, m, "POST", mock.ControlPrefix+"/tokens", map[string]any{"document_number": "68346734500", "token": "076244"})
	require.Equal(t, 201, status)
	status, _ = do(t, m, "POST", client.PathMovementValidation, body)
	assert.Equal(t, 200, status)
}

func TestNewTakesTheEmbeddedSchemasByDefaultAndRefusesASetWithoutBaaS(t *testing.T) {
	m, err := New(mock.Config{})
	require.NoError(t, err)
	assert.NotNil(t, m.schemas)
	reg, err := schema.Load(fstest.MapFS{"other/index.json": {Data: []byte(`{"provider":"other","operations":[]}`)}})
	require.NoError(t, err)
	_, err = New(mock.Config{Schemas: reg})
	assert.ErrorContains(t, err, "baas mock: the schema registry has no baas operations")
}

// FuzzNever5xx: whatever arrives, the mock answers below 500, in the documented error shape when it
// refuses. Run longer with: go test -fuzz FuzzNever5xx ./internal/mock/baas
func FuzzNever5xx(f *testing.F) {
	valid, _ := json.Marshal(tokenBody("68346734500"))
	mv, _ := json.Marshal(client.MovementValidationBody{Token: "076244", PersonCreation: client.PersonCreation{Person: fixtures.BaaSPerson("68346734500")}})
	for _, seed := range [][]byte{valid, mv, []byte(`{}`), []byte(`{"contact_type":{"a":[1,2]}}`), []byte(`{"person_creation":{"person":{"phone_number":null}}}`),
		[]byte(`{"token":123,"person_creation":"x"}`), []byte("\xff\xfe"), []byte(`{"contact_type":"sms","person_creation":{"person":{"name":1e999}}}`)} {
		f.Add(uint8(0), seed)
		f.Add(uint8(1), seed)
	}
	m := newMock(f, nil)
	paths := []string{client.PathTokenRequest, client.PathMovementValidation, mock.ControlPrefix + "/tokens", mock.ControlPrefix + "/contacts", mock.ControlPrefix + "/tokens/expire"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, signed(t, httptest.NewRequest("POST", paths[int(which)%len(paths)], bytes.NewReader(body)), body))
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		if rec.Code >= 400 {
			vs, err := registry.ValidateDocument("baas/error.json", rec.Body.Bytes())
			if err != nil || len(vs) > 0 {
				t.Fatalf("error body not in the documented shape: %v %v: %s", err, vs, rec.Body.String())
			}
		}
	})
}

func TestRequestAuthentication(t *testing.T) {
	t.Parallel()
	m, err := New(mock.Config{})
	require.NoError(t, err)
	body, _ := json.Marshal(tokenBody("68346734500"))
	other, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	send := func(change func(r *http.Request)) (int, map[string]any) {
		req := httptest.NewRequest("POST", client.PathTokenRequest, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		require.NoError(t, fixtureSigner.Sign(req, body))
		change(req)
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		var out map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
		return rec.Code, out
	}
	resign := func(s client.Signer, method, uri string, b []byte) func(r *http.Request) {
		return func(r *http.Request) {
			tok, err := s.Token(method, uri, b)
			require.NoError(t, err)
			r.Header.Set(client.HeaderAuthorization, tok)
		}
	}
	stale := *fixtureSigner
	stale.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	for name, tc := range map[string]struct {
		change func(r *http.Request)
		status int
		code   string
	}{
		"signed":                 {func(*http.Request) {}, 200, ""},
		"no API-CLIENT-KEY":      {func(r *http.Request) { r.Header.Del(client.HeaderAPIClientKey) }, 400, "GDF000003"},
		"unknown API-CLIENT-KEY": {func(r *http.Request) { r.Header.Set(client.HeaderAPIClientKey, "nobody") }, 404, "GDF000018"},
		"no AUTHORIZATION":       {func(r *http.Request) { r.Header.Del(client.HeaderAuthorization) }, 401, "GDF000014"},
		"garbage AUTHORIZATION":  {func(r *http.Request) { r.Header.Set(client.HeaderAuthorization, "Bearer x") }, 401, "GDF000014"},
		"another key":            {resign(client.Signer{Key: other}, "POST", client.PathTokenRequest, body), 401, "GDF000014"},
		"another body":           {resign(*fixtureSigner, "POST", client.PathTokenRequest, []byte(`{}`)), 401, "GDF000014"},
		"another path":           {resign(*fixtureSigner, "POST", client.PathMovementValidation, body), 401, "GDF000014"},
		"another method":         {resign(*fixtureSigner, "PUT", client.PathTokenRequest, body), 401, "GDF000014"},
		"six minutes old":        {resign(stale, "POST", client.PathTokenRequest, body), 401, "GDF000014"},
	} {
		status, out := send(tc.change)
		assert.Equal(t, tc.status, status, "%s: %v", name, out)
		if tc.code != "" {
			assert.Equal(t, tc.code, out["code"], name)
			raw, _ := json.Marshal(out)
			vs, err := registry.ValidateDocument("baas/error.json", raw)
			require.NoError(t, err)
			assert.Empty(t, vs, name)
		}
	}

	// Another client registered through the control API may sign.
	der, err := x509.MarshalPKIXPublicKey(&other.PublicKey)
	require.NoError(t, err)
	status, out := do(t, m, "POST", mock.ControlPrefix+"/clients", map[string]any{"api_client_key": "second",
		"public_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	require.Equal(t, 201, status, "%v", out)
	status, out = send(func(r *http.Request) {
		r.Header.Set(client.HeaderAPIClientKey, "second")
		resign(client.Signer{Key: other}, "POST", client.PathTokenRequest, body)(r)
	})
	assert.Equal(t, 200, status, "%v", out)
	status, _ = do(t, m, "POST", mock.ControlPrefix+"/clients", map[string]any{"api_client_key": "third", "public_key_pem": "nope"})
	assert.Equal(t, 400, status)
}
