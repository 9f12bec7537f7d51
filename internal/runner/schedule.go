package runner

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/internal/transport"
	"github.com/latam-conformance/conformance/steps"
)

// A run is as parallel as its targets allow (issue 19). What bounds it is each provider's own limits:
// the config's rate_limit and in_flight, or the defaults below where it names none. in_flight bounds the
// provider's scenarios at once (each waits for its turn before its first step, so its tokens and
// signatures never age in a queue) and its requests at once; rate_limit paces its requests.
// --concurrency N bounds the scenarios at once on top.
//
// Mocks have no rate limit, but a mock whose config names no in_flight runs MockInFlight scenarios at
// once, and all such mocks MockAtOnce together: an embedded or loopback mock shares the machine's cores
// with the harness, and past a few dozen scenarios a run is no faster while each request waits for all
// the others (four suites at once under -race put 1,320 scenarios on two cores, and a control call
// waited past its deadline). The provider with the most scenarios has 24 to itself once the others are
// done (behind 150 ms, 5.6 s for the suite where 16 each took 7.4 s); and as each provider's
// connections follow its own bound (4 × 24 = 96, under 2 × 64), a run opens at most two connections per
// scenario at once.
const (
	// SandboxRateLimit is a sandbox provider's requests per second when the config names none.
	SandboxRateLimit = 10.0
	// SandboxInFlight is a sandbox provider's requests at once when the config names none.
	SandboxInFlight = 8
	// MockInFlight is a mock provider's scenarios at once when the config names none.
	MockInFlight = 24
	// MockAtOnce is the scenarios at once of the mocks whose config names no in_flight, together.
	MockAtOnce = 64
	// mostAtOnce bounds "every scenario at once" for a feature set of thousands.
	mostAtOnce = 1000
	// defaultTimeout is a request's time limit when neither the flags nor the config give one.
	defaultTimeout = 30 * time.Second
)

// schedule is how the plan's scenarios run: how many at once, and in what order godog starts them.
type schedule struct {
	atOnce int                         // scenarios at once
	paths  []string                    // godog's paths, the scenarios with known waits first
	urgent int                         // scenarios with a known wait
	slots  map[string]*transport.Slots // provider -> the turns its scenarios wait for; nil: none
}

// schedule works out the run's parallelism and order. Scenarios with a known wait (a step registered
// with steps.StepThatWaits: a token left to expire, sessions a second apart) start first, and their
// requests go ahead of the others' at a limited target, so their waits overlap the rest of the run.
func (o Options) schedule(pl *plan, set *targets.Set) schedule {
	var selected, waiting []featureset.Scenario
	for _, s := range pl.ran {
		if !pl.tags.Match(s.Tags) {
			continue
		}
		selected = append(selected, s)
		if steps.Waits(stepTexts(s)) {
			waiting = append(waiting, s)
		}
	}
	sc := schedule{atOnce: min(max(1, len(selected)), mostAtOnce), paths: waitsFirst(pl.paths, waiting), urgent: len(waiting)}
	if o.Concurrency > 0 {
		sc.atOnce = min(sc.atOnce, o.Concurrency)
	}
	sc.slots = map[string]*transport.Slots{}
	var shared *transport.Slots // the mocks' MockAtOnce
	own, mocks := 0, 0          // the scenarios at once of providers with a bound of their own; of the mocks without
	for name, t := range set.ByName {
		switch n := o.policy(name, t).InFlight; {
		case n > 0:
			sc.slots[name] = transport.NewSlots(n, nil)
			own += n
		default: // a mock (a sandbox always has an in_flight)
			if shared == nil {
				shared = transport.NewSlots(MockAtOnce, nil)
			}
			sc.slots[name] = transport.NewSlots(MockInFlight, shared)
			mocks += MockInFlight
		}
	}
	if bounded := own + min(mocks, MockAtOnce); bounded > 0 { // the run cannot have more at once
		sc.atOnce = min(sc.atOnce, bounded)
	}
	return sc
}

// perHost is the most scenarios one provider runs at once: what one host's connections need.
func (sc schedule) perHost() int {
	most := 0
	for _, s := range sc.slots {
		most = max(most, s.Size())
	}
	if most == 0 || most > sc.atOnce {
		return sc.atOnce
	}
	return most
}

func stepTexts(s featureset.Scenario) []string {
	out := make([]string, len(s.Steps))
	for i, st := range s.Steps {
		out[i] = st.Text
	}
	return out
}

// waitsFirst orders godog's paths so that the waiting scenarios start first. A whole-suite run ("."):
// their feature files come first (godog keeps a file's first place and its scenarios' file order, so a
// scenario that waits is best first in its file). A selection of FILE:LINE paths: theirs come first.
func waitsFirst(paths []string, waiting []featureset.Scenario) []string {
	if len(waiting) == 0 {
		return paths
	}
	if len(paths) == 1 && paths[0] == "." {
		var front []string
		for _, s := range waiting {
			if !slices.Contains(front, s.URI) {
				front = append(front, s.URI)
			}
		}
		return append(front, ".")
	}
	waits := map[string]bool{}
	for _, s := range waiting {
		waits[fmt.Sprintf("%s:%d", s.URI, s.ScenarioLine)] = true
	}
	out := slices.Clone(paths)
	slices.SortStableFunc(out, func(a, b string) int {
		switch {
		case waits[a] && !waits[b]:
			return -1
		case waits[b] && !waits[a]:
			return 1
		}
		return 0
	})
	return out
}

// policy is how one provider's requests are paced, timed and retried: its configured limits, the
// sandbox defaults where a sandbox's config names none, and its request timeout.
func (o Options) policy(name string, t *targets.Target) transport.Policy {
	p := transport.Policy{RateLimit: o.RateLimits[name], InFlight: o.InFlight[name], Retries: retries, Timeout: o.Timeout}
	if d := o.Timeouts[name]; d > 0 {
		p.Timeout = d
	}
	if p.Timeout <= 0 {
		p.Timeout = defaultTimeout
	}
	switch {
	case t.Sandbox && p.RateLimit <= 0:
		p.RateLimit = SandboxRateLimit
	}
	if t.Sandbox && p.InFlight <= 0 {
		p.InFlight = SandboxInFlight
	}
	return p
}

// limits describes what paced a provider's requests, for the summary: "10 requests/s and 8 at once by
// default" (a sandbox the config gives no limits), "200 requests/s, 8 at once by default", "2.5
// requests/s, 3 at once" (both configured), "24 at once, 64 with the other mocks, by default".
func (o Options) limits(name string, t *targets.Target) string {
	p := o.policy(name, t)
	inFlightDefault := o.InFlight[name] <= 0
	if p.InFlight <= 0 {
		return fmt.Sprintf("%d at once, %d with the other mocks, by default", MockInFlight, MockAtOnce)
	}
	inFlight := fmt.Sprintf("%d at once", p.InFlight)
	if inFlightDefault {
		inFlight += " by default"
	}
	if p.RateLimit <= 0 {
		return inFlight
	}
	rate := strconv.FormatFloat(p.RateLimit, 'f', -1, 64) + " requests/s"
	switch rateDefault := o.RateLimits[name] <= 0; {
	case rateDefault && inFlightDefault:
		return fmt.Sprintf("%s and %d at once by default", rate, p.InFlight)
	case rateDefault:
		return rate + " by default, " + inFlight
	}
	return rate + ", " + inFlight
}
