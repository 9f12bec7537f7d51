package transport

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// A gate admits one provider's requests within its limits: at most InFlight at once, at most RateLimit
// a second. Requests wait their turn in order, except that those of a scenario with a known wait
// (Urgent) go ahead of the rest: their wait then overlaps everything else instead of adding to the end
// of the run. Admission comes before a request's own time limit starts, so a request queued behind a
// slow sandbox is never counted as one the sandbox did not answer in time.
type gate struct {
	inFlight int           // 0: no bound
	limiter  *rate.Limiter // nil: no rate limit

	mu      sync.Mutex
	busy    int          // requests admitted and not yet done
	queues  [2][]*waiter // urgent first, then the rest, each in arrival order
	pumping bool         // a pump goroutine is admitting waiters
	wake    chan struct{}
}

type waiter struct {
	ready     chan struct{} // closed when admitted
	abandoned bool          // its request's context ended first
}

func newGate(inFlight int, perSecond float64) *gate {
	g := &gate{inFlight: inFlight, wake: make(chan struct{}, 1)}
	if perSecond > 0 {
		g.limiter = rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
	}
	return g
}

type urgentKey struct{}

// Urgent marks ctx as a scenario with a known wait: its requests are admitted before the others.
func Urgent(ctx context.Context) context.Context { return context.WithValue(ctx, urgentKey{}, true) }

// IsUrgent tells whether ctx was marked Urgent.
func IsUrgent(ctx context.Context) bool { v, _ := ctx.Value(urgentKey{}).(bool); return v }

// admit waits for the request's turn; done must be called once the request is over. It returns ctx's
// error if ctx ends first.
func (g *gate) admit(ctx context.Context) (done func(), err error) {
	w := &waiter{ready: make(chan struct{})}
	q := 1
	if IsUrgent(ctx) {
		q = 0
	}
	g.mu.Lock()
	g.queues[q] = append(g.queues[q], w)
	if !g.pumping {
		g.pumping = true
		go g.pump()
	}
	g.mu.Unlock()
	select {
	case <-w.ready:
		return g.doneOnce(), nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		select {
		case <-w.ready: // admitted as ctx ended: give the slot back
			g.busy--
			g.signal()
		default:
			w.abandoned = true
			g.signal() // a pump waiting for a slot for it alone may stop
		}
		return nil, ctx.Err()
	}
}

// pump admits waiters one at a time: it waits for a free slot and for the rate limit's next token,
// then takes the first waiter, urgent first. It stops when no one is waiting.
func (g *gate) pump() {
	for {
		g.mu.Lock()
		for g.inFlight > 0 && g.busy >= g.inFlight && g.waiting() {
			g.mu.Unlock()
			<-g.wake
			g.mu.Lock()
		}
		if !g.waiting() {
			g.pumping = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		if g.limiter != nil {
			// The token is taken before the waiter is chosen, so one that arrived meanwhile and is
			// urgent is chosen first.
			time.Sleep(g.limiter.Reserve().Delay())
		}
		g.mu.Lock()
		if w := g.next(); w != nil {
			g.busy++
			close(w.ready)
		}
		g.mu.Unlock()
	}
}

// waiting tells whether any waiter is still waiting; it drops those that gave up. g.mu is held.
func (g *gate) waiting() bool {
	for i := range g.queues {
		for len(g.queues[i]) > 0 && g.queues[i][0].abandoned {
			g.queues[i] = g.queues[i][1:]
		}
		if len(g.queues[i]) > 0 {
			return true
		}
	}
	return false
}

// next takes the first waiter still waiting, urgent first, or nil. g.mu is held.
func (g *gate) next() *waiter {
	if !g.waiting() {
		return nil
	}
	for i := range g.queues {
		if len(g.queues[i]) > 0 {
			w := g.queues[i][0]
			g.queues[i] = g.queues[i][1:]
			return w
		}
	}
	return nil
}

// signal wakes the pump if it waits for a slot. g.mu is held.
func (g *gate) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *gate) doneOnce() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.busy--
			g.signal()
			g.mu.Unlock()
		})
	}
}

// TimeoutError is a request that had no complete answer within its time limit, counted from when the
// gate admitted it.
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no complete answer within %s (the request timeout)", e.After)
}

// Timeout makes a TimeoutError a net.Error that timed out.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary is part of net.Error.
func (e *TimeoutError) Temporary() bool { return true }

// Is makes errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// attempt sends req once its gate admits it, within the time limit d (none when d is 0). The slot and
// the time limit are held until the answer's body is read to its end or closed.
func (rt *roundTripper) attempt(req *http.Request) (*http.Response, error) {
	done := func() {}
	if rt.gate != nil {
		var err error
		if done, err = rt.gate.admit(req.Context()); err != nil {
			return nil, err
		}
	}
	if rt.p.Timeout <= 0 {
		resp, err := rt.next.RoundTrip(req)
		if err != nil {
			done()
			return nil, err
		}
		resp.Body = &heldBody{ReadCloser: resp.Body, done: done}
		return resp, nil
	}
	ctx, cancel := context.WithTimeoutCause(req.Context(), rt.p.Timeout, &TimeoutError{After: rt.p.Timeout})
	stop := context.AfterFunc(ctx, done) // a body never closed gives its slot back at the time limit
	finish := func() { stop(); cancel(); done() }
	resp, err := rt.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timedOut := ctx.Err() != nil && req.Context().Err() == nil // before finish ends ctx itself
		finish()
		if timedOut {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	resp.Body = &heldBody{ReadCloser: resp.Body, done: finish, ctx: ctx, parent: req.Context()}
	return resp, nil
}

// heldBody is an answer's body that gives its request's slot back when it is read to the end or closed.
type heldBody struct {
	io.ReadCloser
	done        func()
	ctx, parent context.Context // the attempt's time limit and the request's own context; nil: none
}

func (b *heldBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && b.ctx != nil && b.ctx.Err() != nil && b.parent.Err() == nil && err != io.EOF {
		err = context.Cause(b.ctx) // cut short by the time limit: say so
	}
	if err != nil {
		b.done()
	}
	return n, err
}

func (b *heldBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

// Slots bound how many scenarios of one provider run at once, in turn, those with a known wait first
// (Urgent). A scenario admitted runs its requests without queueing behind every other scenario's: its
// tokens and signatures do not age in a queue. Slots may share a wider bound with others (within).
type Slots struct {
	g      *gate
	within *Slots // nil: none
}

// NewSlots gives n slots (n < 1 is one), each also taking one of within's when within is not nil.
func NewSlots(n int, within *Slots) *Slots { return &Slots{g: newGate(max(1, n), 0), within: within} }

// Admit waits for a slot, its own then within's; done gives them back and may be called more than once.
// It returns ctx's error if ctx ends first.
func (s *Slots) Admit(ctx context.Context) (done func(), err error) {
	own, err := s.g.admit(ctx)
	if err != nil || s.within == nil {
		return own, err
	}
	outer, err := s.within.Admit(ctx)
	if err != nil {
		own()
		return nil, err
	}
	return func() { outer(); own() }, nil
}

// Size is how many scenarios the slots let run at once.
func (s *Slots) Size() int {
	if s.within != nil {
		return min(s.g.inFlight, s.within.Size())
	}
	return s.g.inFlight
}
