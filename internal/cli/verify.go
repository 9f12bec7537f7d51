package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/config"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/pactffi"
	"github.com/latam-conformance/conformance/internal/pactfile"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/runner"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/internal/verify"
	"github.com/latam-conformance/conformance/pacts"
)

const verifyHelp = `Usage: conformance verify [flags]

Verifies the Pact contracts that the consumer tests wrote (pacts/, embedded in the binary) against each
provider's target: an embedded mock by default, or --base-url / the config file's base_url. Provider
states are set through the target's control API; against a target without one (and always with
--target sandbox), interactions that need a state are skipped and say so. A production host is refused
unless --allow-production. The verifier replays the contract's requests as recorded: it does not add a
sandbox's credentials. Prints a verdict per interaction, with the mismatches of each failure. Uses the Pact FFI
(libpact_ffi 0.5.x) verifier, loaded when verify starts from the first of: $CONFORMANCE_PACT_FFI (the
file or its folder), beside this binary (or in lib/ beside it), .pact/lib in the working folder or one
above it, the system's library folders, then the system loader's own path. Without it verify exits 3
and says where it looked; no other command needs it.

Every replayed answer is also checked against the provider's schemas, as 'conformance run' checks it:
a contract body that Pact matches loosely (an expected {} matches any object) cannot hide a wrong
answer. Requests go through a loopback proxy that follows no redirect (a 3xx fails the interaction),
refuses production hosts and signs BaaS requests afresh.

Exit codes: 0 every interaction holds, 1 an interaction does not (contract mismatch or schema), 2 bad
flags or pact files, 3 a target is unreachable or the verifier could not run, 4 no interaction was
verified (every one skipped).

Examples:
  conformance verify
  conformance verify --base-url baas=http://127.0.0.1:8081 --junit reports/pact-verify.xml
`

// VerifyOptions are the flags of 'conformance verify'.
type VerifyOptions struct {
	Pacts string
	targeting
	Providers multiFlag
	JUnit     string
	Verbose   bool
	reporting reporting
}

func verifyCmd(ctx context.Context, args []string, rawStdout, stderr io.Writer, env Env) error {
	var o VerifyOptions
	flags := newFlags("verify", verifyHelp, rawStdout)
	flags.flags.StringVar(&o.Pacts, "pacts", "", "verify the pact files (*.json) in `DIR` instead of the embedded ones")
	o.targeting.register(flags.flags)
	flags.flags.Var(&o.Providers, "provider", "verify only the pacts of `PROVIDER` (repeatable; default: every pact)")
	flags.flags.StringVar(&o.JUnit, "junit", "", "write a JUnit XML report to `FILE`")
	flags.flags.StringVar(&o.reporting.HTML, "html", "", "write one self-contained HTML report to `FILE`: totals, each interaction's verdict by the catalogue IDs its description names, each failure's mismatches")
	flags.flags.StringVar(&o.reporting.ReportJSON, "report-json", "", "write the verification's facts as JSON to `FILE` (schemas/report.schema.json)")
	flags.flags.BoolVar(&o.Verbose, "verbose", false, "also print the Pact verifier's own output")
	if err := parse(flags, args); err != nil {
		return err
	}
	plan, err := o.resolve(flags, env)
	if err != nil {
		return err
	}
	dir := o.Pacts
	if dir == "" {
		tmp, err := os.MkdirTemp("", "conformance-pacts-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := copyFS(pacts.FS, tmp); err != nil {
			return err
		}
		dir = tmp
	}
	list, err := pactfile.ReadDir(dir)
	if err != nil {
		return exit.Usagef("verify: %v", err)
	}
	only := map[string]bool{}
	for _, name := range o.Providers {
		if _, err := providers.Lookup(name); err != nil {
			return exit.Usagef("verify: --provider: %v", err)
		}
		only[name] = true
	}
	var names []string
	var selected []*pactfile.Pact
	for _, p := range list {
		prov, err := verify.ProviderFor(p.Provider.Name)
		if err != nil {
			return exit.Usagef("verify: %s: %v", filepath.Base(p.Path), err)
		}
		if len(only) > 0 && !only[prov.Name] {
			continue
		}
		names = append(names, prov.Name)
		selected = append(selected, p)
	}
	if len(selected) == 0 {
		return exit.Usagef("verify: no pact for %s", strings.Join(o.Providers, ", "))
	}
	list = selected
	cat, err := loadCatalogue()
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := pactffi.Load(); err != nil { // one line per place looked in, so not through oneLine
		fmt.Fprintf(stderr, "conformance: verify: %v\n", err)
		// Every report asked for is still written: each interaction not judged, with the cause.
		why, _, _ := strings.Cut(err.Error(), ";")
		var results []report.Scenario
		for _, p := range list {
			for _, in := range p.Interactions {
				results = append(results, report.Scenario{Name: in.Description, Feature: filepath.Base(p.Path), Provider: p.Provider.Name,
					Tags: idTags(in.Description), Status: report.NotJudged, Message: "the Pact verifier could not run: " + why})
			}
		}
		if err := o.writeReports(results, nil, dedupe(names), start, cat, env); err != nil {
			return err
		}
		return finished(exit.Unavailable)
	}
	reg, err := loadSchemas()
	if err != nil {
		return err
	}
	names = dedupe(names)
	urls := map[string]string{}
	for _, n := range names {
		if u, ok := plan.BaseURLs[n]; ok {
			urls[n] = u
		}
	}
	// The embedded mocks accept both BaaS signing schemes: the contract holds BAAS-16 and BAAS-17 calls.
	set, err := targets.Start(ctx, names, urls, mock.Config{Schemas: reg, BaaSSigning: []string{"claims", "qit"}},
		targets.Mode{Sandbox: plan.Kind == config.TargetSandbox, Production: plan.Prod, Guard: plan.Guard})
	if err != nil {
		return err
	}
	defer set.Close()
	if err := plan.secretsFor(names, env); err != nil {
		return err
	}
	// The verifier's own output quotes requests, signatures included: everything printed is masked.
	red := &redact.Redactor{}
	red.Add(plan.configuredSecrets()...)
	for _, p := range list { // the contracts' recorded signatures, which the verifier's output quotes
		for _, in := range p.Interactions {
			red.Add(in.Signatures()...)
		}
	}
	out := red.Writer(rawStdout)
	defer func() { _ = out.Flush() }()
	var stdout io.Writer = out
	signers := map[string]providers.RequestSigner{}
	for _, n := range names {
		prov, _ := providers.Lookup(n)
		if prov.Signer == nil {
			continue
		}
		s, err := prov.Signer(plan.secretsOf(n))
		if err != nil {
			return exit.Usagef("verify: %s credentials: %v", n, err)
		}
		signers[n] = func(req *http.Request, body []byte) error {
			err := s(req, body)
			red.Add(req.Header.Get("Authorization")) // a fresh signature is a secret the report must not quote
			return err
		}
	}
	res, err := verify.Run(ctx, list, set, verify.Options{Signers: signers, Schemas: reg, Guard: plan.Guard, Seen: red.Add})
	if err != nil {
		return err
	}
	if o.Verbose {
		for _, out := range res.Output {
			fmt.Fprintln(stdout, out)
		}
	}
	var results []report.Scenario
	counts := map[report.Status]int{}
	current := ""
	for _, in := range res.Interactions {
		if in.Pact != current {
			current = in.Pact
			t := set.ByName[in.Provider]
			fmt.Fprintf(stdout, "%s against %s at %s\n", in.Pact, in.Provider, t.BaseURL)
		}
		mark := map[report.Status]string{report.Passed: "ok  ", report.Failed: "FAIL", report.Skipped: "skip"}[in.Status]
		given := ""
		if len(in.States) > 0 {
			given = " [given " + strings.Join(in.States, "; ") + "]"
		}
		fmt.Fprintf(stdout, "  %s %s%s\n", mark, in.Description, given)
		for _, m := range in.Mismatches {
			fmt.Fprintf(stdout, "         %s\n", m)
		}
		if in.Reason != "" {
			fmt.Fprintf(stdout, "         %s\n", in.Reason)
		}
		counts[in.Status]++
		msg := in.Reason
		if len(in.Mismatches) > 0 {
			msg = strings.Join(in.Mismatches, "\n")
		}
		results = append(results, report.Scenario{Name: in.Description, Feature: in.Pact, Provider: in.Provider,
			Tags: idTags(in.Description), Status: in.Status, Message: red.String(msg)})
	}
	fmt.Fprintf(stdout, "== verify: %d interactions: %d passed, %d failed, %d skipped (%s)\n", len(res.Interactions),
		counts[report.Passed], counts[report.Failed], counts[report.Skipped], time.Since(start).Round(time.Millisecond))
	if err := o.writeReports(results, set, names, start, cat, env); err != nil {
		return err
	}
	if res.Failed() > 0 {
		return finished(exit.Failed)
	}
	if counts[report.Passed] == 0 {
		return exit.NothingProvenf("verify: nothing proven: no interaction was verified (%d skipped of %d; the reasons are listed above)",
			counts[report.Skipped], len(res.Interactions))
	}
	return nil
}

// writeReports writes every report asked for: JUnit, and the HTML, JSON and job summary a run writes.
func (o VerifyOptions) writeReports(results []report.Scenario, set *targets.Set, names []string, start time.Time, cat *catalogue.Catalogue, env Env) error {
	if o.JUnit != "" {
		if err := report.WriteJUnitFile(o.JUnit, "pact-verify", results, time.Since(start)); err != nil {
			return exit.Usagef("verify: --junit %s: %v", o.JUnit, err)
		}
	}
	return o.reporting.reports("", env).Write(verified(cat, results, set, names, start), cat)
}

// verified is a verification as a run's result, for the HTML, JSON and job summary reports: each
// interaction a scenario of its pact file, tagged with the catalogue IDs its description names, and the
// coverage of those IDs.
func verified(cat *catalogue.Catalogue, results []report.Scenario, set *targets.Set, names []string, start time.Time) *runner.Result {
	res := &runner.Result{Scenarios: results, Started: start, Elapsed: time.Since(start)}
	for _, s := range results {
		var ids []string
		for _, t := range s.Tags {
			ids = append(ids, strings.TrimPrefix(t, "@"))
		}
		res.Parsed = append(res.Parsed, featureset.Scenario{Name: s.Name, URI: s.Feature, Tags: s.Tags, IDs: ids, Provider: s.Provider})
	}
	if set != nil { // nil: the verifier never ran, no target was started
		for _, n := range names {
			t := set.ByName[n]
			res.TargetLines = append(res.TargetLines, report.TargetLine{Provider: n, BaseURL: t.BaseURL, Embedded: t.Embedded, Control: t.Control})
		}
	}
	res.Coverage = report.Coverage(cat, res.Parsed, results, names)
	return res
}

// idTags turns the catalogue IDs that lead an interaction description ("BAAS-12: ...") into tags.
func idTags(desc string) []string {
	head, _, ok := strings.Cut(desc, ":")
	if !ok {
		return nil
	}
	var out []string
	for _, f := range strings.Fields(head) {
		out = append(out, "@"+f)
	}
	return out
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// copyFS writes the embedded pact files to dir: the FFI reads pacts from paths.
func copyFS(src fs.FS, dir string) error {
	files, err := fs.Glob(src, "*.json")
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := fs.ReadFile(src, f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
