package runner

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/featureset"
)

func TestParseShard(t *testing.T) {
	s, err := ParseShard("2/4")
	require.NoError(t, err)
	assert.Equal(t, Shard{Index: 2, Count: 4}, s)
	assert.Equal(t, "2/4", s.String())
	for _, bad := range []string{"0/2", "3/2", "1", "a/b", "1/0", "-1/2", "1/2/3"} {
		_, err := ParseShard(bad)
		assert.Error(t, err, bad)
	}
}

func TestSplitIsBalancedDeterministicAndKeepsOutlinesWhole(t *testing.T) {
	var all []featureset.Scenario
	for f := 0; f < 7; f++ {
		for sc := 0; sc < 5; sc++ {
			line := 10 + sc*10
			rows := 1
			if sc == 2 {
				rows = 4 // an outline with four example rows
			}
			for r := 0; r < rows; r++ {
				all = append(all, featureset.Scenario{URI: fmt.Sprintf("p/f%d.feature", f), ScenarioLine: line, Line: line + r})
			}
		}
	}
	for _, n := range []int{1, 2, 3, 5} {
		paths, parts := split(all, n)
		again, _ := split(all, n)
		assert.Equal(t, paths, again, "the same split every time")
		total, lo, hi := 0, len(all), 0
		owner := map[string]int{}
		for i, p := range parts {
			total += len(p)
			lo, hi = min(lo, len(p)), max(hi, len(p))
			for _, s := range p {
				k := fmt.Sprintf("%s:%d", s.URI, s.ScenarioLine)
				if o, ok := owner[k]; ok {
					assert.Equal(t, o, i, "an outline's rows stay in one shard")
				}
				owner[k] = i
			}
		}
		assert.Equal(t, len(all), total, "every scenario in exactly one shard")
		assert.LessOrEqual(t, hi-lo, 4, "shards differ by at most the largest unit (n=%d)", n)
	}
}
