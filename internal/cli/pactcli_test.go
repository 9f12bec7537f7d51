package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
	"github.com/latam-conformance/conformance/internal/providers"
)

// pactCLI is the Rust pact CLI that scripts/install-pact-cli.sh installs (the Makefile passes its
// path in PACT_CLI). Without it the test is skipped, except in CI.
func pactCLI(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("PACT_CLI")
	if bin == "" {
		bin = filepath.Join("..", "..", ".pact", "cli", "pact")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the Rust pact CLI is not installed (%s): scripts/install-pact-cli.sh", bin)
		}
		t.Skipf("the Rust pact CLI is not installed (%s): run scripts/install-pact-cli.sh", bin)
	}
	return bin
}

// TestRustVerifierThroughTheStateURL: the Rust pact verifier, as a client team would run it on its own
// pacts, verifies the committed contracts against 'conformance mock' with the mock's provider-state URL
// alone - no shim. BaaS requests carry a signature of the day the pact was written, which the mock
// refuses as stale, so BaaS pacts go through 'conformance verify --pacts', which signs them afresh.
func TestRustVerifierThroughTheStateURL(t *testing.T) {
	bin := pactCLI(t)
	urls := startMockProcess(t)
	for _, tc := range []struct{ provider, file string }{
		{"gu1", "conformance-gu1-client-gu1.json"},
		{"pomelo", "conformance-pomelo-client-pomelo-identity.json"},
		{"personalinfo", "conformance-personalinfo-client-personalinfo.json"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			file := filepath.Join("..", "..", "pacts", tc.file)
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			var pact struct{ Interactions []any }
			require.NoError(t, json.Unmarshal(raw, &pact))
			host, port, _ := strings.Cut(strings.TrimPrefix(urls[tc.provider], "http://"), ":")
			report := filepath.Join(t.TempDir(), "report.json")
			cmd := exec.Command(bin, "verifier", "--file", file, "--hostname", host, "--port", port,
				"--state-change-url", urls[tc.provider]+providers.StatePath, "--no-colour", "--json", report)
			cmd.Env = append(os.Environ(), "PACT_DO_NOT_TRACK=true")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", tail(string(out)))
			assert.Equal(t, len(pact.Interactions), strings.Count(string(out), "returns a response which"), "every interaction verified")
			var rep struct {
				Result bool
				Errors []any
			}
			b, err := os.ReadFile(report)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &rep))
			assert.True(t, rep.Result)
			assert.Empty(t, rep.Errors)
		})
	}
	t.Run("baas through conformance verify --pacts", func(t *testing.T) {
		dir := t.TempDir()
		raw, err := os.ReadFile(filepath.Join("..", "..", "pacts", "conformance-baas-client-qitech-baas.json"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "baas.json"), raw, 0o644))
		// The embedded mock accepts both BaaS schemes; the contract has a BAAS-17 interaction too.
		code, out, errOut := run(t, "verify", "--pacts", dir)
		assert.Equal(t, exit.OK, code, out+errOut)
		assert.Regexp(t, `== verify: (\d+) interactions: \d+ passed, 0 failed, 0 skipped`, out)
		assert.Contains(t, out, "ok   BAAS-17: a token request signed the string_to_sign way")
	})
}

// TestTheStateURLRefusesWhatItCannotSet: an unknown state or parameters it cannot use are a 400 that
// names what it knows, never a 5xx.
func TestTheStateURLRefusesWhatItCannotSet(t *testing.T) {
	urls := startMockProcess(t)
	for body, want := range map[string]string{
		`{"state":"no such state","action":"setup"}`:                              "no provider state \"no such state\" for gu1 (known: ",
		`{"state":"an entity exists","params":{"entity_id":[]},"action":"setup"}`: "provider state \"an entity exists\"",
		`not json`: "not a JSON object",
	} {
		resp, err := httpPost(urls["gu1"]+providers.StatePath, body)
		require.NoError(t, err)
		assert.Equal(t, 400, resp.status, body)
		var doc struct{ Error string }
		require.NoError(t, json.Unmarshal([]byte(resp.body), &doc), resp.body)
		assert.Contains(t, doc.Error, want, body)
	}
	resp, err := httpPost(urls["gu1"]+providers.StatePath, `{"state":"an entity exists","action":"teardown"}`)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.status, "a teardown has nothing to undo")
}

type answer struct {
	status int
	body   string
}

func httpPost(url, body string) (answer, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b)}, nil
}

// TestREADMENamesEveryProviderState: the README's state vocabulary lists every state a provider
// serves, and so every state the committed pacts use.
func TestREADMENamesEveryProviderState(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, p := range providers.All() {
		for state := range p.States {
			assert.Contains(t, string(readme), "`"+state+"`", "README's state vocabulary lacks %s's %q", p.Name, state)
		}
	}
}

// TestBAAS17AgainstConformanceMock: 'conformance mock --baas-signing claims,qit' takes the
// string_to_sign scheme and a run proves BAAS-17 there, reporting DOC-17's answer; without the flag
// the run finds the scheme refused, says why (naming the flag) and skips BAAS-17's scenarios.
func TestBAAS17AgainstConformanceMock(t *testing.T) {
	// Heavy and independent: it overlaps the package's other heavy tests (make test's longest package).
	t.Parallel()
	with := startMockProcess(t, "--baas-signing", "claims,qit")
	code, out, errOut := run(t, "run", "--base-url", "baas="+with["baas"], "--tags", "@baas")
	require.Equal(t, exit.OK, code, tail(out)+errOut)
	assert.Contains(t, out, "baas 17/17 IDs proven")
	assert.Contains(t, out, "found: string_to_sign, QIT (BAAS-17): accepted")

	// The same, told through the configuration file a run reads.
	fromFile := startMockProcess(t, "--config", writeConfig(t, "providers:\n  baas:\n    options: {signing: \"claims,qit\"}\n"))
	code, out, errOut = run(t, "run", "--base-url", "baas="+fromFile["baas"], "--tags", "@BAAS-17")
	require.Equal(t, exit.OK, code, tail(out)+errOut)
	assert.Contains(t, out, "0 skipped")

	without := startMockProcess(t)
	code, out, errOut = run(t, "run", "--base-url", "baas="+without["baas"], "--tags", "@baas")
	require.Equal(t, exit.OK, code, tail(out)+errOut)
	assert.Contains(t, out, "baas 16/17 IDs proven")
	assert.Contains(t, out, "skipped: BAAS-17")
	assert.Contains(t, out, "found: string_to_sign, QIT (BAAS-17): refused: baas: HTTP 401 GDF000014: QI Unauthenticated")
	assert.Contains(t, out, "start it with --baas-signing claims,qit")
	assert.Contains(t, out, "BAAS-17: the target does not accept the string_to_sign scheme (DOC-17)")
}

// TestWriteConfigRehearsesASandboxRun: 'conformance mock --write-config FILE', with no other flag, writes
// a sandbox configuration for the running mocks and FILE.env with their credentials; a run with them
// uses no control API, passes, and proves every catalogue ID: --write-config sets the SMS file, a short
// token lifetime and both signing schemes itself (issue 19).
func TestWriteConfigRehearsesASandboxRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sandbox.yaml")
	sms := file + ".sms"
	urls := startMockProcess(t, "--write-config", file)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	cfg := string(raw)
	assert.Contains(t, cfg, "target: sandbox")
	for name, u := range urls {
		assert.Contains(t, cfg, "  "+name+":\n    base_url: "+u+"\n")
	}
	envRaw, err := os.ReadFile(file + ".env")
	require.NoError(t, err)
	st, err := os.Stat(file + ".env")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the credentials file is the owner's alone")
	env := sourceEnv(t, string(envRaw))
	assert.Equal(t, mockbaas.FixturePrivateKeyPEM, env["CONFORMANCE_BAAS_PRIVATE_KEY"], "a PEM survives the shell quoting")

	code, out, errOut := runEnv(t, env, "config", "check", "--config", file)
	require.Equal(t, exit.OK, code, out+errOut)
	assert.Contains(t, cfg, "sms_token_file: "+sms)
	assert.Contains(t, cfg, "token_ttl: 5s")
	assert.Contains(t, cfg, "signing: claims,qit")
	// The SMS file holds a line per person, so scenarios may run side by side.
	code, out, errOut = runEnv(t, env, "run", "--config", file)
	require.Equal(t, exit.OK, code, tail(out)+errOut)
	assert.Contains(t, out, " 0 failed, ")
	assert.Contains(t, out, "personalinfo 6/6 IDs proven")
	assert.Contains(t, out, "baas         17/17 IDs proven", "BAAS-12 waited for a token to expire, BAAS-15 read the SMS file")
	assert.Contains(t, out, "gu1          13/13 IDs proven")
	assert.Contains(t, out, "pomelo       26/26 IDs proven", "sessions made from the configured flows, searched and notified to the run's receiver")
	assert.NotRegexp(t, `(?m)^\s+skipped: [A-Z]`, out, "every catalogue ID is proven without the control API")
	// What is still skipped is exactly the @control scenarios, each saying why.
	assert.Regexp(t, `(?m)^== conformance: \d+ scenarios: \d+ passed, 0 failed, \d+ skipped`, out)
	assert.Contains(t, out, "found: string_to_sign, QIT (BAAS-17): accepted")
	assert.NotContains(t, out, "(embedded mock")
}

// TestAScenarioWithoutItsPreconditionIsSkippedBeforeItWaits: BAAS-12 against a target without the
// control API waits out the token's lifetime, but not when no SMS token source is set: it is skipped
// with that reason at once. The lifetime here is the longest a run waits (10 minutes) and the run
// may last a minute, so a wait would end the run by its timeout (exit 3), not as nothing proven (4).
func TestAScenarioWithoutItsPreconditionIsSkippedBeforeItWaits(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sandbox.yaml")
	startMockProcess(t, "--write-config", file, "--token-ttl", "10m")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	cfg := regexp.MustCompile(`(?m)^\s*sms_token_file: .*\n`).ReplaceAllString(string(raw), "")
	require.NotContains(t, cfg, "sms_token_file")
	require.NoError(t, os.WriteFile(file, []byte(cfg), 0o600))
	envRaw, err := os.ReadFile(file + ".env")
	require.NoError(t, err)
	code, out, errOut := runEnv(t, sourceEnv(t, string(envRaw)), "run", "--config", file, "--tags", "@BAAS-12 && ~@control", "--run-timeout", "60s")
	assert.Equal(t, exit.NothingProven, code, tail(out)+errOut)
	assert.Contains(t, out, "BAAS-12 needs the SMS token the provider sent: set providers.baas.options.sms_token_command or sms_token_file")
}

// sourceEnv runs the export lines through sh, as 'set -a; . FILE.env' would, and returns the variables
// they set.
func sourceEnv(t *testing.T, lines string) map[string]string {
	t.Helper()
	cmd := exec.Command("sh", "-c", lines+"\nenv -0")
	cmd.Env = []string{}
	out, err := cmd.Output()
	require.NoError(t, err)
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CONFORMANCE_") {
			env[k] = v
		}
	}
	require.NotEmpty(t, env)
	return env
}
