//go:build !unix

package cli

import "os/exec"

// stopsWholeGroup, where there are no process groups (Windows), kills the command itself when it is
// cancelled; children it started may outlive it, and WaitDelay stops the gate waiting on their output.
func stopsWholeGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Kill() }
}
