package cli

import (
	"context"
	"io"

	"github.com/latam-conformance/conformance/internal/exit"
)

func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) error {
	return exit.Unavailablef("verify: not built yet")
}
