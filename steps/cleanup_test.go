package steps

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCleanUpCancelsPomeloSessionsOnASandbox(t *testing.T) {
	var mu sync.Mutex
	var deleted []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok-cleanup-test","token_type":"Bearer","expires_in":3600}`))
			return
		}
		if r.Method == http.MethodDelete {
			mu.Lock()
			deleted = append(deleted, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict) // already finished: a refusal cleanUp ignores
		_, _ = w.Write([]byte(`{"error":{"code":"X","message":"m"}}`))
	}))
	defer srv.Close()
	for _, sandbox := range []bool{true, false} {
		deleted = nil
		w := &World{deps: &Deps{Targets: map[string]Target{"pomelo": {BaseURL: srv.URL, Sandbox: sandbox}}},
			pomelo: &pomeloWorld{created: []string{"ses-a", "ses-b"}}}
		w.cleanUp()
		if sandbox {
			assert.Equal(t, []string{"ses-a", "ses-b"}, deleted)
		} else {
			assert.Empty(t, deleted, "a mock's state is the scenario's own")
		}
	}
}
