// Package pactffi runs Pact provider verification through libpact_ffi and returns one result per
// interaction.
//
// Why not pact-go's provider.Verifier: VerifyProvider needs a *testing.T and reports the whole run as one
// subtest, and the FFI's per-interaction JSON report (pactffi_verifier_json) is only reachable through
// pact-go's internal/native package. The CLI must report each interaction and tell a contract mismatch
// from a verifier that could not run, outside `go test`. So this package declares the few verifier
// functions of the same library pact-go links (libpact_ffi 0.5.x) and reads the JSON report. Provider
// states are delivered by the FFI to a state-change URL that the caller serves (see internal/verify).
package pactffi

/*
#cgo LDFLAGS: -lpact_ffi
#include <stdlib.h>

typedef struct VerifierHandle VerifierHandle;

const char *pactffi_version(void);
VerifierHandle *pactffi_verifier_new_for_application(const char *name, const char *version);
void pactffi_verifier_shutdown(VerifierHandle *handle);
void pactffi_verifier_set_provider_info(VerifierHandle *handle, const char *name, const char *scheme,
                                        const char *host, unsigned short port, const char *path);
void pactffi_verifier_set_provider_state(VerifierHandle *handle, const char *url, unsigned char teardown,
                                         unsigned char body);
int pactffi_verifier_set_verification_options(VerifierHandle *handle, unsigned char disable_ssl_verification,
                                              unsigned long request_timeout);
int pactffi_verifier_set_coloured_output(VerifierHandle *handle, unsigned char coloured_output);
int pactffi_verifier_set_no_pacts_is_error(VerifierHandle *handle, unsigned char is_error);
void pactffi_verifier_add_file_source(VerifierHandle *handle, const char *file);
void pactffi_verifier_set_filter_info(VerifierHandle *handle, const char *filter_description,
                                      const char *filter_state, unsigned char filter_no_state);
int pactffi_verifier_execute(VerifierHandle *handle);
const char *pactffi_verifier_json(const VerifierHandle *handle);
const char *pactffi_verifier_output(const VerifierHandle *handle, unsigned char strip_ansi);
void pactffi_string_delete(char *string);
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// ErrMismatch is returned by Verify when the provider did not satisfy one or more interactions.
var ErrMismatch = errors.New("pact verification failed: the provider does not satisfy the contract")

// ErrCouldNotRun is returned by Verify when the verifier could not produce a result at all.
var ErrCouldNotRun = errors.New("pact verifier could not run")

// Version reports the version of the loaded libpact_ffi.
func Version() string { return C.GoString(C.pactffi_version()) }

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
	mu.Lock()
	defer mu.Unlock()

	cs := func(s string) *C.char { return C.CString(s) }
	name, ver := cs("conformance"), cs("1")
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(ver))
	h := C.pactffi_verifier_new_for_application(name, ver)
	if h == nil {
		return nil, fmt.Errorf("%w: pactffi_verifier_new_for_application returned NULL", ErrCouldNotRun)
	}
	defer C.pactffi_verifier_shutdown(h)

	prov, scheme, host, path := cs(req.Provider), cs(req.Scheme), cs(req.Host), cs(req.Path)
	defer C.free(unsafe.Pointer(prov))
	defer C.free(unsafe.Pointer(scheme))
	defer C.free(unsafe.Pointer(host))
	defer C.free(unsafe.Pointer(path))
	C.pactffi_verifier_set_provider_info(h, prov, scheme, host, C.ushort(req.Port), path)
	if req.StateChangeURL != "" {
		u := cs(req.StateChangeURL)
		defer C.free(unsafe.Pointer(u))
		C.pactffi_verifier_set_provider_state(h, u, 0, 1)
	}
	timeout := req.TimeoutMillis
	if timeout == 0 {
		timeout = 5000
	}
	C.pactffi_verifier_set_verification_options(h, 0, C.ulong(timeout))
	C.pactffi_verifier_set_coloured_output(h, 0)
	C.pactffi_verifier_set_no_pacts_is_error(h, 1)
	if req.FilterNoState {
		empty := cs("")
		defer C.free(unsafe.Pointer(empty))
		C.pactffi_verifier_set_filter_info(h, empty, empty, 1)
	}
	for _, f := range req.PactFiles {
		cf := cs(f)
		C.pactffi_verifier_add_file_source(h, cf)
		C.free(unsafe.Pointer(cf))
	}

	var rc int
	silenceStdout(func() { rc = int(C.pactffi_verifier_execute(h)) })
	var rep Report
	if js := C.pactffi_verifier_json(h); js != nil {
		raw := C.GoString(js)
		C.pactffi_string_delete((*C.char)(unsafe.Pointer(js)))
		if err := json.Unmarshal([]byte(raw), &rep); err != nil {
			return nil, fmt.Errorf("%w: read the verifier's JSON report: %v", ErrCouldNotRun, err)
		}
	}
	if len(rep.Output) == 0 {
		if out := C.pactffi_verifier_output(h, 1); out != nil {
			rep.Output = []string{C.GoString(out)}
			C.pactffi_string_delete((*C.char)(unsafe.Pointer(out)))
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

// silenceStdout runs fn with file descriptor 1 pointed at /dev/null: the FFI prints its own progress
// straight to the process's stdout, which would interleave with the harness's report. The same text
// stays available in Report.Output.
func silenceStdout(fn func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	defer null.Close()
	saved, err := syscall.Dup(1)
	if err != nil {
		fn()
		return
	}
	defer syscall.Close(saved)
	if err := syscall.Dup3(int(null.Fd()), 1, 0); err != nil {
		fn()
		return
	}
	defer func() { _ = syscall.Dup3(saved, 1, 0) }()
	fn()
}
