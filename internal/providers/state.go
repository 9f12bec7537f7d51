package providers

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/transport"
)

// StatePath is where every mock the harness serves takes Pact provider-state changes, as pact-go's
// Verifier and the Rust pact verifier send them (POST {"state", "params", "action"}): point a
// verifier's state-change URL at BASE_URL + StatePath.
const StatePath = mock.ControlPrefix + "/pact/state"

// Mock builds the provider's mock as every mock is served: its control API guarded (mock.ControlGuard),
// every call journalled and judged (mock.JournalPath), the faults asked for injected (mock.FaultsPath),
// and the provider-state endpoint at StatePath, whose states reach the mock in-process: no URL is ever
// made from a request's Host header.
func (p Provider) Mock(cfg mock.Config) (http.Handler, error) {
	if cfg.Faults == nil {
		cfg.Faults = &mock.Faults{} // none until the control API sets some
	}
	reg, err := cfg.Registry(p.Name)
	if err != nil {
		return nil, err
	}
	max, _ := cfg.StoreLimits()
	journal := mock.NewJournal(p.Name, reg, max)
	cfg.Journal = journal
	h, err := p.NewMock(cfg)
	if err != nil {
		return nil, err
	}
	fi := &mock.FaultInjector{Provider: p.Name, Faults: cfg.Faults, Schemas: reg}
	pw, ok := h.(mock.ProblemWriter)
	if !ok {
		return nil, fmt.Errorf("%s mock: it cannot write a problem in its provider's shape", p.Name)
	}
	fi.Errors = pw.WriteProblem
	fi.Expirer, _ = h.(mock.CredentialExpirer)
	if t, ok := h.(mock.Tenancy); ok {
		fi.TenantOf = t.TenantOf
	}
	if t, ok := h.(mock.Tenancy); ok {
		journal.TenantOf = t.TenantOf
	}
	served := journal.Wrap(fi.Wrap(h))
	states := StateChanges(p, func(*http.Request) string { return inProcessBase }, inProcess(h))
	return mock.ControlGuard{Token: cfg.ControlToken}.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == StatePath {
			states.ServeHTTP(w, r)
			return
		}
		served.ServeHTTP(w, r)
	})), nil
}

// inProcessBase is the base URL the provider states call the control API at: never dialled, inProcess
// hands every request to the mock's handler itself.
const inProcessBase = "http://mock.in-process"

// inProcess is an http.Client that serves every request with h, in this process.
func inProcess(h http.Handler) *http.Client {
	return &http.Client{Transport: transport.Func(func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result(), nil
	})}
}

// StateChanges answers Pact provider-state changes for p: a setup runs the state's StateFunc against
// the target at base(r) through hc, one at a time; a teardown has nothing to undo on a mock. An unknown
// state, or parameters it cannot use, is a 400 naming what it knows.
func StateChanges(p Provider, base func(*http.Request) string, hc *http.Client) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			stateError(w, http.StatusMethodNotAllowed, "provider states are changed with POST {state, params, action}")
			return
		}
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			stateError(w, http.StatusBadRequest, "the state change is not a JSON object: "+err.Error())
			return
		}
		state, _ := body["state"].(string)
		action, _ := body["action"].(string)
		if state == "" || (action != "" && action != "setup") {
			writeState(w, map[string]any{}) // no state, or a teardown: nothing to undo on a mock
			return
		}
		params, _ := body["params"].(map[string]any)
		if params == nil { // some verifiers send the parameters beside the state
			params = map[string]any{}
			for k, v := range body {
				if k != "state" && k != "action" {
					params[k] = v
				}
			}
		}
		fn, ok := p.States[state]
		if !ok {
			known := make([]string, 0, len(p.States))
			for k := range p.States {
				known = append(known, k)
			}
			sort.Strings(known)
			stateError(w, http.StatusBadRequest, fmt.Sprintf("no provider state %q for %s (known: %s)", state, p.Name, strings.Join(known, "; ")))
			return
		}
		mu.Lock()
		err := fn(r.Context(), hc, base(r), params)
		mu.Unlock()
		if err != nil {
			stateError(w, http.StatusBadRequest, fmt.Sprintf("provider state %q: %v", state, err))
			return
		}
		writeState(w, map[string]any{})
	})
}

func writeState(w http.ResponseWriter, v any) { mock.WriteJSON(w, http.StatusOK, v) }

func stateError(w http.ResponseWriter, status int, msg string) {
	mock.WriteJSON(w, status, map[string]any{"error": msg})
}
