// Package runner runs the Gherkin suite against the targets and turns the outcome into reports.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/record"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/internal/transport"
	"github.com/latam-conformance/conformance/internal/waiver"
	"github.com/latam-conformance/conformance/steps"
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
	Concurrency  int
	Random       int64         // 0: file order; otherwise the seed of a random order
	Timeout      time.Duration // per request, for providers without their own
	TokenTTL     time.Duration
	Out          io.Writer

	Mode        targets.Mode                 // sandbox or not; production hosts already allowed
	Secrets     map[string]map[string]string // provider -> credential -> value (mock fixtures by default)
	Settings    map[string]map[string]string // provider -> option -> value
	Timeouts    map[string]time.Duration     // provider -> per-request timeout
	RateLimits  map[string]float64           // provider -> requests per second
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
	// GatesFailed describes each gate (--min-coverage, --fail-on-skipped) the run did not meet; any
	// exits 5 unless a worse verdict comes first.
	GatesFailed []string
	// Outcome is a verdict its caller reached beyond the scenarios (the gate's: the team's command
	// failed, or sent nothing): it comes after a failure and before "nothing proven".
	Outcome error
	waivers *waiver.Set
	stopErr error // the exit of a run stopped early (a signal, --run-timeout)
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
	scenarios, paths, ran, names, seen := pl.scenarios, pl.paths, pl.ran, pl.names, pl.seen
	if o.Prepare != nil {
		if err := o.Prepare(names); err != nil {
			return nil, err
		}
	}
	for name := range o.BaseURLs {
		if !seen[name] {
			return nil, exit.Usagef("--base-url %s: the feature set (%s) has no %s scenarios", name, o.FeaturesName, name)
		}
	}
	// Targets named but left out by --tags are not started or probed: a sandbox the run does not use
	// is not contacted.
	baseURLs := map[string]string{}
	for name, u := range o.BaseURLs {
		if slices.Contains(names, name) {
			baseURLs[name] = u
		}
	}
	if o.RunTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.RunTimeout)
		defer cancel()
	}
	if o.Guard == nil {
		o.Guard = targets.Guard(nil, false)
	}
	switch o.Format {
	case "":
		o.Format = "progress"
	case "pretty", "progress":
	default:
		return nil, exit.Usagef("--format %q: want pretty or progress", o.Format)
	}
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Random == -1 {
		// Pick the seed here rather than in godog, so the report can say which order ran.
		o.Random = time.Now().UnixNano()&(1<<62-1) | 1
	}

	o.Mode.Guard = o.Guard
	// The run's own embedded mocks accept both BaaS signing schemes, so that BAAS-17 is proven.
	set, err := targets.Start(ctx, names, baseURLs, mock.Config{Schemas: o.Schemas, TokenTTL: o.TokenTTL,
		BaaSSigning: []string{"claims", "qit"}}, o.Mode)
	if err != nil {
		if exit.CodeOf(err) == exit.Unavailable {
			return o.unreached(pl, baseURLs, start, err)
		}
		return nil, err
	}
	defer set.Close()

	// One transport for the run, its idle connections closed before the mocks stop: net/http's graceful
	// shutdown waits five seconds for a connection the client dialed and never used.
	if o.Redactor == nil {
		o.Redactor = &redact.Redactor{}
	}
	// Pretty output names the step functions; godog's own totals are left out, the harness's summary
	// below counts what godog cannot (waived, not judged), and two summaries must never disagree.
	located := &lineWriter{w: o.Out, edit: steps.LocateLine, drop: godogTotals()}
	out := o.Redactor.Writer(located)
	defer func() { _ = out.Flush(); _ = located.Flush() }()
	// Every request of the scenarios goes through the guard: production hosts refused before a byte is
	// sent, checked again on the dialled address.
	httpTransport := o.Guard.Transport()
	defer httpTransport.CloseIdleConnections()
	var pool connectionPool
	pool.prepare(httpTransport, o.Concurrency)
	guarded := pool.counting(o.Guard.RoundTripper(httpTransport))
	deps := &steps.Deps{Targets: map[string]steps.Target{}, Schemas: o.Schemas, Timeout: o.Timeout,
		Results: &report.Collector{}, Transport: guarded, Redactor: o.Redactor, StrictDrift: o.StrictDrift,
		Prompt: o.Prompt, Stopped: func() string { return stopReason(ctx, o.RunTimeout) }}
	var rec *record.Writer
	if o.Record != "" {
		var err error
		if rec, err = record.Create(o.Record, o.Redactor, o.ShowPII); err != nil {
			return nil, exit.Usagef("--record %s: %v", o.Record, err)
		}
		defer rec.Abort() // a run that fails before its reports leaves no half recording; a no-op after Close
		deps.Record = rec.Add
	}
	for name, t := range set.ByName {
		timeout := o.Timeout
		if d := o.Timeouts[name]; d > 0 {
			timeout = d
		}
		deps.Targets[name] = steps.Target{BaseURL: t.BaseURL, Control: t.Control, Sandbox: t.Sandbox, Production: t.Production, Embedded: t.Embedded,
			Secrets: o.Secrets[name], Settings: o.Settings[name], Timeout: timeout,
			Transport: transport.New(guarded, transport.Policy{RateLimit: o.RateLimits[name], Retries: retries})}
	}

	format := o.Format
	suiteName := "conformance"
	var cucumberTmp string
	var sink *cucumberSink
	if o.CucumberJSON != "" {
		if err := os.MkdirAll(filepath.Dir(o.CucumberJSON), 0o755); err != nil {
			return nil, exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
		f, err := os.CreateTemp(filepath.Dir(o.CucumberJSON), ".cucumber-*.json")
		if err != nil {
			return nil, exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
		cucumberTmp = f.Name()
		defer os.Remove(cucumberTmp)
		sink = openCucumberSink(f)
		defer sink.close()
		format += "," + cucumberFormat
		suiteName = sink.suite
	}
	suite := godog.TestSuite{
		Name:                suiteName,
		ScenarioInitializer: func(sc *godog.ScenarioContext) { steps.Initialize(sc, deps) },
		Options: &godog.Options{
			Format:        format,
			Paths:         paths,
			FS:            o.Features,
			Tags:          o.Tags,
			Concurrency:   o.Concurrency,
			Randomize:     o.Random,
			Strict:        true,
			StopOnFailure: o.StopOnFailure,
			NoColors:      true,
			Output:        out,
			// Ctrl-C cancels requests in flight instead of waiting for the whole suite.
			DefaultContext: ctx,
		},
	}
	status := suite.Run()
	if sink != nil {
		if err := sink.finish(); err != nil {
			return nil, exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
	}
	deps.Close()
	_ = out.Flush() // godog's output first, then whatever the caller prints
	_ = located.Flush()

	res := &Result{Scenarios: deps.Results.Results(), Targets: set.ByName, Elapsed: time.Since(start), Seed: o.Random,
		Stopped: stopReason(ctx, o.RunTimeout), Started: start, Shard: o.Shard, Parsed: scenarios, waivers: o.Waivers,
		Connections: pool.counts()}
	for _, p := range slices.Sorted(maps.Keys(set.ByName)) {
		t := set.ByName[p]
		res.TargetLines = append(res.TargetLines, report.TargetLine{Provider: p, BaseURL: o.Redactor.String(t.BaseURL), Embedded: t.Embedded, Control: t.Control})
	}
	if len(res.Scenarios) == 0 && res.Stopped == "" {
		return nil, exit.NothingProvenf("nothing proven: godog ran no scenario of %s (status %d); see the output above", o.FeaturesName, status)
	}
	placeLines(res.Scenarios, ran)
	if status != 0 && res.failures() == 0 && res.count(report.NotJudged) == 0 {
		// godog saw a failure our hooks did not (a hook error before the World existed): never a false green.
		res.Scenarios = append(res.Scenarios, report.Scenario{Name: "(suite)", Status: report.Failed,
			Message: "godog reported a failure that no scenario result explains; see the output above"})
	}
	res.applyWaivers(o.Waivers, o.Now)
	res.Coverage = report.Coverage(o.Catalogue, scenarios, res.Scenarios, names)
	maskResults(res.Scenarios, o.Redactor)
	if o.Shard.Count == 0 { // a shard's coverage is partial: its gates are checked by conformance merge
		res.GatesFailed = o.Gates.check(res)
	}

	// Every report asked for is written, an interrupted run's too: what finished, and what was not
	// judged and why.
	if res.Stopped != "" {
		res.stopErr = stopError(ctx, o.RunTimeout, len(res.Scenarios)-res.count(report.NotJudged))
	}
	if err := writeReports(o, res, rec, cucumberTmp); err != nil {
		return res, err
	}
	return res, res.stopErr
}

// unreached is the result of a run whose targets could not be reached at the start: every scenario it
// would have run is not judged, with the cause, and every report asked for is still written (a shard's
// JSON too, so that 'merge' names the cause rather than a missing shard). It ends with err (exit 3).
func (o Options) unreached(pl *plan, baseURLs map[string]string, start time.Time, cause error) (*Result, error) {
	why := oneLine(cause.Error())
	res := &Result{Elapsed: time.Since(start), Seed: o.Random, Started: start, Shard: o.Shard, Parsed: pl.scenarios,
		waivers: o.Waivers, Stopped: "a target could not be reached at the start: " + why, stopErr: cause}
	for _, s := range pl.ran {
		if pl.tags.Match(s.Tags) {
			res.Scenarios = append(res.Scenarios, report.Scenario{Name: s.Name, Feature: s.URI, Line: s.Line, Provider: s.Provider,
				Tags: s.Tags, Status: report.NotJudged, Message: "not judged: " + why})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(baseURLs)) {
		res.TargetLines = append(res.TargetLines, report.TargetLine{Provider: p, BaseURL: o.Redactor.String(baseURLs[p])})
	}
	res.Coverage = report.Coverage(o.Catalogue, pl.scenarios, res.Scenarios, pl.names)
	maskResults(res.Scenarios, o.Redactor)
	var rec *record.Writer
	if o.Record != "" {
		var err error
		if rec, err = record.Create(o.Record, o.Redactor, o.ShowPII); err != nil {
			return res, exit.Usagef("--record %s: %v", o.Record, err)
		}
	}
	if o.CucumberJSON != "" { // godog never ran: no feature of it to report
		if err := report.WriteAtomic(o.CucumberJSON, []byte("[]\n"), 0o644); err != nil {
			return res, exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
	}
	if err := writeReports(o, res, rec, ""); err != nil {
		return res, err
	}
	return res, cause
}

// plan is what a run will run, worked out before any target starts.
type plan struct {
	scenarios []featureset.Scenario // the whole feature set
	ran       []featureset.Scenario // what the paths and the shard select (before --tags)
	tags      *featureset.Matcher
	paths     []string        // godog's paths
	names     []string        // providers with a scenario to run
	seen      map[string]bool // providers with a scenario in the feature set
}

// plan parses the feature set, checks its catalogue IDs, and selects the scenarios of the run.
func (o Options) plan() (*plan, error) {
	scenarios, err := featureset.Parse(o.Features, ".")
	if err != nil {
		return nil, exit.Usagef("%s%v", o.FeaturesDir, err)
	}
	tags, err := featureset.CompileTags(o.Tags)
	if err != nil {
		return nil, exit.Usagef("%v", err)
	}
	for _, t := range tags.Tags() { // a typo in a catalogue ID (@BAAS-99) selects nothing: a usage error, not "nothing proven"
		if o.Catalogue != nil && featureset.IDTag.MatchString("@"+t) && !o.Catalogue.Known(t) {
			return nil, exit.Usagef("--tags %q: %s is not in the catalogue", o.Tags, t)
		}
	}
	// Every ID a scenario names must be the catalogue's: a typo (@BAAS-99) would prove nothing, silently.
	var unknown []string
	for _, s := range scenarios {
		for _, id := range s.IDs {
			if o.Catalogue != nil && !o.Catalogue.Known(id) {
				unknown = append(unknown, fmt.Sprintf("%s%s: tag @%s is not in the catalogue", o.FeaturesDir, s.Where(), id))
			}
		}
	}
	if len(unknown) > 0 {
		return nil, exit.Usagef("%s", strings.Join(unknown, "; "))
	}
	var names []string
	seen, selected := map[string]bool{}, map[string]bool{}
	for _, s := range scenarios {
		if _, err := providers.Lookup(s.Provider); err != nil {
			return nil, exit.Usagef("%s: features must sit in a folder named after their provider: %v", s.URI, err)
		}
		seen[s.Provider] = true
		if tags.Match(s.Tags) && !selected[s.Provider] {
			selected[s.Provider] = true
			names = append(names, s.Provider) // only providers with a scenario to run get a target
		}
	}
	if len(names) == 0 {
		return nil, exit.NothingProvenf("nothing proven: no scenario of %s matches --tags %q", o.FeaturesName, o.Tags)
	}
	paths, ran, names, err := o.selection(scenarios, tags, names)
	if err != nil {
		return nil, err
	}
	for _, s := range ran {
		if tags.Match(s.Tags) && len(s.IDs) == 0 && o.Out != nil {
			fmt.Fprintf(o.Out, "warning: %s: scenario %q names no catalogue ID: it runs, and proves nothing in the coverage\n", s.Where(), s.Name)
		}
	}
	return &plan{scenarios: scenarios, ran: ran, tags: tags, paths: paths, names: names, seen: seen}, nil
}

// selection picks what the run runs: every scenario the tags select (godog path "."), or, with paths
// (FILE, FILE:LINE, a folder) or a shard, those scenarios as godog paths "uri:line", one per scenario or
// outline. It also narrows the providers to those with a scenario to run.
func (o Options) selection(scenarios []featureset.Scenario, tags *featureset.Matcher, names []string) (paths []string, ran []featureset.Scenario, _ []string, _ error) {
	if o.Shard.Count <= 1 && len(o.Paths) == 0 {
		return []string{"."}, scenarios, names, nil
	}
	inPaths, err := pathFilter(o.Paths, scenarios)
	if err != nil {
		return nil, nil, nil, err
	}
	var selected []featureset.Scenario
	for _, s := range scenarios {
		if tags.Match(s.Tags) && inPaths(s) {
			selected = append(selected, s)
		}
	}
	if len(selected) == 0 {
		return nil, nil, nil, exit.NothingProvenf("nothing proven: no scenario of %s at %s matches --tags %q", o.FeaturesName, strings.Join(o.Paths, " "), o.Tags)
	}
	count, i := max(1, o.Shard.Count), max(0, o.Shard.Index-1)
	all, parts := split(selected, count)
	if len(all[i]) == 0 {
		return nil, nil, nil, exit.Usagef("--shard %s: only %d scenarios to split; use fewer shards", o.Shard, len(selected))
	}
	var mine []string
	for _, s := range parts[i] {
		if !slices.Contains(mine, s.Provider) {
			mine = append(mine, s.Provider)
		}
	}
	var keep []string
	for _, n := range names {
		if slices.Contains(mine, n) {
			keep = append(keep, n)
		}
	}
	return all[i], parts[i], keep, nil
}

// pathFilter reads the run's paths: FILE:LINE selects the scenario (or the whole outline) at that line,
// FILE every scenario of a file, a folder every scenario under it. A path that selects nothing is an
// error: a typo would otherwise run nothing, or everything.
func pathFilter(paths []string, scenarios []featureset.Scenario) (func(featureset.Scenario) bool, error) {
	if len(paths) == 0 {
		return func(featureset.Scenario) bool { return true }, nil
	}
	type key struct {
		uri  string
		line int
	}
	units := map[key]bool{}
	var prefixes []string
	for _, p := range paths {
		p = path.Clean(p)
		uri, line := p, 0
		if i := strings.LastIndexByte(p, ':'); i > 0 {
			if n, err := strconv.Atoi(p[i+1:]); err == nil {
				uri, line = p[:i], n
			}
		}
		found := false
		for _, s := range scenarios {
			switch {
			case line > 0 && s.URI == uri && (s.ScenarioLine == line || s.Line == line):
				units[key{s.URI, s.ScenarioLine}] = true
				found = true
			case line == 0 && (uri == "." || s.URI == uri || strings.HasPrefix(s.URI, uri+"/")):
				found = true
			}
		}
		if !found {
			what := "no feature file or folder " + uri
			if line > 0 {
				what = fmt.Sprintf("no scenario at line %d of %s", line, uri)
			}
			return nil, exit.Usagef("%s: %s in the feature set", p, what)
		}
		if line == 0 {
			prefixes = append(prefixes, uri)
		}
	}
	return func(s featureset.Scenario) bool {
		if units[key{s.URI, s.ScenarioLine}] {
			return true
		}
		for _, p := range prefixes {
			if p == "." || s.URI == p || strings.HasPrefix(s.URI, p+"/") {
				return true
			}
		}
		return false
	}, nil
}

// featurePath is a godog feature URI without the ":LINE" a path selection adds.
func featurePath(uri string) string {
	if i := strings.LastIndexByte(uri, ':'); i > 0 {
		if _, err := strconv.Atoi(uri[i+1:]); err == nil {
			return uri[:i]
		}
	}
	return uri
}

// writeReports writes the recording, the cucumber JSON and the JUnit report of a run, each moved into
// place whole.
func writeReports(o Options, res *Result, rec *record.Writer, cucumberTmp string) error {
	if rec != nil {
		if res.Stopped != "" {
			rec.Interrupted(res.Stopped)
		}
		if err := rec.Close(); err != nil {
			return exit.Usagef("--record %s: %v", o.Record, err)
		}
	}
	if cucumberTmp != "" {
		if err := finishCucumber(cucumberTmp, o.Redactor, res.Scenarios); err != nil {
			return exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
		if err := os.Rename(cucumberTmp, o.CucumberJSON); err != nil {
			return exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
	}
	return o.Reports.Write(res, o.Catalogue)
}

// stopReason says why the run is stopping, or "" while ctx is live.
func stopReason(ctx context.Context, runTimeout time.Duration) string {
	if ctx.Err() == nil {
		return ""
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Sprintf("the run hit its time limit (--run-timeout %s)", runTimeout)
	}
	var e *exit.Error
	if errors.As(cause, &e) {
		return "the run was " + e.Error()
	}
	return "the run was interrupted"
}

// stopError is the error an interrupted or timed-out run ends with: exit 3 for the time limit, 128 + the
// signal's number for a signal.
func stopError(ctx context.Context, runTimeout time.Duration, finished int) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return exit.Unavailablef("run stopped by its time limit (--run-timeout %s) after %d scenarios; the reports hold them, the rest marked not judged", runTimeout, finished)
	}
	code := exit.Signal("a signal", 2)
	var e *exit.Error
	if errors.As(cause, &e) {
		code = e
	}
	return &exit.Error{Code: exit.CodeOf(code), Err: fmt.Errorf("run %v after %d scenarios; the reports hold them, the rest marked not judged", code, finished)}
}

// maskResults masks the run's secrets in every text of the results, before any report encodes them.
func maskResults(results []report.Scenario, r *redact.Redactor) {
	for i := range results {
		s := &results[i]
		s.Name, s.Message = r.String(s.Name), r.String(s.Message)
		for j := range s.Drift {
			s.Drift[j] = r.String(s.Drift[j])
		}
	}
}

// lineWriter passes whole lines to w, each through edit.
type lineWriter struct {
	w    io.Writer
	edit func(string) string
	drop func(string) bool // nil: every line is written
	buf  []byte
}

// godogTotals recognises godog's own closing lines: "N scenarios (…)", "N steps (…)" and the run's
// duration after them.
func godogTotals() func(string) bool {
	totals := regexp.MustCompile(`^\d+ (scenarios?|steps?) \(`)
	duration := regexp.MustCompile(`^[0-9.]+(ns|µs|us|ms|s|m[0-9.]+s|h[0-9.m]+s)$`)
	afterSteps := false
	return func(line string) bool {
		switch {
		case totals.MatchString(line):
			afterSteps = strings.HasPrefix(strings.SplitN(line, " ", 3)[1], "step")
			return true
		case afterSteps && duration.MatchString(line):
			afterSteps = false
			return true
		}
		afterSteps = false
		return false
	}
}

func (l *lineWriter) keep(line string) bool { return l.drop == nil || !l.drop(line) }

func (l *lineWriter) Write(p []byte) (int, error) {
	if l.w == nil {
		return len(p), nil
	}
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := string(l.buf[:i]); l.keep(line) {
			if _, err := io.WriteString(l.w, l.edit(line)+"\n"); err != nil {
				return 0, err
			}
		}
		l.buf = l.buf[i+1:]
	}
}

// Flush writes a last line without its newline.
func (l *lineWriter) Flush() error {
	if len(l.buf) == 0 || l.w == nil {
		return nil
	}
	line := string(l.buf)
	l.buf = nil
	if !l.keep(line) {
		return nil
	}
	_, err := io.WriteString(l.w, l.edit(line))
	return err
}

// placeLines gives each result the line of its scenario (godog's hooks do not carry it), matching by
// feature file and scenario name; outline rows have distinct names once their values are substituted.
func placeLines(results []report.Scenario, parsed []featureset.Scenario) {
	lines := map[string][]int{}
	for _, s := range parsed {
		k := s.URI + "\x00" + s.Name
		lines[k] = append(lines[k], s.Line)
	}
	for i := range results {
		results[i].Feature = path.Clean(featurePath(results[i].Feature))
		k := results[i].Feature + "\x00" + results[i].Name
		if ls := lines[k]; len(ls) > 0 {
			results[i].Line, lines[k] = ls[0], ls[1:]
		}
	}
	sort.SliceStable(results, func(i, j int) bool {
		if results[i].Feature != results[j].Feature {
			return results[i].Feature < results[j].Feature
		}
		return results[i].Line < results[j].Line
	})
}

// applyWaivers turns a failure of a waived ID into a waived scenario while the waiver holds, and lists
// every waiver past its date: that alone fails the run.
func (r *Result) applyWaivers(set *waiver.Set, now func() time.Time) {
	if set == nil {
		return
	}
	if now == nil {
		now = time.Now
	}
	today := now()
	for _, w := range set.List {
		if w.Expired(today) {
			r.ExpiredWaivers = append(r.ExpiredWaivers, fmt.Sprintf("%s expired on %s (%s:%d): %s", w.ID, w.Expires.Format("2006-01-02"), set.Path, w.Line, w.Reason))
		}
	}
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if s.Status != report.Failed {
			continue
		}
		var ids []string
		for _, t := range s.Tags {
			if m := featureset.IDTag.FindStringSubmatch(t); m != nil {
				ids = append(ids, m[1])
			}
		}
		w, ok := set.For(ids)
		switch {
		case !ok:
		case w.Expired(today):
			s.Message = fmt.Sprintf("the waiver of %s expired on %s: %s", w.ID, w.Expires.Format("2006-01-02"), s.Message)
		default:
			s.Status = report.Waived
			s.Message = fmt.Sprintf("%s waived until %s (%s): %s", w.ID, w.Expires.Format("2006-01-02"), w.Reason, s.Message)
		}
	}
	r.StaleWaivers = r.staleWaivers(set, today)
}

// staleWaivers lists the waivers in force whose ID had scenarios that passed and none that failed or
// was waived.
func (r *Result) staleWaivers(set *waiver.Set, today time.Time) []string {
	passed, excused := map[string]bool{}, map[string]bool{}
	for _, s := range r.Scenarios {
		for _, t := range s.Tags {
			m := featureset.IDTag.FindStringSubmatch(t)
			if m == nil {
				continue
			}
			switch s.Status {
			case report.Passed:
				passed[m[1]] = true
			case report.Waived, report.Failed:
				excused[m[1]] = true
			}
		}
	}
	var out []string
	for _, w := range set.List {
		if !w.Expired(today) && passed[w.ID] && !excused[w.ID] {
			out = append(out, fmt.Sprintf("%s (%s:%d) matched no failure: every scenario of %s that ran passed; remove the waiver (%s)", w.ID, set.Path, w.Line, w.ID, w.Reason))
		}
	}
	return out
}

func (r *Result) failures() int {
	n := 0
	for _, s := range r.Scenarios {
		if s.Status == report.Failed || s.Status == report.Undefined {
			n++
		}
	}
	return n
}

// ExitCode is the code the run ends with (see Err).
func (r *Result) ExitCode() int { return exit.CodeOf(r.Err()) }

// Err is the run's verdict as an error carrying its exit code, nil when it may be called green:
//   - 2 when a step is undefined (the suite is broken, not the provider);
//   - 3 when a scenario was not judged because its target stopped answering (named, with a count);
//   - 1 for a conformance failure or an expired waiver (the summary lists them);
//   - 4 when no scenario passed: nothing was proven;
//   - 5 when a gate (--min-coverage, --fail-on-skipped) was not met;
//   - nil otherwise.
func (r *Result) Err() error {
	if r.stopErr != nil {
		return r.stopErr
	}
	if r.count(report.Undefined) > 0 {
		return &exit.Error{Code: exit.Usage, Err: errors.New("undefined or pending steps: the suite is broken, not the provider")}
	}
	if lines := r.notJudged(); len(lines) > 0 && r.Stopped == "" {
		return exit.Unavailablef("%s", strings.Join(lines, "; "))
	}
	if r.failures() > 0 || len(r.ExpiredWaivers) > 0 {
		return &exit.Error{Code: exit.Failed, Err: fmt.Errorf("%d scenarios failed", r.failures())}
	}
	if r.Outcome != nil {
		return r.Outcome
	}
	if r.count(report.Passed) == 0 {
		why := fmt.Sprintf("%d skipped", r.count(report.Skipped))
		if n := r.count(report.Waived); n > 0 {
			why += fmt.Sprintf(", %d waived", n)
		}
		return exit.NothingProvenf("nothing proven: no scenario passed (%s of %d; the reasons are listed above)", why, len(r.Scenarios))
	}
	if len(r.GatesFailed) > 0 {
		return &exit.Error{Code: exit.Gate, Err: fmt.Errorf("gate not met: %s", strings.Join(r.GatesFailed, "; "))}
	}
	return nil
}

// Interrupt records that the run was stopped from outside (a signal): why, and the exit it ends with.
func (r *Result) Interrupt(why string, err error) { r.Stopped, r.stopErr = why, err }

// notJudged collapses the scenarios that were not judged to one line per provider: the first reason
// given and how many scenarios it left unjudged.
func (r *Result) notJudged() []string {
	counts, first := map[string]int{}, map[string]string{}
	var order []string
	for _, s := range r.Scenarios {
		if s.Status != report.NotJudged {
			continue
		}
		if counts[s.Provider] == 0 {
			order = append(order, s.Provider)
			first[s.Provider] = s.Message
		}
		counts[s.Provider]++
	}
	out := make([]string, 0, len(order))
	for _, p := range order {
		out = append(out, fmt.Sprintf("%s: %d scenarios not judged", first[p], counts[p]))
	}
	return out
}

func (r *Result) count(st report.Status) int {
	n := 0
	for _, s := range r.Scenarios {
		if s.Status == st {
			n++
		}
	}
	return n
}

// Providers lists the providers of the run, sorted.
func (r *Result) Providers() []string {
	var out []string
	for n := range r.Targets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DryRun prints what Run would run, scenario by scenario, and checks that every step of them has
// exactly one definition, without starting a target or sending anything. The error is an exit.Usage
// error naming each undefined or ambiguous step.
func DryRun(o Options) error {
	pl, err := o.plan()
	if err != nil {
		return err
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	var problems []string
	scenariosN, stepsN := 0, 0
	for _, s := range pl.ran {
		if !pl.tags.Match(s.Tags) {
			continue
		}
		scenariosN++
		ids := ""
		if len(s.IDs) > 0 {
			ids = "[" + strings.Join(s.IDs, " ") + "] "
		}
		fmt.Fprintf(out, "%s  %s%s\n", s.Where(), ids, s.Name)
		for _, st := range s.Steps {
			stepsN++
			switch m := steps.Match(st.Text); len(m) {
			case 1:
			case 0:
				problems = append(problems, fmt.Sprintf("%s:%d: undefined step %q (see 'conformance steps')", s.URI, st.Line, st.Text))
			default:
				var where []string
				for _, d := range m {
					where = append(where, d.Where())
				}
				problems = append(problems, fmt.Sprintf("%s:%d: ambiguous step %q matches %s", s.URI, st.Line, st.Text, strings.Join(where, ", ")))
			}
		}
	}
	fmt.Fprintf(out, "== dry run: %d scenarios of %s would run (%d steps); nothing was sent\n", scenariosN, strings.Join(pl.names, ", "), stepsN)
	if len(problems) > 0 {
		problems = slices.Compact(problems)
		for _, p := range problems {
			fmt.Fprintln(out, p)
		}
		return exit.Usagef("%d undefined or ambiguous steps: the suite is broken, not the provider", len(problems))
	}
	return nil
}
