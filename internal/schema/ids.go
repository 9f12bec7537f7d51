package schema

import (
	"slices"
	"sort"
	"strings"
)

// IDsKeyword annotates a schema node with the catalogue IDs of the rules it states
// ("x-catalogue-ids": ["BAAS-07", "DOC-12"]), so that a violation at a member names the documented rule
// it breaks. JSON Schema ignores keywords it does not know; the registry reads this one.
const IDsKeyword = "x-catalogue-ids"

// idsAt is the catalogue IDs of the most specific annotated node on the way from the schema key's root
// to the member at ptr: a member's own annotation wins over its object's. Nil when nothing on the way
// is annotated.
func (r *Registry) idsAt(key, ptr string) []string {
	d := r.docs[key]
	if d == nil {
		return nil
	}
	cur := []branch{{d, d.tree}}
	var found []string
	toks := []string{}
	if ptr != "" {
		toks = strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	}
	for depth := 0; ; depth++ {
		var flat []branch
		var here []string
		for _, b := range cur {
			for _, fb := range r.branches(b.doc, b.node, 0) {
				flat = append(flat, fb)
				here = append(here, annotated(fb.node)...)
			}
		}
		if len(here) > 0 {
			found = here
		}
		if depth == len(toks) {
			break
		}
		tok := unescapeToken(toks[depth])
		cur = nil
		for _, b := range flat {
			m, _ := b.node.(map[string]any)
			if ps, ok := m["properties"].(map[string]any); ok {
				if s, ok := ps[tok]; ok {
					cur = append(cur, branch{b.doc, s})
				}
			}
			if items, ok := m["items"]; ok && isIndex(tok) {
				cur = append(cur, branch{b.doc, items})
			}
		}
		if len(cur) == 0 {
			break
		}
	}
	sort.Strings(found)
	return slices.Compact(found)
}

func annotated(node any) []string {
	m, _ := node.(map[string]any)
	list, _ := m[IDsKeyword].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// NamedIDs lists, sorted, every catalogue ID the schemas name: in x-catalogue-ids annotations and in
// the operations' catalogue_ids. A test holds each to the catalogue.
func (r *Registry) NamedIDs() []string {
	var out []string
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case map[string]any:
			out = append(out, annotated(v)...)
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	for _, d := range r.docs {
		walk(d.tree)
	}
	for _, ops := range r.ops {
		for _, op := range ops {
			out = append(out, op.CatalogueIDs...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
