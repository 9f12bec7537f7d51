package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/steps"
)

func waits(s featureset.Scenario) bool { return steps.Waits(stepTexts(s)) }

// TestScenariosThatWaitStartFirst: BAAS-12 (a token left to expire) and the Pomelo search of a user's
// own sessions (made a second apart) are what godog starts first, in a whole-suite run and in a
// selection of files; the rest keep their order.
func TestScenariosThatWaitStartFirst(t *testing.T) {
	o := options(t)
	o.Concurrency = 0
	pl, err := o.plan()
	require.NoError(t, err)
	sc := o.schedule(pl, &targets.Set{ByName: map[string]*targets.Target{}})
	assert.Equal(t, []string{"baas/movement_validation.feature", "pomelo/search_own_sessions.feature", "."}, sc.paths)
	assert.Equal(t, len(pl.ran), sc.atOnce, "against mocks every scenario may start at once")

	// godog keeps each file's scenarios in file order: each file's waiting scenarios come before its others.
	var urgent []string
	for _, uri := range sc.paths[:2] {
		seenOther := false
		for _, s := range pl.scenarios {
			if s.URI != uri {
				continue
			}
			if waits(s) {
				assert.False(t, seenOther, "%s waits and comes after a scenario that does not", s.Where())
				urgent = append(urgent, s.Where())
			} else {
				seenOther = true
			}
		}
	}
	assert.Contains(t, urgent, "baas/movement_validation.feature:13")
	assert.Equal(t, len(urgent), sc.urgent, "every waiting scenario of the suite is in those files")

	o.Paths = []string{"gu1", "baas/movement_validation.feature", "baas/token_request.feature"}
	pl, err = o.plan()
	require.NoError(t, err)
	sc = o.schedule(pl, &targets.Set{ByName: map[string]*targets.Target{}})
	require.NotEmpty(t, sc.paths)
	assert.Equal(t, "baas/movement_validation.feature:13", sc.paths[0], "a selection's waiting scenario goes first")
	assert.ElementsMatch(t, pl.paths, sc.paths, "nothing added or lost")
	assert.True(t, strings.HasPrefix(sc.paths[1], "baas/movement_validation.feature:"), "then the rest in their order")
}

func TestASandboxWithoutLimitsGetsTheDefaults(t *testing.T) {
	o := options(t)
	o.Timeout = 0
	sandbox, mockTarget := &targets.Target{Sandbox: true}, &targets.Target{}
	p := o.policy("gu1", sandbox)
	assert.Equal(t, SandboxRateLimit, p.RateLimit)
	assert.Equal(t, SandboxInFlight, p.InFlight)
	assert.Equal(t, defaultTimeout, p.Timeout)
	assert.Contains(t, o.limits("gu1", sandbox), "10 requests/s and 8 at once by default")

	o.RateLimits, o.InFlight, o.Timeouts = map[string]float64{"gu1": 2.5}, map[string]int{"gu1": 3}, nil
	p = o.policy("gu1", sandbox)
	assert.Equal(t, 2.5, p.RateLimit)
	assert.Equal(t, 3, p.InFlight)
	assert.Equal(t, "2.5 requests/s, 3 at once", o.limits("gu1", sandbox))
	o.InFlight = nil
	assert.Equal(t, "2.5 requests/s, 8 at once by default", o.limits("gu1", sandbox))
	o.RateLimits, o.InFlight = nil, map[string]int{"gu1": 3}
	assert.Equal(t, "10 requests/s by default, 3 at once", o.limits("gu1", sandbox))

	p = o.policy("pomelo", mockTarget)
	assert.Zero(t, p.RateLimit, "a mock has no rate limit unless the config gives one")
	assert.Zero(t, p.InFlight, "nor a bound of its own")
	assert.Equal(t, "24 at once, 64 with the other mocks, by default", o.limits("pomelo", mockTarget))
}

// concurrent counts the requests h serves at once, and the most at once.
type concurrent struct {
	h         http.Handler
	now, most atomic.Int32
}

func (c *concurrent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	c.h.ServeHTTP(w, r)
}

// TestASandboxRunKeepsToItsProvidersInFlight: a sandbox run of gu1 with in_flight 2 never has more than
// two requests at the target, has two scenarios at once, and passes.
func TestASandboxRunKeepsToItsProvidersInFlight(t *testing.T) {
	o := options(t)
	o.Concurrency = 0
	o.Tags = "@gu1"
	p, err := providers.Lookup("gu1")
	require.NoError(t, err)
	h, err := p.Mock(mock.Config{Schemas: o.Schemas, Faults: &mock.Faults{}})
	require.NoError(t, err)
	c := &concurrent{h: h}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	o.BaseURLs = map[string]string{"gu1": srv.URL}
	o.Mode = targets.Mode{Sandbox: true}
	o.Secrets = map[string]map[string]string{"gu1": providers.Defaults(p.Credentials)}
	o.RateLimits, o.InFlight = map[string]float64{"gu1": 1000}, map[string]int{"gu1": 2}
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, exit.OK, res.ExitCode())
	assert.Equal(t, 2, res.AtOnce)
	assert.LessOrEqual(t, c.most.Load(), int32(2), "never more than in_flight requests at the target")
	require.Len(t, res.TargetLines, 1)
	assert.Equal(t, "1000 requests/s, 2 at once", res.TargetLines[0].Limits)
}
