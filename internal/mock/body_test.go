package mock

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBodiesShareABudget: with the process's body budget taken, a request that reads its body waits,
// then is answered 429 in the provider's shape; once the budget is back it is read, and its share is
// given back when its handler returns, even a handler that panics.
func TestBodiesShareABudget(t *testing.T) {
	defer func(d time.Duration) { bodyWait = d }(bodyWait)
	bodyWait = 50 * time.Millisecond
	rt := NewRouter(func(w http.ResponseWriter, r *http.Request, p Problem) {
		http.Error(w, p.Code+": "+p.Message, p.Status)
	})
	rt.Handle(http.MethodPost, "/read", func(w http.ResponseWriter, r *http.Request) {
		b, p := ReadBody(r)
		if p != nil {
			http.Error(w, p.Code+": "+p.Message, p.Status)
			return
		}
		_, _ = w.Write(b)
	})
	rt.Handle(http.MethodPost, "/panic", func(w http.ResponseWriter, r *http.Request) {
		_, _ = ReadBody(r)
		panic("a handler that breaks")
	})
	post := func(path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		return rec
	}

	require.NoError(t, bodies.Acquire(context.Background(), BodyBudget))
	rec := post("/read", "hello")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Contains(t, rec.Body.String(), CodeBusy+": conformance mock: 32 MiB of request bodies are being read; send it again in a second")
	bodies.Release(BodyBudget)

	rec = post("/read", "hello")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "hello", rec.Body.String())
	assert.Equal(t, http.StatusInternalServerError, post("/panic", "boom").Code)
	require.True(t, bodies.TryAcquire(BodyBudget), "every share was given back")
	bodies.Release(BodyBudget)

	big := httptest.NewRequest(http.MethodPost, "/read", strings.NewReader(strings.Repeat("a", MaxBody+1)))
	rec = httptest.NewRecorder()
	rt.ServeHTTP(rec, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "declared over MaxBody: refused before it is read")
}
