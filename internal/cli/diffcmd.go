package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/record"
)

const diffHelp = `Usage: conformance diff OLD NEW

Compares two recordings made with 'conformance run --record DIR' and lists what changed in the
providers' answers: exchanges that appear or disappear, another status, members that appear or
disappear, and members whose JSON type changed (array elements are compared as one, written *). Values
are not compared: ids and timestamps differ on every run. Exchanges are matched by provider, feature,
scenario and their order in it.

Exit codes: 0 nothing changed, 1 something changed, 2 a recording is missing or unreadable.

Example:
  conformance run --config conformance.yaml --target sandbox --record runs/monday
  conformance run --config conformance.yaml --target sandbox --record runs/tuesday
  conformance diff runs/monday runs/tuesday
`

func diffCmd(_ context.Context, args []string, stdout, _ io.Writer, _ Env) error {
	flags := newFlags("diff", diffHelp, stdout)
	if err := flags.parseArgs(args); err != nil {
		return err
	}
	if flags.flags.NArg() != 2 {
		return exit.Usagef("diff: want two recording directories, OLD and NEW (see 'conformance diff --help')")
	}
	oldDir, newDir := flags.flags.Arg(0), flags.flags.Arg(1)
	old, err := record.Load(oldDir)
	if err != nil {
		return exit.Usagef("diff: %v", err)
	}
	cur, err := record.Load(newDir)
	if err != nil {
		return exit.Usagef("diff: %v", err)
	}
	changes := record.Diff(old, cur)
	for _, c := range changes {
		fmt.Fprintf(stdout, "%s\n", c)
	}
	fmt.Fprintf(stdout, "== diff: %s\n", record.Summary(changes, len(old), len(cur)))
	if len(changes) > 0 {
		return finished(exit.Failed)
	}
	return nil
}
