// Package cli implements the conformance command. Only cmd/conformance touches os: everything here gets
// its arguments, writers, environment and a context, so tests drive the CLI in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/latam-conformance/conformance/internal/exit"
)

// Env looks up an environment variable (os.Getenv in main, a map in tests).
type Env func(string) string

const usage = `conformance: contract tests and conformance runs for identity-verification and onboarding APIs.

Usage:
  conformance run    [flags]   run the Gherkin suite against the embedded mocks or --base-url targets
  conformance mock   [flags]   serve the mock providers on loopback until interrupted
  conformance verify [flags]   verify the committed Pact contracts against the targets
  conformance help [command]   show help

Providers: %s

Exit codes:
  0  everything passed
  1  a conformance failure: a scenario or a pact interaction did not hold
  2  usage or configuration error: bad flags, unknown provider, malformed feature file
  3  a target could not be reached, or a tool (the Pact verifier) could not run

Run 'conformance COMMAND --help' for the flags of a command.
`

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, providerList())
		return exit.Usage
	}
	var err error
	switch args[0] {
	case "run":
		err = runCmd(ctx, args[1:], stdout, stderr, env)
	case "mock":
		err = mockCmd(ctx, args[1:], stdout, stderr, env)
	case "verify":
		err = verifyCmd(ctx, args[1:], stdout, stderr, env)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, stdout, stderr, env)
		}
		fmt.Fprintf(stdout, usage, providerList())
		return exit.OK
	default:
		err = exit.Usagef("unknown command %q (want run, mock or verify; see 'conformance help')", args[0])
	}
	if err == nil {
		return exit.OK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exit.OK
	}
	code := exit.CodeOf(err)
	var silent *silentError
	if !errors.As(err, &silent) {
		fmt.Fprintf(stderr, "conformance: %s\n", oneLine(err.Error()))
	}
	return code
}

// silentError carries an exit code for a failure the command has already reported in full.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func finished(code int) error {
	if code == exit.OK {
		return nil
	}
	return &exit.Error{Code: code, Err: &silentError{code: code}}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// newFlags returns a flag set whose errors come back as exit.Usage errors and whose --help prints the
// command's help (with its flags) to stdout.
func newFlags(name, help string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("conformance "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stdout, help)
		fmt.Fprintln(stdout, "\nFlags:")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args; a bad flag is a one-line usage error, --help prints help and stops.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return exit.Usagef("%s: %v (see '%s --help')", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return exit.Usagef("%s: unexpected argument %q (see '%s --help')", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
