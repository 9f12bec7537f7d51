package steps

import (
	"context"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/targets"
)

// TestSuite runs the whole embedded Gherkin suite under go test, each scenario a subtest, four at a
// time, against the embedded mocks: with -race this proves the per-scenario World shares nothing.
func TestSuite(t *testing.T) {
	reg, err := schema.Embedded()
	require.NoError(t, err)
	set, err := targets.Start(context.Background(), providers.Names(), nil, mock.Config{Schemas: reg, BaaSSigning: []string{"claims", "qit"}}, targets.Mode{})
	require.NoError(t, err)
	defer set.Close()
	deps := &Deps{Targets: map[string]Target{}, Schemas: reg, Results: &report.Collector{}}
	for name, tg := range set.ByName {
		deps.Targets[name] = Target{BaseURL: tg.BaseURL, Control: tg.Control, Embedded: tg.Embedded}
	}
	suite := godog.TestSuite{
		Name:                "conformance",
		ScenarioInitializer: func(sc *godog.ScenarioContext) { Initialize(sc, deps) },
		Options: &godog.Options{Format: "progress", Paths: []string{"."}, FS: features.FS, Strict: true,
			Concurrency: 4, Randomize: -1, TestingT: t, NoColors: true},
	}
	require.Equal(t, 0, suite.Run(), "non-zero status from the godog suite")
	results := deps.Results.Results()
	require.NotEmpty(t, results)
	for _, r := range results {
		require.Equal(t, report.Passed, r.Status, "%s: %s", r.Name, r.Message)
	}
}
