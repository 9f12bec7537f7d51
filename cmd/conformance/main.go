// Command conformance runs contract tests and conformance suites against identity-verification and
// onboarding APIs. See 'conformance help'.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/latam-conformance/conformance/internal/cli"
)

func main() {
	// Pact's libraries may report usage unless told not to; nothing here may reach the internet.
	if os.Getenv("PACT_DO_NOT_TRACK") == "" {
		_ = os.Setenv("PACT_DO_NOT_TRACK", "true")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var opts []cli.Option
	if term.IsTerminal(int(os.Stdin.Fd())) { // a terminal, not merely a character device like /dev/null
		// A person is at the keyboard: a run may ask for what only they can see (the BaaS SMS token).
		opts = append(opts, cli.WithPrompt(cli.LinePrompt(os.Stdin, os.Stderr)))
	}
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv, opts...)
	stop()
	os.Exit(code)
}
