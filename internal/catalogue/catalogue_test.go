package catalogue

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/schema"
)

// TestEveryInScopeIDHasAScenario is the coverage gate: it fails when a catalogue ID in scope
// ("required") has no scenario tagged with it, or a scenario names an ID the catalogue lacks.
func TestEveryInScopeIDHasAScenario(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	scenarios, err := featureset.Parse(features.FS, ".")
	require.NoError(t, err)
	var providers []string
	for p := range c.Providers {
		providers = append(providers, p)
	}
	assert.Empty(t, c.Gaps(scenarios, providers))
}

func TestGapsFindsMissingAndUnknownIDs(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	var scenarios []featureset.Scenario
	for _, e := range c.ForProvider("baas") {
		if e.Scope == "required" && e.ID != "BAAS-12" {
			scenarios = append(scenarios, featureset.Scenario{URI: "baas/x.feature", Line: 1, IDs: []string{e.ID}})
		}
	}
	scenarios = append(scenarios, featureset.Scenario{URI: "baas/x.feature", Line: 9, IDs: []string{"BAAS-99"}})
	assert.Equal(t, []string{
		"BAAS-12 (baas) has no scenario tagged @BAAS-12",
		"baas/x.feature:9: tag @BAAS-99 is not in the catalogue",
	}, c.Gaps(scenarios, []string{"baas"}))
}

// TestMatchesTheSharedCatalogue keeps this copy in step with ../shared/spec/catalogue.md, which sits
// beside the repository on developer machines and in CI.
func TestMatchesTheSharedCatalogue(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "spec", "catalogue.md"))
	if os.IsNotExist(err) {
		t.Skip("../shared/spec/catalogue.md is not beside this checkout")
	}
	require.NoError(t, err)
	c, err := Load()
	require.NoError(t, err)
	var ours []string
	for _, e := range c.Entries {
		ours = append(ours, e.ID)
	}
	for _, f := range c.Findings {
		ours = append(ours, f.ID)
	}
	assert.ElementsMatch(t, IDsIn(string(raw)), ours)
}

func TestParseRejectsInconsistentCatalogues(t *testing.T) {
	for name, doc := range map[string]string{
		"duplicate":        `{"providers":{"p":{}},"entries":[{"id":"BAAS-01","provider":"p","scope":"required"},{"id":"BAAS-01","provider":"p","scope":"required"}]}`,
		"unknown provider": `{"providers":{},"entries":[{"id":"BAAS-01","provider":"p","scope":"required"}]}`,
		"bad scope":        `{"providers":{"p":{}},"entries":[{"id":"BAAS-01","provider":"p","scope":"maybe"}]}`,
		"not json":         `{`,
	} {
		_, err := parse([]byte(doc))
		assert.Error(t, err, name)
	}
}

// TestSchemasNameOnlyCatalogueIDs: every ID a schema's x-catalogue-ids or an operation's catalogue_ids
// names, which the mocks teach a refused client and the gate judges by, is in the catalogue.
func TestSchemasNameOnlyCatalogueIDs(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	reg, err := schema.Embedded()
	require.NoError(t, err)
	ids := reg.NamedIDs()
	require.NotEmpty(t, ids)
	for _, id := range ids {
		assert.True(t, c.Known(id), "schemas name %s, which the catalogue does not have", id)
	}
	for _, p := range reg.Providers() {
		for _, op := range reg.Operations(p) {
			assert.NotEmpty(t, op.CatalogueIDs, "%s %s names no catalogue ID", p, op.Name())
		}
	}
}
