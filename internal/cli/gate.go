package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/gate"
	"github.com/latam-conformance/conformance/internal/mock"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
	mockpomelo "github.com/latam-conformance/conformance/internal/mock/pomelo"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/runner"
	"github.com/latam-conformance/conformance/internal/schema"
)

const gateHelp = `Usage: conformance gate [flags] -- COMMAND [ARG...]

Gates a release of your own client, in any language, on the providers' documented contract. It starts
every mock provider on loopback (or uses a running 'conformance mock' named by --base-url), runs COMMAND
(your client's test suite) with each provider's URL and fixture credentials in its environment, then
judges every request your client sent against the catalogue's request-side rules: signing schemes and
their claims, required headers, required members, formats and limits, media types, methods and paths
(an undocumented path names the nearest documented one), OAuth token use.

COMMAND's environment gets, for each provider (BAAS, POMELO, GU1, PERSONALINFO):
  CONFORMANCE_<PROVIDER>_URL            the mock's base URL
  CONFORMANCE_<PROVIDER>_<CREDENTIAL>   each fixture credential, upper-cased: CONFORMANCE_GU1_API_KEY,
                                        CONFORMANCE_BAAS_PRIVATE_KEY (PEM), CONFORMANCE_POMELO_CLIENT_ID, ...
  CONFORMANCE_ENV_FILE                  the same as KEY="VALUE" lines (newlines as \n), for tools that read
                                        an env file (dotenv)

The verdict is per catalogue ID: followed (an accepted call of an operation it governs), broken (the
call and the mock's answer shown, credentials masked) or not exercised, then each documented operation
the client never called. Every refusal also tells the client itself which rule it broke: the headers
Conformance-Catalogue-Ids and Conformance-Rule, and the error body where the provider's shape has room.
Where the documents do not forbid what the client did (a JWT library's iat, exp, nbf or jti in a QIT
encoded_body), or disagree and the client followed one of them (DOC-01, DOC-09, DOC-12, DOC-13, DOC-17),
the call is accepted and the leniency noted (Conformance-Note) beside its ID.

--fault injects faults into a provider's calls or webhooks while COMMAND runs, to exercise the client's
resilience: 429 and 503 with Retry-After, 500, slow answers, resets, an OAuth token expired mid-flow,
webhooks delivered twice, late or out of order. The verdict lists each fault, how often it was
injected, and whether COMMAND still passed. On a shared mock (--base-url), the gate's faults and
journal are its tenant's: the fixture credential's, or --tenant's.

Exit codes:
  0  every rule the client's calls exercised was followed
  1  a rule was broken (this wins over the command's own failure: it is the likelier cause)
  2  usage: bad flags, no COMMAND
  3  infrastructure: a mock could not start, a --base-url target has no journal, the journal let calls go
  4  nothing exercised: COMMAND sent no request to any mock
  6  every rule held, but COMMAND itself failed (exited non-zero, or could not start)
  130, 143  interrupted (SIGINT, SIGTERM): COMMAND is stopped, the reports are still written

Examples:
  conformance gate -- npm test
  conformance gate --junit reports/client.xml -- mvn -q test
  conformance gate --base-url gu1=http://127.0.0.1:8083 --provider gu1 -- mix test
  conformance gate --fault pomelo:429:first=2 --fault gu1:webhook-duplicate:every=1 -- npm test
`

// GateOptions are the flags of 'conformance gate'.
type GateOptions struct {
	BaseURLs       multiFlag
	Providers      multiFlag
	BaaSSigning    string
	EnvFile        string
	JUnit          string
	CommandTimeout time.Duration
	Faults         multiFlag
	Tenants        multiFlag
	Readings       string
	reporting      reporting
	controlToken   string // $CONFORMANCE_CONTROL_TOKEN, for a --base-url mock started with one
}

func gateCmd(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) error {
	var o GateOptions
	flags := newFlags("gate", gateHelp, stdout)
	flags.flags.SetInterspersed(false)
	flags.flags.Var(&o.BaseURLs, "base-url", "`PROVIDER=URL`: judge the calls made to a running 'conformance mock' there instead of starting that provider's mock (repeatable)")
	flags.flags.Var(&o.Tenants, "tenant", "`PROVIDER=TENANT`: judge the calls made with another credential of a shared mock (the OAuth client id, the API-CLIENT-KEY, the organisation's API key, the integration token); default: the fixture credential's, the one COMMAND is given (repeatable)")
	flags.flags.Var(&o.Providers, "provider", "gate on `NAME` only (repeatable); default: every provider the client sent anything to")
	flags.flags.StringVar(&o.BaaSSigning, "baas-signing", "claims,qit", "the request-signing `SCHEMES` the started BaaS mock accepts: claims,qit (BAAS-16 and BAAS-17's string_to_sign: either reading of DOC-17) or claims")
	flags.flags.StringVar(&o.Readings, "readings", "either", "`READING`: either, a client that follows either reading of a documentation contradiction (DOC-12's is_pep left out, DOC-13's three-character area_code) is accepted and noted; or harness, held to the harness's reading, as 'run' holds a target")
	flags.flags.StringVar(&o.EnvFile, "env-file", "", "also write the command's CONFORMANCE_* variables to `FILE` (KEY=\"VALUE\" lines); default: a temporary file, named by CONFORMANCE_ENV_FILE")
	flags.flags.StringVar(&o.JUnit, "junit", "", "write JUnit XML to `FILE`: one testcase per catalogue ID the verdict covers")
	flags.flags.DurationVar(&o.CommandTimeout, "command-timeout", 0, "stop COMMAND after `DURATION` (it then counts as failed); default: no limit")
	flags.flags.StringVar(&o.reporting.HTML, "html", "", "write one self-contained HTML report to `FILE`")
	flags.flags.StringVar(&o.reporting.ReportJSON, "report-json", "", "write the verdict's facts as JSON to `FILE` (schemas/report.schema.json)")
	flags.flags.Var(&o.Faults, "fault", "inject a fault, `PROVIDER:KIND[:OPTION=VALUE...]` with options first=N, every=N or percent=P (seed=S), delay=D, op=OPERATION, while the command runs (repeatable): KIND is 429, 500, 503, slow, reset, expire-token (pomelo), webhook-duplicate, webhook-late or webhook-reorder (pomelo, gu1)")
	if err := flags.parseArgs(args); err != nil {
		return err
	}
	faults, err := faultFlags("gate", o.Faults)
	if err != nil {
		return err
	}
	command := flags.flags.Args()
	if len(command) == 0 {
		return exit.Usagef("gate: no COMMAND: write it after --, e.g. 'conformance gate -- npm test'")
	}
	o.controlToken = env(controlTokenEnv)
	for _, p := range o.Providers {
		if _, err := providers.Lookup(p); err != nil {
			return exit.Usagef("gate: --provider %s: %v", p, err)
		}
	}
	if o.CommandTimeout < 0 {
		return exit.Usagef("gate: --command-timeout %s: want a positive duration", o.CommandTimeout)
	}
	reg, err := loadSchemas()
	if err != nil {
		return err
	}
	cat, err := loadCatalogue()
	if err != nil {
		return err
	}
	mocks, err := o.startMocks(reg)
	if err != nil {
		return err
	}
	defer mocks.close()
	red := &redact.Redactor{}
	red.Add(o.controlToken)
	vars := mocks.environment(red)
	envFile, cleanup, err := writeEnvFile(o.EnvFile, vars)
	if err != nil {
		return err
	}
	defer cleanup()
	vars = append(vars, "CONFORMANCE_ENV_FILE="+envFile)
	if err := mocks.mark(ctx); err != nil {
		return err
	}
	if err := mocks.setFaults(ctx, faults); err != nil {
		return err
	}

	started := time.Now()
	outcome := runCommand(ctx, command, vars, o.CommandTimeout, stdout, stderr)
	traffic, err := mocks.read(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	res := gate.Judge(traffic, gate.Options{Catalogue: cat, Schemas: reg, Providers: o.Providers, Redactor: red,
		Started: started, Elapsed: time.Since(started), CommandPassed: outcome.ok()})
	reports := o.reporting.reports(o.JUnit, env)
	judgeOutcome(res, traffic, outcome)
	werr := reports.Write(res, cat)
	summary := red.Writer(stdout)
	printSummary(summary, res)
	printNoted(summary, res)
	printFaults(summary, res)
	fmt.Fprintf(summary, "Command: %s %s after %s\n", strings.Join(command, " "), outcome.describe(), outcome.elapsed.Round(time.Millisecond))
	_ = summary.Flush()
	if werr != nil {
		return werr
	}
	verdict := res.Err()
	if exit.CodeOf(verdict) == exit.Failed {
		return finished(exit.Failed) // the summary above lists every broken rule
	}
	return verdict
}

// printNoted lists the leniencies the mocks granted: what the documents do not forbid, accepted.
func printNoted(w io.Writer, res *runner.Result) {
	var notes []string
	for _, s := range res.Scenarios {
		for _, n := range s.Notes {
			if !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	if len(notes) == 0 {
		return
	}
	fmt.Fprintln(w, "Noted (accepted: the documents do not forbid it, or two of them disagree and the client followed one):")
	for _, n := range notes {
		fmt.Fprintf(w, "  - %s\n", n)
	}
}

// printFaults lists each fault injected while the command ran: how often, and whether the command
// still passed.
func printFaults(w io.Writer, res *runner.Result) {
	first := true
	for _, s := range res.Scenarios {
		if !slices.Contains(s.Tags, "@fault") {
			continue
		}
		if first {
			fmt.Fprintln(w, "Faults:")
			first = false
		}
		fmt.Fprintf(w, "  - %s %s: %s\n", s.Provider, s.Name, s.Message)
	}
}

// judgeOutcome adds to the verdict what the scenarios cannot say: an interruption, the command's own
// failure, a command that sent nothing. Result.Err then orders them: an interruption, infrastructure
// (calls not judged), a broken rule, the command's failure, nothing exercised.
func judgeOutcome(res *runner.Result, traffic []gate.Traffic, outcome commandOutcome) {
	if outcome.signal != nil {
		res.Interrupt("the gate was "+outcome.signal.Error(), outcome.signal)
		return
	}
	if !outcome.ok() {
		res.Outcome = &exit.Error{Code: exit.CommandFailed, Err: fmt.Errorf("every rule the client exercised held, but its command %s", outcome.describe())}
		return
	}
	calls := 0
	for _, t := range traffic {
		calls += len(t.Entries)
	}
	if calls == 0 {
		res.Outcome = exit.NothingProvenf("nothing exercised: the command sent no request to any mock (does it read CONFORMANCE_<PROVIDER>_URL?)")
	}
}

// gateMocks are the providers' mocks the command talks to: started here, or running elsewhere.
type gateMocks struct {
	list    []gateMock
	servers []*mock.Server
	hc      *http.Client
}

type gateMock struct {
	provider providers.Provider
	url      string
	embedded bool
	since    int64
	tenant   string // whose calls are judged (mock.TenantHeader); "" for the fixture credential's
}

func (o *GateOptions) startMocks(schemas *schema.Registry) (*gateMocks, error) {
	given := map[string]string{}
	for _, b := range o.BaseURLs {
		name, u, ok := strings.Cut(b, "=")
		if !ok || name == "" || u == "" {
			return nil, exit.Usagef("gate: --base-url %q: want PROVIDER=URL", b)
		}
		if _, err := providers.Lookup(name); err != nil {
			return nil, exit.Usagef("gate: --base-url %q: %v", b, err)
		}
		given[name] = strings.TrimSuffix(u, "/")
	}
	signing := strings.Split(o.BaaSSigning, ",")
	if _, err := mockbaas.Schemes(signing); err != nil {
		return nil, exit.Usagef("gate: --baas-signing %q: %v", o.BaaSSigning, err)
	}
	if o.Readings != "either" && o.Readings != "harness" {
		return nil, exit.Usagef("gate: --readings %q: want either or harness", o.Readings)
	}
	cfg := mock.Config{Schemas: schemas, BaaSSigning: signing, EitherReading: o.Readings == "either"}
	tenants := map[string]string{}
	for _, v := range o.Tenants {
		name, tenant, ok := strings.Cut(v, "=")
		if _, err := providers.Lookup(name); !ok || tenant == "" || err != nil {
			return nil, exit.Usagef("gate: --tenant %q: want PROVIDER=TENANT with a provider of %s", v, providerList())
		}
		tenants[name] = tenant
	}
	m := &gateMocks{hc: (&netguard.Policy{LoopbackOnly: true, ControlToken: o.controlToken}).Client(10 * time.Second)}
	names := providers.Names()
	slices.Sort(names)
	for _, name := range names {
		p, _ := providers.Lookup(name)
		if u, ok := given[name]; ok {
			m.list = append(m.list, gateMock{provider: p, url: u, tenant: tenants[name]})
			continue
		}
		h, err := p.Mock(cfg)
		if err != nil {
			m.close()
			return nil, exit.Usagef("gate: %s mock: %v", name, err)
		}
		srv, err := mock.Start("127.0.0.1:0", h)
		if err != nil {
			m.close()
			return nil, exit.Unavailablef("gate: %s mock: %v", name, err)
		}
		m.servers = append(m.servers, srv)
		m.list = append(m.list, gateMock{provider: p, url: srv.URL, embedded: true, tenant: tenants[name]})
	}
	return m, nil
}

func (m *gateMocks) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, s := range m.servers {
		_ = s.Close(ctx)
	}
}

// environment is the command's CONFORMANCE_* variables; every credential is registered with red, so
// that no report shows it.
func (m *gateMocks) environment(red *redact.Redactor) []string {
	var vars []string
	for _, g := range m.list {
		prefix := "CONFORMANCE_" + strings.ToUpper(g.provider.Name) + "_"
		vars = append(vars, prefix+"URL="+g.url)
		for _, c := range g.provider.Credentials {
			if c.Mock == "" {
				continue
			}
			vars = append(vars, prefix+strings.ToUpper(c.Name)+"="+c.Mock)
			red.Add(c.Mock)
		}
		opts := providers.Defaults(g.provider.Options)
		maps.Copy(opts, gateOptions[g.provider.Name])
		for _, name := range slices.Sorted(maps.Keys(opts)) {
			if opts[name] != "" {
				vars = append(vars, prefix+strings.ToUpper(name)+"="+opts[name])
			}
		}
	}
	return vars
}

// gateOptions are the options a client needs of a mock that a run reads through the control API
// instead: the Pomelo mock's fixture validation flows (COUNTRY:flow-id,...).
var gateOptions = map[string]map[string]string{"pomelo": {"flows": mockpomelo.FixtureFlows()}}

// mark notes where each mock's journal stands, so that only the command's calls are judged.
func (m *gateMocks) mark(ctx context.Context) error {
	for i := range m.list {
		var page mock.Page
		if err := m.journal(ctx, &m.list[i], &page); err != nil {
			return err
		}
		m.list[i].since = page.Next
	}
	return nil
}

// setFaults sets the faults each mock injects while the command runs (none where none is asked, so
// that a shared mock's earlier faults do not leak into the verdict).
func (m *gateMocks) setFaults(ctx context.Context, faults map[string][]mock.Fault) error {
	for _, g := range m.list {
		list := faults[g.provider.Name]
		if list == nil {
			list = []mock.Fault{}
		}
		err := mock.ControlCallFor(ctx, m.hc, g.tenant, http.MethodPut, g.url+mock.FaultsPath, map[string]any{"faults": list}, nil)
		if err != nil {
			return exit.Unavailablef("gate: %s at %s takes no faults (is it a 'conformance mock' of this version?): %v", g.provider.Name, g.url, err)
		}
	}
	return nil
}

// read fetches what each journal recorded since its mark, and how often each fault was injected; a
// mock the gate did not start is left without faults.
func (m *gateMocks) read(ctx context.Context) ([]gate.Traffic, error) {
	var out []gate.Traffic
	for i := range m.list {
		g := &m.list[i]
		var page mock.Page
		if err := m.journal(ctx, g, &page); err != nil {
			return nil, err
		}
		var faults struct {
			Faults []mock.Fault `json:"faults"`
		}
		if err := mock.ControlCallFor(ctx, m.hc, g.tenant, http.MethodGet, g.url+mock.FaultsPath, nil, &faults); err != nil {
			return nil, exit.Unavailablef("gate: %s at %s: %v", g.provider.Name, g.url, err)
		}
		if !g.embedded {
			_ = mock.ControlCallFor(ctx, m.hc, g.tenant, http.MethodDelete, g.url+mock.FaultsPath, nil, nil)
		}
		t := gate.Traffic{Provider: g.provider.Name, URL: g.url, Entries: page.Entries, Embedded: g.embedded, Faults: faults.Faults}
		// Entries after the mark that the journal let go: some may have been the client's. Another
		// tenant's entries, which this tenant does not see, are no loss.
		t.Lost = max(0, page.Oldest-g.since-1)
		out = append(out, t)
	}
	return out, nil
}

func (m *gateMocks) journal(ctx context.Context, g *gateMock, page *mock.Page) error {
	url := fmt.Sprintf("%s%s?since=%d", g.url, mock.JournalPath, g.since)
	if err := mock.ControlCallFor(ctx, m.hc, g.tenant, http.MethodGet, url, nil, page); err != nil {
		return exit.Unavailablef("gate: %s at %s has no journal to read (is it a 'conformance mock' of this version?): %v", g.provider.Name, g.url, err)
	}
	return nil
}

// writeEnvFile writes vars as KEY="VALUE" lines to path, or to a temporary file when path is "".
func writeEnvFile(path string, vars []string) (string, func(), error) {
	var b strings.Builder
	for _, v := range vars {
		k, val, _ := strings.Cut(v, "=")
		val = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(val)
		fmt.Fprintf(&b, "%s=\"%s\"\n", k, val)
	}
	cleanup := func() {}
	if path == "" {
		f, err := os.CreateTemp("", "conformance-gate-*.env")
		if err != nil {
			return "", nil, exit.Unavailablef("gate: env file: %v", err)
		}
		path = f.Name()
		_ = f.Close()
		cleanup = func() { _ = os.Remove(path) }
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		cleanup()
		return "", nil, exit.Usagef("gate: --env-file %s: %v", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return abs, cleanup, nil
}

// commandOutcome is how the team's command ended.
type commandOutcome struct {
	code     int   // its exit code; -1 when it did not start or was killed
	err      error // why it did not start, or was stopped
	signal   error // the interruption the gate itself received
	elapsed  time.Duration
	timedOut bool
}

func (c commandOutcome) ok() bool { return c.err == nil && c.code == 0 }

func (c commandOutcome) describe() string {
	switch {
	case c.timedOut:
		return "was stopped at --command-timeout"
	case c.err != nil:
		return "could not run: " + c.err.Error()
	case c.code == 0:
		return "exited 0"
	}
	return fmt.Sprintf("exited %d", c.code)
}

// runCommand runs the team's command with vars added to this process's environment, its output
// passed through. An interruption of the gate stops it (its whole process group) and is reported.
func runCommand(ctx context.Context, command, vars []string, timeout time.Duration, stdout, stderr io.Writer) commandOutcome {
	start := time.Now()
	cctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(cctx, command[0], command[1:]...)
	cmd.Env = append(os.Environ(), vars...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	stopsWholeGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	out := commandOutcome{code: cmd.ProcessState.ExitCode(), elapsed: time.Since(start)} // -1 when it never ran
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		out.signal = exit.Signal("a signal", 2)
		var e *exit.Error
		if errors.As(context.Cause(ctx), &e) {
			out.signal = e
		}
		out.err = errors.New("stopped: the gate was interrupted")
	case cctx.Err() != nil:
		out.timedOut, out.err = true, cctx.Err()
	case err != nil && !errors.As(err, &ee):
		out.err = err
	}
	return out
}
