// Package scripts holds the project's install scripts; its tests run them.
package scripts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func script(t *testing.T, root, name string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", name)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

func TestInstallPactFFIKnowsEveryPlatform(t *testing.T) {
	root, _ := filepath.Abs("..")
	members := map[string]string{}
	for _, p := range []string{"linux-x64-glibc", "linux-x64-musl", "linux-arm64-glibc", "linux-arm64-musl",
		"darwin-x64", "darwin-arm64", "windows-x64"} {
		code, out, errs := script(t, root, "install-pact-ffi.sh", []string{"PACT_FFI_PLATFORM=" + p}, "--plan")
		require.Equal(t, 0, code, errs)
		assert.Contains(t, out, "package @pact-foundation/pact-core-"+p+"@20.2.0\n")
		assert.Regexp(t, `(?m)^sha256 [0-9a-f]{64}$`, out)
		member := strings.TrimPrefix(lineWith(out, "member "), "member ")
		assert.NotContains(t, members, member, "two platforms share a library")
		members[member] = p
		want := map[string]string{"linux": "libpact_ffi.so", "darwin": "libpact_ffi.dylib", "windows": "pact_ffi.dll"}[strings.Split(p, "-")[0]]
		assert.True(t, strings.HasSuffix(lineWith(out, "install "), "/"+want), out)
	}
	code, _, errs := script(t, root, "install-pact-ffi.sh", []string{"PACT_FFI_PLATFORM=plan9-mips"}, "--plan")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "no pinned libpact_ffi for platform 'plan9-mips'")
}

// Installs the musl build into a copy of scripts/ (a real fetch from the npm registry, its checksum
// checked), then again: the second run fetches nothing.
func TestInstallPactFFIInstallsAnotherPlatformsPinnedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches 7 MB from the npm registry")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "scripts"), 0o755))
	for _, f := range []string{"install-pact-ffi.sh", "npm-fetch.sh"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(root, "scripts", f), b, 0o755))
	}
	env := []string{"PACT_FFI_PLATFORM=linux-x64-musl"}
	code, out, errs := script(t, root, "install-pact-ffi.sh", env)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, filepath.Join(root, ".pact", "lib")+"\n", out)
	assert.Contains(t, errs, "fetching @pact-foundation/pact-core-linux-x64-musl@20.2.0")
	lib, err := os.ReadFile(filepath.Join(root, ".pact", "lib", "libpact_ffi.so"))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(lib, []byte("\x7fELF")), "an ELF shared object")

	code, out, errs = script(t, root, "install-pact-ffi.sh", env)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, filepath.Join(root, ".pact", "lib")+"\n", out)
	assert.NotContains(t, errs, "fetching", "the pinned package is already installed")
}

func lineWith(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
