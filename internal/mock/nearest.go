package mock

import (
	"strings"

	"github.com/latam-conformance/conformance/internal/editdist"
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
		score := editdist.Levenshtein("/"+strings.Join(tmpl, "/"), "/"+strings.Join(segs, "/"))
		if op.Method != method {
			score += 3
		}
		if best == nil || score < bestScore {
			best, bestScore = op, score
		}
	}
	return best
}
