package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// releaseVersion is set by a release build (-ldflags -X); it wins over the module version.
var releaseVersion string

// buildVersion is the version and commit a report names.
func buildVersion() (version, commit string) {
	version = releaseVersion
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if version == "" {
		version = info.Main.Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			commit = s.Value
		}
		if s.Key == "vcs.modified" && s.Value == "true" && commit != "" {
			commit += "+dirty"
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return version, commit
}

// version describes the binary from its build information: the module version ("(devel)" for a build
// from a checkout), the commit and whether the tree had uncommitted changes, and the Go version.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "conformance (no build information)"
	}
	v := info.Main.Version
	if releaseVersion != "" {
		v = releaseVersion
	}
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
