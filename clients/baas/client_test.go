package baas

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// serve answers every request with status and body, and keeps the last request for inspection.
func serve(t *testing.T, status int, body []byte) (*Client, *http.Request, *[]byte) {
	t.Helper()
	var got http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = *r.Clone(context.Background())
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-123")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL + "/prefix/")
	require.NoError(t, err)
	return c, &got, &gotBody
}

func person() Person {
	return Person{DateOfBirth: "1987-01-11", DocumentIdentificationNumber: "x", Email: "a@b.co", DocumentNumber: "68346734500",
		MotherName: "M", Name: "N", Nationality: "Brasil", BirthPlace: "B", PersonType: "natural",
		PhoneNumber: Phone{CountryCode: "55", AreaCode: "34", Number: "988887777"}}
}

func TestErrorsCarryEveryDocumentedCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code, title, description, translation string
		status                                int
		call                                  func(*Client) error
	}{
		{CodeInvalidToken, "Unauthorized", "Invalid token", "Token Inválido", 401, validate},
		{CodeExpiredToken, "Unauthorized", "Expired token", "Token Expirado", 401, validate},
		{CodeContactDoesNotExist, "Bad Request", "Contact does not exist", "Contato nao existe", 400, request},
		{CodeContactTypeNotAllowed, "Bad Request", "Contact type email not allowed", "Forma de contato por email não permitida", 400, request},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			c, _, _ := serve(t, tc.status, fixture(t, tc.code+".json"))
			err := tc.call(c)
			var apiErr *APIError
			require.True(t, errors.As(err, &apiErr), "got %v", err)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, tc.title, apiErr.Title)
			assert.Equal(t, tc.description, apiErr.Description)
			assert.Equal(t, tc.translation, apiErr.Translation)
			assert.Equal(t, map[string]any{}, apiErr.AdditionalData)
			assert.Equal(t, "req-123", apiErr.RequestID)
			assert.Contains(t, apiErr.Error(), tc.code)
		})
	}
}

func validate(c *Client) error {
	_, _, err := c.ValidateMovement(context.Background(), &MovementValidationBody{Token: "076244", PersonCreation: PersonCreation{Person: person()}})
	return err
}

func request(c *Client) error {
	_, _, err := c.TokenRequest(context.Background(), &TokenRequestBody{ContactType: "sms", PersonCreation: PersonCreation{Person: person()}})
	return err
}

func TestErrorToleratesUnknownFieldsAndOddBodies(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		body     string
		wantCode string
		wantText string
	}{
		"new fields (BAAS-14)":   {`{"title":"Unauthorized","description":"Invalid token","translation":"Token Inválido","code":"ACC000133","additional_data":{"attempts":3},"trace_id":"abc"}`, "ACC000133", "ACC000133"},
		"not json":               {`<html>bad gateway</html>`, "", "<html>bad gateway</html>"},
		"additional_data absent": {`{"title":"t","description":"d","translation":"t","code":"X1"}`, "X1", "X1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _, _ := serve(t, 401, []byte(tc.body))
			err := validate(c)
			var apiErr *APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Equal(t, tc.wantCode, apiErr.Code)
			assert.Contains(t, apiErr.Error(), tc.wantText)
		})
	}
}

func TestErrorBodyIsCappedAtOneMiB(t *testing.T) {
	t.Parallel()
	c, _, _ := serve(t, 400, []byte(strings.Repeat("x", 3<<20)))
	err := request(c)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Len(t, apiErr.Body, 1<<20)
}

func TestValidateMovementDecodesTheSeedExample(t *testing.T) {
	t.Parallel()
	c, got, body := serve(t, 200, fixture(t, "movement_validation.200.json"))
	res, resp, err := c.ValidateMovement(context.Background(), &MovementValidationBody{Token: "076244", PersonCreation: PersonCreation{Person: person()}})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.True(t, res.Validation)
	assert.Equal(t, "bd707fdcb3f78abcab8b5c5b7459f9aa", res.Hash)
	p := res.ReturnResponse.Person
	assert.Equal(t, "2eedef51-7638-4874-bb98-661080bdfbfd", p.PersonKey)
	assert.Equal(t, "pending", p.PersonStatus.Enumerator)
	assert.Equal(t, "natural", p.PersonType.Enumerator)
	assert.Equal(t, "Ituiutaba", p.Address.City)
	require.Len(t, p.Phone, 1)
	assert.Equal(t, "988887777", p.Phone[0].Number)
	assert.Nil(t, res.ReturnResponse.SpouseName)

	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/prefix/baas/movement_validation", got.URL.Path)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	var sent map[string]any
	require.NoError(t, json.Unmarshal(*body, &sent))
	assert.Equal(t, "076244", sent["token"])
	p2 := sent["person_creation"].(map[string]any)["person"].(map[string]any)
	for _, k := range []string{"gender", "marital_status", "representative"} {
		v, present := p2[k]
		assert.True(t, present, "%s is sent as null, as the seed does", k)
		assert.Nil(t, v)
	}
	_, present := p2["address"]
	assert.False(t, present, "an absent address is left out")
}

func TestTokenRequestSendsTheDocumentedBody(t *testing.T) {
	t.Parallel()
	c, got, body := serve(t, 200, []byte(`{}`))
	res, _, err := c.TokenRequest(context.Background(), &TokenRequestBody{ContactType: ContactTypeSMS,
		PersonCreation: PersonCreation{Person: person()}, AgentDocumentNumber: "99988877765"})
	require.NoError(t, err)
	assert.NotNil(t, res)
	assert.Equal(t, "/prefix/baas/token_request", got.URL.Path)
	assert.Equal(t, "conformance-baas-client/1", got.Header.Get("User-Agent"))
	assert.JSONEq(t, `"sms"`, mustJSON(t, decode(t, *body)["contact_type"]))
	assert.Equal(t, "99988877765", decode(t, *body)["agent_document_number"])
}

func TestPostSendsRawBodiesUnchanged(t *testing.T) {
	t.Parallel()
	c, _, body := serve(t, 200, []byte(`{}`))
	raw := json.RawMessage(`{"contact_type":"sms","person_creation":{}}`)
	_, err := c.Post(context.Background(), PathTokenRequest, raw, nil)
	require.NoError(t, err)
	assert.Equal(t, string(raw), string(*body))
}

func TestTransportErrorIsNotAnAPIError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, err := NewClient(srv.URL, WithTimeout(time.Second))
	require.NoError(t, err)
	err = request(c)
	require.Error(t, err)
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr))
	assert.Contains(t, err.Error(), "POST /baas/token_request")
}

func TestNewClientValidatesOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base string
		opts []Option
		want string
	}{
		{"not a url", nil, "want http(s)://host"},
		{"ftp://x", nil, "want http(s)://host"},
		{"http://x", []Option{WithHTTPClient(nil)}, "nil client"},
		{"http://x", []Option{WithTimeout(0)}, "not positive"},
		{"http://x", []Option{WithUserAgent(" ")}, "empty user agent"},
	} {
		_, err := NewClient(tc.base, tc.opts...)
		require.Error(t, err, tc.base)
		assert.Contains(t, err.Error(), tc.want)
	}
	c, err := NewClient("https://sandbox.example/", WithUserAgent("qa/1"))
	require.NoError(t, err)
	assert.Equal(t, "https://sandbox.example", c.BaseURL())
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
