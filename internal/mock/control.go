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
	"time"
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
// into out (when not nil). Any other status is an error carrying the body. It acts for the mock's
// fixture tenant; ControlCallFor acts for another.
func ControlCall(ctx context.Context, hc *http.Client, method, url string, in, out any) error {
	return ControlCallFor(ctx, hc, "", method, url, in, out)
}

// ControlCallFor is ControlCall acting for tenant (TenantHeader): the credential whose data it reads
// or changes; "" for the fixture credential's.
func ControlCallFor(ctx context.Context, hc *http.Client, tenant, method, url string, in, out any) error {
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
	if tenant != "" {
		req.Header.Set(TenantHeader, tenant)
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

// Outbox runs a mock's webhook deliveries off the caller's goroutine: those of one key (a webhook
// target) one after another, in the order they were queued, so that a receiver sees the changes in
// order; those of different keys independently, at most MaxActive at once. A receiver that never
// answers delays only its own deliveries: each attempt has its own timeout, and its queue is bounded
// (MaxPending; Go reports false for what does not fit). The zero value is ready; Wait blocks until
// everything queued has run.
type Outbox struct {
	mu     sync.Mutex
	queues map[string]*outQueue
	sem    chan struct{}
	wg     sync.WaitGroup
	// MaxActive bounds the deliveries running at once, over every key (DefaultOutboxActive when 0).
	MaxActive int
	// MaxPending bounds what one key may have queued (DefaultOutboxPending when 0).
	MaxPending int
	// Faults, when set, may deliver a notification twice, late, or after the next one (the webhook-*
	// faults).
	Faults  *Faults
	refused int64
	held    map[string]*heldBack // a notification held back by webhook-reorder, per key
}

type heldBack struct{ f func() }

// holdFor is how long webhook-reorder holds a notification back when no next one comes.
const holdFor = 2 * time.Second

// OutboxStats is what GET /__control/health says of a mock's webhook deliveries.
type OutboxStats struct {
	Targets int   `json:"targets"` // targets with deliveries queued or running
	Waiting int   `json:"waiting"` // deliveries queued, not yet started
	Refused int64 `json:"refused"` // deliveries not queued: their target already had MaxPending waiting
}

// Stats describes what the outbox holds now, and what it refused since it was made.
func (o *Outbox) Stats() OutboxStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := OutboxStats{Targets: len(o.queues), Refused: o.refused}
	for _, q := range o.queues {
		st.Waiting += len(q.items)
	}
	return st
}

// Outbox defaults: enough workers that a few dead receivers do not starve the rest, a queue per
// target deep enough for any scenario and bounded for a tenant that never reads.
const (
	DefaultOutboxActive  = 64
	DefaultOutboxPending = 1000
)

type outQueue struct {
	items   []func()
	running bool
}

// Go queues f after everything queued before it under key. It reports false, and drops f, when key
// already has MaxPending deliveries waiting. A webhook fault may queue it twice, late, or hold it back
// until the next one of key is queued (at most holdFor).
func (o *Outbox) Go(key string, f func()) bool { return o.GoFor("", key, f) }

// GoFor is Go for a notification of tenant, whose own webhook faults apply to it.
func (o *Outbox) GoFor(tenant, key string, f func()) bool {
	fault := o.Faults.webhookFault(tenant)
	o.mu.Lock()
	defer o.mu.Unlock()
	held := o.held[key]
	delete(o.held, key)
	switch {
	case fault == nil:
	case fault.Kind == FaultDuplicate:
		if !o.enqueue(key, f) {
			return false
		}
	case fault.Kind == FaultLate:
		d, next := fault.delay(defaultFaultDelay), f
		f = func() { time.Sleep(d); next() }
	case fault.Kind == FaultOutOfOrder && held == nil:
		if o.held == nil {
			o.held = map[string]*heldBack{}
		}
		h := &heldBack{f}
		o.held[key] = h
		o.wg.Add(1) // Wait waits for it too
		time.AfterFunc(holdFor, func() { o.release(key, h) })
		return true
	}
	ok := o.enqueue(key, f)
	if held != nil {
		o.enqueueHeld(key, held)
	}
	return ok
}

// release queues h if webhook-reorder still holds it for key: no next notification came.
func (o *Outbox) release(key string, h *heldBack) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.held[key] == h {
		delete(o.held, key)
		o.enqueueHeld(key, h)
	}
}

// enqueueHeld queues a notification held back, which wg already counts. o.mu must be held.
func (o *Outbox) enqueueHeld(key string, h *heldBack) {
	o.enqueue(key, h.f) // counts it again when queued
	o.wg.Done()
}

// enqueue queues f under key; o.mu must be held.
func (o *Outbox) enqueue(key string, f func()) bool {
	if o.queues == nil {
		o.queues = map[string]*outQueue{}
		n := o.MaxActive
		if n <= 0 {
			n = DefaultOutboxActive
		}
		o.sem = make(chan struct{}, n)
	}
	q := o.queues[key]
	if q == nil {
		q = &outQueue{}
		o.queues[key] = q
	}
	limit := o.MaxPending
	if limit <= 0 {
		limit = DefaultOutboxPending
	}
	if len(q.items) >= limit {
		o.refused++
		return false
	}
	q.items = append(q.items, f)
	o.wg.Add(1)
	if !q.running {
		q.running = true
		go o.drain(key, q)
	}
	return true
}

// drain runs key's queue until it is empty, one delivery at a time, each holding a worker slot.
func (o *Outbox) drain(key string, q *outQueue) {
	for {
		o.mu.Lock()
		if len(q.items) == 0 {
			q.running = false
			delete(o.queues, key)
			o.mu.Unlock()
			return
		}
		f := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		o.mu.Unlock()
		o.sem <- struct{}{}
		f()
		<-o.sem
		o.wg.Done()
	}
}

// Wait blocks until every queued function has run.
func (o *Outbox) Wait() { o.wg.Wait() }
