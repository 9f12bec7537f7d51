package featureset

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseExpandsOutlinesWithTagsAndLines(t *testing.T) {
	fsys := fstest.MapFS{"baas/a.feature": {Data: []byte(`@baas
Feature: f

  @BAAS-01 @control
  Scenario: plain
    Given x

  @BAAS-07
  Scenario Outline: limit <n>
    Given <n>

    Examples:
      | n |
      | 1 |

    @DOC-12
    Examples:
      | n |
      | 2 |
`)}}
	got, err := Parse(fsys, ".")
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, Scenario{Name: "plain", URI: "baas/a.feature", Line: 5, ScenarioLine: 5, Tags: []string{"@baas", "@BAAS-01", "@control"},
		IDs: []string{"BAAS-01"}, Provider: "baas", Steps: []Step{{Text: "x", Line: 6}}}, got[0])
	assert.Equal(t, []Step{{Text: "1", Line: 10}}, got[1].Steps, "an outline's steps with the row's values")
	assert.Equal(t, "limit 1", got[1].Name)
	assert.Equal(t, 14, got[1].Line)
	assert.Equal(t, []string{"BAAS-07"}, got[1].IDs)
	assert.Equal(t, []string{"BAAS-07", "DOC-12"}, got[2].IDs)
	assert.Equal(t, "baas/a.feature:19", got[2].Where())
	assert.Equal(t, 9, got[1].ScenarioLine, "an example row's scenario is its outline")
	assert.Equal(t, 9, got[2].ScenarioLine)
}

func TestParseErrors(t *testing.T) {
	_, err := Parse(fstest.MapFS{"baas/a.feature": {Data: []byte("Feature: f\n  Scenario: s\n    Given x\n  Examples oops\n")}}, ".")
	require.Error(t, err)
	assert.Regexp(t, `^baas/a.feature:4:3: Gherkin syntax error: "Examples oops" is not the end of the file, .* a step, .* or a blank line$`, err.Error())
	assert.NotContains(t, err.Error(), "\n")

	_, err = Parse(fstest.MapFS{"baas/a.feature": {Data: []byte("# only a comment\n")}}, ".")
	assert.ErrorContains(t, err, "no Feature")

	_, err = Parse(fstest.MapFS{"README.md": {Data: []byte("x")}}, ".")
	assert.ErrorContains(t, err, "no .feature files")
}

func TestTagsMatchLikeGodog(t *testing.T) {
	tags := []string{"@baas", "@BAAS-12", "@control"}
	for expr, want := range map[string]bool{
		"":                          true,
		"@BAAS-12":                  true,
		"BAAS-12":                   true,
		"@BAAS-13":                  false,
		"@BAAS-13,@BAAS-12":         true,
		"~@control":                 false,
		"~@destructive":             true,
		"@baas && ~@control":        false,
		"@baas && ~@gu1":            true,
		"@gu1,~@control && @baas":   false,
		"@gu1,@baas && @BAAS-12,@x": true,
	} {
		m, err := CompileTags(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, m.Match(tags), expr)
	}
	for _, bad := range []string{"@a,,@b", "@a && ", "~", "@a @b"} {
		_, err := CompileTags(bad)
		assert.Error(t, err, bad)
	}
}
