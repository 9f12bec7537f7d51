package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/latam-conformance/conformance/internal/featureset"
)

// Shard is one part of a run split across machines: Index of Count, from 1. The zero Shard is the
// whole run.
type Shard struct{ Index, Count int }

// ParseShard reads "I/N" (1 <= I <= N); "" is the whole run.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 1 || a > b {
		return Shard{}, fmt.Errorf("shard %q: want I/N with 1 <= I <= N, e.g. 2/4", s)
	}
	return Shard{Index: a, Count: b}, nil
}

func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// unit is what a shard takes whole: one scenario, or one outline with all its example rows (godog
// selects by the scenario's line).
type unit struct {
	uri    string
	line   int
	weight int // scenarios (pickles) in it
}

// split assigns the selected scenarios to count shards and returns, per shard, its godog paths
// ("uri:line") and its scenarios. The split depends only on the feature set and the selection: units in
// file and line order, each to the shard with the fewest scenarios so far (the lowest index on a tie),
// so every machine of a matrix computes the same split and the shards differ by at most one unit.
func split(selected []featureset.Scenario, count int) (paths [][]string, parts [][]featureset.Scenario) {
	var units []*unit
	byKey := map[string]*unit{}
	for _, s := range selected {
		k := fmt.Sprintf("%s:%d", s.URI, s.ScenarioLine)
		u := byKey[k]
		if u == nil {
			u = &unit{uri: s.URI, line: s.ScenarioLine}
			byKey[k] = u
			units = append(units, u)
		}
		u.weight++
	}
	// featureset.Parse returns files sorted and scenarios in file order: units are in that order already.
	load := make([]int, count)
	owner := map[string]int{}
	paths = make([][]string, count)
	parts = make([][]featureset.Scenario, count)
	for _, u := range units {
		best := 0
		for i := 1; i < count; i++ {
			if load[i] < load[best] {
				best = i
			}
		}
		load[best] += u.weight
		k := fmt.Sprintf("%s:%d", u.uri, u.line)
		owner[k] = best
		paths[best] = append(paths[best], k)
	}
	for _, s := range selected {
		i := owner[fmt.Sprintf("%s:%d", s.URI, s.ScenarioLine)]
		parts[i] = append(parts[i], s)
	}
	return paths, parts
}
