package gu1

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func serve(t *testing.T, status int, body string, check func(*http.Request, []byte)) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if check != nil {
			check(r, b)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, WithAPIKey("key-1"))
	require.NoError(t, err)
	return c
}

func TestErrorsCarryTheDocumentedCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
		code   string
	}{
		{404, `{"error":"ENTITY_NOT_FOUND","message":"Entity not found"}`, CodeEntityNotFound},
		{400, `{"error":"INVALID_ENTITY_TYPE","message":"KYC validation is only available for person entities"}`, CodeInvalidEntityType},
		{400, `{"error":"KYC_NOT_CONFIGURED","message":"La integración KYC no está configurada for this organization. Please contact your administrator."}`, CodeKYCNotConfigured},
		{400, `{"error":"X","message":"m","traceId":"new field"}`, "X"},
		{502, `<html>bad gateway</html>`, ""},
	} {
		c := serve(t, tc.status, tc.body, nil)
		_, _, err := c.CreateValidation(context.Background(), &ValidationRequest{EntityID: "123e4567-e89b-12d3-a456-426614174000"})
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr), tc.body)
		assert.Equal(t, tc.status, apiErr.StatusCode)
		assert.Equal(t, tc.code, apiErr.Code)
	}
}

func TestCreateValidationSendsBearerAndCompactMetadata(t *testing.T) {
	t.Parallel()
	meta := json.RawMessage(`{"userId":"user_12345",  "source":"mobile_app"}`)
	c := serve(t, 201, `{"id":"550e8400-e29b-41d4-a716-446655440000","entityId":"123e4567-e89b-12d3-a456-426614174000","organizationId":"org_abc123","sessionId":"session_xyz789","status":"pending","provider":"kyc_provider","providerSessionUrl":"https://verify.example.com/session_xyz789","isCurrent":true,"metadata":{"customField":"customValue"},"createdAt":"2025-01-15T10:30:00Z","updatedAt":"2025-01-15T10:30:00Z"}`,
		func(r *http.Request, b []byte) {
			assert.Equal(t, "POST", r.Method)
			assert.Equal(t, PathValidations, r.URL.Path)
			assert.Equal(t, "Bearer key-1", r.Header.Get("Authorization"))
			assert.Contains(t, string(b), `"metadata":{"userId":"user_12345","source":"mobile_app"}`, "metadata goes out compact: the size the limit counts")
			assert.NotContains(t, string(b), "workflowId")
		})
	v, resp, err := c.CreateValidation(context.Background(), &ValidationRequest{EntityID: "123e4567-e89b-12d3-a456-426614174000", Metadata: meta})
	require.NoError(t, err)
	assert.Equal(t, 201, resp.StatusCode)
	assert.True(t, v.IsCurrent)
	assert.Equal(t, "pending", v.Status)
	assert.Equal(t, "https://verify.example.com/session_xyz789", v.ProviderSessionURL)
}

func TestPathsAndQueries(t *testing.T) {
	t.Parallel()
	var got []string
	c := serve(t, 200, `{"validations":[],"total":0,"page":2,"limit":10}`, func(r *http.Request, _ []byte) {
		got = append(got, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	})
	ctx := context.Background()
	_, _, _ = c.GetValidation(ctx, "a/b")
	_, _, _ = c.CancelValidation(ctx, "v1")
	l, _, err := c.ListValidations(ctx, "e1", 2, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, l.Page)
	_, _, _ = c.CreateEntity(ctx, &Entity{Type: "person", Name: "Ana"})
	assert.Equal(t, []string{
		"GET /api/kyc/validations/a%2Fb?", "POST /api/kyc/validations/v1/cancel?",
		"GET /api/kyc/entities/e1/validations?limit=10&page=2", "POST /api/entities?",
	}, got)
}

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base string
		opt  Option
	}{{"ftp://x", nil}, {"http://x", WithAPIKey(" ")}, {"http://x", WithHTTPClient(nil)}} {
		var opts []Option
		if tc.opt != nil {
			opts = append(opts, tc.opt)
		}
		_, err := NewClient(tc.base, opts...)
		assert.Error(t, err, tc.base)
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event":"kyc.validation_approved"}`)
	// printf '%s' '{"event":"kyc.validation_approved"}' | openssl dgst -sha256 -hmac secret
	assert.Equal(t, knownVector, Sign("secret", body))
	assert.True(t, Verify("secret", body, knownVector))
	assert.True(t, Verify("secret", body, "sha256="+strings.ToUpper(knownVector)))
	assert.False(t, Verify("secret", append(body, ' '), knownVector))
	assert.False(t, Verify("other", body, knownVector))
}
