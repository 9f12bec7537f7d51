package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/latam-conformance/conformance/clients/pomelo"
)

// hookHub is the webhook receiver of a whole run against a Pomelo target without the control API
// (KYC-14 on a sandbox): the flows configured in the provider name one webhook URL
// (options.webhook_url, what a user puts behind a tunnel), so one receiver, listening on
// options.webhook_listen, serves every scenario, each following its own session's notifications.
type hookHub struct {
	mu       sync.Mutex
	srv      *http.Server
	err      error
	attempts map[string]int       // session -> notifications received, refused ones included
	accepted map[string][]string  // session -> statuses accepted
	refuse   map[string]int       // session -> notifications still to refuse
	pending  map[*pomeloWorld]int // refusals a scenario asked for before its session existed
	once     sync.Once
}

// hub starts, once per run, the receiver that the Pomelo options name; ok is false when they name none.
func (w *World) hub() (*hookHub, bool, error) {
	listen, public := w.setting("pomelo", "webhook_listen"), w.setting("pomelo", "webhook_url")
	if listen == "" || public == "" {
		return nil, false, nil
	}
	h := &w.deps.hooks
	h.once.Do(func() {
		u, err := url.Parse(public)
		if err != nil || u.Path == "" {
			h.err = fmt.Errorf("providers.pomelo.options.webhook_url %q: want the URL the provider's flows notify, with its path", public)
			return
		}
		h.attempts, h.accepted, h.refuse, h.pending = map[string]int{}, map[string][]string{}, map[string]int{}, map[*pomeloWorld]int{}
		rc := &pomelo.Receiver{Secrets: map[string]string{w.secret("pomelo", "webhook_api_key"): w.secret("pomelo", "webhook_secret")},
			Endpoint: u.Path, Handle: h.handle}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			h.err = fmt.Errorf("the run's Pomelo webhook receiver cannot listen on providers.pomelo.options.webhook_listen %s: %v", listen, err)
			return
		}
		mux := http.NewServeMux()
		mux.Handle(u.Path, rc)
		h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = h.srv.Serve(ln) }()
	})
	return h, true, h.err
}

// StartReceivers starts, before the first scenario, the run's webhook receivers that the targets'
// options name (the Pomelo flows' webhook_listen): the fixture flows notify every session any scenario
// makes, and a notification of a session an early scenario made must find the receiver listening
// (issue 19: started by the first webhook scenario, it missed them, and a provider counts each as a
// failed delivery to the team's tunnel). A receiver that cannot start fails the scenarios that need it,
// saying why, as before.
func (d *Deps) StartReceivers() {
	_, _, _ = (&World{deps: d}).hub()
}

func (h *hookHub) handle(_ *http.Request, ev pomelo.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.attempts[ev.SessionID+" "+ev.Status]++
	if h.refuse[ev.SessionID] > 0 {
		h.refuse[ev.SessionID]--
		return errors.New("the scenario asked the receiver to refuse this notification")
	}
	h.accepted[ev.SessionID] = append(h.accepted[ev.SessionID], ev.Status)
	return nil
}

// close stops the receiver at the end of the run.
func (h *hookHub) close() {
	h.mu.Lock()
	srv := h.srv
	h.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// refuseNext makes the hub refuse the first n notifications of the scenario's next session.
func (h *hookHub) refuseNext(p *pomeloWorld, n int) {
	h.mu.Lock()
	h.pending[p] = n
	h.mu.Unlock()
}

// created tells the hub a scenario made session id: refusals asked for before apply to it.
func (h *hookHub) created(p *pomeloWorld, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.pending[p]; n > 0 {
		h.refuse[id] = n
		delete(h.pending, p)
	}
}

// wait waits up to d for a notification that session is status to be accepted; it returns what was.
func (h *hookHub) wait(ctx context.Context, session, status string, d time.Duration) ([]string, bool) {
	var got []string
	ok, _ := poll(ctx, d, func() (bool, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		got = append([]string(nil), h.accepted[session]...)
		return slices.Contains(got, status), nil
	})
	return got, ok
}

func (h *hookHub) tries(session, status string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.attempts[session+" "+status]
}

// needHub is the hub for a scenario whose target has no control API, or why the scenario is skipped.
func (w *World) needHub() (*hookHub, error) {
	h, ok, err := w.hub()
	if err != nil {
		return nil, w.notJudge(err.Error())
	}
	if !ok {
		return nil, w.skip("notifications from a target without the control API need a receiver the provider's flows name: set providers.pomelo.options.webhook_listen (where the run listens) and webhook_url (the URL the flows notify)")
	}
	return h, nil
}
