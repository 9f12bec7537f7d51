// Command conformance runs contract tests and conformance suites against identity-verification and
// onboarding APIs. See 'conformance help'.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/latam-conformance/conformance/internal/cli"
	"github.com/latam-conformance/conformance/internal/exit"
)

func main() {
	// Pact's libraries may report usage unless told not to; nothing here may reach the internet.
	if os.Getenv("PACT_DO_NOT_TRACK") == "" {
		_ = os.Setenv("PACT_DO_NOT_TRACK", "true")
	}
	ctx, stop := signalContext()
	var opts []cli.Option
	if term.IsTerminal(int(os.Stdin.Fd())) { // a terminal, not merely a character device like /dev/null
		// A person is at the keyboard: a run may ask for what only they can see (the BaaS SMS token).
		opts = append(opts, cli.WithPrompt(cli.LinePrompt(os.Stdin, os.Stderr)))
	}
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv, opts...)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by the first SIGINT or SIGTERM, with the signal as its cause, so that a run
// writes its reports and ends with 128 + the signal's number. A second signal ends the process at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		first := true
		for s := range sigs {
			n := 2
			if s == syscall.SIGTERM {
				n = 15
			}
			if !first {
				os.Exit(128 + n)
			}
			first = false
			name := map[int]string{2: "SIGINT", 15: "SIGTERM"}[n]
			fmt.Fprintf(os.Stderr, "\nconformance: %s: finishing the reports (again to quit at once)\n", name)
			cancel(exit.Signal(name, n))
		}
	}()
	return ctx, func() { signal.Stop(sigs); cancel(nil) }
}
