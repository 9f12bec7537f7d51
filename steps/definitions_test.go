package steps

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefinitionsPointAtTheStepFunctions(t *testing.T) {
	defs := Definitions()
	require.Greater(t, len(defs), 50)
	seen := map[string]bool{}
	for _, d := range defs {
		assert.False(t, seen[d.Expr], "two definitions of %s", d.Expr)
		seen[d.Expr] = true
		require.True(t, strings.HasPrefix(d.File, "steps/"), d.File)
		assert.NotEqual(t, "steps/world.go", d.File, "%s points at the registry, not its function", d.Expr)
		src, err := os.ReadFile(strings.TrimPrefix(d.File, "steps/"))
		require.NoError(t, err)
		lines := strings.Split(string(src), "\n")
		require.Less(t, d.Line-1, len(lines))
		assert.Contains(t, lines[d.Line-1], "func", "%s:%d is where a function begins", d.File, d.Line)
	}
	ms := Match("the provider answers 200")
	require.Len(t, ms, 1)
	assert.True(t, strings.HasSuffix(ms[0].Func, "steps.theProviderAnswers"))
	assert.Equal(t, "steps/common.go", ms[0].File)
	assert.Empty(t, Match("the moon is made of cheese"))

	line := "    Then the provider answers 200      # world.go:199 -> github.com/latam-conformance/conformance/steps.theProviderAnswers"
	got := LocateLine(line)
	assert.Contains(t, got, "# common.go:"+strconv.Itoa(ms[0].Line)+" -> github.com/latam-conformance/conformance/steps.theProviderAnswers")
	assert.Equal(t, "no location here", LocateLine("no location here"))
}
