// Package scripts holds the project's install scripts; its tests run them.
package scripts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
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

// The composite action's step, run as GitHub runs it: the inputs as INPUT_* variables, the outputs
// and the job summary in files. Its exit code is the run's, so the job gates on the verdict.
func TestActionGatesOnTheVerdict(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and runs the suite")
	}
	root, _ := filepath.Abs("..")
	work := t.TempDir()
	action := func(inputs ...string) (int, string, string, string) {
		out, summary := filepath.Join(work, "output"), filepath.Join(work, "summary.md")
		_ = os.Remove(out)
		_ = os.Remove(summary)
		env := append([]string{"GITHUB_ACTION_PATH=" + root, "RUNNER_TEMP=" + work, "GITHUB_OUTPUT=" + out,
			"GITHUB_STEP_SUMMARY=" + summary, "INPUT_JUNIT=r/junit.xml", "INPUT_HTML=r/report.html", "INPUT_REPORT_JSON=r/report.json"}, inputs...)
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "action-run.sh"))
		cmd.Dir, cmd.Env = work, append(os.Environ(), env...)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stdout
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		o, _ := os.ReadFile(out)
		s, _ := os.ReadFile(summary)
		return code, stdout.String(), string(o), string(s)
	}

	code, text, output, summary := action("INPUT_TAGS=@baas")
	require.Equal(t, 0, code, text)
	assert.NotContains(t, text, "reusing the CLI", "the first run builds it")
	assert.Equal(t, "exit-code=0\n", output)
	assert.Contains(t, summary, "## ✅ Conformance: exit 0")
	for _, f := range []string{"junit.xml", "report.html", "report.json"} {
		assert.FileExists(t, filepath.Join(work, "r", f))
	}

	// The second run reuses the CLI built from the same sources (issue 19: every job compiled it).
	code, text, output, summary = action("INPUT_TAGS=@BAAS-01", "INPUT_MIN_COVERAGE=baas=100, gu1=50")
	assert.Contains(t, text, "conformance action: reusing the CLI built from these sources")
	assert.Equal(t, 5, code, text)
	assert.Equal(t, "exit-code=5\n", output)
	assert.Contains(t, summary, "Gates not met")

	code, text, _, _ = action("INPUT_FAIL_ON_SKIPPED=yes")
	assert.Equal(t, 2, code, text)
	assert.Contains(t, text, "fail-on-skipped: want true or false")
}

var usesLine = regexp.MustCompile(`(?m)^\s*(?:-\s*)?uses:\s*(\S+)(.*)$`)

// Every action of the workflows and of action.yml is pinned by a full commit SHA, its version named in
// a comment.
func TestEveryActionIsPinnedBySHA(t *testing.T) {
	files, err := filepath.Glob("../.github/workflows/*.yml")
	require.NoError(t, err)
	files = append(files, "../action.yml")
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	version := regexp.MustCompile(`^\s*#\s*v\d+(\.\d+)*\s*$`)
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range usesLine.FindAllStringSubmatch(string(raw), -1) {
			n++
			assert.Regexp(t, pinned, m[1], "%s: %s is not pinned by a commit SHA", f, m[1])
			assert.Regexp(t, version, m[2], "%s: %s names no version in a comment", f, m[1])
		}
	}
	assert.Greater(t, n, 5, "the check saw the workflows' actions")
	assert.False(t, pinned.MatchString("actions/checkout@v4"), "a tag is not a pin")
}

// actionMetadata is what TestActionMetadataHoldsTogether reads of action.yml.
type actionMetadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
		Required    bool    `yaml:"required"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string `yaml:"id"`
			Uses  string `yaml:"uses"`
			Run   string `yaml:"run"`
			Shell string `yaml:"shell"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

var (
	inputRef  = regexp.MustCompile(`\$\{\{\s*inputs\.([\w-]+)\s*\}\}`)
	stepRef   = regexp.MustCompile(`\$\{\{\s*steps\.([\w-]+)\.outputs\.[\w-]+\s*\}\}`)
	scriptRef = regexp.MustCompile(`\$GITHUB_ACTION_PATH/([\w./-]+)`)
)

// TestActionMetadataHoldsTogether lints action.yml, which actionlint does not (it lints workflows): a
// composite action with a name and description, every input and output described, every input used
// and every one used declared, every output taken from a step that exists, every run step with its
// shell, every script it runs present and executable. make lint runs it.
func TestActionMetadataHoldsTogether(t *testing.T) {
	raw, err := os.ReadFile("../action.yml")
	require.NoError(t, err)
	var a actionMetadata
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(false)
	require.NoError(t, dec.Decode(&a), "action.yml is YAML")
	assert.NotEmpty(t, a.Name)
	assert.NotEmpty(t, a.Description)
	assert.Equal(t, "composite", a.Runs.Using)
	require.NotEmpty(t, a.Runs.Steps)
	used := map[string]bool{}
	for _, m := range inputRef.FindAllStringSubmatch(string(raw), -1) {
		used[m[1]] = true
		assert.Contains(t, a.Inputs, m[1], "action.yml uses inputs.%s, which it does not declare", m[1])
	}
	for name, in := range a.Inputs {
		assert.NotEmpty(t, in.Description, "input %s has no description", name)
		assert.True(t, used[name], "input %s is declared and never used", name)
		assert.True(t, in.Required || in.Default != nil, "input %s is neither required nor defaulted", name)
	}
	ids := map[string]bool{}
	for i, st := range a.Runs.Steps {
		if st.ID != "" {
			assert.False(t, ids[st.ID], "step id %s twice", st.ID)
			ids[st.ID] = true
		}
		assert.True(t, (st.Run == "") != (st.Uses == ""), "step %d has exactly one of run and uses", i)
		if st.Run != "" {
			assert.NotEmpty(t, st.Shell, "step %d runs a script without a shell (a composite step needs one)", i)
		}
		for _, m := range scriptRef.FindAllStringSubmatch(st.Run, -1) {
			info, err := os.Stat(filepath.Join("..", m[1]))
			if assert.NoError(t, err, "step %d runs %s", i, m[1]) {
				assert.NotZero(t, info.Mode()&0o111, "%s is not executable", m[1])
			}
		}
	}
	for name, out := range a.Outputs {
		assert.NotEmpty(t, out.Description, "output %s has no description", name)
		m := stepRef.FindStringSubmatch(out.Value)
		if assert.NotNil(t, m, "output %s takes its value from no step", name) {
			assert.True(t, ids[m[1]], "output %s takes steps.%s, which does not exist", name, m[1])
		}
	}
}

// TestInstallPactFFIHelpsWithoutInstalling: --help prints the script's header and installs nothing; an
// unknown argument is exit 2.
func TestInstallPactFFIHelpsWithoutInstalling(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("bash", "install-pact-ffi.sh", "--help")
	cmd.Env = append(os.Environ(), "HOME="+dir, "npm_config_cache="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Installs libpact_ffi 0.5.8")
	assert.NotContains(t, string(out), "install-pact-ffi: fetching")
	assert.NotContains(t, string(out), "#")
	cmd = exec.Command("bash", "install-pact-ffi.sh", "--bogus")
	out, err = cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, ee.ExitCode())
	assert.Contains(t, string(out), "unknown argument --bogus")
}
