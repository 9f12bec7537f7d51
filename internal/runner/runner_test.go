package runner

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
)

func options(t testing.TB) Options {
	t.Helper()
	reg, err := schema.Embedded()
	require.NoError(t, err)
	cat, err := catalogue.Load()
	require.NoError(t, err)
	return Options{Features: features.FS, FeaturesName: "embedded", Schemas: reg, Catalogue: cat, Concurrency: 4, Out: io.Discard}
}

func TestRunRandomOrderIsStableInReports(t *testing.T) {
	o := options(t)
	o.Random = 42
	o.Tags = "@BAAS-12,@BAAS-13"
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, exit.OK, res.ExitCode())
	require.NotEmpty(t, res.Scenarios)
	for i := 1; i < len(res.Scenarios); i++ {
		a, b := res.Scenarios[i-1], res.Scenarios[i]
		assert.True(t, a.Feature < b.Feature || (a.Feature == b.Feature && a.Line < b.Line), "sorted by place: %v then %v", a, b)
	}
	require.Len(t, res.Coverage, 1, "only the provider --tags selected is reported")
	assert.Equal(t, []string{"baas"}, res.Providers())
	cov := res.Coverage[0]
	var states = map[string]string{}
	for _, c := range cov.IDs {
		states[c.ID] = c.State
	}
	assert.Equal(t, report.Proven, states["BAAS-12"])
	assert.Equal(t, report.NotRun, states["BAAS-01"], "filtered out by --tags")
}

func TestTargetsLeftOutByTagsAreNotContacted(t *testing.T) {
	o := options(t)
	o.Tags = "@GU1-07"
	// baas is named (as a config file names every provider) but --tags leaves it out: a closed port is
	// never probed, and the report is about gu1 alone.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	o.BaseURLs = map[string]string{"baas": closed}
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, exit.OK, res.ExitCode())
	assert.Equal(t, []string{"gu1"}, res.Providers())
	require.Len(t, res.Coverage, 1)
	assert.Equal(t, "gu1", res.Coverage[0].Provider)
}

func TestBadTagsAndNoMatchAreUsageErrorsBeforeAnyTargetStarts(t *testing.T) {
	o := options(t)
	o.Tags = "@a,,@b"
	_, err := Run(context.Background(), o)
	assert.Equal(t, exit.Usage, exit.CodeOf(err), "%v", err)
	o.Tags = "@NOPE-99"
	o.BaseURLs = map[string]string{"baas": "http://127.0.0.1:1"} // would be exit 3 if it were probed
	_, err = Run(context.Background(), o)
	assert.Equal(t, exit.NothingProven, exit.CodeOf(err), "%v", err)
	assert.ErrorContains(t, err, `nothing proven: no scenario of embedded matches --tags "@NOPE-99"`)
}

func TestExitCodes(t *testing.T) {
	r := &Result{Scenarios: []report.Scenario{{Status: report.Skipped}, {Status: report.Waived}}}
	assert.Equal(t, exit.NothingProven, r.ExitCode(), "nothing passed is not green")
	assert.ErrorContains(t, r.Err(), "nothing proven: no scenario passed (1 skipped, 1 waived of 2")
	r.Scenarios = append(r.Scenarios, report.Scenario{Status: report.Passed})
	assert.Equal(t, exit.OK, r.ExitCode())
	r.Scenarios = append(r.Scenarios, report.Scenario{Status: report.Failed})
	assert.Equal(t, exit.Failed, r.ExitCode())
	for range 3 {
		r.Scenarios = append(r.Scenarios, report.Scenario{Provider: "baas", Status: report.NotJudged, Message: "the baas target http://x stopped answering (connection refused)"})
	}
	assert.Equal(t, exit.Unavailable, r.ExitCode(), "a target that stopped answering is infrastructure, even beside a failure")
	assert.EqualError(t, r.Err(), "the baas target http://x stopped answering (connection refused): 3 scenarios not judged")
	r.Scenarios = append(r.Scenarios, report.Scenario{Status: report.Undefined})
	assert.Equal(t, exit.Usage, r.ExitCode())
}

func TestRunRefusesBaseURLForProviderWithoutFeatures(t *testing.T) {
	o := options(t)
	o.Features = fstest.MapFS{"baas/a.feature": {Data: []byte("Feature: f\n  Scenario: s\n    Given a person to register, built from the seed's example\n")}}
	o.BaseURLs = map[string]string{"baas": "http://127.0.0.1:1"}
	_, err := Run(context.Background(), o)
	assert.Equal(t, exit.Unavailable, exit.CodeOf(err), "%v", err)
}

// BenchmarkSuite measures whole runs on the embedded mocks: parse, start the mocks, every scenario,
// coverage; the BaaS suite alone, the natural-person suite (two of its scenarios send 5 MiB photos) and
// the whole suite. Compile time is not included.
func BenchmarkSuite(b *testing.B) {
	for _, bc := range []struct {
		name string
		tags string
		conc int
	}{{"baas/concurrency=1", "@baas", 1}, {"baas/concurrency=4", "@baas", 4},
		{"personalinfo/concurrency=4", "@personalinfo", 4}, {"all/concurrency=1", "", 1}, {"all/concurrency=4", "", 4}} {
		b.Run(bc.name, func(b *testing.B) {
			o := options(b)
			o.Concurrency, o.Tags = bc.conc, bc.tags
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				res, err := Run(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				if res.ExitCode() != exit.OK {
					for _, s := range res.Scenarios {
						if s.Status != report.Passed {
							b.Logf("%s (%s:%d): %s", s.Name, s.Feature, s.Line, s.Message)
						}
					}
					b.Fatalf("exit %d", res.ExitCode())
				}
			}
		})
	}
}

// TestUnknownIDsAreRefusedAndScenariosWithoutIDsWarned: a scenario tagged with an ID the catalogue lacks
// is a usage error naming it; one tagged with none runs with a warning.
func TestUnknownIDsAreRefusedAndScenariosWithoutIDsWarned(t *testing.T) {
	o := options(t)
	o.Features = fstest.MapFS{"baas/a.feature": {Data: []byte("Feature: f\n  @BAAS-99\n  Scenario: s\n    Given a person to register, built from the seed's example\n")}}
	_, err := Run(context.Background(), o)
	assert.Equal(t, exit.Usage, exit.CodeOf(err), "%v", err)
	assert.ErrorContains(t, err, "baas/a.feature:3: tag @BAAS-99 is not in the catalogue")

	var out strings.Builder
	o.Out = &out
	o.Features = fstest.MapFS{"baas/a.feature": {Data: []byte("Feature: f\n  Scenario: no id\n    Given a person to register, built from the seed's example\n")}}
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Contains(t, out.String(), `warning: baas/a.feature:2: scenario "no id" names no catalogue ID`)
	assert.Equal(t, exit.OK, res.ExitCode())
}

// TestARunThatFailsBeforeItsReportsLeavesNoHalfRecording: a report that cannot be written after the
// recording started leaves neither a recording nor its temporary file.
func TestARunThatFailsBeforeItsReportsLeavesNoHalfRecording(t *testing.T) {
	o := options(t)
	o.Tags = "@BAAS-01"
	o.Record = t.TempDir()
	blocker := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	o.CucumberJSON = filepath.Join(blocker, "cucumber.json") // its folder is a file: it cannot be made
	_, err := Run(context.Background(), o)
	assert.Equal(t, exit.Usage, exit.CodeOf(err), "%v", err)
	entries, err := os.ReadDir(o.Record)
	require.NoError(t, err)
	assert.Empty(t, entries, "no recording, and no temporary file")
}

// TestGodogsOwnTotalsAreLeftOut: the console carries one summary, the harness's; godog's closing lines
// ("N scenarios (…)", "N steps (…)", the duration) are dropped, everything else is kept (issue 18).
func TestGodogsOwnTotalsAreLeftOut(t *testing.T) {
	var b strings.Builder
	l := &lineWriter{w: &b, edit: func(s string) string { return s }, drop: godogTotals()}
	_, _ = l.Write([]byte("..F 3\n\n--- Failed steps:\n  Scenario: x\n\n3 scenarios (2 passed, 1 failed)\n9 steps (8 passed, 1 failed)\n54.4ms\n12ms after\n"))
	_ = l.Flush()
	assert.Equal(t, "..F 3\n\n--- Failed steps:\n  Scenario: x\n\n12ms after\n", b.String())
}
