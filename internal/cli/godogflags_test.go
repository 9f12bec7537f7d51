package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
)

func TestDryRunListsTheSelectionAndFindsUndefinedSteps(t *testing.T) {
	code, out, errs := run(t, "run", "--dry-run", "--tags", "@BAAS-12")
	require.Equal(t, exit.OK, code, out+errs)
	assert.Contains(t, out, "baas/movement_validation.feature:13  [BAAS-12] an expired token is refused")
	assert.Regexp(t, `== dry run: 1 scenarios of baas would run \(\d+ steps\); nothing was sent`, out)
	assert.NotContains(t, out, "Targets:", "no target started")

	dir := t.TempDir()
	writeFeature(t, dir, "baas", "x.feature", "Feature: x\n  @BAAS-01\n  Scenario: y\n    Given a person to register, built from the seed's example\n    When I juggle three oranges\n")
	code, out, errs = run(t, "run", "--dry-run", "--features", dir)
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, out, `baas/x.feature:5: undefined step "I juggle three oranges" (see 'conformance steps')`)
	assert.Contains(t, errs, "1 undefined or ambiguous steps")
}

func TestFormatsAreRepeatableAsGodogTakesThem(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	code, out, _ := run(t, "run", "--tags", "@BAAS-01", "-f", "pretty", "-f", "junit:"+p("j.xml"), "--format", "cucumber:"+p("c.json"),
		"--format", "html:"+p("new/folder/r.html"), "--format", "json:"+p("r.json"), "--no-colors")
	require.Equal(t, exit.OK, code, out)
	for _, f := range []string{"j.xml", "c.json", "new/folder/r.html", "r.json"} {
		assert.FileExists(t, p(f))
	}
	// Pretty output and cucumber JSON point at the step functions, not at the registry.
	assert.Contains(t, out, "Then the provider answers 200")
	assert.Regexp(t, `# common\.go:\d+ -> github\.com/latam-conformance/conformance/steps\.theProviderAnswers`, out)
	assert.NotContains(t, out, "world.go:")
	cuc, err := os.ReadFile(p("c.json"))
	require.NoError(t, err)
	assert.Regexp(t, `"location": "common\.go:\d+"`, string(cuc))
	assert.NotContains(t, string(cuc), `"location": "world.go:`)
}

func TestStopOnFailureStopsAtTheFirstFailure(t *testing.T) {
	url := baasMock(t, answering(func(status int, _ http.Header, body []byte) (int, []byte) { return 500, body }))
	code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@baas", "--concurrency", "1", "--stop-on-failure")
	assert.Equal(t, exit.Failed, code)
	m := regexp.MustCompile(`== conformance: (\d+) scenarios: 0 passed, (\d+) failed`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, "1", m[2], "one failure, then it stopped")
}

func TestFileLineSelection(t *testing.T) {
	code, out, _ := run(t, "run", "features/baas/token_request.feature:10", "baas/movement_validation.feature:13")
	require.Equal(t, exit.OK, code, out)
	assert.Contains(t, out, "== conformance: 2 scenarios: 2 passed")
	// An example row's line runs its whole outline.
	code, out, _ = run(t, "run", "baas/token_request.feature:60")
	require.Equal(t, exit.OK, code, out)
	assert.Contains(t, out, "== conformance: 4 scenarios: 4 passed")
}

func TestStepsListsEveryDefinitionWithItsFunction(t *testing.T) {
	code, out, _ := run(t, "steps")
	require.Equal(t, exit.OK, code)
	assert.Regexp(t, `(?m)^steps/common\.go:\d+ +\^the provider answers \(\\d\{3\}\)\$$`, out)
	assert.NotContains(t, out, "steps/world.go:2", "no definition points at the registry")
	m := regexp.MustCompile(`== (\d+) step definitions`).FindStringSubmatch(out)
	require.NotNil(t, m)
	assert.Equal(t, m[1], strconv.Itoa(strings.Count(out, "\n")-1), "one line per definition")
}
