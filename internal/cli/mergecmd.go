package cli

import (
	"context"
	"io"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/runner"
)

const mergeHelp = `Usage: conformance merge [flags] SHARD.json...

Combines the JSON reports (--report-json) of the shards of one run split with --shard I/N, for example
by a CI matrix, into the reports a single run would have written: JUnit, HTML, JSON and, with
GITHUB_STEP_SUMMARY set, the job summary. Coverage is computed again over every shard's scenarios, so
it is the coverage one run would give; gates (--min-coverage, --fail-on-skipped) are checked here,
on the whole. Every shard 1..N must be given exactly once, all from the same feature set.

Exit codes: as 'conformance run' for the merged result (0 passed, 1 failed, 2 undefined steps or bad
reports, 3 not judged, 4 nothing proven, 5 a gate not met).

Example:
  conformance run --shard 1/2 --report-json shard-1.json
  conformance run --shard 2/2 --report-json shard-2.json
  conformance merge --min-coverage 100 --html report.html --junit junit.xml shard-1.json shard-2.json
`

func mergeCmd(_ context.Context, args []string, stdout, _ io.Writer, env Env) error {
	var rep reporting
	var junit string
	flags := newFlags("merge", mergeHelp, stdout)
	flags.flags.StringVar(&junit, "junit", "", "write the merged JUnit XML report to `FILE`")
	rep.register(flags.flags)
	if err := flags.parseArgs(args); err != nil {
		return err
	}
	if flags.flags.NArg() == 0 {
		return exit.Usagef("merge: want the shards' JSON reports (see 'conformance merge --help')")
	}
	gates, err := rep.gates()
	if err != nil {
		return err
	}
	var docs []*report.Document
	for _, name := range flags.flags.Args() {
		d, err := report.ReadJSONFile(name)
		if err != nil {
			return exit.Usagef("merge: %v", err)
		}
		docs = append(docs, d)
	}
	cat, err := loadCatalogue()
	if err != nil {
		return err
	}
	res, err := runner.Merge(docs, flags.flags.Args(), cat, gates)
	if err != nil {
		return err
	}
	if err := rep.reports(junit, env).Write(res, cat); err != nil {
		return err
	}
	printSummary(stdout, res)
	verdict := res.Err()
	if exit.CodeOf(verdict) == exit.Failed {
		return finished(exit.Failed) // the summary lists every failure
	}
	return verdict
}
