package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/report"
)

func coverageOf(d *report.Document) map[string]string {
	out := map[string]string{}
	for _, p := range d.Providers {
		for _, id := range p.IDs {
			out[id.ID] = id.State
		}
	}
	return out
}

func TestTwoShardsMergedGiveTheCoverageOfOneRun(t *testing.T) {
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	code, out, _ := run(t, "run", "--report-json", path("whole.json"))
	require.Equal(t, exit.OK, code, out)
	code, out1, _ := run(t, "run", "--shard", "1/2", "--report-json", path("s1.json"))
	require.Equal(t, exit.OK, code, out1)
	assert.Contains(t, out1, "This was shard 1/2")
	code, out2, _ := run(t, "run", "--shard", "2/2", "--report-json", path("s2.json"))
	require.Equal(t, exit.OK, code, out2)

	whole, err := report.ReadJSONFile(path("whole.json"))
	require.NoError(t, err)
	s1, err := report.ReadJSONFile(path("s1.json"))
	require.NoError(t, err)
	s2, err := report.ReadJSONFile(path("s2.json"))
	require.NoError(t, err)
	assert.Equal(t, whole.Totals.Scenarios, s1.Totals.Scenarios+s2.Totals.Scenarios, "the shards split the scenarios")
	assert.InDelta(t, s1.Totals.Scenarios, s2.Totals.Scenarios, 6, "balanced: they differ by at most one outline")
	ran := map[string]int{}
	for _, d := range []*report.Document{s1, s2} {
		for _, s := range d.Scenarios {
			ran[s.Feature+":"+s.Name+":"+string(rune(s.Line))]++
		}
	}
	for k, n := range ran {
		assert.Equal(t, 1, n, "%s ran in both shards", k)
	}
	assert.NotEqual(t, coverageOf(whole), coverageOf(s1), "one shard alone does not prove everything")

	code, merged, _ := run(t, "merge", "--report-json", path("merged.json"), "--junit", path("merged.xml"), "--html", path("merged.html"),
		"--min-coverage", "100", path("s2.json"), path("s1.json"))
	require.Equal(t, exit.OK, code, merged)
	m, err := report.ReadJSONFile(path("merged.json"))
	require.NoError(t, err)
	assert.Equal(t, coverageOf(whole), coverageOf(m), "merged coverage = one run's")
	assert.Equal(t, whole.Totals, m.Totals)
	for i := range whole.Providers {
		assert.Equal(t, whole.Providers[i].Proven, m.Providers[i].Proven)
		assert.Equal(t, whole.Providers[i].Required, m.Providers[i].Required)
	}
	assert.Equal(t, len(whole.Scenarios), len(m.Scenarios))
	assert.FileExists(t, path("merged.xml"))
	assert.FileExists(t, path("merged.html"))

	// A merge of part of a split run, or of one shard twice, is refused: it would under-report.
	code, _, errs := run(t, "merge", path("s1.json"))
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errs, "shard 2/2 is missing")
	code, _, errs = run(t, "merge", path("s1.json"), path("s1.json"), path("s2.json"))
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errs, "are both shard 1/2")
	// Gates belong to the merge: a shard's coverage is partial.
	code, _, errs = run(t, "run", "--shard", "1/2", "--min-coverage", "90")
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errs, "give --min-coverage and --fail-on-skipped to 'conformance merge'")
}

func TestAFailureInOneShardFailsTheMerge(t *testing.T) {
	dir := t.TempDir()
	url := baasMock(t, rewriting(`"ACC000134"`, `"ACC000133"`))
	var failedIn int
	for i, sh := range []string{"1/2", "2/2"} {
		code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@baas", "--shard", sh, "--report-json", filepath.Join(dir, sh[:1]+".json"))
		if code == exit.Failed {
			failedIn = i + 1
		} else {
			require.Equal(t, exit.OK, code, out)
		}
	}
	require.NotZero(t, failedIn, "BAAS-12's scenario ran in one of the shards")
	code, out, _ := run(t, "merge", filepath.Join(dir, "1.json"), filepath.Join(dir, "2.json"))
	assert.Equal(t, exit.Failed, code)
	assert.Contains(t, out, "failed: BAAS-12")
	assert.Contains(t, out, "16/17 IDs proven")
}

func TestGates(t *testing.T) {
	// Only @BAAS-01 runs: every scenario passes, but coverage is far from 100%.
	code, out, errs := run(t, "run", "--tags", "@BAAS-01", "--min-coverage", "baas=100")
	assert.Equal(t, exit.Gate, code, out+errs)
	assert.Contains(t, out, "Gate not met: --min-coverage baas=100: 2 of 17 required baas IDs proven (11.7%)")
	code, out, _ = run(t, "run", "--tags", "@BAAS-01", "--min-coverage", "5")
	assert.Equal(t, exit.OK, code, out)
	code, _, errs = run(t, "run", "--min-coverage", "nope=5")
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errs, "--min-coverage nope=5")
	code, _, errs = run(t, "run", "--min-coverage", "150")
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errs, "want a percentage from 0 to 100")

	// A target without the control API skips the @control scenarios: reported, and with
	// --fail-on-skipped a gate.
	url := mockServer(t, "baas", withoutControl)
	code, out, _ = run(t, "run", "--base-url", "baas="+url, "--tags", "@baas")
	require.Equal(t, exit.OK, code, out)
	require.Contains(t, out, " skipped")
	code, out, _ = run(t, "run", "--base-url", "baas="+url, "--tags", "@baas", "--fail-on-skipped")
	assert.Equal(t, exit.Gate, code, out)
	assert.Contains(t, out, "Gate not met: --fail-on-skipped:")
}

// In the HTML matrix a skipped scenario says why, beside its ID.
func TestTheMatrixSaysWhyAScenarioWasSkipped(t *testing.T) {
	url := mockServer(t, "baas", withoutControl)
	page := filepath.Join(t.TempDir(), "r.html")
	code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@baas", "--html", page, "--report-json", page+".json")
	require.Equal(t, exit.OK, code, out)
	doc, err := report.ReadJSONFile(page + ".json")
	require.NoError(t, err)
	found := false
	for _, p := range doc.Providers {
		for _, id := range p.IDs {
			for _, s := range id.Scenarios {
				if s.Status == report.Skipped {
					assert.NotEmpty(t, s.Why, "%s: a skip says why", s.Name)
					found = found || strings.Contains(s.Why, "needs the mock control API (@control)")
				}
			}
		}
	}
	require.True(t, found, "a scenario skipped for the control API, in the matrix")
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Contains(t, string(html), `<div class="msg">needs the mock control API (@control)`)
}

// Waivers are judged on the merged run: the failure one shard waived stays waived, and a waiver is
// stale only when no shard's scenario of its ID failed.
func TestMergeJudgesWaiversOnEveryShard(t *testing.T) {
	dir := t.TempDir()
	waivers := filepath.Join(dir, "waivers.yaml")
	require.NoError(t, os.WriteFile(waivers, []byte("waivers:\n  - id: BAAS-12\n    reason: the sandbox says ACC000133 (TICKET-1)\n    expires: 2099-01-01\n"+
		"  - id: BAAS-01\n    reason: fixed since (TICKET-2)\n    expires: 2099-01-01\n"), 0o644))
	url := baasMock(t, rewriting(`"ACC000134"`, `"ACC000133"`))
	for _, sh := range []string{"1/2", "2/2"} {
		code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@baas", "--shard", sh, "--waivers", waivers,
			"--report-json", filepath.Join(dir, sh[:1]+".json"))
		require.Equal(t, exit.OK, code, out)
	}
	code, out, _ := run(t, "merge", "--report-json", filepath.Join(dir, "m.json"), filepath.Join(dir, "1.json"), filepath.Join(dir, "2.json"))
	require.Equal(t, exit.OK, code, out)
	m, err := report.ReadJSONFile(filepath.Join(dir, "m.json"))
	require.NoError(t, err)
	assert.Equal(t, 1, m.Totals.Waived, "BAAS-12's failure stays waived")
	require.Len(t, m.Waivers.Stale, 1)
	assert.Contains(t, m.Waivers.Stale[0], "BAAS-01", "only the waiver nothing failed under is stale")
	assert.Len(t, m.Waivers.List, 2)
}

// TestATargetUnreachableAtTheStartStillWritesEveryReport: exit 3 at the start writes the JUnit, HTML,
// JSON and cucumber reports asked for, each scenario not judged with the cause; merging that shard names
// the cause, not a missing shard (issue 18).
func TestATargetUnreachableAtTheStartStillWritesEveryReport(t *testing.T) {
	dir := t.TempDir()
	url := closedPort(t)
	files := map[string]string{"--junit": "j.xml", "--html": "r.html", "--report-json": "1.json", "--cucumber-json": "c.json"}
	args := []string{"run", "--shard", "1/2", "--base-url", "gu1=" + url}
	for flag, f := range files {
		args = append(args, flag, filepath.Join(dir, f))
	}
	code, out, errOut := run(t, args...)
	require.Equal(t, exit.Unavailable, code, out+errOut)
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, "%s is written on exit 3 at the start", f)
	}
	doc, err := report.ReadJSONFile(filepath.Join(dir, "1.json"))
	require.NoError(t, err)
	assert.Equal(t, exit.Unavailable, doc.Exit)
	assert.Contains(t, doc.Verdict, "target gu1 at "+url+" is unreachable")
	assert.Equal(t, doc.Totals.Scenarios, doc.Totals.NotJudged)
	assert.NotZero(t, doc.Totals.NotJudged)

	code, _, _ = run(t, "run", "--shard", "2/2", "--report-json", filepath.Join(dir, "2.json"))
	require.Equal(t, exit.OK, code)
	code, _, errOut = run(t, "merge", filepath.Join(dir, "1.json"), filepath.Join(dir, "2.json"))
	assert.Equal(t, exit.Unavailable, code)
	assert.Contains(t, errOut, "a target could not be reached at the start: target gu1 at "+url+" is unreachable")
}
