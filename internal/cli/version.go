package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version describes the binary from its build information: the module version ("(devel)" for a build
// from a checkout), the commit and whether the tree had uncommitted changes, and the Go version.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "conformance (no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified, at string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		case "vcs.time":
			at = s.Value
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "conformance %s", v)
	if rev != "" {
		fmt.Fprintf(&b, " commit %s%s", rev, modified)
	}
	if at != "" {
		fmt.Fprintf(&b, " (%s)", at)
	}
	fmt.Fprintf(&b, " %s", info.GoVersion)
	return b.String()
}
