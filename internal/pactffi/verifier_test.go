//go:build !nopactffi

package pactffi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func target(t *testing.T, h http.Handler) (*httptest.Server, Request) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	return srv, Request{Provider: "p", Scheme: "http", Host: u.Hostname(), Port: uint16(port), Path: "/",
		PactFiles: []string{"testdata/two.json"}}
}

func TestVerifyReportsEachFailedInteraction(t *testing.T) {
	var mu sync.Mutex
	var states []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("GET /pong", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":false}`)
	})
	mux.HandleFunc("POST /state", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			State  string `json:"state"`
			Action string `json:"action"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		states = append(states, body.Action+":"+body.State)
		mu.Unlock()
	})
	srv, req := target(t, mux)
	req.StateChangeURL = srv.URL + "/state"

	rep, err := Verify(req)
	require.ErrorIs(t, err, ErrMismatch)
	require.NotNil(t, rep)
	assert.False(t, rep.Result)
	require.Len(t, rep.Errors, 1, "only the pong interaction fails: %+v", rep)
	assert.Contains(t, rep.Errors[0].Interaction, "a pong")
	assert.Contains(t, string(rep.Errors[0].Mismatch), "ok")
	mu.Lock()
	// An interaction without a state still gets a setup call, with an empty state name.
	assert.Equal(t, []string{"setup:the server is up", "setup:"}, states)
	mu.Unlock()
}

func TestVerifyPassesWhenProviderMatches(t *testing.T) {
	_, req := target(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	rep, err := Verify(req)
	require.NoError(t, err)
	assert.True(t, rep.Result)
	assert.Empty(t, rep.Errors)
}

func TestVerifyMissingPactFileCannotRun(t *testing.T) {
	_, req := target(t, http.NotFoundHandler())
	req.PactFiles = []string{"testdata/does-not-exist.json"}
	_, err := Verify(req)
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrMismatch), "a missing pact is not a contract mismatch: %v", err)
	assert.ErrorIs(t, err, ErrCouldNotRun)
}

func TestVersion(t *testing.T) {
	assert.Regexp(t, `^0\.5\.\d+`, Version())
}
