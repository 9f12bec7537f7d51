package steps

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/internal/targets"
)

// opts are godog's options for TestSuite, bound to the command line as godog's own documentation
// does: go test ./steps -godog.tags=@BAAS-12 -godog.format=pretty (see TestMain).
var opts = godog.Options{Format: "progress", Strict: true, Concurrency: 4, Randomize: -1, NoColors: true}

func init() { godog.BindCommandLineFlags("godog.", &opts) }

// TestMain reads the godog flags. go test passes its own flags with one dash (-test.run), and godog's
// README writes -godog.tags; pflag wants two dashes for a long flag, so one is added.
func TestMain(m *testing.M) {
	args := os.Args[1:]
	for i, a := range args {
		if strings.HasPrefix(a, "-godog.") {
			args[i] = "-" + a
		}
	}
	if err := pflag.CommandLine.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	opts.Paths = pflag.Args()
	if len(opts.Paths) == 0 {
		opts.Paths = []string{"."}
	}
	os.Exit(m.Run())
}

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
	o := opts
	o.FS, o.TestingT = features.FS, t
	suite := godog.TestSuite{
		Name:                "conformance",
		ScenarioInitializer: func(sc *godog.ScenarioContext) { Initialize(sc, deps) },
		Options:             &o,
	}
	require.Equal(t, 0, suite.Run(), "non-zero status from the godog suite")
	results := deps.Results.Results()
	require.NotEmpty(t, results)
	for _, r := range results {
		require.Equal(t, report.Passed, r.Status, "%s: %s", r.Name, r.Message)
	}
}
