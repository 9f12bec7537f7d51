//go:build (darwin || linux || freebsd || netbsd) && !nopactffi

package pactffi

import "github.com/ebitengine/purego"

// hasLoader: this build opens shared libraries.
const hasLoader = true

func open(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

func symbol(h uintptr, name string) (uintptr, error) { return purego.Dlsym(h, name) }

func register(fptr any, addr uintptr) { purego.RegisterFunc(fptr, addr) }
