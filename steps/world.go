// Package steps holds the godog step definitions. State lives in a per-scenario World reached through a
// context key, so scenarios can run concurrently. Every HTTP exchange a step makes through a provider
// client is recorded and checked against the provider's JSON Schemas after the step, with no step asking.
package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/latam-conformance/conformance/internal/boundary"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/record"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/transport"
)

// ControlTag marks a scenario that sets provider states through the mock's control API. Against a
// target without one (a real sandbox) such a scenario is skipped, with the reason in the report.
const ControlTag = "@control"

// Target is where one provider's requests go.
type Target struct {
	BaseURL    string
	Control    bool              // the target offers the mock control API
	Sandbox    bool              // a real provider environment (no control API, real credentials)
	Production bool              // a production host: @destructive scenarios never run
	Embedded   bool              // an embedded mock of this run: drift from the schemas is a failure there
	Secrets    map[string]string // credential -> value (the mock's fixtures unless configured)
	Settings   map[string]string // option -> value
	Timeout    time.Duration     // per request; 0 for Deps.Timeout
	Transport  http.RoundTripper // paced and retried for this provider; nil for Deps.Transport
	// Scenarios bounds this provider's scenarios at once (a sandbox's in_flight); nil: no bound. A
	// scenario waits for its slot before its first step, and its time counts from then.
	Scenarios *transport.Slots
}

// DestructiveTag marks a scenario that deletes or resets data on the target (Pomelo's
// /clean_validations). It never runs against a production host.
const DestructiveTag = "@destructive"

// secret is a credential of provider: the configured one, else the mock's fixture (a sandbox run has
// every required credential configured; an optional one it leaves out falls back to the fixture).
func (w *World) secret(provider, name string) string {
	if v := w.deps.Targets[provider].Secrets[name]; v != "" {
		return v
	}
	if p, err := providers.Lookup(provider); err == nil {
		return providers.Defaults(p.Credentials)[name]
	}
	return ""
}

// configured tells whether a credential was given for provider (rather than defaulted to the fixture).
func (w *World) configured(provider, name string) bool {
	return w.deps.Targets[provider].Secrets[name] != ""
}

// skip ends the scenario as skipped with reason.
func (w *World) skip(reason string) error {
	w.skipReason = reason
	return godog.ErrSkip
}

// notJudge ends the scenario as not judged: the harness itself could not do its part (its webhook
// receiver could not listen), which is infrastructure, never the provider's failure.
func (w *World) notJudge(reason string) error {
	w.notJudged = reason
	return godog.ErrSkip
}

// setting is an option of provider, else its default.
func (w *World) setting(provider, name string) string {
	if v := w.deps.Targets[provider].Settings[name]; v != "" {
		return v
	}
	if p, err := providers.Lookup(provider); err == nil {
		return providers.Defaults(p.Options)[name]
	}
	return ""
}

// Deps is what the runner hands every scenario.
type Deps struct {
	Targets   map[string]Target // provider name -> target
	Schemas   *schema.Registry
	Timeout   time.Duration // per request
	Results   *report.Collector
	Transport http.RoundTripper // shared by every scenario's clients; nil: http.DefaultTransport
	Redactor  *redact.Redactor  // secrets met on the wire are added; results are masked with it
	// Prompt asks the person at the terminal (nil without one); calls are serialised by the steps.
	Prompt   func(string) (string, error)
	promptMu sync.Mutex
	// smsTaken are the tokens scenarios already took from the SMS file: a relay that writes only the
	// latest SMS may write the previous scenario's token after this one asked for its own.
	smsMu    sync.Mutex
	smsTaken map[string]bool
	pending  *pendingSMS // the last accepted token request whose SMS no scenario took
	// Record, when set, receives each scenario's exchanges once it has ended (--record).
	Record func([]record.Raw)
	// StrictDrift fails a scenario for drift (an undocumented status, member or enum value in an
	// answer) even from an external target, where it is otherwise a warning.
	StrictDrift bool
	// Stopped says why the run is stopping ("interrupted by SIGINT", "stopped by --run-timeout 2m"), or
	// "" while it runs: scenarios from then on are not judged. Nil: never.
	Stopped func() string
	// Boundary are the run's boundary cases (conformance run --boundary); nil in a suite run.
	Boundary *boundary.Set
	health   targetHealth
	schemes  schemeProbe // which BaaS signing schemes the target accepts (DOC-17), asked once a run
	hooks    hookHub     // the run's Pomelo webhook receiver, against a target without the control API
}

// Close stops what the scenarios started for the whole run (the webhook receiver).
func (d *Deps) Close() { d.hooks.close() }

func (d *Deps) stopped() string {
	if d.Stopped == nil {
		return ""
	}
	return d.Stopped()
}

func (d *Deps) transport() http.RoundTripper {
	if d.Transport != nil {
		return d.Transport
	}
	return http.DefaultTransport
}

// Exchange is one recorded request and its answer.
type Exchange struct {
	Provider string
	Method   string
	Path     string // relative to the target's base URL
	Query    string
	ReqType  string // the request's Content-Type
	ReqHdr   http.Header
	ReqBody  []byte
	Altered  bool // the scenario changed the request on purpose, away from a documented valid one
	Status   int
	Header   http.Header
	RespBody []byte
	Err      error
	red      *redact.Redactor
}

// snippet is the start of the response body for a failure message, the run's secrets masked before it
// is cut short (a cut secret would no longer be recognised).
func (e *Exchange) snippet() string { return snippet(e.red.Bytes(e.RespBody)) }

// Name is "METHOD /path".
func (e *Exchange) Name() string { return e.Method + " " + e.Path }

type worldKey struct{}

// World is the state of one scenario.
type World struct {
	deps       *Deps
	provider   string
	skipReason string
	notJudged  string // why the scenario was not judged (the run stopped, the target stopped answering)
	started    time.Time
	leave      func() // gives the scenario's slot back (Target.Scenarios); nil: it holds none

	mu        sync.Mutex
	exchanges []*Exchange
	checked   int
	drift     []string // warnings: answers beyond the documents (see Deps.StrictDrift)
	notes     []string // what the scenario found out about the target (which signing schemes it accepts)
	altered   bool     // the next request is altered on purpose

	boundary    *boundary.Case // the boundary case the scenario sent
	body        jsonDoc        // the request body the scenario is building
	bodyAltered bool           // body differs from the documented example on purpose

	baas   *baasWorld
	pomelo *pomeloWorld
	gu1    *gu1World
	pi     *piWorld
}

func worldOf(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	return w
}

// stepRegistry registers step definitions with their expressions compiled once per process: godog
// calls the scenario initializer for every scenario, and compiling some seventy expressions each time
// cost over a third of a run's CPU. With no godog context it only lists them (Definitions).
type stepRegistry struct {
	sc   *godog.ScenarioContext
	list *[]Definition
}

var compiledSteps sync.Map // expression -> *regexp.Regexp

// Step registers fn for the anchored expression expr.
func (r stepRegistry) Step(expr string, fn any) { r.register(expr, fn, false) }

// StepThatWaits registers fn for expr as Step does, and says that it may wait on purpose (a token left
// to expire, sessions made a second apart): a scenario with such a step goes first, so that its wait
// overlaps the rest of the run.
func (r stepRegistry) StepThatWaits(expr string, fn any) { r.register(expr, fn, true) }

func (r stepRegistry) register(expr string, fn any, waits bool) {
	re, ok := compiledSteps.Load(expr)
	if !ok {
		re, _ = compiledSteps.LoadOrStore(expr, regexp.MustCompile(expr))
	}
	if r.list != nil {
		d := definitionOf(re.(*regexp.Regexp), fn)
		d.Waits = waits
		*r.list = append(*r.list, d)
		return
	}
	r.sc.Step(re.(*regexp.Regexp), fn)
}

// ProviderOf names the provider a feature file belongs to: the folder that holds it.
func ProviderOf(uri string) string { return path.Base(path.Dir(path.Clean(uri))) }

// Initialize registers hooks and every step definition on sc. deps is shared by all scenarios and is
// only read.
func Initialize(sc *godog.ScenarioContext, deps *Deps) {
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		w := &World{deps: deps, provider: ProviderOf(s.Uri), started: time.Now()}
		ctx = context.WithValue(ctx, worldKey{}, w)
		if scenarioWaits(s) {
			ctx = transport.Urgent(ctx) // its requests go ahead of the others' at a limited target
		}
		t, ok := deps.Targets[w.provider]
		if !ok {
			return ctx, fmt.Errorf("no target for provider %q (the folder of %s)", w.provider, s.Uri)
		}
		if why := deps.stopped(); why != "" {
			w.notJudged = why
			return ctx, godog.ErrSkip
		}
		if why := deps.health.reason(w.provider); why != "" {
			w.notJudged = fmt.Sprintf("the %s target %s stopped answering (%s)", w.provider, t.BaseURL, why)
			return ctx, godog.ErrSkip
		}
		for _, tag := range s.Tags {
			switch {
			case tag.Name == DestructiveTag && t.Production:
				w.skipReason = fmt.Sprintf("destructive (%s): never run against the production host %s", DestructiveTag, t.BaseURL)
			case tag.Name == ControlTag && t.Sandbox:
				w.skipReason = fmt.Sprintf("needs the mock control API (%s); a sandbox target (%s) has none", ControlTag, t.BaseURL)
			case tag.Name == ControlTag && !t.Control:
				w.skipReason = fmt.Sprintf("needs the mock control API (%s), which %s does not offer", ControlTag, t.BaseURL)
			default:
				continue
			}
			return ctx, godog.ErrSkip
		}
		if t.Scenarios != nil {
			leave, err := t.Scenarios.Admit(ctx)
			if err != nil { // the run stopped while the scenario waited for its turn
				w.notJudged = deps.stopped()
				if w.notJudged == "" {
					w.notJudged = "the run stopped before its turn: " + err.Error()
				}
				return ctx, godog.ErrSkip
			}
			w.leave, w.started = leave, time.Now()
		}
		return ctx, nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		w := worldOf(ctx)
		if w == nil || err != nil {
			return ctx, nil
		}
		return ctx, w.checkExchanges()
	})
	sc.After(func(ctx context.Context, s *godog.Scenario, err error) (context.Context, error) {
		w := worldOf(ctx)
		if w == nil {
			return ctx, nil
		}
		w.cleanUp()
		if w.leave != nil {
			w.leave()
		}
		if deps.Record != nil {
			deps.Record(w.recorded(s))
		}
		if deps.Results == nil {
			return ctx, nil
		}
		deps.Results.Add(w.result(s, err))
		return ctx, nil
	})
	registerSteps(stepRegistry{sc: sc})
}

// registerSteps registers every step definition of the suite.
func registerSteps(reg stepRegistry) {
	registerCommon(reg)
	registerFieldSteps(reg, "request field", "")
	registerBaaS(reg)
	registerBaaSQIT(reg)
	registerPomelo(reg)
	registerGu1(reg)
	registerBoundary(reg)
	registerPersonalInfo(reg)
}

func (w *World) result(s *godog.Scenario, err error) report.Scenario {
	r := report.Scenario{Name: s.Name, Feature: s.Uri, Provider: w.provider, Started: w.started, Duration: time.Since(w.started)}
	w.mu.Lock()
	for _, d := range w.drift {
		r.Drift = append(r.Drift, w.deps.Redactor.String(d))
	}
	r.Notes = append(r.Notes, w.notes...)
	w.mu.Unlock()
	for _, t := range s.Tags {
		r.Tags = append(r.Tags, t.Name)
	}
	switch {
	case w.notJudged != "":
		r.Status, r.Message = report.NotJudged, w.deps.Redactor.String(w.notJudged)
	case w.skipReason != "":
		r.Status, r.Message = report.Skipped, w.skipReason
	case err == nil:
		r.Status = report.Passed
	case errors.Is(err, godog.ErrUndefined), errors.Is(err, godog.ErrPending), errors.Is(err, godog.ErrAmbiguous):
		r.Status, r.Message = report.Undefined, err.Error()
	case !isVerdict(err) && (isTransport(err) || w.transportFailed()):
		// No judgeable answer arrived: infrastructure, not a failure of the scenario's catalogue IDs.
		r.Status, r.Message = report.NotJudged, w.deps.Redactor.String(w.whyNotJudged(err))
	default:
		r.Status, r.Message = report.Failed, w.deps.Redactor.String(err.Error())
		r.Exchange = w.lastExchange(s)
	}
	return r
}

// lastExchange is the scenario's last request and answer as a report shows them: masked as the
// recording masks them (secrets, then personal data), each body cut to report.MaxExchangeBody.
func (w *World) lastExchange(s *godog.Scenario) *report.Exchange {
	raws := w.recorded(s)
	if len(raws) == 0 {
		return nil
	}
	red := w.deps.Redactor
	ex := record.Mask(raws[len(raws)-1], red, false)
	body := func(v any) string {
		if v == nil {
			return ""
		}
		if str, ok := v.(string); ok {
			return report.CutBody(red.String(str))
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return ""
		}
		return report.CutBody(red.String(string(b)))
	}
	out := &report.Exchange{Method: ex.Method, Path: ex.Path, Query: ex.Query, RequestHeaders: ex.Request.Headers,
		RequestBody: body(ex.Request.Body), Error: ex.Error}
	if ex.Response != nil {
		out.Status, out.ResponseHeaders, out.ResponseBody = ex.Response.Status, ex.Response.Headers, body(ex.Response.Body)
	}
	return out
}

// transportFailed tells whether an exchange of the scenario got no answer (refused, reset, timed out).
func (w *World) transportFailed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ex := range w.exchanges {
		if isTransport(ex.Err) {
			return true
		}
	}
	return false
}

// whyNotJudged says why a scenario whose step got no answer was not judged.
func (w *World) whyNotJudged(err error) string {
	if why := w.deps.stopped(); why != "" {
		return why
	}
	t := w.deps.Targets[w.provider]
	return fmt.Sprintf("the %s target %s stopped answering (%s)", w.provider, t.BaseURL, rootCause(err))
}

// httpClient returns an http.Client whose transport records every exchange with provider into w.
func (w *World) httpClient(provider string) *http.Client { return w.httpClientVia(provider, nil) }

// httpClientVia is httpClient with wrap between the recorder and the target's transport: what wrap does
// to a request (QIT's encoding, BAAS-17) happens after it is recorded, and to an answer before.
func (w *World) httpClientVia(provider string, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	base, _ := url.Parse(w.deps.Targets[provider].BaseURL)
	prefix := ""
	if base != nil {
		prefix = strings.TrimSuffix(base.Path, "/")
	}
	t := w.deps.Targets[provider]
	timeout, next := t.Timeout, t.Transport
	if timeout <= 0 {
		timeout = w.deps.Timeout
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if next == nil {
		next = w.deps.transport()
	}
	if wrap != nil {
		next = wrap(next)
	}
	if transport.Times(t.Transport) {
		timeout = 0 // the target's transport times each request from when its limits let it go
	}
	return &http.Client{Timeout: timeout, Transport: &recorder{w: w, provider: provider, base: base, prefix: prefix, next: next},
		CheckRedirect: netguard.NoRedirects}
}

// controlClient is the http.Client for control-API calls and the harness's own receivers: not
// recorded, not schema-checked, no redirect followed, within the scenario's target's request timeout
// (--timeout: a busy mock is slow to its control API too).
func (w *World) controlClient() *http.Client {
	timeout := w.deps.Targets[w.provider].Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &http.Client{Timeout: timeout, Transport: w.deps.transport(), CheckRedirect: netguard.NoRedirects}
}

// quietClient is the http.Client for a call to provider's target that is neither recorded nor checked
// (a sandbox's clean-up, the probe of the signing schemes it accepts): paced and timed as the
// scenarios' own calls are, no redirect followed. wrap, when not nil, goes over the target's transport.
func (w *World) quietClient(provider string, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	t := w.deps.Targets[provider]
	next, timeout := t.Transport, t.Timeout
	if next == nil {
		next = w.deps.transport()
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if transport.Times(next) {
		timeout = 0 // the target's transport times each call from when its limits let it go
	}
	if wrap != nil {
		next = wrap(next)
	}
	return &http.Client{Timeout: timeout, Transport: next, CheckRedirect: netguard.NoRedirects}
}

// mockCtl calls the control API of the mock at base (not recorded, not schema-checked).
func mockCtl(ctx context.Context, w *World, base, method, path string, in, out any) error {
	return mock.ControlCall(ctx, w.controlClient(), method, strings.TrimSuffix(base, "/")+mock.ControlPrefix+path, in, out)
}

// alter marks the next request as deliberately changed from a documented valid one.
func (w *World) alter() {
	w.mu.Lock()
	w.altered = true
	w.mu.Unlock()
}

type recorder struct {
	w        *World
	provider string
	base     *url.URL // the target's base URL: credentials go to its origin only
	prefix   string
	next     http.RoundTripper
}

// readSized reads r to its end into one buffer of size bytes when the size is known (a request the
// harness built itself), as io.ReadAll would with several: the photos of a natural-person call are MiBs.
func readSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, size, size+1)
	n, err := io.ReadFull(r, b)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return b[:n], nil // shorter than it said: the transport refuses it, naming both lengths
	}
	if err != nil {
		return nil, err
	}
	// A body longer than it said is read whole all the same: the recording keeps what was sent.
	rest, err := io.ReadAll(r)
	return append(b, rest...), err
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if !sameOrigin(req.URL, r.base) {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		err := verdictf("refused to send %s %s://%s%s: the %s client sends requests, and their credentials, to the target's origin only",
			req.Method, req.URL.Scheme, req.URL.Host, req.URL.Path, r.provider)
		r.w.record(&Exchange{Provider: r.provider, Method: req.Method, Path: req.URL.Path, Err: err, red: r.w.deps.Redactor})
		return nil, err
	}
	var reqBody []byte
	if req.Body != nil {
		b, err := readSized(req.Body, req.ContentLength)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	r.w.mu.Lock()
	altered := r.w.altered
	r.w.mu.Unlock()
	if red := r.w.deps.Redactor; red != nil {
		// Whatever authenticates a call is a secret, wherever a report may later quote it.
		red.Add(req.Header.Get("Authorization"), req.Header.Get("Api-Client-Key"), req.Header.Get("X-Api-Key"))
	}
	ex := &Exchange{Provider: r.provider, Method: req.Method, Path: strings.TrimPrefix(req.URL.Path, r.prefix),
		Query: req.URL.RawQuery, ReqType: req.Header.Get("Content-Type"), ReqHdr: req.Header.Clone(), ReqBody: reqBody, Altered: altered,
		red: r.w.deps.Redactor}
	resp, err := r.next.RoundTrip(req)
	if headersTooLarge(err) {
		err = verdictf("%s answered with headers over the limit the harness reads: %v", ex.Name(), rootCause(err))
	}
	if err != nil {
		return nil, r.failed(ex, err)
	}
	ex.Status, ex.Header = resp.StatusCode, resp.Header.Clone()
	body, err := readAnswer(ex, resp.Body)
	_ = resp.Body.Close()
	ex.RespBody = body
	if err == nil {
		err = r.w.judgeAnswer(ex)
	}
	if err != nil {
		return nil, r.failed(ex, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if red := r.w.deps.Redactor; red != nil && bytes.Contains(body, []byte(`"access_token"`)) {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(body, &tok) == nil {
			red.Add(tok.AccessToken) // an OAuth2 token issued to the run (KYC-16)
		}
	}
	r.w.record(ex)
	return resp, nil
}

// failed records an exchange that ended in err. A transport error (no answer, or one cut short) makes
// the run ask once whether the target still answers at all.
func (r *recorder) failed(ex *Exchange, err error) error {
	ex.Err = err
	r.w.record(ex)
	if isTransport(err) && r.w.deps.stopped() == "" {
		t := r.w.deps.Targets[r.provider]
		r.w.deps.health.suspect(r.provider, t, r.w.controlClient(), err)
	}
	return err
}

func (w *World) record(ex *Exchange) {
	w.mu.Lock()
	w.exchanges = append(w.exchanges, ex)
	w.mu.Unlock()
}

// last returns the most recent exchange, or an error naming what was expected.
func (w *World) last() (*Exchange, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.exchanges) == 0 {
		return nil, errors.New("no request has been sent in this scenario")
	}
	ex := w.exchanges[len(w.exchanges)-1]
	if ex.Err != nil {
		return nil, fmt.Errorf("%s: %w", ex.Name(), ex.Err)
	}
	return ex, nil
}

// checkExchanges validates every exchange recorded since the last check against the schemas:
//   - the operation must be documented;
//   - a request the scenario did not alter must satisfy the request schema (the client sends what the
//     documentation asks);
//   - an altered request that the provider accepted (2xx) must satisfy it too: otherwise the schema is
//     stricter than the provider, and one of them is wrong;
//   - the response must have a documented status and satisfy that status's schema.
func (w *World) checkExchanges() error {
	w.mu.Lock()
	pending := w.exchanges[w.checked:]
	w.checked = len(w.exchanges)
	w.mu.Unlock()
	var problems []string
	for _, ex := range pending {
		if ex.Err != nil {
			continue // the step that sent it reports the transport error
		}
		op, ok := w.deps.Schemas.Match(ex.Provider, ex.Method, ex.Path)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not a documented operation of %s (no entry in schemas/%s/index.json)", ex.Name(), ex.Provider, ex.Provider))
			continue
		}
		accepted := ex.Status >= 200 && ex.Status < 300
		// A boundary case the contract refuses is judged by its Then step, which names the rule and
		// prints the request to repeat.
		judgedLater := w.boundary != nil && !w.boundary.Accept && ex.Altered
		if !ex.Altered || (accepted && !judgedLater) {
			if vs := w.deps.Schemas.ValidateRequestBody(op, ex.ReqType, ex.ReqBody); len(vs) > 0 {
				file := op.RequestSchemaFor(ex.ReqType)
				what := "request body breaks schemas/" + ex.Provider + "/" + file
				if ex.Altered {
					what = fmt.Sprintf("the provider accepted (%d) a request body that schemas/%s/%s rejects", ex.Status, ex.Provider, file)
				}
				problems = append(problems, fmt.Sprintf("%s: %s: %s", ex.Name(), what, joinViolations(vs)))
			}
		}
		// Drift (an undocumented status, enum value or member) fails the scenario on an embedded mock or
		// with --strict-drift, and is a warning from any other target.
		t := w.deps.Targets[ex.Provider]
		lenient := !t.Embedded && !w.deps.StrictDrift
		vs, err := w.deps.Schemas.ValidateResponse(op, ex.Status, ex.RespBody)
		var undocumented *schema.ErrUndocumentedStatus
		switch {
		case errors.As(err, &undocumented) && lenient:
			w.addDrift(fmt.Sprintf("%s answered status %d, which its documents do not list", op.Name(), ex.Status))
			continue
		case err != nil:
			problems = append(problems, err.Error()+": "+ex.snippet())
			continue
		}
		var broken []schema.Violation
		for _, v := range vs {
			if v.Rule == "enum" && lenient {
				w.addDrift(fmt.Sprintf("%s %d: %s is %s, a value its documents do not list", op.Name(), ex.Status, genericPointer(v.Pointer), schema.ValueAt(ex.RespBody, v.Pointer)))
				continue
			}
			broken = append(broken, v)
		}
		for _, v := range w.deps.Schemas.UnknownFields(op, ex.Status, ex.RespBody) {
			if lenient {
				w.addDrift(fmt.Sprintf("%s %d: %s is a member its documents do not describe", op.Name(), ex.Status, genericPointer(v.Pointer)))
				continue
			}
			broken = append(broken, v)
		}
		if len(broken) > 0 {
			problems = append(problems, fmt.Sprintf("%s: response %d breaks schemas/%s/%s: %s", ex.Name(), ex.Status,
				ex.Provider, op.Responses[fmt.Sprint(ex.Status)], joinViolations(broken)))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// recorded is the scenario's exchanges as the recording takes them.
func (w *World) recorded(s *godog.Scenario) []record.Raw {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]record.Raw, 0, len(w.exchanges))
	for _, ex := range w.exchanges {
		op := ex.Name()
		if o, ok := w.deps.Schemas.Match(ex.Provider, ex.Method, ex.Path); ok {
			op = o.Name()
		}
		out = append(out, record.Raw{Provider: ex.Provider, Feature: s.Uri, Scenario: s.Name, Operation: op,
			Method: ex.Method, Path: ex.Path, Query: ex.Query, ReqHeader: ex.ReqHdr, ReqType: ex.ReqType, ReqBody: ex.ReqBody,
			Status: ex.Status, RespHeader: ex.Header, RespBody: ex.RespBody, Err: ex.Err})
	}
	return out
}

// genericPointer writes array indexes as "*", so that one drift reads the same for every element.
func genericPointer(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if _, err := strconv.Atoi(s); err == nil && s != "" {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, "/")
}

func (w *World) addDrift(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.drift, s) {
		w.drift = append(w.drift, s)
	}
}

func joinViolations(vs []schema.Violation) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, "; ")
}

// snippet shortens a body for a failure message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// poll calls check every 20 ms until it is done, fails, ctx ends or d has passed; done tells which of
// the first and the last. A step that waits for something the target does in the background (a webhook,
// a delivery log) waits through poll.
func poll(ctx context.Context, d time.Duration, check func() (done bool, err error)) (done bool, err error) {
	deadline := time.Now().Add(d)
	for {
		if done, err = check(); done || err != nil {
			return done, err
		}
		if time.Now().After(deadline) || transport.Sleep(ctx, 20*time.Millisecond) != nil {
			return false, nil
		}
	}
}
