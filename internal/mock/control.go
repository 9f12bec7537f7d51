package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// HasControl reports whether the target at baseURL offers the control API (GET HealthPath answers 200).
// A transport error is returned as is, so a caller can tell "no control API" from "unreachable".
func HasControl(ctx context.Context, hc *http.Client, baseURL string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+HealthPath, nil)
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode == http.StatusOK, nil
}

// ControlCall sends one control-API request (in marshalled as JSON when not nil) and decodes a 2xx answer
// into out (when not nil). Any other status is an error carrying the body.
func ControlCall(ctx context.Context, hc *http.Client, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("control API %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("control API %s %s: status %d: %s", method, url, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("control API %s %s: decode: %w", method, url, err)
		}
	}
	return nil
}

// Sequence runs functions off the caller's goroutine, one after another, in the order they were queued:
// a mock's webhook notifications reach a receiver in the order of the changes they report. The zero
// value is ready; Wait blocks until everything queued has run.
type Sequence struct {
	mu   sync.Mutex
	last chan struct{} // closed when the latest queued function has run
	wg   sync.WaitGroup
}

// Go queues f after everything queued before it.
func (s *Sequence) Go(f func()) {
	s.mu.Lock()
	prev, done := s.last, make(chan struct{})
	s.last = done
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer close(done)
		if prev != nil {
			<-prev
		}
		f()
	}()
}

// Wait blocks until every queued function has run.
func (s *Sequence) Wait() { s.wg.Wait() }
