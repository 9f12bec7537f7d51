//go:build windows && !nopactffi

package pactffi

import (
	"syscall"

	"github.com/ebitengine/purego"
)

// hasLoader: this build opens shared libraries.
const hasLoader = true

func open(path string) (uintptr, error) {
	h, err := syscall.LoadLibrary(path)
	return uintptr(h), err
}

func symbol(h uintptr, name string) (uintptr, error) {
	return syscall.GetProcAddress(syscall.Handle(h), name)
}

func register(fptr any, addr uintptr) { purego.RegisterFunc(fptr, addr) }
