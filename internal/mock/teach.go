package mock

import (
	"net/http"
	"slices"
	"strings"
)

// The headers through which a mock teaches the client that broke a rule, whatever its error shape
// (issue 13): the catalogue IDs of the rule and the rule itself. The journal reads the same headers, so
// what a client is told and what its verdict says cannot differ. NoteHeader carries a leniency: something
// the documents do not forbid, accepted and said (a JWT registered claim, a DOC-xx reading).
const (
	IDsHeader  = "Conformance-Catalogue-Ids"
	RuleHeader = "Conformance-Rule"
	NoteHeader = "Conformance-Note"
)

// Broke marks p as the answer to a request that broke a documented request-side rule: ids are the
// catalogue IDs (KYC-16, BAAS-07, DOC-12, ...), rule says what was wanted. It returns p.
func (p *Problem) Broke(rule string, ids ...string) *Problem {
	p.IDs = append(p.IDs, ids...)
	if p.Rule == "" {
		p.Rule = rule
	} else if rule != "" {
		p.Rule += "; " + rule
	}
	return p
}

// Breach tells whether p answers a broken request-side rule (it names catalogue IDs), rather than a
// documented outcome such as an expired token or an unknown id.
func (p *Problem) Breach() bool { return len(p.IDs) > 0 }

// Teach sets IDsHeader and RuleHeader on w for a breach; every mock's error writer calls it before it
// writes the provider's own shape.
func Teach(w http.ResponseWriter, p *Problem) {
	if !p.Breach() {
		return
	}
	w.Header().Set(IDsHeader, strings.Join(SortedIDs(p.IDs), ", "))
	w.Header().Set(RuleHeader, oneLine(p.Rule))
}

// Note adds a leniency the mock granted to the answer's headers: the documents do not forbid what the
// client did, or two documents disagree and the client followed one of them (ids name the DOC-xx row).
func Note(w http.ResponseWriter, text string, ids ...string) {
	if len(ids) > 0 {
		text = strings.Join(SortedIDs(ids), ", ") + ": " + text
	}
	w.Header().Add(NoteHeader, oneLine(text))
}

// Teaching is what a breach adds to an error body where the provider's shape has room for it (BaaS's
// additional_data, a details member): the catalogue IDs and the rule.
func (p *Problem) Teaching() map[string]any {
	return map[string]any{"catalogue_ids": SortedIDs(p.IDs), "rule": oneLine(p.Rule)}
}

// SortedIDs is ids without repeats, in catalogue order (BAAS-2 before BAAS-10).
func SortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.SortFunc(out, compareIDs)
	return slices.Compact(out)
}

func compareIDs(a, b string) int {
	pa, na := splitID(a)
	pb, nb := splitID(b)
	if c := strings.Compare(pa, pb); c != 0 {
		return c
	}
	if na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

func splitID(id string) (string, int) {
	prefix, num, _ := strings.Cut(id, "-")
	n := 0
	for _, c := range num {
		if c < '0' || c > '9' {
			return id, 0
		}
		n = n*10 + int(c-'0')
	}
	return prefix, n
}

// oneLine folds s onto one line, as a header value must be.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
