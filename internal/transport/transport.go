// Package transport is the http.RoundTripper every client of a run sends through on its way to a
// target: a rate limit and a bound on the requests in flight per provider, so a sandbox is never
// hammered, a time limit per request counted from when it may go, and retries with backoff and jitter
// on 429 and 503 for idempotent calls only, honouring Retry-After.
package transport

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Func is an http.RoundTripper made of a function: a step that changes a request on its way out, a
// counter, a client served in process.
type Func func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f Func) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Policy says how one provider's requests are paced and retried.
type Policy struct {
	RateLimit float64       // requests per second; 0 for no limit
	InFlight  int           // requests at once; 0 for no bound
	Timeout   time.Duration // per attempt, from when the limits let it go to the end of its answer; 0 for none
	Retries   int           // extra attempts after a 429 or 503 on an idempotent call; 0 for none
	BaseDelay time.Duration // first backoff; doubled each attempt, with jitter (default 200ms)
	MaxDelay  time.Duration // the longest wait, Retry-After included (default 30s)
}

// New wraps next with p. A zero Policy returns next itself.
func New(next http.RoundTripper, p Policy) http.RoundTripper {
	if p.RateLimit <= 0 && p.Retries <= 0 && p.InFlight <= 0 && p.Timeout <= 0 {
		return next
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	rt := &roundTripper{next: next, p: p}
	if p.RateLimit > 0 || p.InFlight > 0 {
		rt.gate = newGate(p.InFlight, p.RateLimit)
	}
	return rt
}

// Times tells whether rt applies a Policy's Timeout itself: a client over it must not set its own,
// which would count the time a request waits for its turn.
func Times(rt http.RoundTripper) bool {
	t, ok := rt.(*roundTripper)
	return ok && t.p.Timeout > 0
}

type roundTripper struct {
	next http.RoundTripper
	p    Policy
	gate *gate // nil: no limits
}

// idempotent methods may be sent again (RFC 9110 §9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return false
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	retries := 0
	if idempotent(req.Method) {
		retries = rt.p.Retries
	}
	var body []byte
	if retries > 0 && req.Body != nil && req.GetBody == nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	for attempt := 0; ; attempt++ {
		resp, err := rt.attempt(req)
		if err != nil || attempt >= retries || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
			return resp, err
		}
		wait := rt.delay(attempt, resp.Header.Get("Retry-After"))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close()
		if err := Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		req, err = rewind(req, body)
		if err != nil {
			return nil, err
		}
	}
}

// delay is Retry-After when the answer gives one (seconds or an HTTP date), else an exponential backoff
// with full jitter; never more than MaxDelay.
func (rt *roundTripper) delay(attempt int, retryAfter string) time.Duration {
	if retryAfter != "" {
		if s, err := strconv.Atoi(retryAfter); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, rt.p.MaxDelay)
		}
		if t, err := http.ParseTime(retryAfter); err == nil {
			return min(max(time.Until(t), 0), rt.p.MaxDelay)
		}
	}
	ceiling := min(rt.p.BaseDelay<<attempt, rt.p.MaxDelay)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// rewind gives req a fresh copy of its body for another attempt.
func rewind(req *http.Request, body []byte) (*http.Request, error) {
	r := req.Clone(req.Context())
	switch {
	case req.GetBody != nil:
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = b
	case body != nil:
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r, nil
}
