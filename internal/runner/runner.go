// Package runner runs the Gherkin suite against the targets and turns the outcome into reports.
package runner

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/latam-conformance/conformance/internal/boundary"
	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/internal/waiver"
)

// Options configure one run.
type Options struct {
	Features     fs.FS            // the feature set: <provider>/*.feature at its root
	FeaturesName string           // how to name the feature set in messages ("embedded", a directory)
	FeaturesDir  string           // what file names in messages start with ("features/", "DIR/")
	Schemas      *schema.Registry // compiled schemas
	Catalogue    *catalogue.Catalogue
	BaseURLs     map[string]string // provider -> URL; others get an embedded mock
	Tags         string            // godog tag expression
	Format       string            // pretty | progress
	CucumberJSON string            // write cucumber JSON here when not empty
	Concurrency  int               // scenarios at once, at most; 0: as many as the targets allow (see schedule)
	Random       int64             // 0: file order; otherwise the seed of a random order
	Timeout      time.Duration     // per request, for providers without their own
	TokenTTL     time.Duration
	Out          io.Writer

	Mode        targets.Mode                 // sandbox or not; production hosts already allowed
	Secrets     map[string]map[string]string // provider -> credential -> value (mock fixtures by default)
	Settings    map[string]map[string]string // provider -> option -> value
	Timeouts    map[string]time.Duration     // provider -> per-request timeout
	RateLimits  map[string]float64           // provider -> requests per second
	InFlight    map[string]int               // provider -> requests at once
	RunTimeout  time.Duration                // the whole run; 0 for none
	Redactor    *redact.Redactor             // the run's secrets, masked in every artefact; nil: a fresh one
	StrictDrift bool                         // drift from an external target fails its scenario
	Record      string                       // write every exchange to this directory (--record); "" for none
	Waivers     *waiver.Set                  // known deviations; nil for none
	Now         func() time.Time             // today, for waiver expiry; nil: time.Now
	Prompt      func(string) (string, error) // asks the person at the terminal; nil when there is none
	// Prepare is called with the providers that have a scenario to run, before any target starts (the
	// CLI reads their credentials there, so a run of one provider needs only that provider's).
	Prepare func(providers []string) error
	ShowPII bool // record personal data as it was (--show-pii); secrets stay masked
	// Guard is where the run's requests may go; nil: the documented production hosts are refused.
	Guard *netguard.Policy
	// Reports are written from the run's document (JUnit, HTML, JSON, the job summary).
	Reports Reports
	// Shard runs only one part of the suite split across machines; zero for all of it.
	Shard Shard
	// Paths select scenarios as godog does: a feature file, FILE:LINE, or a folder, relative to the
	// feature set's root; none for all.
	Paths         []string
	StopOnFailure bool // stop at the first failure; the scenarios after it do not run
	Gates         Gates
	// Boundary are the boundary cases Features was written from (run --boundary); nil for the suite.
	Boundary *boundary.Set
}

// retries is how often an idempotent call answered 429 or 503 is sent again.
const retries = 2

// Result is the outcome of a run.
type Result struct {
	Scenarios []report.Scenario
	Coverage  []report.ProviderCoverage
	Targets   map[string]*targets.Target
	Elapsed   time.Duration
	Seed      int64 // the random order's seed; 0 for file order
	// ExpiredWaivers describes each waiver past its date; any fails the run.
	ExpiredWaivers []string
	// StaleWaivers describes each waiver in force that matched no failure while scenarios of its ID
	// ran and passed: the deviation it excuses is gone. It does not fail the run.
	StaleWaivers []string
	// Stopped says why the run stopped early (a signal, --run-timeout), or "".
	Stopped string
	Started time.Time
	Shard   Shard                 // the part of a split run this was; zero for the whole run
	Parsed  []featureset.Scenario // every scenario of the feature set, run or not
	// TargetLines says where each provider's requests went.
	TargetLines []report.TargetLine
	// Connections are what the run's transport opened and sent (zero for a merge or a gate).
	Connections Connections
	// AtOnce is how many scenarios the run let run at once (zero for a merge or a gate).
	AtOnce int
	// GatesFailed describes each gate (--min-coverage, --fail-on-skipped) the run did not meet; any
	// exits 5 unless a worse verdict comes first.
	GatesFailed []string
	// Outcome is a verdict its caller reached beyond the scenarios (the gate's: the team's command
	// failed, or sent nothing): it comes after a failure and before "nothing proven".
	Outcome error
	// Boundary are a boundary run's figures per provider (run --boundary); nil for the suite.
	Boundary *report.BoundaryDoc
	waivers  *waiver.Set
	stopErr  error // the exit of a run stopped early (a signal, --run-timeout)
}

// Run parses the features, starts or probes the targets, runs every scenario and writes the reports.
// The error is an *exit.Error for usage problems and unreachable targets; conformance failures are in
// the Result (see ExitCode).
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	pl, err := o.plan()
	if err != nil {
		return nil, err
	}
	if o, err = o.withDefaults(pl); err != nil {
		return nil, err
	}
	if o.RunTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.RunTimeout)
		defer cancel()
	}
	set, err := o.startTargets(ctx, pl)
	if exit.CodeOf(err) == exit.Unavailable {
		return o.unreached(pl, start, err)
	} else if err != nil {
		return nil, err
	}
	defer set.Close()
	sc := o.schedule(pl, set)
	ex, err := o.prepare(ctx, set, sc)
	if err != nil {
		return nil, err
	}
	defer ex.close()
	status, err := ex.execute(ctx, sc)
	if err != nil {
		return nil, err
	}
	res, err := o.judge(ctx, pl, set, ex, status, start)
	if err != nil {
		return nil, err
	}
	// Every report asked for is written, an interrupted run's too: what finished, and what was not
	// judged and why.
	if err := writeReports(o, res, ex.rec, ex.cucumberTmp); err != nil {
		return res, err
	}
	return res, res.stopErr
}
