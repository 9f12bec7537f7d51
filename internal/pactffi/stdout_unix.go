//go:build darwin || linux || freebsd || netbsd

package pactffi

import (
	"os"
	"syscall"
)

// silenceStdout runs fn with file descriptor 1 pointed at /dev/null: the FFI prints its own progress
// straight to the process's stdout, which would interleave with the harness's report. The same text
// stays available in Report.Output.
func silenceStdout(fn func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	defer null.Close()
	saved, err := syscall.Dup(1)
	if err != nil {
		fn()
		return
	}
	defer syscall.Close(saved)
	if err := dupTo(int(null.Fd()), 1); err != nil {
		fn()
		return
	}
	defer func() { _ = dupTo(saved, 1) }()
	fn()
}
