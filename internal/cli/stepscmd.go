package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/steps"
)

const stepsHelp = `Usage: conformance steps

Lists every step definition of the suite: the Gherkin text it matches (an anchored regular
expression) and the file and line of the Go function that implements it. Write a scenario with these
steps; 'conformance run --dry-run' then shows that every step of it has exactly one definition.

Exit codes: 0, or 2 for unexpected arguments.
`

func stepsCmd(_ context.Context, args []string, stdout, _ io.Writer, _ Env) error {
	flags := newFlags("steps", stepsHelp, stdout)
	if err := parse(flags, args); err != nil {
		return err
	}
	defs := steps.Definitions()
	if len(defs) == 0 {
		return exit.Usagef("steps: no step definitions registered")
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, d := range defs {
		fmt.Fprintf(tw, "%s\t%s\n", d.Where(), d.Expr)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "== %d step definitions\n", len(defs))
	return nil
}
