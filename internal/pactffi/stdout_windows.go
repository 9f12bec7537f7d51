//go:build windows

package pactffi

// silenceStdout runs fn as it is: on Windows the FFI's own progress lines stay on stdout.
func silenceStdout(fn func()) { fn() }
