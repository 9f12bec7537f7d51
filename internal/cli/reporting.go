package cli

import (
	"fmt"
	flag "github.com/spf13/pflag"
	"io"
	"strconv"
	"strings"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/runner"
)

// reporting are the report and gate flags that run and merge share.
type reporting struct {
	HTML          string
	ReportJSON    string
	MinCoverage   multiFlag
	FailOnSkipped bool
}

func (r *reporting) register(fs *flag.FlagSet) {
	fs.StringVar(&r.HTML, "html", "", "write one self-contained HTML report to `FILE`: totals, the catalogue as ID → scenarios → result per provider, each failure with its request and answer (masked), drift, findings, waivers")
	fs.StringVar(&r.ReportJSON, "report-json", "", "write the run's facts as JSON to `FILE` (schemas/report.schema.json); 'conformance merge' combines shards' reports")
	fs.Var(&r.MinCoverage, "min-coverage", "exit 5 unless at least `PERCENT` of the required catalogue IDs are proven: 90 for all providers together, or PROVIDER=PERCENT for one (repeatable)")
	fs.BoolVar(&r.FailOnSkipped, "fail-on-skipped", false, "exit 5 when any scenario was skipped (a capability the target lacks, a credential not given), even if every other one passed")
}

// gates checks and reads --min-coverage and --fail-on-skipped.
func (r *reporting) gates() (runner.Gates, error) {
	g := runner.Gates{FailOnSkipped: r.FailOnSkipped}
	for _, v := range r.MinCoverage {
		prov, pct, found := strings.Cut(v, "=")
		if !found {
			prov, pct = "", v
		}
		if prov != "" {
			if _, err := providers.Lookup(prov); err != nil {
				return g, exit.Usagef("--min-coverage %s: %v", v, err)
			}
		}
		n, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
		if err != nil || n < 0 || n > 100 {
			return g, exit.Usagef("--min-coverage %s: want a percentage from 0 to 100, or PROVIDER=PERCENT", v)
		}
		if g.MinCoverage == nil {
			g.MinCoverage = map[string]float64{}
		}
		g.MinCoverage[prov] = n
	}
	return g, nil
}

// reports says which files to write; GITHUB_STEP_SUMMARY, when set, gets a Markdown summary appended.
func (r *reporting) reports(junit string, env Env) runner.Reports {
	return r.reportsTo(junit, env, nil)
}

// reportsTo is reports with JUnit "-" written to stdout.
func (r *reporting) reportsTo(junit string, env Env, stdout io.Writer) runner.Reports {
	return runner.Reports{JUnit: junit, HTML: r.HTML, JSON: r.ReportJSON, StepSummary: env("GITHUB_STEP_SUMMARY"), Tool: tool(), Stdout: stdout}
}

// tool names this binary in reports.
func tool() report.Tool {
	v, commit := buildVersion()
	return report.Tool{Name: "conformance", Version: v, Commit: commit}
}

// printSummary prints the console summary of a run or a merge.
func printSummary(w io.Writer, res *runner.Result) {
	sum := report.Summary{Scenarios: res.Scenarios, Coverage: res.Coverage, Elapsed: res.Elapsed, Seed: res.Seed,
		ExpiredWaivers: res.ExpiredWaivers, StaleWaivers: res.StaleWaivers, Targets: res.TargetLines}
	sum.Write(w)
	report.WriteBoundary(w, res.Boundary)
	if c := res.Connections; c.Requests > 0 {
		fmt.Fprintf(w, "Connections: %d opened for %d requests (kept alive and reused)\n", c.Opened, c.Requests)
	}
	if s := res.Shard.String(); s != "" {
		fmt.Fprintf(w, "This was shard %s: its coverage is part of the run's; 'conformance merge' combines the shards' --report-json.\n", s)
	}
	for _, g := range res.GatesFailed {
		fmt.Fprintf(w, "Gate not met: %s\n", g)
	}
}
