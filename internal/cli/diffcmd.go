package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/record"
	"github.com/latam-conformance/conformance/internal/schema"
)

const diffHelp = `Usage: conformance diff OLD NEW

Compares two recordings made with 'conformance run --record DIR' and lists what changed in the
providers' answers, grouped by operation: exchanges that appear or disappear, another status, members
that appear or disappear, members whose JSON type changed (array elements are compared as one, written
*), and the values a client branches on: wherever the operation's schema fixes the value (an enum or a
const, such as a session's status) and wherever both answers hold a code-shaped string (ACC000133,
ENTITY_NOT_FOUND). Other values are not compared: ids and timestamps differ on every run. Exchanges are
matched by provider, feature, scenario and their order in it.

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
	reg, err := loadSchemas()
	if err != nil {
		return err
	}
	changes := record.Diff(old, cur, enumeratedBy(reg))
	printByOperation(stdout, changes)
	fmt.Fprintf(stdout, "== diff: %s\n", record.Summary(changes, len(old), len(cur)))
	if len(changes) > 0 {
		return finished(exit.Failed)
	}
	return nil
}

// enumeratedBy finds, through the schemas, the places of an answer whose values are documented.
func enumeratedBy(reg *schema.Registry) record.Enumerated {
	return func(ex record.Exchange) []string {
		if ex.Response == nil {
			return nil
		}
		for _, op := range reg.Operations(ex.Provider) {
			if op.Name() == ex.Operation {
				body, err := json.Marshal(ex.Response.Body)
				if err != nil {
					return nil
				}
				return reg.Enumerated(op, ex.Response.Status, body)
			}
		}
		return nil
	}
}

// printByOperation prints the changes under their operation, operations in order, each change with
// the exchange it was seen in.
func printByOperation(w io.Writer, changes []record.Change) {
	byOp := map[string][]record.Change{}
	for _, c := range changes {
		byOp[c.Operation] = append(byOp[c.Operation], c)
	}
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		fmt.Fprintf(w, "%s: %d change(s)\n", op, len(byOp[op]))
		for _, c := range byOp[op] {
			fmt.Fprintf(w, "  %s\n    in %s\n", c.What, c.Key)
		}
	}
}
