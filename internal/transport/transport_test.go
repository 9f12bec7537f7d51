package transport

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flaky answers status to the first n requests, then 200 with the body it received.
func flaky(t *testing.T, status, n int, retryAfter string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if int(calls.Add(1)) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRetriesIdempotentCallsOn429And503(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		srv, calls := flaky(t, status, 2, "0")
		hc := &http.Client{Transport: New(http.DefaultTransport, Policy{Retries: 3, BaseDelay: time.Millisecond})}
		req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader("same body each time"))
		resp, err := hc.Do(req)
		require.NoError(t, err)
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode, "status %d answered twice, then 200", status)
		assert.Equal(t, "same body each time", string(got), "the body is sent again whole")
		assert.Equal(t, int32(3), calls.Load())
	}
}

func TestGivesUpAfterTheRetriesAndNeverRetriesAPost(t *testing.T) {
	srv, calls := flaky(t, http.StatusServiceUnavailable, 100, "")
	hc := &http.Client{Transport: New(http.DefaultTransport, Policy{Retries: 2, BaseDelay: time.Millisecond})}
	resp, err := hc.Get(srv.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, int32(3), calls.Load(), "one attempt and two retries")

	calls.Store(0)
	resp, err = hc.Post(srv.URL, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, int32(1), calls.Load(), "a POST is not idempotent: sent once")
}

func TestDelayHonoursRetryAfterAndCapsIt(t *testing.T) {
	rt := New(http.DefaultTransport, Policy{Retries: 1, BaseDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second}).(*roundTripper)
	assert.Equal(t, 2*time.Second, rt.delay(0, "2"))
	assert.Equal(t, 5*time.Second, rt.delay(0, "120"), "capped at MaxDelay")
	d := rt.delay(0, time.Now().Add(3*time.Second).UTC().Format(http.TimeFormat))
	assert.True(t, d > time.Second && d <= 3*time.Second, "an HTTP date: %s", d)
	assert.Equal(t, time.Duration(0), rt.delay(0, time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)), "a date in the past")
	for attempt := 0; attempt < 10; attempt++ {
		d := rt.delay(attempt, "")
		ceiling := min(100*time.Millisecond<<attempt, 5*time.Second)
		assert.True(t, d >= ceiling/2 && d <= ceiling, "attempt %d: %s within [%s, %s]", attempt, d, ceiling/2, ceiling)
	}
	assert.True(t, rt.delay(0, "soon") <= 100*time.Millisecond, "an unreadable Retry-After falls back to the backoff")
}

func TestRateLimitSpacesRequests(t *testing.T) {
	srv, calls := flaky(t, 0, 0, "")
	// 10 per second with a burst of 10: the 11th and 12th requests wait for a token each (~100 ms).
	hc := &http.Client{Transport: New(http.DefaultTransport, Policy{RateLimit: 10})}
	start := time.Now()
	for i := 0; i < 12; i++ {
		resp, err := hc.Get(srv.URL)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	assert.Equal(t, int32(12), calls.Load())
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "two requests over the burst waited for tokens")
}

func TestZeroPolicyIsTheTransportItself(t *testing.T) {
	assert.Same(t, http.DefaultTransport, New(http.DefaultTransport, Policy{}))
}
