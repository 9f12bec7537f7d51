// Package verify runs Pact provider verification of the committed contracts against the targets and
// reports each interaction. Provider states are set through the target's control API: the FFI posts
// each state to a small HTTP server here, which calls the provider's StateFunc.
package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/pactffi"
	"github.com/latam-conformance/conformance/internal/pactfile"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/targets"
)

// Interaction is the verdict on one interaction.
type Interaction struct {
	Pact        string // pact file name
	Provider    string // harness provider name
	Description string
	States      []string
	Status      report.Status
	Mismatches  []string // one line each
	Reason      string   // why it was skipped
}

// Result is every interaction of every pact verified.
type Result struct {
	Interactions []Interaction
	Output       []string // the FFI's own report, per pact
}

// Failed counts failed interactions.
func (r *Result) Failed() int {
	n := 0
	for _, i := range r.Interactions {
		if i.Status == report.Failed {
			n++
		}
	}
	return n
}

// Options are what a verification needs besides the pacts and targets.
type Options struct {
	// Signers holds, per provider name, what signs each request afresh (providers.Provider.Signer built
	// from the run's credentials); a provider without one gets the contract's requests as recorded.
	Signers map[string]providers.RequestSigner
	// Schemas judge every replayed answer as a run judges it; nil: only Pact's matching.
	Schemas *schema.Registry
	// Guard is where requests may go; nil: the documented production hosts are refused.
	Guard *netguard.Policy
	// Seen is told every Authorization the proxy sends or receives (a fresh signature, a provider's
	// signed answer), so that reports can mask it; nil: nobody is told.
	Seen func(values ...string)
}

// Run verifies every pact against the target of its provider (set.ByName by the harness name whose
// PactProvider matches the pact's provider). Pacts for other providers are a usage error.
func Run(ctx context.Context, pacts []*pactfile.Pact, set *targets.Set, o Options) (*Result, error) {
	if o.Guard == nil {
		o.Guard = targets.Guard(nil, false)
	}
	res := &Result{}
	for _, p := range pacts {
		t := targetFor(set, p.Provider.Name)
		if t == nil {
			return nil, exit.Usagef("%s: no target for pact provider %q", filepath.Base(p.Path), p.Provider.Name)
		}
		if err := verifyOne(ctx, p, t, o, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func targetFor(set *targets.Set, pactProvider string) *targets.Target {
	p, err := ProviderFor(pactProvider)
	if err != nil {
		return nil
	}
	return set.ByName[p.Name]
}

// ProviderFor maps a pact's provider name to the harness provider. A pact may name its provider as the committed pacts do (qitech-baas, pomelo-identity) or as the CLI
// does (baas, pomelo); an unknown name is refused listing both.
func ProviderFor(pactProvider string) (providers.Provider, error) {
	var known []string
	for _, p := range providers.All() {
		if p.PactProvider == pactProvider || p.Name == pactProvider {
			return p, nil
		}
		known = append(known, p.PactProvider+" ("+p.Name+")")
	}
	return providers.Provider{}, fmt.Errorf("no provider of this harness is called %q in pacts; known: %s", pactProvider, strings.Join(known, ", "))
}

func verifyOne(ctx context.Context, p *pactfile.Pact, t *targets.Target, o Options, res *Result) error {
	u, err := url.Parse(t.BaseURL)
	if err != nil {
		return exit.Usagef("target %s: %v", t.BaseURL, err)
	}
	// Everything the verifier sends goes through the proxy: guarded, never redirected, signed afresh
	// where the contract shows a signature, every answer judged against the schemas.
	px, err := startProxy(proxyConfig{target: u, provider: t.Provider.Name, sign: o.Signers[t.Provider.Name],
		schemas: o.Schemas, strict: t.Embedded, guard: o.Guard, seen: o.Seen})
	if err != nil {
		return exit.Unavailablef("proxy for %s: %v", t.Provider.Name, err)
	}
	defer px.close()
	prefixed := *px.url
	prefixed.Path = u.Path
	u = &prefixed
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	portN, err := strconv.Atoi(port)
	if err != nil {
		return exit.Usagef("target %s: bad port %q", t.BaseURL, port)
	}
	name := filepath.Base(p.Path)
	req := pactffi.Request{Provider: p.Provider.Name, Scheme: u.Scheme, Host: u.Hostname(), Port: uint16(portN),
		Path: pathOr(u.Path), PactFiles: []string{p.Path}, TimeoutMillis: 10000}

	var skipped map[string]bool
	if t.Control {
		states, err := serveStates(ctx, t, o.Guard)
		if err != nil {
			return exit.Unavailablef("provider states for %s: %v", t.Provider.Name, err)
		}
		defer states.close()
		req.StateChangeURL = states.url
	} else {
		// Without a control API no provider state can be set: verify only the stateless interactions.
		req.FilterNoState = true
		skipped = map[string]bool{}
		for _, in := range p.Interactions {
			if len(in.States()) > 0 {
				skipped[in.Description] = true
			}
		}
	}

	rep, err := pactffi.Verify(req)
	if rep != nil {
		res.Output = append(res.Output, strings.Join(rep.Output, "\n"))
	}
	if err != nil && !errors.Is(err, pactffi.ErrMismatch) {
		return exit.Unavailablef("verify %s: %v", name, err)
	}
	failures := map[string][]string{}
	if rep != nil {
		for _, e := range rep.Errors {
			desc := matchDescription(p, e.Interaction)
			failures[desc] = append(failures[desc], mismatchLines(e.Mismatch)...)
		}
	}
	// What the schemas found in the answers, interaction by interaction.
	problems, qitRefused := schemaProblems(p, skipped, px.taken())
	for desc, lines := range problems {
		failures[desc] = append(failures[desc], lines...)
	}
	for _, in := range p.Interactions {
		v := Interaction{Pact: name, Provider: t.Provider.Name, Description: in.Description, States: in.States(), Status: report.Passed}
		switch {
		case skipped[in.Description]:
			v.Status, v.Reason = report.Skipped, fmt.Sprintf("needs provider states (%s), and %s has no control API", strings.Join(in.States(), "; "), t.BaseURL)
		case qitRefused[in.Description]:
			v.Status, v.Reason = report.Skipped, fmt.Sprintf("%s does not accept QI's string_to_sign scheme (BAAS-17; whether QI still does is not stated, DOC-17): "+
				"it answered GDF000014 (a conformance mock accepts it with --baas-signing claims,qit)", t.BaseURL)
		case failures[in.Description] != nil:
			v.Status, v.Mismatches = report.Failed, failures[in.Description]
		}
		res.Interactions = append(res.Interactions, v)
	}
	// A failure the FFI reports that names no interaction we know still fails the run.
	for desc, lines := range failures {
		if !hasInteraction(p, desc) {
			res.Interactions = append(res.Interactions, Interaction{Pact: name, Provider: t.Provider.Name, Description: desc,
				Status: report.Failed, Mismatches: lines})
		}
	}
	return nil
}

// schemaProblems pairs the requests the proxy saw, in order, with the interactions the verifier replayed
// (the pact's order, less those skipped), by method and path, and returns the schema problems of each.
func schemaProblems(p *pactfile.Pact, skipped map[string]bool, taken []judged) (map[string][]string, map[string]bool) {
	out, refused := map[string][]string{}, map[string]bool{}
	used := make([]bool, len(p.Interactions))
	next := 0
	for _, j := range taken {
		for i := next; i < len(p.Interactions); i++ {
			in := p.Interactions[i]
			if used[i] || skipped[in.Description] || in.Request.Method != j.Method || !strings.HasSuffix(j.Path, in.Request.Path) {
				continue
			}
			used[i], next = true, i+1
			if j.QITRefused {
				refused[in.Description] = true
			}
			if len(j.Problems) > 0 {
				out[in.Description] = append(out[in.Description], j.Problems...)
			}
			break
		}
	}
	return out, refused
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func hasInteraction(p *pactfile.Pact, desc string) bool {
	for _, in := range p.Interactions {
		if in.Description == desc {
			return true
		}
	}
	return false
}

// matchDescription finds which interaction an FFI error names ("Verifying a pact between C and P - DESC"
// or "... Given STATE - DESC"): the longest description that ends the text.
func matchDescription(p *pactfile.Pact, text string) string {
	best := ""
	for _, in := range p.Interactions {
		if strings.HasSuffix(text, in.Description) && len(in.Description) > len(best) {
			best = in.Description
		}
	}
	if best == "" {
		return text
	}
	return best
}

// mismatchLines renders the FFI's mismatch JSON: {"type":"mismatches","mismatches":[{path, mismatch}]}
// or {"type":"error","message":...}.
func mismatchLines(raw json.RawMessage) []string {
	var m struct {
		Type       string `json:"type"`
		Message    string `json:"message"`
		Mismatches []struct {
			Type     string `json:"type"`
			Path     string `json:"path"`
			Mismatch string `json:"mismatch"`
			Expected any    `json:"expected"`
			Actual   any    `json:"actual"`
		} `json:"mismatches"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return []string{string(raw)}
	}
	var out []string
	if m.Message != "" {
		out = append(out, m.Message)
	}
	for _, mm := range m.Mismatches {
		line := mm.Mismatch
		if mm.Path != "" {
			line = mm.Path + ": " + line
		}
		if mm.Type != "" {
			line = mm.Type + " " + line
		}
		out = append(out, strings.Join(strings.Fields(line), " "))
	}
	if len(out) == 0 {
		out = append(out, string(raw))
	}
	return out
}

type stateServer struct {
	url string
	srv *http.Server
}

func (s *stateServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// serveStates answers the FFI's state-change requests for target t on a loopback port.
func serveStates(ctx context.Context, t *targets.Target, guard *netguard.Policy) (*stateServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// The same state changes a mock serves at providers.StatePath, against the target's control API,
	// through the guard.
	h := providers.StateChanges(t.Provider, func(*http.Request) string { return t.BaseURL }, guard.Client(10*time.Second))
	s := &stateServer{url: "http://" + ln.Addr().String() + "/", srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}
