//go:build darwin || freebsd || netbsd

package pactffi

import "syscall"

func dupTo(oldfd, newfd int) error { return syscall.Dup2(oldfd, newfd) }
