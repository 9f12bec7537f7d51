package cli_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/pactffi"
)

// A pure-Go binary copied into an empty folder runs the suite; verify there exits 3 naming the missing
// library, and passes once the library sits beside the binary.
func TestAPureGoBinaryRunsAnywhere(t *testing.T) {
	// Heavy and independent: it overlaps the package's other heavy tests (make test's longest package).
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	libPath, err := pactffi.Load()
	require.NoError(t, err, "the project's libpact_ffi (scripts/install-pact-ffi.sh)")

	dir := t.TempDir()
	bin := filepath.Join(dir, "conformance")
	build := exec.Command("go", "build", "-o", bin, "github.com/latam-conformance/conformance/cmd/conformance")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "CGO_ENABLED=0 go build: %s", out)
	info, err := exec.Command("go", "version", "-m", bin).Output()
	require.NoError(t, err)
	assert.Contains(t, string(info), "CGO_ENABLED=0")

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LD_LIBRARY_PATH=") && !strings.HasPrefix(kv, "DYLD_LIBRARY_PATH=") &&
			!strings.HasPrefix(kv, pactffi.EnvLibrary+"=") && !strings.HasPrefix(kv, "CONFORMANCE_") {
			env = append(env, kv)
		}
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, env
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), buf.String()
		}
		require.NoError(t, err)
		return 0, buf.String()
	}

	code, text := run("run", "--junit", "junit.xml")
	assert.Equal(t, 0, code, text)
	assert.Contains(t, text, "passed")
	assert.FileExists(t, filepath.Join(dir, "junit.xml"))

	if system := systemLibrary(); system != "" {
		t.Logf("the system has libpact_ffi at %s: the 'without the library' half cannot be shown here", system)
	} else {
		code, text = run("verify")
		assert.Equal(t, 3, code, text)
		assert.Contains(t, text, "libpact_ffi not found")
		assert.Contains(t, text, filepath.Join(dir, pactffi.LibraryName())+" (no such file)")
		assert.Contains(t, text, "scripts/install-pact-ffi.sh")
	}

	copyFile(t, libPath, filepath.Join(dir, pactffi.LibraryName()))
	code, text = run("verify")
	assert.Equal(t, 0, code, text)
	assert.Contains(t, text, "0 failed")
}

func systemLibrary() string {
	for _, c := range pactffi.Candidates() {
		if filepath.IsAbs(c) && !strings.Contains(c, string(filepath.Separator)+".pact"+string(filepath.Separator)) {
			if _, err := os.Stat(c); err == nil {
				return c
			}
		}
	}
	return ""
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(to)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}
