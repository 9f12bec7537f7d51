package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/boundary"
	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/config"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/openapi"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/runner"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/internal/waiver"
	"github.com/latam-conformance/conformance/schemas"
)

const runHelp = `Usage: conformance run [flags]

Runs the Gherkin suite. Every provider with a scenario to run gets a target: an embedded mock on
127.0.0.1 with a random port, unless --base-url or the config file names another server (a
'conformance mock' in another process, or a sandbox). With --target sandbox every provider uses its
configured URL and real credentials (see 'conformance config --help'), and the control API is never
used. Every request and response is checked against schemas/; an answer beyond the documents is drift,
a warning from an external target unless --strict-drift. Scenarios tagged @control need the mock's
control API and are skipped, with the reason, against a target without one. A production host is
refused before anything is sent, unless --allow-production, and no redirect is ever followed (a 3xx
the documents do not show fails the scenario). Secrets are masked in every report, in every encoding.
An answer over 8 MiB, or JSON declared as another media type, fails. A target that stops answering
leaves its scenarios not judged (exit 3, one line per target); a run in which nothing passed is exit 4;
SIGINT, SIGTERM and --run-timeout still write every report asked for, the rest marked not judged.
Undefined or pending steps fail the run (exit 2). At the end it prints failures with their catalogue
IDs, drift, coverage of the catalogue per provider, and the documentation findings.

--boundary runs, instead of the suite, the boundary cases derived from the OpenAPI documents (see
'conformance openapi'): every request constraint at its limit and one past, left out, of the wrong
type, null, outside its enum, pattern or format, a body or file a byte over its size. Each case is
judged by the contract: accepted, or refused with a documented 4xx in the documented error shape. A
failure prints the request and a curl line. --seed N chooses the cases (the same seed, the same cases);
paths start with boundary/ (boundary/gu1/create_validation.boundary.feature).

Scenarios can be chosen by path as godog takes them: FILE, FILE:LINE (an example row's line runs
its whole outline) or a folder, relative to the feature set (features/ may be left in). --shard I/N
runs one part of the selection; --dry-run lists the selection and checks its steps, sending nothing.

Waivers file (--waivers FILE): a YAML list under 'waivers', each entry with the keys
  id        the catalogue ID whose failures are waived (KYC-11); required
  provider  the provider the ID belongs to; optional, checked when given
  reason    why the deviation is known and accepted, with a ticket; required
  expires   the last day the waiver holds, YYYY-MM-DD; required. After it the waiver fails the run
A waived failure is reported as waived; a waiver whose ID ran and passed everywhere is listed as stale.

Exit codes: 0 passed; 1 a conformance failure or an expired waiver; 2 usage or configuration, or an
undefined step; 3 a target unreachable or stopped answering, or --run-timeout; 4 nothing proven;
5 a gate not met (--min-coverage, --fail-on-skipped); 130/143 interrupted by SIGINT/SIGTERM.

Examples:
  conformance run
  conformance run --tags '@BAAS-12,@BAAS-13' --format pretty
  conformance run --base-url baas=http://127.0.0.1:8081 --junit reports/junit.xml
  conformance run --config conformance.yaml --target sandbox --tags '~@pomelo'
  conformance run features/baas/token_request.feature:10 --format pretty
  conformance run --html reports/report.html --report-json reports/report.json --min-coverage 100
  conformance run --shard 1/2 --report-json shard-1.json   # then: conformance merge shard-*.json
  conformance run --boundary --seed 7 --tags @GU1-04
`

// RunOptions are the flags of 'conformance run'.
type RunOptions struct {
	Features string
	targeting
	Tags          string
	Format        string
	Formats       multiFlag
	DryRun        bool
	StopOnFailure bool
	JUnit         string
	CucumberJSON  string
	Concurrency   int
	Random        int64
	Timeout       time.Duration
	RunTimeout    time.Duration
	StrictDrift   bool
	Record        string
	Waivers       string
	Shard         string
	ShowPII       bool
	TokenTTL      time.Duration
	Definitions   bool
	Boundary      bool
	Seed          int64
	reporting
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer, env Env, prompt func(string) (string, error)) error {
	var o RunOptions
	flags := newFlags("run", runHelp, stdout)
	flags.flags.StringVar(&o.Features, "features", "", "run the feature files under `DIR` (laid out as DIR/<provider>/*.feature) instead of the embedded suite")
	o.targeting.register(flags.flags)
	flags.flags.StringVarP(&o.Tags, "tags", "t", "", "run only scenarios matching the godog tag `EXPRESSION`, e.g. '@BAAS-12' or '~@control'")
	flags.flags.VarP(&o.Formats, "format", "f", "output `FORMAT`, repeatable as godog takes it: pretty or progress (the console; default progress), junit:FILE (junit alone: JUnit on the standard output, the console on the standard error), cucumber:FILE, html:FILE, json:FILE")
	flags.flags.BoolVarP(&o.Definitions, "definitions", "d", false, "print every step definition (as 'conformance steps' does) and exit")
	flags.flags.Bool("strict", true, "accepted for godog's users: a run is always strict (an undefined or pending step is exit 2)")
	flags.flags.StringVar(&o.JUnit, "junit", "", "write a JUnit XML report to `FILE`")
	flags.flags.BoolVar(&o.StopOnFailure, "stop-on-failure", false, "stop at the first failed scenario; those after it do not run (their IDs show as skipped)")
	flags.flags.BoolVar(&o.DryRun, "dry-run", false, "list the scenarios the selection would run and check that every step has one definition; start no target, send nothing")
	flags.flags.Bool("no-colors", true, "accepted for godog's users: the output is never coloured")
	flags.flags.StringVar(&o.CucumberJSON, "cucumber-json", "", "write a cucumber JSON report to `FILE`")
	o.reporting.register(flags.flags)
	flags.flags.StringVar(&o.Shard, "shard", "", "run only part `I/N` of the suite split into N (by feature and scenario, balanced, the same split on every machine); combine the shards' --report-json with 'conformance merge'")
	flags.flags.IntVarP(&o.Concurrency, "concurrency", "c", 0, "run at most `N` scenarios at once (0: every scenario may start at once; each provider's rate_limit and in_flight pace its requests, 10/s and 8 at once for a sandbox whose config names none)")
	flags.flags.Int64Var(&o.Random, "random", 0, "run scenarios in a random order from `SEED` (-1, or --random alone, picks one; 0 keeps file order)")
	flags.flags.Lookup("random").NoOptDefVal = "-1" // godog's --random takes an optional seed
	flags.flags.DurationVar(&o.Timeout, "timeout", 10*time.Second, "per-request `TIMEOUT` (the config file's timeout when not given; a provider's own timeout wins over both)")
	flags.flags.StringVar(&o.Record, "record", "", "write every exchange to `DIR`/exchanges.jsonl (secrets always masked, personal data masked unless --show-pii); compare two with 'conformance diff'")
	flags.flags.StringVar(&o.Waivers, "waivers", "", "known deviations in `FILE`: catalogue ID, reason, expiry date each; a waived failure is reported as waived, an expired waiver fails the run")
	flags.flags.BoolVar(&o.ShowPII, "show-pii", false, "record personal data (names, documents, contacts, birthdays) as sent, for a local debugging run; secrets stay masked")
	flags.flags.BoolVar(&o.StrictDrift, "strict-drift", false, "fail a scenario whose answers go beyond the documents (an undocumented status, member or enum value); by default that is a warning from an external target (always a failure from an embedded mock)")
	flags.flags.DurationVar(&o.RunTimeout, "run-timeout", 0, "stop the whole run after `DURATION` (exit 3; 0: the config file's run_timeout, else none)")
	flags.flags.BoolVar(&o.Boundary, "boundary", false, "run the boundary cases derived from the contract (openapi/) instead of the suite: each request constraint at its limit, one past, missing, the wrong type, null; see --seed")
	flags.flags.Int64Var(&o.Seed, "seed", 1, "the boundary cases' `SEED`: the same seed gives the same cases (with --boundary)")
	flags.flags.DurationVar(&o.TokenTTL, "token-ttl", 0, "lifetime of tokens the embedded mocks issue (`DURATION`; default 5m)")
	if err := flags.parseArgs(randomSeedArgs(args)); err != nil {
		return err
	}
	if o.Definitions {
		return stepsCmd(ctx, nil, stdout, stderr, env)
	}
	if err := o.readFormats(); err != nil {
		return err
	}
	junitOut := stdout
	if o.JUnit == "-" { // JUnit takes the standard output; the console goes to the standard error
		stdout = stderr
	}
	if o.Concurrency < 0 {
		return exit.Usagef("run: --concurrency %d: want 1 or more, or 0 for as many as the targets allow", o.Concurrency)
	}
	if o.Timeout <= 0 {
		return exit.Usagef("run: --timeout %s: want a positive duration", o.Timeout)
	}
	plan, err := o.resolve(flags, env)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	flags.flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg := plan.Config; cfg != nil {
		if !set["timeout"] && cfg.Timeout > 0 {
			o.Timeout = cfg.Timeout
		}
		if !set["run-timeout"] && cfg.RunTimeout > 0 {
			o.RunTimeout = cfg.RunTimeout
		}
	}
	if o.RunTimeout < 0 {
		return exit.Usagef("run: --run-timeout %s: want a positive duration, or 0 for none", o.RunTimeout)
	}
	red := &redact.Redactor{}
	prepare := func(names []string) error {
		if err := plan.secretsFor(plan.credentialed(names), env); err != nil {
			return err
		}
		if err := plan.checkSigners(plan.credentialed(names)); err != nil {
			return err
		}
		red.Add(plan.configuredSecrets()...)
		return nil
	}
	reg, err := loadSchemas()
	if err != nil {
		return err
	}
	cat, err := loadCatalogue()
	if err != nil {
		return err
	}
	var waivers *waiver.Set
	if o.Waivers != "" {
		if waivers, err = waiver.Load(o.Waivers, cat); err != nil {
			var probs *config.Problems
			if errors.As(err, &probs) {
				return &exit.Error{Code: exit.Usage, Err: probs} // printed whole, a line per problem
			}
			return exit.Usagef("--waivers: %v", err)
		}
	}
	var fsys fs.FS = features.FS
	name := "the embedded suite"
	var cases *boundary.Set
	if o.Boundary {
		if o.Features != "" {
			return exit.Usagef("run: --boundary runs the cases derived from the contract; it takes no --features")
		}
		if cases, err = deriveCases(reg, cat, o.Seed); err != nil {
			return err
		}
		fsys, name = cases.Features(), fmt.Sprintf("the boundary cases (seed %d)", o.Seed)
	} else if set["seed"] {
		return exit.Usagef("run: --seed chooses the boundary cases; give it with --boundary")
	} else if o.Features != "" {
		st, err := os.Stat(o.Features)
		if err != nil || !st.IsDir() {
			return exit.Usagef("run: --features %s: not a directory", o.Features)
		}
		fsys, name = os.DirFS(o.Features), o.Features
	}
	shard, err := runner.ParseShard(o.Shard)
	if err != nil {
		return exit.Usagef("run: --shard: %v", err)
	}
	gates, err := o.reporting.gates()
	if err != nil {
		return err
	}
	if shard.Count > 1 && (len(gates.MinCoverage) > 0 || gates.FailOnSkipped) {
		return exit.Usagef("run: --shard %s: a shard's coverage is part of the run's; give --min-coverage and --fail-on-skipped to 'conformance merge'", o.Shard)
	}
	featureRoot := o.Features
	if o.Boundary {
		featureRoot = "boundary"
	}
	if o.Random < -1 {
		return exit.Usagef("run: --random %d: want a seed above 0, -1 to pick one, or 0 for file order", o.Random)
	}
	ropts := runner.Options{
		Features: fsys, FeaturesName: name, FeaturesDir: featuresDir(o.Features), Schemas: reg, Catalogue: cat, BaseURLs: plan.BaseURLs,
		Mode:    targets.Mode{Sandbox: plan.Kind == config.TargetSandbox, Production: plan.Prod},
		Secrets: plan.Secrets, Settings: plan.Options, Timeouts: plan.Timeouts, RateLimits: plan.Rates, InFlight: plan.InFlight,
		RunTimeout: o.RunTimeout, Redactor: red, StrictDrift: o.StrictDrift, Record: o.Record, ShowPII: o.ShowPII,
		Waivers: waivers, Prompt: prompt, Prepare: prepare, Guard: plan.Guard,
		Tags: o.Tags, Format: o.Format, CucumberJSON: o.CucumberJSON, Shard: shard, Gates: gates,
		Reports:     o.reporting.reportsTo(o.JUnit, env, junitOut),
		Concurrency: o.Concurrency, Random: o.Random, Timeout: o.Timeout, TokenTTL: o.TokenTTL, Out: stdout,
		Paths: featurePaths(flags.flags.Args(), featureRoot), StopOnFailure: o.StopOnFailure, Boundary: cases,
	}
	if o.Boundary {
		ropts.FeaturesDir = "boundary/"
	}
	if o.DryRun {
		return runner.DryRun(ropts)
	}
	res, err := runner.Run(ctx, ropts)
	if res == nil {
		return err
	}
	summary := red.Writer(stdout)
	printSummary(summary, res) // also after an interruption or a report that could not be written: what ran is shown
	_ = summary.Flush()
	if err != nil {
		return err
	}
	verdict := res.Err()
	if exit.CodeOf(verdict) == exit.Failed {
		return finished(exit.Failed) // the summary above lists every failure
	}
	return verdict
}

// deriveCases are the boundary cases of every provider's contract for seed.
func deriveCases(reg *schema.Registry, cat *catalogue.Catalogue, seed int64) (*boundary.Set, error) {
	if seed < 0 {
		return nil, exit.Usagef("run: --seed %d: want 0 or more", seed)
	}
	src := openapi.Sources{Schemas: schemas.FS, Registry: reg, Catalogue: cat, Features: features.FS}
	cases, err := boundary.FromContract(src, seed)
	if err != nil {
		return nil, exit.Usagef("run --boundary: %v", err)
	}
	return cases, nil
}

// readFormats reads the repeatable --format as godog users write it: one console format (pretty or
// progress) and report files as KIND:FILE.
func (o *RunOptions) readFormats() error {
	console := ""
	for _, f := range o.Formats {
		kind, file, hasFile := strings.Cut(f, ":")
		var dest *string
		switch kind {
		case "pretty", "progress":
			if hasFile {
				return exit.Usagef("run: --format %s: the console formats take no file", f)
			}
			if console != "" && console != kind {
				return exit.Usagef("run: --format %s and --format %s: one console format at a time", console, kind)
			}
			console = kind
			continue
		case "junit":
			dest = &o.JUnit
			if !hasFile {
				file, hasFile = "-", true // godog writes JUnit to the standard output
			}
		case "cucumber":
			dest = &o.CucumberJSON
		case "html":
			dest = &o.HTML
		case "json":
			dest = &o.ReportJSON
		default:
			return exit.Usagef("run: --format %q: want pretty, progress, junit:FILE, cucumber:FILE, html:FILE or json:FILE", f)
		}
		if !hasFile || file == "" {
			return exit.Usagef("run: --format %s: name the file, %s:FILE", f, kind)
		}
		if *dest != "" && *dest != file {
			return exit.Usagef("run: --format %s: another file (%s) is already given for %s", f, *dest, kind)
		}
		*dest = file
	}
	if console == "" {
		console = "progress"
	}
	o.Format = console
	return nil
}

// featurePaths makes the paths given on the command line relative to the feature set's root: a path
// under --features DIR, or under features/ for the embedded suite, as a shell completes it.
func featurePaths(args []string, root string) []string {
	if root == "" {
		root = "features"
	}
	prefix := path.Clean(filepath.ToSlash(root)) + "/"
	out := make([]string, 0, len(args))
	for _, a := range args {
		a = filepath.ToSlash(a)
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(a, "./"), prefix))
	}
	return out
}

// featuresDir is how messages name the folder of the feature files: features/ for the embedded suite
// (as in the repository), or the --features folder.
func featuresDir(dir string) string {
	if dir == "" {
		return "features/"
	}
	return strings.TrimSuffix(filepath.ToSlash(dir), "/") + "/"
}

// randomSeedArgs reads "--random SEED" as "--random=SEED": --random also stands alone (godog's optional
// seed), and a seed written after it is still its value, not a feature path.
func randomSeedArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if (a == "--random" || a == "-random") && i+1 < len(args) {
			if _, err := strconv.ParseInt(args[i+1], 10, 64); err == nil {
				out = append(out, "--random="+args[i+1])
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}
