package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// releaseVersion is set by a release build (-ldflags -X); it wins over the module version.
var releaseVersion string

// build is what the binary knows of how it was built.
type build struct {
	known           bool   // the binary carries build information
	version         string // releaseVersion, else the module version, else "(devel)"
	commit          string // the VCS revision, "+dirty" after it for uncommitted changes
	time, goVersion string
}

func readBuild() build {
	b := build{version: releaseVersion}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.known, b.goVersion = true, info.GoVersion
	if b.version == "" {
		b.version = info.Main.Version
	}
	if b.version == "" {
		b.version = "(devel)"
	}
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		case "vcs.time":
			b.time = s.Value
		}
	}
	if dirty && b.commit != "" {
		b.commit += "+dirty"
	}
	return b
}

// buildVersion is the version and commit a report names.
func buildVersion() (version, commit string) {
	b := readBuild()
	return b.version, b.commit
}

// version describes the binary from its build information: the module version ("(devel)" for a build
// from a checkout), the commit and whether the tree had uncommitted changes, and the Go version.
func version() string {
	b := readBuild()
	if !b.known {
		return "conformance (no build information)"
	}
	var s strings.Builder
	fmt.Fprintf(&s, "conformance %s", b.version)
	if b.commit != "" {
		fmt.Fprintf(&s, " commit %s", b.commit)
	}
	if b.time != "" {
		fmt.Fprintf(&s, " (%s)", b.time)
	}
	fmt.Fprintf(&s, " %s", b.goVersion)
	return s.String()
}
