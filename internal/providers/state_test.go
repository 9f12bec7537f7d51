package providers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/netguard"
)

// TestAProviderStateNeverCallsAHostChosenPort: a state change whose Host header names another loopback
// port sets the state on the mock itself, in-process; nothing is sent to that port.
func TestAProviderStateNeverCallsAHostChosenPort(t *testing.T) {
	var hits atomic.Int64
	bait := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer bait.Close()
	p, err := Lookup("gu1")
	require.NoError(t, err)
	h, err := p.Mock(mock.Config{})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := []byte(`{"state": "an organisation with the KYC integration has an API key", "params": {"api_key": "tenant-b-key"}, "action": "setup"}`)
	req, err := http.NewRequest(http.MethodPost, srv.URL+StatePath, bytes.NewReader(body))
	require.NoError(t, err)
	req.Host = bait.Listener.Addr().String()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Zero(t, hits.Load(), "the state endpoint called the port the Host header named")

	// The state was set on the mock itself: the new organisation's key is accepted.
	call, err := http.NewRequest(http.MethodGet, srv.URL+"/api/kyc/validations/00000000-0000-4000-8000-000000000000", nil)
	require.NoError(t, err)
	call.Header.Set("Authorization", "Bearer tenant-b-key")
	resp, err = http.DefaultClient.Do(call)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "known key, unknown validation: 404, not 401")
}

// TestAMockWithAControlTokenRefusesItsControlAPIWithout: a mock served with a control token answers its
// control API only to calls that carry it, loopback or not, and its provider API to everyone.
func TestAMockWithAControlTokenRefusesItsControlAPIWithout(t *testing.T) {
	p, err := Lookup("baas")
	require.NoError(t, err)
	h, err := p.Mock(mock.Config{ControlToken: "ctl-token-123456"})
	require.NoError(t, err)
	srv, err := mock.Start("127.0.0.1:0", h)
	require.NoError(t, err)
	defer srv.Close(t.Context())
	status := func(c *http.Client, path string) int {
		resp, err := c.Post(srv.URL+path, "application/json", bytes.NewReader([]byte(`{}`)))
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	plain := &http.Client{Timeout: 10 * time.Second}
	assert.Equal(t, http.StatusUnauthorized, status(plain, mock.ControlPrefix+"/reset"))
	assert.Equal(t, http.StatusUnauthorized, status(plain, StatePath))
	assert.Equal(t, http.StatusBadRequest, status(plain, "/baas/token_request"), "the provider's API answers (GDF000003: no key)")
	withToken := (&netguard.Policy{ControlToken: "ctl-token-123456"}).Client(10 * time.Second)
	assert.Equal(t, http.StatusNoContent, status(withToken, mock.ControlPrefix+"/reset"))
}
