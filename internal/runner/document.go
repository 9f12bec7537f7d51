package runner

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/record"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/waiver"
)

// Gates are conditions beyond conformance that a run must meet; one not met exits 5.
type Gates struct {
	// MinCoverage is the least percentage of required catalogue IDs proven, per provider ("" for all
	// the run's providers together).
	MinCoverage map[string]float64
	// FailOnSkipped: a skipped scenario (a capability the target lacks, a missing credential) fails the
	// gate instead of only being reported.
	FailOnSkipped bool
}

// check lists each gate r does not meet.
func (g Gates) check(r *Result) []string {
	var out []string
	if len(g.MinCoverage) > 0 {
		var proven, required int
		for _, pc := range r.Coverage {
			proven += pc.Proven
			required += pc.Required
		}
		for _, k := range slices.Sorted(maps.Keys(g.MinCoverage)) {
			want := g.MinCoverage[k]
			if k == "" {
				if got := report.Percent(proven, required); got < want {
					out = append(out, fmt.Sprintf("--min-coverage %g: %d of %d required catalogue IDs proven (%.1f%%)", want, proven, required, got))
				}
				continue
			}
			found := false
			for _, pc := range r.Coverage {
				if pc.Provider != k {
					continue
				}
				found = true
				if got := report.Percent(pc.Proven, pc.Required); got < want {
					out = append(out, fmt.Sprintf("--min-coverage %s=%g: %d of %d required %s IDs proven (%.1f%%)", k, want, pc.Proven, pc.Required, k, got))
				}
			}
			if !found {
				out = append(out, fmt.Sprintf("--min-coverage %s=%g: no %s scenario ran (0%%)", k, want, k))
			}
		}
	}
	if g.FailOnSkipped {
		if n := r.count(report.Skipped); n > 0 {
			out = append(out, fmt.Sprintf("--fail-on-skipped: %d scenarios skipped (each with its reason in the report)", n))
		}
	}
	return out
}

// document is the run's facts for --report-json, --html, the job summary and `conformance merge`.
func (r *Result) document(tool report.Tool, cat *catalogue.Catalogue) *report.Document {
	d := &report.Document{Version: report.DocumentVersion, Tool: tool, Started: r.Started.UTC(),
		ElapsedMS: r.Elapsed.Milliseconds(), Seed: r.Seed, Shard: r.Shard.String(), Stopped: r.Stopped,
		Totals: report.CountTotals(r.Scenarios), Targets: r.TargetLines, Scenarios: report.ScenarioDocs(r.Scenarios),
		Parsed: report.ParsedDocs(r.Parsed), Gates: r.GatesFailed, Boundary: r.Boundary}
	if d.Targets == nil {
		d.Targets = []report.TargetLine{}
	}
	d.FillCoverage(cat, r.Coverage)
	err := r.Err()
	d.Exit = exit.CodeOf(err)
	d.Verdict = "every scenario that ran passed"
	if err != nil {
		d.Verdict = oneLine(err.Error())
	}
	if r.waivers != nil {
		d.Waivers.File = r.waivers.Path
		for _, w := range r.waivers.List {
			d.Waivers.List = append(d.Waivers.List, report.WaiverDoc{ID: w.ID, Reason: w.Reason, Expires: w.Expires.Format("2006-01-02"), Line: w.Line})
		}
	}
	d.Waivers.Expired, d.Waivers.Stale = r.ExpiredWaivers, r.StaleWaivers
	return d
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Reports are the files a run or a merge writes from its document.
type Reports struct {
	JUnit       string // JUnit XML
	HTML        string // one self-contained page
	JSON        string // the document itself
	StepSummary string // a Markdown summary appended here (GITHUB_STEP_SUMMARY)
	Tool        report.Tool
	Stdout      io.Writer // where JUnit "-" goes (godog's -f junit)
}

// Write writes the reports asked for of a run or a merge; the first error names its flag.
func (rep Reports) Write(r *Result, cat *catalogue.Catalogue) error {
	if rep.JUnit != "" {
		if err := report.WriteJUnit(rep.JUnit, rep.Stdout, "conformance", r.Scenarios, r.Elapsed); err != nil {
			return exit.Usagef("--junit %s: %v", rep.JUnit, err)
		}
	}
	if rep.HTML == "" && rep.JSON == "" && rep.StepSummary == "" {
		return nil
	}
	d := r.document(rep.Tool, cat)
	if rep.JSON != "" {
		if err := report.WriteJSONFile(rep.JSON, d); err != nil {
			return exit.Usagef("--report-json %s: %v", rep.JSON, err)
		}
	}
	if rep.HTML != "" {
		if err := report.WriteHTMLFile(rep.HTML, d); err != nil {
			return exit.Usagef("--html %s: %v", rep.HTML, err)
		}
	}
	if rep.StepSummary != "" {
		if err := report.AppendMarkdown(rep.StepSummary, d); err != nil {
			// the job summary is a courtesy: a run's verdict does not depend on it
			fmt.Fprintf(os.Stderr, "conformance: GITHUB_STEP_SUMMARY %s: %v\n", rep.StepSummary, err)
		}
	}
	return nil
}

// Merge combines the JSON reports of the shards of one split run into the result a single run would
// have given: the same scenarios, coverage, waivers and verdict. Every shard 1..N must be there once.
func Merge(docs []*report.Document, names []string, cat *catalogue.Catalogue, gates Gates) (*Result, error) {
	if len(docs) == 0 {
		return nil, exit.Usagef("merge: no report to merge")
	}
	if err := checkShards(docs, names); err != nil {
		return nil, err
	}
	res, providers, err := combine(docs, names)
	if err != nil {
		return nil, err
	}
	res.Parsed = docs[0].ParsedScenarios()
	if err := res.mergeWaivers(docs[0], names[0]); err != nil {
		return nil, err
	}
	res.Coverage = report.Coverage(cat, res.Parsed, res.Scenarios, providers)
	res.GatesFailed = gates.check(res)
	if res.Stopped != "" {
		// A shard that stopped early left scenarios unjudged: the merged run is not green, whatever passed.
		res.stopErr = exit.Unavailablef("a shard stopped early (%s): the merged reports hold what finished, the rest marked not judged", res.Stopped)
	}
	return res, nil
}

// checkShards refuses reports that are not the shards 1..N of one split of one feature set, each once:
// a merge of part of a run would under-report it.
func checkShards(docs []*report.Document, names []string) error {
	featureSet := func(d *report.Document) string {
		var b strings.Builder
		for _, p := range d.Parsed {
			fmt.Fprintf(&b, "%s:%d:%s\n", p.Feature, p.Line, p.Name)
		}
		return b.String()
	}
	first, n := featureSet(docs[0]), 0
	seen := map[int]string{}
	for i, d := range docs {
		sh, err := ParseShard(d.Shard)
		if err != nil {
			return exit.Usagef("merge: %s: %v", names[i], err)
		}
		if sh.Count == 0 {
			sh = Shard{Index: 1, Count: 1}
		}
		if n == 0 {
			n = sh.Count
		}
		switch prev, dup := seen[sh.Index]; {
		case sh.Count != n:
			return exit.Usagef("merge: %s is shard %s, %s is of a split into %d", names[i], d.Shard, names[0], n)
		case dup:
			return exit.Usagef("merge: %s and %s are both shard %s", prev, names[i], d.Shard)
		case featureSet(d) != first:
			return exit.Usagef("merge: %s ran another feature set than %s", names[i], names[0])
		}
		seen[sh.Index] = names[i]
	}
	for i := 1; i <= n; i++ {
		if _, ok := seen[i]; !ok {
			return exit.Usagef("merge: shard %d/%d is missing: a merge of part of a split run would under-report it", i, n)
		}
	}
	return nil
}

// combine puts the shards' scenarios, targets and times together, and lists their providers. A
// scenario that ran in two shards is refused.
func combine(docs []*report.Document, names []string) (*Result, []string, error) {
	res := &Result{Started: docs[0].Started}
	var providers []string
	ranIn := map[string]string{}
	for i, d := range docs {
		for _, s := range d.Results() {
			k := fmt.Sprintf("%s:%d:%s", s.Feature, s.Line, s.Name)
			if prev, dup := ranIn[k]; dup {
				return nil, nil, exit.Usagef("merge: %s ran in %s and in %s: the shards overlap", k, prev, names[i])
			}
			ranIn[k] = names[i]
			res.Scenarios = append(res.Scenarios, s)
		}
		for _, p := range d.Providers {
			if !slices.Contains(providers, p.Provider) {
				providers = append(providers, p.Provider)
			}
		}
		for _, t := range d.Targets {
			if !slices.ContainsFunc(res.TargetLines, func(o report.TargetLine) bool { return o.Provider == t.Provider }) {
				res.TargetLines = append(res.TargetLines, t)
			}
		}
		// Shards run side by side: the merged run took as long as the longest, from the earliest start.
		res.Elapsed = max(res.Elapsed, time.Duration(d.ElapsedMS)*time.Millisecond)
		if d.Started.Before(res.Started) {
			res.Started = d.Started
		}
		if d.Stopped != "" {
			res.Stopped = strings.TrimPrefix(res.Stopped+"; "+names[i]+": "+d.Stopped, "; ")
		}
	}
	sort.SliceStable(res.Scenarios, func(i, j int) bool {
		a, b := res.Scenarios[i], res.Scenarios[j]
		if a.Feature != b.Feature {
			return a.Feature < b.Feature
		}
		return a.Line < b.Line
	})
	sort.Slice(res.TargetLines, func(i, j int) bool { return res.TargetLines[i].Provider < res.TargetLines[j].Provider })
	return res, providers, nil
}

// mergeWaivers takes the waiver file the shards ran with (the first report's) and judges staleness on
// every shard's scenarios together: a waiver that matched no failure in one shard may match one in
// another.
func (r *Result) mergeWaivers(d *report.Document, name string) error {
	w := d.Waivers
	if len(w.List) == 0 {
		return nil
	}
	set := &waiver.Set{Path: w.File}
	for _, wd := range w.List {
		exp, err := time.Parse("2006-01-02", wd.Expires)
		if err != nil {
			return exit.Usagef("merge: %s: waiver %s: expires %q: %v", name, wd.ID, wd.Expires, err)
		}
		set.List = append(set.List, waiver.Waiver{ID: wd.ID, Reason: wd.Reason, Expires: exp, Line: wd.Line})
	}
	r.waivers, r.ExpiredWaivers = set, w.Expired
	r.StaleWaivers = r.staleWaivers(set, d.Started)
	return nil
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
