// Package cli implements the conformance command. Only cmd/conformance touches os: everything here gets
// its arguments, writers, environment and a context, so tests drive the CLI in-process.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	flag "github.com/spf13/pflag"
	"io"
	"regexp"
	"strings"

	"github.com/latam-conformance/conformance/internal/config"
	"github.com/latam-conformance/conformance/internal/editdist"
	"github.com/latam-conformance/conformance/internal/exit"
)

// Env looks up an environment variable (os.Getenv in main, a map in tests).
type Env func(string) string

const usage = `conformance: contract tests and conformance runs for identity-verification and onboarding APIs.

Usage:
  conformance run    [flags]   run the Gherkin suite against the embedded mocks or --base-url targets
  conformance mock   [flags]   serve the mock providers on loopback until interrupted
  conformance gate   [flags] -- COMMAND
                               run your own client's tests against the mocks and judge every call it made
  conformance verify [flags]   verify the committed Pact contracts against the targets
  conformance config check     check a configuration file (conformance.yaml) without running anything
  conformance diff OLD NEW     list what changed in the providers' answers between two --record runs
  conformance merge SHARD...   combine the --report-json of a run split with --shard into one set of reports
  conformance steps            list every step definition with the file:line of its Go function
  conformance openapi [flags]  write each provider's contract as an OpenAPI 3.1 document
  conformance help [command]   show help
  conformance --version        the module version, commit and Go version of this binary

Providers: %s

Exit codes:
  0    everything passed, and something did
  1    a conformance failure: a scenario or a pact interaction did not hold, or a waiver expired
  2    usage or configuration error: bad flags or config file, a credential unset or unusable, unknown
       provider, malformed feature file, an undefined step, a production host without --allow-production
  3    infrastructure: a target could not be reached or stopped answering (its scenarios are not
       judged), the run hit --run-timeout, or a tool (the Pact verifier) could not run
  4    nothing proven: no scenario passed (all skipped, or none selected), no interaction verified
  5    a gate not met: every scenario that ran held, but --min-coverage or --fail-on-skipped did not
  6    (gate) every rule the client's calls exercised held, but the team's command itself failed
  130  interrupted by SIGINT (143: SIGTERM); the reports asked for are still written

Run 'conformance COMMAND --help' for the flags of a command.
`

// Option adapts Main to where it runs.
type Option func(*settings)

type settings struct {
	prompt func(question string) (string, error)
}

// WithPrompt lets a run ask the person at the terminal (main passes it only when stdin is one).
func WithPrompt(p func(question string) (string, error)) Option {
	return func(s *settings) { s.prompt = p }
}

// LinePrompt asks on out and reads one line from in.
func LinePrompt(in io.Reader, out io.Writer) func(string) (string, error) {
	rd := bufio.NewReader(in)
	return func(q string) (string, error) {
		fmt.Fprint(out, q)
		line, err := rd.ReadString('\n')
		if err != nil && line == "" {
			return "", err
		}
		return strings.TrimSpace(line), nil
	}
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, env Env, opts ...Option) int {
	var set settings
	for _, o := range opts {
		o(&set)
	}
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, providerList())
		return exit.Usage
	}
	var err error
	switch args[0] {
	case "run":
		err = runCmd(ctx, args[1:], stdout, stderr, env, set.prompt)
	case "mock":
		err = mockCmd(ctx, args[1:], stdout, stderr, env)
	case "gate":
		err = gateCmd(ctx, args[1:], stdout, stderr, env)
	case "verify":
		err = verifyCmd(ctx, args[1:], stdout, stderr, env)
	case "config":
		err = configCmd(ctx, args[1:], stdout, stderr, env)
	case "diff":
		err = diffCmd(ctx, args[1:], stdout, stderr, env)
	case "merge":
		err = mergeCmd(ctx, args[1:], stdout, stderr, env)
	case "steps":
		err = stepsCmd(ctx, args[1:], stdout, stderr, env)
	case "openapi":
		err = openapiCmd(ctx, args[1:], stdout, stderr, env)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version())
		return exit.OK
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, stdout, stderr, env)
		}
		fmt.Fprintf(stdout, usage, providerList())
		return exit.OK
	default:
		err = exit.Usagef("unknown command %q (want run, mock, gate, verify, config, diff, merge, steps or openapi; see 'conformance help')", args[0])
	}
	if err == nil {
		return exit.OK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exit.OK
	}
	code := exit.CodeOf(err)
	var silent *silentError
	var probs *config.Problems
	switch {
	case errors.As(err, &probs):
		fmt.Fprintf(stderr, "conformance: %s\n", probs.Error())
	case !errors.As(err, &silent):
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

// command is a verb's flag set and its help text.
type command struct {
	name  string
	help  string
	out   io.Writer
	flags *flag.FlagSet
}

// newFlags returns a flag set that prints nothing by itself: parse turns its errors into one-line
// exit.Usage errors and prints the help (with the flags) to stdout only for --help.
func newFlags(name, help string, stdout io.Writer) *command {
	fs := flag.NewFlagSet("conformance "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on every error; help is printed for --help only
	return &command{name: name, help: help, out: stdout, flags: fs}
}

func (c *command) printHelp() {
	fmt.Fprint(c.out, c.help)
	fmt.Fprintln(c.out, "\nFlags:")
	c.flags.SetOutput(c.out)
	c.flags.PrintDefaults()
	c.flags.SetOutput(io.Discard)
}

// parse parses args; a bad flag is a one-line usage error, --help prints help and stops.
func parse(c *command, args []string) error {
	if err := c.parseArgs(args); err != nil {
		return err
	}
	if c.flags.NArg() > 0 {
		return exit.Usagef("%s: unexpected argument %q (see 'conformance %s --help')", c.name, c.flags.Arg(0), c.name)
	}
	return nil
}

// parseArgs parses flags and positional arguments: a bad flag is a one-line usage error that suggests
// the flag meant, --help prints help and stops. A long flag written with one dash (-tags, Go's flag
// style, which older README examples used) is read as --tags.
func (c *command) parseArgs(args []string) error {
	err := c.flags.Parse(c.longFlags(args))
	if errors.Is(err, flag.ErrHelp) {
		c.printHelp()
		return err
	}
	if err != nil {
		return exit.Usagef("%s: %v%s (see 'conformance %s --help')", c.name, err, c.suggest(err), c.name)
	}
	return nil
}

func (c *command) longFlags(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && c.flags.Lookup(name) != nil {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}

var unknownFlag = regexp.MustCompile(`unknown (?:shorthand )?flag: (?:'.' in )?-*([^' ]+)`)

// suggest names the flags closest to an unknown one: " (did you mean --tags?)".
func (c *command) suggest(err error) string {
	m := unknownFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	typed := strings.SplitN(m[1], "=", 2)[0]
	var best []string
	bestDist := 3
	c.flags.VisitAll(func(f *flag.Flag) {
		d := editdist.Levenshtein(typed, f.Name)
		if strings.HasPrefix(f.Name, typed) && len(typed) >= 3 {
			d = min(d, 1)
		}
		switch {
		case d < bestDist:
			best, bestDist = []string{"--" + f.Name}, d
		case d == bestDist:
			best = append(best, "--"+f.Name)
		}
	})
	if len(best) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(best, " or ") + "?)"
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) Type() string       { return "value" }
func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
