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
	Unavailable = 3 // a target could not be reached, or a tool could not run
)

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
