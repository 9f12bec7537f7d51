package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/boundary"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/record"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/internal/waiver"
)

// judge turns what the scenarios reported into the run's result: each in its place, waivers applied,
// coverage of the catalogue, texts masked, gates checked, and why the run stopped early if it did.
func (o Options) judge(ctx context.Context, pl *plan, set *targets.Set, ex *execution, status int, start time.Time) (*Result, error) {
	res := &Result{Scenarios: ex.deps.Results.Results(), Targets: set.ByName, Elapsed: time.Since(start), Seed: o.Random,
		Stopped: stopReason(ctx, o.RunTimeout), Started: start, Shard: o.Shard, Parsed: pl.scenarios, waivers: o.Waivers,
		Connections: ex.pool.counts(), AtOnce: ex.atOnce}
	for _, p := range slices.Sorted(maps.Keys(set.ByName)) {
		t := set.ByName[p]
		res.TargetLines = append(res.TargetLines, report.TargetLine{Provider: p, BaseURL: o.Redactor.String(t.BaseURL), Embedded: t.Embedded, Control: t.Control,
			Limits: o.limits(p, t)})
	}
	if len(res.Scenarios) == 0 && res.Stopped == "" {
		return nil, exit.NothingProvenf("nothing proven: godog ran no scenario of %s (status %d); see the output above", o.FeaturesName, status)
	}
	placeLines(res.Scenarios, pl.ran)
	res.Boundary = boundaryFigures(o.Boundary, res.Scenarios)
	if status != 0 && res.failures() == 0 && res.count(report.NotJudged) == 0 {
		// godog saw a failure our hooks did not (a hook error before the World existed): never a false green.
		res.Scenarios = append(res.Scenarios, report.Scenario{Name: "(suite)", Status: report.Failed,
			Message: "godog reported a failure that no scenario result explains; see the output above"})
	}
	res.applyWaivers(o.Waivers, o.Now)
	res.Coverage = report.Coverage(o.Catalogue, pl.scenarios, res.Scenarios, pl.names)
	maskResults(res.Scenarios, o.Redactor)
	if o.Shard.Count == 0 { // a shard's coverage is partial: its gates are checked by conformance merge
		res.GatesFailed = o.Gates.check(res)
	}
	if res.Stopped != "" {
		res.stopErr = stopError(ctx, o.RunTimeout, len(res.Scenarios)-res.count(report.NotJudged))
	}
	return res, nil
}

// unreached is the result of a run whose targets could not be reached at the start: every scenario it
// would have run is not judged, with the cause, and every report asked for is still written (a shard's
// JSON too, so that 'merge' names the cause rather than a missing shard). It ends with err (exit 3).
func (o Options) unreached(pl *plan, start time.Time, cause error) (*Result, error) {
	why := oneLine(cause.Error())
	baseURLs := o.targetURLs(pl)
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

// boundaryFigures counts a boundary run's cases per provider, and how its scenarios fared.
func boundaryFigures(set *boundary.Set, scenarios []report.Scenario) *report.BoundaryDoc {
	if set == nil {
		return nil
	}
	doc := &report.BoundaryDoc{Seed: set.Seed}
	for _, c := range set.Counts() {
		line := report.BoundaryCount{Provider: c.Provider, Constraints: c.Constraints, Cases: c.Cases, Accept: c.Accept, Refuse: c.Refuse}
		for _, s := range scenarios {
			if s.Provider != c.Provider {
				continue
			}
			switch s.Status {
			case report.Passed:
				line.Passed++
			case report.Failed, report.Undefined:
				line.Failed++
			default:
				line.Other++
			}
		}
		doc.Providers = append(doc.Providers, line)
	}
	return doc
}
