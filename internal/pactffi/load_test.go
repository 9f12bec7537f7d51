//go:build !nopactffi

package pactffi

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCandidatesFollowTheDocumentedOrder(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvLibrary, dir)
	c := Candidates()
	require.GreaterOrEqual(t, len(c), 4)
	assert.Equal(t, filepath.Join(dir, LibraryName()), c[0], "the environment variable comes first (a folder names the library in it)")
	exe, err := os.Executable()
	require.NoError(t, err)
	exe, _ = filepath.EvalSymlinks(exe)
	assert.Equal(t, filepath.Join(filepath.Dir(exe), LibraryName()), c[1], "then beside the binary")
	wd, _ := os.Getwd()
	iProject := indexOf(c, filepath.Join(wd, ".pact", "lib", LibraryName()))
	iSystem := indexOf(c, filepath.Join("/usr/local/lib", LibraryName()))
	assert.Greater(t, iProject, 1, "then the project's .pact/lib")
	assert.Greater(t, iSystem, iProject, "then the system folders")
	assert.Equal(t, LibraryName(), c[len(c)-1], "and last the bare name, for the system loader")

	t.Setenv(EnvLibrary, "/some/file.so")
	assert.Equal(t, "/some/file.so", Candidates()[0], "a file path is taken as it is")
}

func TestLoadWithoutTheLibrarySaysWhereItLookedAndHowToInstall(t *testing.T) {
	dir := t.TempDir()
	notALib := filepath.Join(dir, LibraryName())
	require.NoError(t, os.WriteFile(notALib, []byte("not a shared object"), 0o644))
	_, err := load([]string{filepath.Join(dir, "missing", LibraryName()), notALib})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrNotFound))
	msg := err.Error()
	assert.Contains(t, msg, filepath.Join(dir, "missing", LibraryName())+" (no such file)")
	assert.Contains(t, msg, notALib+" (")
	assert.Contains(t, msg, "scripts/install-pact-ffi.sh")
	assert.Contains(t, msg, EnvLibrary)
}

func TestLoadRefusesALibraryThatIsNotPactFFI(t *testing.T) {
	libc := ""
	for _, p := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/libc.so.6"} {
		if _, err := os.Stat(p); err == nil {
			libc = p
		}
	}
	if libc == "" {
		t.Skip("no libc.so.6 at a known path on this system")
	}
	_, err := load([]string{libc})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not libpact_ffi: no symbol pactffi_version")
}

func TestLoadFindsTheProjectLibrary(t *testing.T) {
	lib, err := loadLib()
	require.NoError(t, err, "scripts/install-pact-ffi.sh installs it into .pact/lib, which Load finds from the package folder")
	assert.True(t, strings.HasPrefix(lib.version(), wantMajorMinor+"."), lib.version())
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
