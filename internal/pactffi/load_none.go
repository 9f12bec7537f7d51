//go:build nopactffi || !(darwin || linux || freebsd || netbsd || windows)

package pactffi

// Built with -tags nopactffi (a fully static binary, for example for musl images), this binary cannot
// load libpact_ffi at all: `verify` is unavailable while run, mock, diff and config work.
const hasLoader = false

func open(string) (uintptr, error) { return 0, errNoLoader }

func symbol(uintptr, string) (uintptr, error) { return 0, errNoLoader }

func register(any, uintptr) {}
