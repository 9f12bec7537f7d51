package runner

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
)

// TestARunReusesItsConnections: the whole suite at concurrency 4 sends its ~780 requests over a few
// kept-alive connections, at most two per scenario in flight per target, and says how many it opened
// (issue 19: net/http's 2 idle connections per host threw the rest away).
func TestARunReusesItsConnections(t *testing.T) {
	o := options(t)
	o.Concurrency = 4
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	require.Equal(t, exit.OK, res.ExitCode())
	c := res.Connections
	t.Logf("%d connections for %d requests", c.Opened, c.Requests)
	assert.Greater(t, c.Requests, int64(700), "every request of the run is counted")
	assert.Positive(t, c.Opened)
	assert.LessOrEqual(t, c.Opened, int64(idlePerHost(o.Concurrency)*len(res.Targets)), "no more than the pool keeps per target")
	assert.Less(t, c.Opened*10, c.Requests, "connections are reused")
}

// TestARunWithDefaultFlagsOpensAtMostTwoConnectionsPerScenarioAtOnce: with each provider's scenarios
// as many at once as its mock allows, the run opens no more than two connections per scenario it ran
// at once (issue 19).
func TestARunWithDefaultFlagsOpensAtMostTwoConnectionsPerScenarioAtOnce(t *testing.T) {
	o := options(t)
	o.Concurrency = 0
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	require.Equal(t, exit.OK, res.ExitCode())
	c := res.Connections
	t.Logf("%d connections for %d requests, %d scenarios at once", c.Opened, c.Requests, res.AtOnce)
	assert.Equal(t, MockAtOnce, res.AtOnce, "the mocks' bound, shared")
	assert.LessOrEqual(t, c.Opened, int64(2*res.AtOnce))
}

// TestIdleConnectionsAreDroppedBeforeServersCloseThem: a run never sends a request on a connection idle
// long enough for the server to be closing it (a POST sent there gets EOF or a reset, and no retry):
// not the mocks' (60 s), nor a Node server's (5 s, Prism's).
func TestIdleConnectionsAreDroppedBeforeServersCloseThem(t *testing.T) {
	tr := &http.Transport{}
	var pool connectionPool
	pool.prepare(tr, 4, 4)
	assert.Positive(t, tr.IdleConnTimeout)
	assert.Less(t, tr.IdleConnTimeout, mock.DefaultLimits.Idle)
	assert.Less(t, tr.IdleConnTimeout, 5*time.Second, "Node's keepAliveTimeout")
}
