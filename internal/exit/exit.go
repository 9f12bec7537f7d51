// Package exit defines the harness's exit codes and maps errors to them in one place.
package exit

import (
	"errors"
	"fmt"
)

// Exit codes, documented in README and --help.
const (
	OK          = 0 // everything passed
	Failed      = 1 // a conformance failure: a scenario or a pact interaction did not hold
	Usage       = 2 // bad flags, configuration, feature files or schemas
	Unavailable = 3 // a target could not be reached or stopped answering, the run hit its time limit, or a tool could not run
	// NothingProven: no scenario passed (every one skipped, or none selected), or no interaction was
	// verified. Not a failure, but nothing a release gate can call green.
	NothingProven = 4
	// Gate: every scenario that ran held, but a gate the caller set was not met (--min-coverage,
	// --fail-on-skipped).
	Gate = 5
	// CommandFailed ('conformance gate'): every rule the client's calls exercised held, but the team's
	// own command failed.
	CommandFailed = 6
	// Interrupted by a signal is 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as shells
	// report it; see Signal.
)

// Signal is the error a run ends with when a signal interrupts it: exit 128 + its number.
func Signal(name string, number int) error {
	return &Error{Code: 128 + number, Err: fmt.Errorf("interrupted by %s", name)}
}

// NothingProvenf is a run that proved nothing (exit 4).
func NothingProvenf(format string, a ...any) error {
	return &Error{Code: NothingProven, Err: fmt.Errorf(format, a...)}
}

// Error carries the exit code an error should end the process with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Usagef is a usage or configuration error (exit 2).
func Usagef(format string, a ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, a...)}
}

// Unavailablef is an unreachable target or a tool that could not run (exit 3).
func Unavailablef(format string, a ...any) error {
	return &Error{Code: Unavailable, Err: fmt.Errorf(format, a...)}
}

// CodeOf returns the exit code for err: OK for nil, the code of an *Error in the chain, and Unavailable
// for anything else (an error nobody classified means the harness itself could not do its job).
func CodeOf(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Unavailable
}
