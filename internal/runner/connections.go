package runner

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/latam-conformance/conformance/internal/transport"
)

// Connections counts what a run's transport did: the connections it opened and the requests it sent
// over them. A run keeps its connections: an idle pool per host sized to its parallelism, keep-alive,
// and TLS session resumption for a new connection to a sandbox it has met before (issue 19: with
// net/http's 2 idle connections per host, a run at concurrency 32 opened 205–389 connections for
// about 790 requests, each a TLS handshake against a sandbox).
type Connections struct {
	Opened   int64 // connections dialled
	Requests int64 // requests sent
}

// connectionPool sizes t's idle pool for parallel requests per host and counts what goes through it.
type connectionPool struct {
	opened, requests atomic.Int64
}

// idleTimeout is how long a run keeps an idle connection: under the shortest keep-alive servers commonly
// keep (Node's 5 s; nginx 75 s, load balancers 60 s, the mocks 60 s). A run's calls to a provider
// rarely pause that long, except in a deliberate wait.
const idleTimeout = 4 * time.Second

// idlePerHost is how many idle connections a run keeps per host: two per scenario in flight (a call
// and a control call, or a call and a webhook's), never fewer than net/http's two.
func idlePerHost(concurrency int) int { return max(2, 2*concurrency) }

// prepare makes t keep and count its connections, at most perHost to a host: as many as the most
// scenarios one provider runs at once, each making one call at a time. A call waits for a connection
// rather than dialling one more (net/http dials when none is idle, and keeps the extra when another
// is freed first): a run opens no more connections than its providers' scenarios at once.
func (c *connectionPool) prepare(t *http.Transport, concurrency, perHost int) {
	t.MaxConnsPerHost = max(2, perHost)
	// An idle connection is dropped before a server would close it. With net/http's 90 s, a run sent a
	// POST on a connection the server was closing, and got EOF or a reset: no answer, a scenario not
	// judged, and a POST is not sent again. It happened against the mocks (idle 60 s) in long runs on a
	// busy machine, and against Prism, a Node server (idle 5 s).
	t.IdleConnTimeout = idleTimeout
	t.MaxIdleConnsPerHost = idlePerHost(concurrency)
	t.MaxIdleConns = max(t.MaxIdleConns, 8*t.MaxIdleConnsPerHost) // every provider and its control API
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	dial := t.DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err == nil {
			c.opened.Add(1)
		}
		return conn, err
	}
}

// counting counts each request sent through next.
func (c *connectionPool) counting(next http.RoundTripper) http.RoundTripper {
	return transport.Func(func(r *http.Request) (*http.Response, error) {
		c.requests.Add(1)
		return next.RoundTrip(r)
	})
}

func (c *connectionPool) counts() Connections {
	return Connections{Opened: c.opened.Load(), Requests: c.requests.Load()}
}
