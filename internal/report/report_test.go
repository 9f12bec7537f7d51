package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/featureset"
)

func TestCoverageAndFindings(t *testing.T) {
	cat, err := catalogue.Load()
	require.NoError(t, err)
	for i := range cat.Entries {
		if cat.Entries[i].ID == "BAAS-16" { // every ID is in scope today; a later one may be planned
			cat.Entries[i].Scope, cat.Entries[i].Issue = "planned", 9
		}
	}
	parsed := []featureset.Scenario{
		{URI: "baas/a.feature", IDs: []string{"BAAS-01", "DOC-13"}},
		{URI: "baas/a.feature", IDs: []string{"BAAS-02"}},
		{URI: "baas/a.feature", IDs: []string{"BAAS-03"}},
	}
	results := []Scenario{
		{Name: "one", Feature: "baas/a.feature", Line: 3, Tags: []string{"@BAAS-01", "@DOC-13"}, Status: Passed},
		{Name: "two", Feature: "baas/a.feature", Line: 9, Tags: []string{"@BAAS-02"}, Status: Failed, Message: "POST /x: code = \"A\", want \"B\""},
		{Name: "three", Feature: "baas/a.feature", Line: 12, Tags: []string{"@BAAS-03"}, Status: Skipped, Message: "needs the control API"},
	}
	cov := Coverage(cat, parsed, results, []string{"baas"})
	require.Len(t, cov, 1)
	states := map[string]string{}
	for _, c := range cov[0].IDs {
		states[c.ID] = c.State
	}
	assert.Equal(t, Proven, states["BAAS-01"])
	assert.Equal(t, Broken, states["BAAS-02"])
	assert.Equal(t, NotRun, states["BAAS-03"])
	assert.Equal(t, Missing, states["BAAS-04"])
	assert.Equal(t, Planned, states["BAAS-16"])
	assert.Equal(t, 1, cov[0].Proven)

	var buf bytes.Buffer
	Summary{Scenarios: results, Coverage: cov, Elapsed: time.Second, Seed: 7,
		Targets: []TargetLine{{Provider: "baas", BaseURL: "http://x", Control: true}}}.Write(&buf)
	out := buf.String()
	assert.Contains(t, out, "3 scenarios: 1 passed, 1 failed, 1 skipped")
	assert.Contains(t, out, "Random order: --random 7 repeats it")
	assert.Contains(t, out, "- [BAAS-02] two (baas/a.feature:9)\n      POST /x: code = \"A\", want \"B\"")
	assert.Contains(t, out, "- [BAAS-03] three (baas/a.feature:12)\n      needs the control API")
	assert.Contains(t, out, "failed: BAAS-02")
	assert.Contains(t, out, "missing: BAAS-04")
	assert.Contains(t, out, "DOC-13 BAAS: `area_code` limited to 2 characters, the example sends `\"888\"` [the harness's reading held in 1 of 1 scenarios]")
	assert.Contains(t, out, "DOC-14 BAAS: `token` is described under `/baas/token_validation`, the endpoint is `/baas/movement_validation` [no scenario exercises it]")
}

func TestJUnit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deep", "junit.xml")
	err := WriteJUnitFile(path, "conformance", []Scenario{
		{Name: "ok", Feature: "baas/a.feature", Line: 1, Tags: []string{"@BAAS-01"}, Status: Passed, Duration: time.Millisecond,
			Drift: []string{"GET /x 200: /a is a member its documents do not describe", "GET /x 299: status"}},
		{Name: "bad", Feature: "baas/a.feature", Line: 2, Status: Failed, Message: "first line\nsecond"},
		{Name: "skip", Feature: "pomelo/b.feature", Line: 3, Status: Skipped, Message: "why"},
		{Name: "undef", Feature: "pomelo/b.feature", Line: 4, Status: Undefined, Message: "step is undefined: x"},
	}, time.Second)
	require.NoError(t, err)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				SystemOut string `xml:"system-out"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(raw, &doc))
	assert.Equal(t, []int{4, 1, 1, 1}, []int{doc.Tests, doc.Failures, doc.Errors, doc.Skipped})
	require.Len(t, doc.Suites, 2)
	assert.Equal(t, "[BAAS-01] ok", doc.Suites[0].Cases[0].Name, "a stable name: no line that moves")
	assert.Contains(t, string(raw), `<property name="location" value="baas/a.feature:1">`)
	assert.Equal(t, "drift: GET /x 200: /a is a member its documents do not describe\ndrift: GET /x 299: status", doc.Suites[0].Cases[0].SystemOut)
	assert.Empty(t, doc.Suites[0].Cases[1].SystemOut)
	assert.Equal(t, "first line", doc.Suites[0].Cases[1].Failure.Message)
	assert.Equal(t, "first line\nsecond", doc.Suites[0].Cases[1].Failure.Text)
	assert.Equal(t, "why", doc.Suites[1].Cases[0].Skipped.Message)
	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary file left behind")
}

// TestJUnitSuiteTimeIsWallTime: scenarios that ran side by side take the suite the span from the first
// start to the last end, not the sum of their durations.
func TestJUnitSuiteTimeIsWallTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, WriteJUnitFile(path, "conformance", []Scenario{
		{Name: "a", Feature: "baas/a.feature", Line: 1, Status: Passed, Started: t0, Duration: 2 * time.Second},
		{Name: "b", Feature: "baas/a.feature", Line: 2, Status: Passed, Started: t0.Add(500 * time.Millisecond), Duration: 2 * time.Second},
	}, 3*time.Second))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `<testsuite name="baas/a.feature" tests="2" failures="0" errors="0" skipped="0" time="2.500">`)
}

func TestCutsEndOnACharacterBoundary(t *testing.T) {
	long := strings.Repeat("é", MaxExchangeBody) // two bytes each
	got := CutBody(long)
	assert.True(t, utf8.ValidString(got))
	assert.True(t, strings.HasSuffix(got, fmt.Sprintf("… (cut: %d bytes in all)", len(long))))
	assert.Equal(t, "short", CutBody("short"))
	assert.Equal(t, "éé…", cutText("ééé", 5), "a cut inside a character steps back")
	assert.Equal(t, "ééé", cutText("ééé", 6))
}
