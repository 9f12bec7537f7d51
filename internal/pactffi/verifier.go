// Package pactffi runs Pact provider verification through libpact_ffi and returns one result per
// interaction.
//
// Why not pact-go's provider.Verifier: VerifyProvider needs a *testing.T and reports the whole run as one
// subtest, and the FFI's per-interaction JSON report (pactffi_verifier_json) is only reachable through
// pact-go's internal/native package. The CLI must report each interaction and tell a contract mismatch
// from a verifier that could not run, outside `go test`. So this package declares the few verifier
// functions of the same library pact-go links (libpact_ffi 0.5.x) and reads the JSON report. Provider
// states are delivered by the FFI to a state-change URL that the caller serves (see internal/verify).
//
// The library is loaded at run time (github.com/ebitengine/purego), not linked: the CLI builds with
// CGO_ENABLED=0 and runs anywhere, and only `verify` needs libpact_ffi (see Load for where it looks).
package pactffi

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// ErrMismatch is returned by Verify when the provider did not satisfy one or more interactions.
var ErrMismatch = errors.New("pact verification failed: the provider does not satisfy the contract")

// ErrCouldNotRun is returned by Verify when the verifier could not produce a result at all.
var ErrCouldNotRun = errors.New("pact verifier could not run")

// Version reports the version of libpact_ffi, loading it if need be ("" when it cannot be loaded).
func Version() string {
	lib, err := loadLib()
	if err != nil {
		return ""
	}
	return lib.version()
}

// Request describes one verification run.
type Request struct {
	Provider       string   // provider name as written in the pact files
	Scheme         string   // http or https
	Host           string   // provider host
	Port           uint16   // provider port
	Path           string   // base path of the provider, "/" when none
	PactFiles      []string // pact files to verify
	StateChangeURL string   // where provider-state setup requests are POSTed (JSON body); empty for none
	FilterNoState  bool     // verify only interactions without a provider state
	TimeoutMillis  uint64   // per-request timeout
}

// Report is the FFI's JSON verification report, as far as this harness reads it.
type Report struct {
	Result bool             `json:"result"`
	Output []string         `json:"output"`
	Errors []InteractionErr `json:"errors"`
	// PendingErrors are failures of pending pacts; they do not fail the run.
	PendingErrors []InteractionErr `json:"pendingErrors"`
}

// InteractionErr is one failed interaction in the FFI report.
type InteractionErr struct {
	Interaction string          `json:"interaction"`
	Mismatch    json.RawMessage `json:"mismatch"`
}

// the FFI verifier keeps process-wide state (logging, the tokio runtime); runs are serialised.
var mu sync.Mutex

// Verify runs the verifier and returns its report. The error is nil when every interaction passed,
// wraps ErrMismatch when some failed (the report says which), and wraps ErrCouldNotRun otherwise.
func Verify(req Request) (*Report, error) {
	for _, f := range req.PactFiles {
		// The FFI counts an unreadable pact as a failed verification; it is a run that could not happen.
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w: pact file: %v", ErrCouldNotRun, err)
		}
	}
	if len(req.PactFiles) == 0 {
		return nil, fmt.Errorf("%w: no pact files to verify", ErrCouldNotRun)
	}
	lib, err := loadLib()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCouldNotRun, err)
	}
	mu.Lock()
	defer mu.Unlock()

	h := lib.newForApplication("conformance", "1")
	if h == 0 {
		return nil, fmt.Errorf("%w: pactffi_verifier_new_for_application returned NULL", ErrCouldNotRun)
	}
	defer lib.shutdown(h)

	lib.setProviderInfo(h, req.Provider, req.Scheme, req.Host, req.Port, req.Path)
	if req.StateChangeURL != "" {
		lib.setProviderState(h, req.StateChangeURL, 0, 1)
	}
	timeout := req.TimeoutMillis
	if timeout == 0 {
		timeout = 5000
	}
	lib.setOptions(h, 0, timeout)
	lib.setColouredOutput(h, 0)
	lib.setNoPactsIsError(h, 1)
	if req.FilterNoState {
		lib.setFilterInfo(h, "", "", 1)
	}
	for _, f := range req.PactFiles {
		lib.addFileSource(h, f)
	}

	var rc int32
	silenceStdout(func() { rc = lib.execute(h) })
	var rep Report
	if raw, ok := lib.takeString(lib.verifierJSON(h)); ok {
		if err := json.Unmarshal([]byte(raw), &rep); err != nil {
			return nil, fmt.Errorf("%w: read the verifier's JSON report: %v", ErrCouldNotRun, err)
		}
	}
	if len(rep.Output) == 0 {
		if out, ok := lib.takeString(lib.verifierOutput(h, 1)); ok {
			rep.Output = []string{out}
		}
	}
	switch rc {
	case 0:
		return &rep, nil
	case 1:
		return &rep, ErrMismatch
	default:
		return &rep, fmt.Errorf("%w (pactffi_verifier_execute returned %d)", ErrCouldNotRun, rc)
	}
}

// takeString copies a string the library allocated and frees it; ok is false for NULL.
func (lib *library) takeString(p *byte) (string, bool) {
	if p == nil {
		return "", false
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	s := string(unsafe.Slice(p, n))
	lib.stringDelete(p)
	return s, true
}
