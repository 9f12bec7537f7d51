package runner

import (
	"context"
	"slices"
	"time"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/targets"
)

// withDefaults checks the options against the plan and fills in what was left unset: the caller's
// preparation (credentials of the providers that run), the guard, the console format, the order's seed
// and a redactor.
func (o Options) withDefaults(pl *plan) (Options, error) {
	if o.Prepare != nil {
		if err := o.Prepare(pl.names); err != nil {
			return o, err
		}
	}
	for name := range o.BaseURLs {
		if !pl.seen[name] {
			return o, exit.Usagef("--base-url %s: the feature set (%s) has no %s scenarios", name, o.FeaturesName, name)
		}
	}
	if o.Guard == nil {
		o.Guard = targets.Guard(nil, false)
	}
	switch o.Format {
	case "":
		o.Format = "progress"
	case "pretty", "progress":
	default:
		return o, exit.Usagef("--format %q: want pretty or progress", o.Format)
	}
	if o.Concurrency < 0 {
		return o, exit.Usagef("--concurrency %d: want 1 or more, or 0 for as many as the targets allow", o.Concurrency)
	}
	if o.Random == -1 {
		// Pick the seed here rather than in godog, so the report can say which order ran.
		o.Random = time.Now().UnixNano()&(1<<62-1) | 1
	}
	o.Mode.Guard = o.Guard
	if o.Redactor == nil {
		o.Redactor = &redact.Redactor{}
	}
	return o, nil
}

// targetURLs are the --base-url targets of the providers the run selected: a target that --tags
// leaves out is not started or probed, so a sandbox the run does not use is not contacted.
func (o Options) targetURLs(pl *plan) map[string]string {
	urls := map[string]string{}
	for name, u := range o.BaseURLs {
		if slices.Contains(pl.names, name) {
			urls[name] = u
		}
	}
	return urls
}

// startTargets starts an embedded mock for each selected provider without a target, and probes the
// others. The run's own embedded mocks accept both BaaS signing schemes, so that BAAS-17 is proven.
func (o Options) startTargets(ctx context.Context, pl *plan) (*targets.Set, error) {
	return targets.Start(ctx, pl.names, o.targetURLs(pl), mock.Config{Schemas: o.Schemas, TokenTTL: o.TokenTTL,
		BaaSSigning: []string{"claims", "qit"}}, o.Mode)
}
