package pactffi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// EnvLibrary names the environment variable that points at libpact_ffi: the library file itself, or a
// folder holding it. It is the first place Load looks.
const EnvLibrary = "CONFORMANCE_PACT_FFI"

// ErrNotFound is returned (wrapped) when no loadable libpact_ffi was found; the message lists where the
// harness looked and how to install the library.
var ErrNotFound = errors.New("libpact_ffi not found")

// LibraryName is the file name of libpact_ffi on this operating system.
func LibraryName() string {
	switch runtime.GOOS {
	case "darwin":
		return "libpact_ffi.dylib"
	case "windows":
		return "pact_ffi.dll"
	default:
		return "libpact_ffi.so"
	}
}

// Candidates lists, in the order Load tries them, the paths where libpact_ffi may be:
//
//  1. $CONFORMANCE_PACT_FFI (a file, or a folder holding the library);
//  2. beside the running binary, then in a lib/ folder beside it;
//  3. the project's .pact/lib, in the working folder or any folder above it;
//  4. the system's library folders (/usr/local/lib, /opt/pact/lib, /usr/lib, ...);
//  5. the bare name, which the system loader resolves (LD_LIBRARY_PATH, DYLD_LIBRARY_PATH, PATH, ld.so.cache).
func Candidates() []string {
	name := LibraryName()
	var out []string
	add := func(p string) {
		for _, q := range out {
			if q == p {
				return
			}
		}
		out = append(out, p)
	}
	if v := os.Getenv(EnvLibrary); v != "" {
		if fi, err := os.Stat(v); err == nil && fi.IsDir() {
			add(filepath.Join(v, name))
		} else {
			add(v)
		}
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		add(filepath.Join(filepath.Dir(exe), name))
		add(filepath.Join(filepath.Dir(exe), "lib", name))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			add(filepath.Join(dir, ".pact", "lib", name))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, dir := range systemDirs() {
		add(filepath.Join(dir, name))
	}
	add(name)
	return out
}

func systemDirs() []string {
	switch runtime.GOOS {
	case "windows":
		return nil
	case "darwin":
		return []string{"/usr/local/lib", "/opt/homebrew/lib", "/opt/pact/lib"}
	default:
		return []string{"/usr/local/lib", "/opt/pact/lib", "/usr/lib", "/usr/lib64",
			"/usr/lib/" + gnuArch() + "-linux-gnu"}
	}
}

func gnuArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// the library's functions this package calls, bound by Load.
type library struct {
	path string

	version           func() string
	newForApplication func(name, version string) uintptr
	shutdown          func(h uintptr)
	setProviderInfo   func(h uintptr, name, scheme, host string, port uint16, path string)
	setProviderState  func(h uintptr, url string, teardown, body uint8)
	setOptions        func(h uintptr, disableSSL uint8, timeoutMillis uint64) int32
	setColouredOutput func(h uintptr, coloured uint8) int32
	setNoPactsIsError func(h uintptr, isError uint8) int32
	addFileSource     func(h uintptr, file string)
	setFilterInfo     func(h uintptr, description, state string, noState uint8)
	execute           func(h uintptr) int32
	verifierJSON      func(h uintptr) *byte
	verifierOutput    func(h uintptr, stripANSI uint8) *byte
	stringDelete      func(s *byte)
}

var (
	loadOnce sync.Once
	loaded   *library
	loadErr  error
)

// Load finds and binds libpact_ffi once per process (see Candidates for the order) and reports the file
// it was loaded from. Only `verify` needs it: nothing else in the harness loads it.
func Load() (path string, err error) {
	lib, err := loadLib()
	if err != nil {
		return "", err
	}
	return lib.path, nil
}

func loadLib() (*library, error) {
	loadOnce.Do(func() { loaded, loadErr = load(Candidates()) })
	return loaded, loadErr
}

// errNoLoader is the whole answer of a build without a loader (-tags nopactffi): no place is looked in
// and CONFORMANCE_PACT_FFI is not read, since no library could help.
var errNoLoader = errors.New("this conformance binary was built without the Pact FFI loader (-tags nopactffi): it cannot load libpact_ffi from anywhere, " +
	EnvLibrary + " included; run verify with the standard build (go build ./cmd/conformance, or a release archive for glibc)")

func load(candidates []string) (*library, error) {
	if !hasLoader {
		return nil, errNoLoader
	}
	var tried []string
	for _, p := range candidates {
		if filepath.IsAbs(p) {
			if _, err := os.Stat(p); err != nil {
				tried = append(tried, p+" (no such file)")
				continue
			}
		}
		h, err := open(p)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", p, oneLine(err)))
			continue
		}
		lib, err := bind(h, p)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", p, err))
			continue
		}
		return lib, nil
	}
	return nil, fmt.Errorf("%w; looked in:\n  %s\ninstall it with scripts/install-pact-ffi.sh (from a checkout), or put %s beside the binary, or set %s to its path",
		ErrNotFound, strings.Join(tried, "\n  "), LibraryName(), EnvLibrary)
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func bind(h uintptr, path string) (*library, error) {
	lib := &library{path: path}
	for _, f := range []struct {
		ptr  any
		name string
	}{
		{&lib.version, "pactffi_version"},
		{&lib.newForApplication, "pactffi_verifier_new_for_application"},
		{&lib.shutdown, "pactffi_verifier_shutdown"},
		{&lib.setProviderInfo, "pactffi_verifier_set_provider_info"},
		{&lib.setProviderState, "pactffi_verifier_set_provider_state"},
		{&lib.setOptions, "pactffi_verifier_set_verification_options"},
		{&lib.setColouredOutput, "pactffi_verifier_set_coloured_output"},
		{&lib.setNoPactsIsError, "pactffi_verifier_set_no_pacts_is_error"},
		{&lib.addFileSource, "pactffi_verifier_add_file_source"},
		{&lib.setFilterInfo, "pactffi_verifier_set_filter_info"},
		{&lib.execute, "pactffi_verifier_execute"},
		{&lib.verifierJSON, "pactffi_verifier_json"},
		{&lib.verifierOutput, "pactffi_verifier_output"},
		{&lib.stringDelete, "pactffi_string_delete"},
	} {
		addr, err := symbol(h, f.name)
		if err != nil || addr == 0 {
			return nil, fmt.Errorf("not libpact_ffi: no symbol %s", f.name)
		}
		register(f.ptr, addr)
	}
	if v := lib.version(); !strings.HasPrefix(v, wantMajorMinor+".") {
		return nil, fmt.Errorf("libpact_ffi %s, want %s.x", v, wantMajorMinor)
	}
	return lib, nil
}

// wantMajorMinor is the libpact_ffi line whose verifier API this package calls (the one pact-go v2.7.0
// is built against).
const wantMajorMinor = "0.5"
