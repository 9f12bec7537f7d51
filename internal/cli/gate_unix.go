//go:build unix

package cli

import (
	"os/exec"
	"syscall"
)

// stopsWholeGroup starts the team's command in a process group of its own, and makes cancelling it
// kill the whole group: a test runner's children (npm's node, mvn's forked JVM) die with it.
func stopsWholeGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
