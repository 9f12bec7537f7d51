package mock

import (
	"strings"

	"github.com/latam-conformance/conformance/internal/schema"
)

// Nearest is the documented operation closest to a call of method on path: the fewest character edits
// between path and the operation's path (its {placeholders} filled with the call's segments where the
// segment counts agree), a method other than the call's counting as three more. Nil without operations.
func Nearest(ops []*schema.Operation, method, path string) *schema.Operation {
	var best *schema.Operation
	bestScore := 0
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, op := range ops {
		tmpl := strings.Split(strings.Trim(op.Path, "/"), "/")
		if len(tmpl) == len(segs) {
			for i, t := range tmpl {
				if strings.HasPrefix(t, "{") {
					tmpl[i] = segs[i]
				}
			}
		}
		score := editDistance("/"+strings.Join(tmpl, "/"), "/"+strings.Join(segs, "/"))
		if op.Method != method {
			score += 3
		}
		if best == nil || score < bestScore {
			best, bestScore = op, score
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
