package gate_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/cli"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/report"
)

// gateRun runs 'conformance gate' in-process with a JSON report and returns the exit code, the console
// and the report.
func gateRun(t *testing.T, dir string, args ...string) (int, string, *report.Document) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	args = append([]string{"gate", "--report-json", out}, args...)
	wd, err := os.Getwd()
	require.NoError(t, err)
	if dir != "" {
		require.NoError(t, os.Chdir(dir))
		defer func() { _ = os.Chdir(wd) }()
	}
	code := cli.Main(context.Background(), args, &stdout, &stderr, func(string) string { return "" })
	doc, err := report.ReadJSONFile(out)
	require.NoError(t, err, "the report is written on every exit; console:\n%s\n%s", stdout.String(), stderr.String())
	return code, stdout.String() + stderr.String(), doc
}

// node is the path of Node.js: every machine of this project has it (the Pact tools come from npm).
func node(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	require.NoError(t, err, "the gate's tests drive clients written in Node.js")
	return p
}

func status(doc *report.Document, id string) report.Status {
	for _, s := range doc.Scenarios {
		if slices.Contains(s.IDs, id) && strings.HasPrefix(s.Name, id+" ") {
			return s.Status
		}
	}
	return ""
}

func scenario(t *testing.T, doc *report.Document, id string) report.ScenarioDoc {
	t.Helper()
	for _, s := range doc.Scenarios {
		if strings.HasPrefix(s.Name, id+" ") {
			return s
		}
	}
	t.Fatalf("no verdict for %s", id)
	return report.ScenarioDoc{}
}

// TestANodeClientIsJudgedByCatalogueID: a client written in Node for the test calls all four providers.
// As the documents say, every ID its calls exercise is followed and the gate exits 0; with three
// planted violations, each is a failure naming its ID with the exchange that broke it, and exit 1.
func TestANodeClientIsJudgedByCatalogueID(t *testing.T) {
	client := filepath.Join(mustAbs(t, "testdata"), "client.js")
	code, console, doc := gateRun(t, "", "--", node(t), client, "conform")
	require.Equal(t, 0, code, console)
	assert.Zero(t, doc.Totals.Failed, console)
	for _, id := range []string{"GU1-01", "GU1-02", "GU1-10", "GU1-11", "KYC-01", "KYC-03", "KYC-04", "KYC-05", "KYC-16",
		"BAAS-01", "BAAS-02", "BAAS-07", "BAAS-16", "PI-01", "PI-02", "PI-03", "PI-06"} {
		assert.Equal(t, report.Passed, status(doc, id), "%s followed", id)
	}
	assert.Equal(t, report.Skipped, status(doc, "KYC-13"), "a rule of an operation never called is not exercised")
	assert.Contains(t, console, "operation POST /clean_validations never called")
	assert.Equal(t, 0, doc.Exit)

	code, console, doc = gateRun(t, "", "--", node(t), client, "violate")
	require.Equal(t, 1, code, console)
	assert.Equal(t, 1, doc.Exit)
	for id, want := range map[string]string{
		"GU1-02":  "/entityId: required",
		"BAAS-16": "payload_md5 does not match the body",
		"KYC-03":  "must be multipart/form-data",
	} {
		s := scenario(t, doc, id)
		assert.Equal(t, report.Failed, s.Status, id)
		assert.Contains(t, s.Message, want, id)
		require.NotNil(t, s.Exchange, "%s shows the exchange", id)
		assert.NotZero(t, s.Exchange.Status, id)
		assert.NotEmpty(t, s.Exchange.RequestBody, id)
	}
	assert.Equal(t, 3, doc.Totals.Failed, console)
	// The credentials handed to the command are masked in what the report shows.
	s := scenario(t, doc, "BAAS-16")
	assert.Equal(t, "[MASKED]", s.Exchange.RequestHeaders["Api-Client-Key"])
	assert.Equal(t, "[MASKED]", s.Exchange.RequestHeaders["Authorization"])
}

// TestAResilientClientWithstandsFaults: the Node client retries on 429 and 503 after Retry-After, gets
// a new Pomelo token when one expires mid-flow, and processes a notification delivered twice once. Under
// those faults its own command passes, the gate exits 0, and the report lists each fault and how often
// it was injected.
func TestAResilientClientWithstandsFaults(t *testing.T) {
	client := filepath.Join(mustAbs(t, "testdata"), "client.js")
	code, console, doc := gateRun(t, "", "--fault", "pomelo:429:first=2", "--fault", "baas:503:first=1",
		"--fault", "pomelo:expire-token:op=get_session:first=1", "--fault", "gu1:webhook-duplicate",
		"--", node(t), client, "webhooks")
	require.Equal(t, 0, code, console)
	assert.Contains(t, console, "gu1 webhooks: 2 delivered, 1 processed: kyc.validation_created/")
	injected := map[string]string{}
	for _, s := range doc.Scenarios {
		if slices.Contains(s.Tags, "@fault") {
			injected[s.Provider+" "+s.Name] = string(s.Status) + ": " + s.Message
		}
	}
	assert.Equal(t, map[string]string{
		"pomelo fault 429 (first 2)":                          "passed: injected 2 times; the command still passed",
		"baas fault 503 (first 1)":                            "passed: injected 1 times; the command still passed",
		"pomelo fault expire-token (first 1, of get_session)": "passed: injected 1 times; the command still passed",
		"gu1 fault webhook-duplicate (every one)":             "passed: injected 1 times; the command still passed",
	}, injected)
	assert.Contains(t, console, "Faults:\n")
	assert.Zero(t, doc.Totals.Failed, "a fault is no broken rule: a refused call under a fault is the provider's doing")
}

// TestAClientFollowingTheOtherReadingIsNotFailed: where the seeds contradict each other, a client that
// follows the other reading (seed 004's example body without is_pep and with area_code "888", a
// birthday written YYYY/MM/DD, the singular session path) passes the gate, each finding noted; held to
// the harness's reading (--readings harness) the same client breaks BAAS-07 and BAAS-10.
func TestAClientFollowingTheOtherReadingIsNotFailed(t *testing.T) {
	client := filepath.Join(mustAbs(t, "testdata"), "client.js")
	code, console, doc := gateRun(t, "", "--", node(t), client, "readings")
	require.Equal(t, 0, code, console)
	for _, want := range []string{"BAAS-07, DOC-12: is_pep left out", "BAAS-10, DOC-13: an area_code of three characters",
		"DOC-09, PI-06: a birthday written YYYY/MM/DD", "DOC-01, KYC-05: the session path in the singular"} {
		assert.Contains(t, console, want)
	}
	for _, id := range []string{"BAAS-07", "BAAS-10", "KYC-05", "PI-06"} {
		assert.Equal(t, report.Passed, status(doc, id), id)
	}
	found := map[string]int{}
	for _, p := range doc.Providers {
		for _, f := range p.Findings {
			found[f.ID] = len(f.Notes)
		}
	}
	for _, id := range []string{"DOC-01", "DOC-09", "DOC-12", "DOC-13"} {
		assert.Equal(t, 1, found[id], "%s noted in the report's findings", id)
	}

	code, console, doc = gateRun(t, "", "--readings", "harness", "--", node(t), client, "readings")
	require.Equal(t, 1, code, console)
	assert.Equal(t, report.Failed, status(doc, "BAAS-07"))
	assert.Equal(t, report.Failed, status(doc, "BAAS-10"))
}

// TestThePublishedQITechWrapperPasses: npm's qitech-wrapper 0.1.8, installed with the integrity its
// lock file pins and run unmodified, signs the string_to_sign way (BAAS-17) with jsonwebtoken, which
// adds iat to every encoded body. Its token request and movement validation pass the gate, BAAS-17 is
// followed and iat noted as accepted.
func TestThePublishedQITechWrapperPasses(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "qitech.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	npmCI(t, dir)
	code, console, doc := gateRun(t, dir, "--baas-signing", "claims,qit", "--", node(t), "qitech.js")
	require.Equal(t, 0, code, console)
	s := scenario(t, doc, "BAAS-17")
	assert.Equal(t, report.Passed, s.Status)
	assert.Contains(t, s.Message, "followed by 2 of the client's calls")
	assert.Contains(t, strings.Join(s.Notes, "\n"), "registered JWT claims iat were accepted")
	assert.Contains(t, console, "Noted (accepted: the documents do not forbid it, or two of them disagree and the client followed one):")
	for _, id := range []string{"BAAS-01", "BAAS-07", "BAAS-11"} {
		assert.Equal(t, report.Passed, status(doc, id), id)
	}
}

var npmOnce sync.Mutex

// npmCI installs dir's lock file exactly (npm ci checks every package's integrity), no install scripts.
func npmCI(t *testing.T, dir string) {
	t.Helper()
	npmOnce.Lock()
	defer npmOnce.Unlock()
	cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci: %s", out)
}

// TestGateExitCodes: each way a gate ends has its own code and says why.
func TestGateExitCodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"gate"}, &stdout, &stderr, func(string) string { return "" })
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr.String(), "no COMMAND: write it after --")

	code, console, doc := gateRun(t, "", "--", "true")
	assert.Equal(t, 4, code, console)
	assert.Equal(t, 4, doc.Exit)
	assert.Contains(t, console, "nothing exercised")

	// Every call followed the rules, but the team's own test failed: 6, not 0 and not 1.
	client := filepath.Join(mustAbs(t, "testdata"), "client.js")
	code, console, doc = gateRun(t, "", "--", "sh", "-c", node(t)+" "+client+" conform && exit 3")
	assert.Equal(t, exit.CommandFailed, code, console)
	assert.Equal(t, exit.CommandFailed, doc.Exit)
	assert.Contains(t, console, "exited 3")

	code, console, _ = gateRun(t, "", "--", "/nonexistent/command")
	assert.Equal(t, exit.CommandFailed, code, console)
	assert.Contains(t, console, "could not run")

	// A --base-url that is no conformance mock has no journal: infrastructure, said so.
	code = cli.Main(context.Background(), []string{"gate", "--base-url", "gu1=http://127.0.0.1:1", "--", "true"}, &stdout, &stderr, func(string) string { return "" })
	assert.Equal(t, 3, code)
	assert.Contains(t, stderr.String(), "has no journal to read")
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}
