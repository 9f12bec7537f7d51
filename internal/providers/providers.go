// Package providers lists the providers the harness knows. Each provider is one file here that ties its
// name (as used on the command line and as the features/ and schemas/ folder) to its embedded mock and
// to the Pact provider states that the mock's control API sets up. Adding a provider adds a file and a
// line to All; the runner, the CLI and the verifier do not change.
package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/latam-conformance/conformance/internal/mock"
)

// StateFunc puts the target at baseURL into a Pact provider state, through its control API.
type StateFunc func(ctx context.Context, hc *http.Client, baseURL string, params map[string]any) error

// Provider describes one provider.
type Provider struct {
	Name         string // command-line name and folder under features/ and schemas/
	Title        string
	PactConsumer string // consumer name in the pacts this harness writes
	PactProvider string // provider name in the pacts
	NewMock      func(mock.Config) (http.Handler, error)
	States       map[string]StateFunc // Pact provider state -> setup
	Credentials  []Setting            // secrets a real target needs; conformance.yaml names their variables
	Options      []Setting            // non-secret settings of conformance.yaml's options section
	// Signer builds, from the provider's credentials, what signs each request for it (BaaS's BAAS-16),
	// so that a contract's replayed requests are signed afresh; nil for a provider without one.
	Signer func(secrets map[string]string) (RequestSigner, error)
}

// RequestSigner adds a provider's per-request authentication to req, whose body is body.
type RequestSigner func(req *http.Request, body []byte) error

// Setting is one credential or option of a provider. Mock is what the embedded mock takes: the value
// used when the target is a mock, and for an Optional one that a sandbox configuration leaves out.
type Setting struct {
	Name     string
	Doc      string
	Mock     string
	Optional bool // a sandbox run does not need it; the scenarios that do say so or skip
	// Check tells whether a value can be used at all (a key that parses), so that a bad one is a
	// configuration error naming its variable before anything runs; nil: any value.
	Check func(value string) error
}

// Defaults returns the name -> Mock value of settings.
func Defaults(settings []Setting) map[string]string {
	out := map[string]string{}
	for _, s := range settings {
		out[s.Name] = s.Mock
	}
	return out
}

// registered is built once: Lookup runs for every credential a scenario reads, and the providers never
// change. Their maps and slices are shared and only read.
var registered = sync.OnceValue(func() []Provider {
	all := []Provider{baas(), gu1(), personalinfo(), pomelo()}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
})

// All lists every provider, sorted by name.
func All() []Provider { return slices.Clone(registered()) }

// Lookup finds a provider by name.
func Lookup(name string) (Provider, error) {
	for _, p := range All() {
		if p.Name == name {
			return p, nil
		}
	}
	return Provider{}, fmt.Errorf("unknown provider %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the provider names.
func Names() []string {
	var out []string
	for _, p := range All() {
		out = append(out, p.Name)
	}
	return out
}

// param reads a string parameter of a provider state. The Pact FFI stores each parameter value as JSON
// when it parses as JSON, so a CPF written as the string "99988877765" arrives as the number
// 99988877765 (while "076244", not a valid JSON number, stays a string): both forms are accepted.
func param(params map[string]any, name string) (string, error) {
	switch v := params[name].(type) {
	case string:
		if v != "" {
			return v, nil
		}
	case float64:
		if v >= 0 && v == math.Trunc(v) && v < 1e15 {
			return strconv.FormatFloat(v, 'f', 0, 64), nil
		}
	case json.Number:
		return v.String(), nil
	}
	return "", fmt.Errorf("provider state needs the parameter %q as a non-empty string (or a whole number), got %v", name, params[name])
}
