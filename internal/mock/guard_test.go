package mock

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/latam-conformance/conformance/internal/netguard"
)

// TestTheControlAPIIsGuarded: without a token only loopback peers reach the control API; with one,
// only calls that carry it, wherever they come from. The provider's own API is never guarded.
func TestTheControlAPIIsGuarded(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	call := func(g ControlGuard, peer, path, token string) int {
		req := httptest.NewRequest(http.MethodPost, path, nil)
		req.RemoteAddr = peer
		if token != "" {
			req.Header.Set(netguard.ControlTokenHeader, token)
		}
		rec := httptest.NewRecorder()
		g.Wrap(ok).ServeHTTP(rec, req)
		return rec.Code
	}
	open := ControlGuard{}
	assert.Equal(t, 204, call(open, "127.0.0.1:5000", ControlPrefix+"/reset", ""))
	assert.Equal(t, 204, call(open, "[::1]:5000", ControlPrefix+"/reset", ""))
	assert.Equal(t, 403, call(open, "192.0.2.7:5000", ControlPrefix+"/reset", ""), "another host resets nothing")
	assert.Equal(t, 403, call(open, "[::ffff:10.0.0.1]:5000", ControlPrefix+"/journal", ""))
	assert.Equal(t, 204, call(open, "192.0.2.7:5000", "/api/kyc/validations", ""), "the provider's API is for every peer")

	locked := ControlGuard{Token: "s3cret-control"}
	assert.Equal(t, 401, call(locked, "127.0.0.1:5000", ControlPrefix+"/reset", ""), "with a token, even loopback needs it")
	assert.Equal(t, 401, call(locked, "192.0.2.7:5000", ControlPrefix+"/reset", "wrong"))
	assert.Equal(t, 204, call(locked, "192.0.2.7:5000", ControlPrefix+"/reset", "s3cret-control"))
}

// TestTheRunSendsTheControlToken: a guarded client adds the token to control calls only.
func TestTheRunSendsTheControlToken(t *testing.T) {
	var got = map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got[r.URL.Path] = r.Header.Get(netguard.ControlTokenHeader)
	}))
	defer srv.Close()
	c := (&netguard.Policy{ControlToken: "tok-123"}).Client(0)
	for _, p := range []string{ControlPrefix + "/reset", "/api/kyc/validations"} {
		resp, err := c.Post(srv.URL+p, "application/json", nil)
		if assert.NoError(t, err) {
			_ = resp.Body.Close()
		}
	}
	assert.Equal(t, map[string]string{ControlPrefix + "/reset": "tok-123", "/api/kyc/validations": ""}, got)
}
