package baas

import (
	"bytes"
	"encoding/json"
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

// signedPost sends body as the harness's BAAS-16 client does and returns the answer.
func signedPost(t *testing.T, h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	s, err := client.NewSigner(APIClientKey, []byte(FixturePrivateKeyPEM))
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	require.NoError(t, s.Sign(req, body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestARefusalNamesTheRuleItsRequestBroke: seed 004's own example body (no is_pep, area_code "888") is
// refused naming BAAS-07 and DOC-12, BAAS-10 and DOC-13, in the headers and in additional_data; a
// refusal the seed writes out in full (ACC000152) keeps its body to the letter and teaches in the
// headers; a documented outcome (ACC000133, a wrong token) teaches nothing, since no rule was broken.
func TestARefusalNamesTheRuleItsRequestBroke(t *testing.T) {
	m := newMock(t, nil)
	person := fixtures.BaaSPerson(fixtures.RandomCPF())
	raw, err := json.Marshal(fixtures.BaaSTokenRequest(person))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	p := doc["person_creation"].(map[string]any)["person"].(map[string]any)
	delete(p, "is_pep")
	p["phone_number"].(map[string]any)["area_code"] = "888"
	raw, _ = json.Marshal(doc)

	rec := signedPost(t, m, client.PathTokenRequest, raw)
	require.Equal(t, 400, rec.Code, rec.Body.String())
	assert.Equal(t, "BAAS-07, BAAS-10, DOC-12, DOC-13", rec.Header().Get(mock.IDsHeader))
	assert.Contains(t, rec.Header().Get(mock.RuleHeader), "/person_creation/person/is_pep: required")
	var e struct {
		Code string `json:"code"`
		Data struct {
			IDs        []string `json:"catalogue_ids"`
			Rule       string   `json:"rule"`
			Violations []struct {
				Pointer string   `json:"pointer"`
				IDs     []string `json:"catalogue_ids"`
			} `json:"violations"`
		} `json:"additional_data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
	assert.Equal(t, mock.CodeSchemaViolation, e.Code)
	assert.Equal(t, []string{"BAAS-07", "BAAS-10", "DOC-12", "DOC-13"}, e.Data.IDs)
	require.Len(t, e.Data.Violations, 2)
	assert.Equal(t, "/person_creation/person/is_pep", e.Data.Violations[0].Pointer)
	assert.Equal(t, []string{"BAAS-07", "DOC-12"}, e.Data.Violations[0].IDs)
	assert.Equal(t, []string{"BAAS-10", "DOC-13"}, e.Data.Violations[1].IDs)

	doc["contact_type"] = "email"
	raw, _ = json.Marshal(doc)
	rec = signedPost(t, m, client.PathTokenRequest, raw)
	require.Equal(t, 400, rec.Code)
	assert.Equal(t, "BAAS-02, BAAS-03", rec.Header().Get(mock.IDsHeader))
	assert.JSONEq(t, `{"title":"Bad Request","description":"Contact type email not allowed","translation":"Forma de contato por email não permitida","code":"ACC000152","additional_data":{}}`,
		rec.Body.String(), "BAAS-03's body stays as the seed writes it")

	body, _ := json.Marshal(map[string]any{"token": "000000", "person_creation": map[string]any{"person": person}})
	rec = signedPost(t, m, client.PathMovementValidation, body)
	require.Equal(t, 401, rec.Code)
	assert.Empty(t, rec.Header().Get(mock.IDsHeader), "a wrong token is a documented outcome, not a broken rule")

	// An undocumented path names the nearest documented operation and its IDs.
	rec = signedPost(t, m, "/baas/token_requests", raw)
	require.Equal(t, 404, rec.Code)
	assert.Contains(t, rec.Body.String(), "the nearest documented operation is POST /baas/token_request")
	assert.Contains(t, rec.Header().Get(mock.IDsHeader), "BAAS-01")
}

// TestRegisteredClaimsInAnEncodedBodyAreAccepted: a JWT library that adds iat, exp, nbf and jti to the
// encoded_body (jsonwebtoken adds iat to every token) is not refused for it (BAAS-17): the claims are
// the token's, not members of the body, and the answer notes the leniency.
func TestRegisteredClaimsInAnEncodedBodyAreAccepted(t *testing.T) {
	clk := mock.NewManualClock(time.Now())
	m, err := New(mock.Config{Schemas: registry, Now: clk.Now, BaaSSigning: []string{"claims", "qit"}})
	require.NoError(t, err)
	priv, err := client.ParsePrivateKey([]byte(FixturePrivateKeyPEM))
	require.NoError(t, err)
	c := docClient{key: APIClientKey, private: priv, date: clk.Now()}
	raw, _ := json.Marshal(fixtures.BaaSTokenRequest(fixtures.BaaSPerson(fixtures.RandomCPF())))
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body))
	now := clk.Now().Unix()
	body["iat"], body["exp"], body["nbf"], body["jti"] = now, now+60, now, "a-token-id"
	rec := c.do(t, m, "POST", client.PathTokenRequest, body)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Header().Get(mock.NoteHeader), "BAAS-17: the encoded_body's registered JWT claims exp, iat, jti, nbf were accepted")

	// Any other extra member is still a member of the body, and refused as one.
	body["nickname"] = "x"
	rec = c.do(t, m, "POST", client.PathTokenRequest, body)
	require.Equal(t, 400, rec.Code)
	assert.Equal(t, mock.CodeSchemaViolation, readSigned(t, rec, ProviderPublicKeyPEM)["code"], "refused, in a signed answer")
	assert.Contains(t, rec.Header().Get(mock.RuleHeader), "/nickname: additionalProperties")
}

// TestGETAndDELETESignTheMD5OfAnEmptyObject: the harness's BAAS-16 signer signs a GET or a DELETE over
// the MD5 of {} whatever it carries, as QI's authentication test does, and the mock's check agrees.
func TestGETAndDELETESignTheMD5OfAnEmptyObject(t *testing.T) {
	s, err := client.NewSigner(APIClientKey, []byte(FixturePrivateKeyPEM))
	require.NoError(t, err)
	m := newMock(t, nil)
	ok := m.authenticated(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		req := httptest.NewRequest(method, "/baas/anything", nil)
		require.NoError(t, s.Sign(req, nil))
		tok, _, err := jwt.NewParser().ParseUnverified(req.Header.Get(client.HeaderAuthorization), &client.Claims{})
		require.NoError(t, err)
		assert.Equal(t, "99914b932bd37a50b983c5e7c90ae93b", tok.Claims.(*client.Claims).PayloadMD5, "%s signs MD5({})", method)
		rec := httptest.NewRecorder()
		ok(rec, req)
		assert.Equal(t, http.StatusNoContent, rec.Code, "%s: %s", method, rec.Body.String())
	}
	// A POST still signs its own body.
	req := httptest.NewRequest(http.MethodPost, "/baas/anything", nil)
	require.NoError(t, s.Sign(req, []byte(`{"a":1}`)))
	tok, _, err := jwt.NewParser().ParseUnverified(req.Header.Get(client.HeaderAuthorization), &client.Claims{})
	require.NoError(t, err)
	assert.Equal(t, client.PayloadMD5([]byte(`{"a":1}`)), tok.Claims.(*client.Claims).PayloadMD5)
}

// TestMediaTypesAreReadTolerantly: JSON's media type in any case and with parameters is JSON; another
// media type (or none) for a JSON body is 415 in BAAS-14's shape, naming the operation's ID.
func TestMediaTypesAreReadTolerantly(t *testing.T) {
	m := newMock(t, nil)
	raw, _ := json.Marshal(fixtures.BaaSTokenRequest(fixtures.BaaSPerson(fixtures.RandomCPF())))
	for ct, want := range map[string]int{
		"application/json": 200, "Application/JSON; charset=UTF-8": 200, "application/vnd.qi+json": 200,
		"text/plain": 415, "": 415, "application/x-www-form-urlencoded": 415,
	} {
		s, err := client.NewSigner(APIClientKey, []byte(FixturePrivateKeyPEM))
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, client.PathTokenRequest, bytes.NewReader(raw))
		if ct != "" {
			req.Header.Set("content-type", ct) // header names in any case, as HTTP has them
		}
		require.NoError(t, s.Sign(req, raw))
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		require.Equal(t, want, rec.Code, "%q: %s", ct, rec.Body.String())
		if want == 415 {
			assert.Equal(t, "BAAS-01", rec.Header().Get(mock.IDsHeader), ct)
			assert.Contains(t, rec.Body.String(), mock.CodeUnsupportedMediaType)
		}
	}
}

// TestEitherReadingOfAContradiction: seed 004's own example body leaves is_pep out (DOC-12) and sends
// area_code "888" (DOC-13). Held to the harness's reading it is refused (above); a mock told to accept
// either reading, as the gate's are, accepts it and notes both findings. A four-character area_code
// follows neither reading and is still refused.
func TestEitherReadingOfAContradiction(t *testing.T) {
	m, err := New(mock.Config{Schemas: registry, EitherReading: true})
	require.NoError(t, err)
	body := func(area string) []byte {
		raw, _ := json.Marshal(fixtures.BaaSTokenRequest(fixtures.BaaSPerson(fixtures.RandomCPF())))
		var doc map[string]any
		require.NoError(t, json.Unmarshal(raw, &doc))
		p := doc["person_creation"].(map[string]any)["person"].(map[string]any)
		delete(p, "is_pep")
		p["phone_number"].(map[string]any)["area_code"] = area
		raw, _ = json.Marshal(doc)
		return raw
	}
	rec := signedPost(t, m, client.PathTokenRequest, body("888"))
	require.Equal(t, 200, rec.Code, rec.Body.String())
	notes := strings.Join(rec.Header().Values(mock.NoteHeader), "\n")
	assert.Contains(t, notes, "BAAS-07, DOC-12: is_pep left out")
	assert.Contains(t, notes, "BAAS-10, DOC-13: an area_code of three characters")
	rec = signedPost(t, m, client.PathTokenRequest, body("8888"))
	require.Equal(t, 400, rec.Code)
	assert.Equal(t, "BAAS-10, DOC-13", rec.Header().Get(mock.IDsHeader))
}
