package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holding answers each request once release is closed, counting how many it holds at once and
// recording the order they arrived in by their X-Name.
type holding struct {
	release       chan struct{}
	arrived       chan string
	now, most     atomic.Int32
	mu            sync.Mutex
	order         []string
	answerWithout bool // answer at once, without waiting for release
	once          sync.Once
}

// serve starts a server of h whose held requests are released when the test ends, so a failing test
// does not hang on them.
func serve(t *testing.T, h *holding) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(h.let)
	return srv
}

// let releases every held request, now and later.
func (h *holding) let() {
	h.once.Do(func() {
		if h.release != nil {
			close(h.release)
		}
	})
}

func (h *holding) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.now.Add(1)
	defer h.now.Add(-1)
	for {
		m := h.most.Load()
		if n <= m || h.most.CompareAndSwap(m, n) {
			break
		}
	}
	h.mu.Lock()
	h.order = append(h.order, r.Header.Get("X-Name"))
	h.mu.Unlock()
	if h.arrived != nil {
		h.arrived <- r.Header.Get("X-Name")
	}
	if !h.answerWithout {
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
	}
	_, _ = io.WriteString(w, "ok")
}

func get(t *testing.T, hc *http.Client, ctx context.Context, url, name string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-Name", name)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, err = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return err
}

func TestInFlightBoundsTheRequestsAtOnce(t *testing.T) {
	h := &holding{release: make(chan struct{}), arrived: make(chan string, 20)}
	srv := serve(t, h)
	hc := &http.Client{Transport: New(http.DefaultTransport, Policy{InFlight: 3})}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- get(t, hc, context.Background(), srv.URL, "r") }()
	}
	for i := 0; i < 3; i++ {
		<-h.arrived // three reach the target; the other seventeen wait their turn
	}
	select {
	case <-h.arrived:
		t.Fatal("a fourth request reached the target while three were in flight")
	case <-time.After(200 * time.Millisecond):
	}
	h.let()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(3), h.most.Load(), "never more than three at once")
}

func TestAnUrgentRequestGoesAheadOfTheQueue(t *testing.T) {
	h := &holding{release: make(chan struct{}), arrived: make(chan string, 10)}
	srv := serve(t, h)
	rt := New(http.DefaultTransport, Policy{InFlight: 1})
	hc := &http.Client{Transport: rt}
	g := rt.(*roundTripper).gate
	var wg sync.WaitGroup
	send := func(ctx context.Context, name string) {
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, get(t, hc, ctx, srv.URL, name)) }()
	}
	send(context.Background(), "first")
	<-h.arrived
	queued := func(n int) {
		require.Eventually(t, func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			return len(g.queues[0])+len(g.queues[1]) == n
		}, 10*time.Second, time.Millisecond)
	}
	for i, name := range []string{"a", "b", "c"} {
		send(context.Background(), name)
		queued(i + 1)
	}
	send(Urgent(context.Background()), "urgent")
	queued(4)
	h.let()
	wg.Wait()
	assert.Equal(t, []string{"first", "urgent", "a", "b", "c"}, h.order,
		"the scenario with a known wait goes first; the others keep their order")
}

func TestTheTimeLimitStartsWhenTheRequestMayGo(t *testing.T) {
	// Ten requests one at a time, each answered after 300 ms: the last waits 2.7 s for its turn, longer
	// than the 2 s limit, and none of them times out.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	rt := New(http.DefaultTransport, Policy{InFlight: 1, Timeout: 2 * time.Second})
	require.True(t, Times(rt))
	hc := &http.Client{Transport: rt}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := get(t, hc, context.Background(), srv.URL, "r"); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
}

func TestATargetThatDoesNotAnswerTimesOutAndGivesItsTurnBack(t *testing.T) {
	h := &holding{release: make(chan struct{})}
	srv := serve(t, h)
	hc := &http.Client{Transport: New(http.DefaultTransport, Policy{InFlight: 1, Timeout: 100 * time.Millisecond})}
	for i := 0; i < 2; i++ { // the second is admitted once the first has timed out
		err := get(t, hc, context.Background(), srv.URL, "r")
		var te *TimeoutError
		require.ErrorAs(t, err, &te)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout())
		assert.Contains(t, err.Error(), "no complete answer within 100ms")
	}
}

func TestABodyNeverClosedGivesItsTurnBackAtTheTimeLimit(t *testing.T) {
	h := &holding{answerWithout: true}
	srv := serve(t, h)
	hc := &http.Client{Transport: New(http.DefaultTransport, Policy{InFlight: 1, Timeout: 100 * time.Millisecond})}
	resp, err := hc.Get(srv.URL) // its body is left open
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	assert.NoError(t, get(t, hc, context.Background(), srv.URL, "second"), "admitted once the first's limit passed")
}

func TestAReadBodyGivesItsTurnBackAtOnce(t *testing.T) {
	h := &holding{answerWithout: true}
	srv := serve(t, h)
	rt := New(http.DefaultTransport, Policy{InFlight: 1})
	hc := &http.Client{Transport: rt}
	resp, err := hc.Get(srv.URL)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body) // read to its end, not closed
	require.NoError(t, err)
	g := rt.(*roundTripper).gate
	g.mu.Lock()
	busy := g.busy
	g.mu.Unlock()
	assert.Zero(t, busy)
	_ = resp.Body.Close()
	g.mu.Lock()
	assert.Zero(t, g.busy, "closing after the end gives nothing back twice")
	g.mu.Unlock()
}

func TestAWaiterWhoseRunEndsLeavesTheQueue(t *testing.T) {
	h := &holding{release: make(chan struct{}), arrived: make(chan string, 2)}
	srv := serve(t, h)
	hc := &http.Client{Transport: New(http.DefaultTransport, Policy{InFlight: 1})}
	done := make(chan error, 1)
	go func() { done <- get(t, hc, context.Background(), srv.URL, "first") }()
	<-h.arrived
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := get(t, hc, ctx, srv.URL, "cancelled")
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	h.let()
	require.NoError(t, <-done)
	require.NoError(t, get(t, hc, context.Background(), srv.URL, "after"))
	assert.Equal(t, []string{"first", "after"}, h.order, "the cancelled request was never sent")
}

func TestATransportErrorIsReportedAsItself(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	hc := &http.Client{Transport: New(http.DefaultTransport, Policy{InFlight: 1, Timeout: time.Minute})}
	err = get(t, hc, context.Background(), url, "r")
	require.Error(t, err)
	assert.NotErrorIs(t, err, context.Canceled, "the attempt's own end is not the cause")
	assert.Contains(t, err.Error(), "connection refused")
}
