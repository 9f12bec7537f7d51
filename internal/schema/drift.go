package schema

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// RuleUnknownField is the rule of a Violation for a member the schema does not describe.
const RuleUnknownField = "unknown-field"

// UnknownFields lists the members of a response body that its schema does not describe: an object
// member that none of the schema's properties (through $ref, allOf, anyOf, oneOf, if/then/else) names,
// where the schema does not itself allow more (additionalProperties or patternProperties). A schema
// accepts such members; a provider that sends them has moved beyond its documents (drift).
func (r *Registry) UnknownFields(op *Operation, status int, body []byte) []Violation {
	w := r.walkAnswer(op, status, body)
	if w == nil {
		return nil
	}
	out := w.unknown
	sort.Slice(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return out
}

// Enumerated lists the JSON pointers of a response body whose schema fixes the value: an enum or a
// const (a documented code, status or kind a client branches on), sorted. Array elements are named by
// their index.
func (r *Registry) Enumerated(op *Operation, status int, body []byte) []string {
	w := r.walkAnswer(op, status, body)
	if w == nil {
		return nil
	}
	sort.Strings(w.enums)
	return slices.Compact(w.enums)
}

// walkAnswer walks a response body with the schema of its operation and status; nil when either is
// undocumented or the body is no JSON.
func (r *Registry) walkAnswer(op *Operation, status int, body []byte) *walker {
	file, ok := op.Responses[strconv.Itoa(status)]
	if !ok {
		return nil
	}
	d := r.docs[op.Provider+"/"+file]
	var inst any
	if d == nil || json.Unmarshal(body, &inst) != nil {
		return nil
	}
	w := &walker{r: r}
	w.walk(d, d.tree, inst, "", 0)
	return w
}

// walker compares an instance with its schema: the members the schema does not describe, and the
// places whose values it enumerates.
type walker struct {
	r       *Registry
	unknown []Violation
	enums   []string
}

// walk compares inst with the schema node (in document d). depth stops a $ref cycle.
func (w *walker) walk(d *doc, node, inst any, ptr string, depth int) {
	if depth > 64 {
		return
	}
	r := w.r
	branches := r.branches(d, node, depth)
	for _, b := range branches {
		m, _ := b.node.(map[string]any)
		_, enum := m["enum"]
		_, constant := m["const"]
		if enum || constant {
			w.enums = append(w.enums, PointerOrRoot(ptr))
			break
		}
	}
	switch v := inst.(type) {
	case map[string]any:
		props := map[string][]branch{}
		open, described := false, false
		for _, b := range branches {
			m, _ := b.node.(map[string]any)
			if m == nil {
				open = true // true / {} schemas allow anything
				continue
			}
			if ap, ok := m["additionalProperties"]; ok && ap != false {
				open = true
			}
			if _, ok := m["patternProperties"]; ok {
				open = true
			}
			if ps, ok := m["properties"].(map[string]any); ok {
				described = true
				for k, s := range ps {
					props[k] = append(props[k], branch{b.doc, s})
				}
			}
		}
		if !described {
			open = true // a schema that names no member ({"type": "object"}) allows any
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := ptr + "/" + EscapeToken(k)
			bs, known := props[k]
			if !known {
				if !open {
					w.unknown = append(w.unknown, Violation{Pointer: p, Rule: RuleUnknownField, Message: "a member the schema does not describe"})
				}
				continue
			}
			for _, b := range bs {
				w.walk(b.doc, b.node, v[k], p, depth+1)
			}
		}
	case []any:
		for _, b := range branches {
			m, _ := b.node.(map[string]any)
			if items, ok := m["items"]; ok {
				for i, e := range v {
					w.walk(b.doc, items, e, ptr+"/"+strconv.Itoa(i), depth+1)
				}
			}
		}
	}
}

type branch struct {
	doc  *doc
	node any
}

// branches flattens node into the schemas an instance must (or may) satisfy: itself, its $ref target,
// and the members of allOf, anyOf, oneOf, then and else, recursively.
func (r *Registry) branches(d *doc, node any, depth int) []branch {
	if depth > 64 {
		return nil
	}
	m, ok := node.(map[string]any)
	if !ok {
		return []branch{{d, node}}
	}
	out := []branch{{d, m}}
	if ref, ok := m["$ref"].(string); ok {
		if td, tn := r.resolve(d, ref); tn != nil {
			out = append(out, r.branches(td, tn, depth+1)...)
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := m[key].([]any); ok {
			for _, sub := range list {
				out = append(out, r.branches(d, sub, depth+1)...)
			}
		}
	}
	for _, key := range []string{"then", "else"} {
		if sub, ok := m[key]; ok {
			out = append(out, r.branches(d, sub, depth+1)...)
		}
	}
	return out
}

func (r *Registry) resolve(d *doc, ref string) (*doc, any) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, nil
	}
	abs := d.id.ResolveReference(u)
	frag := abs.Fragment
	abs.Fragment = ""
	target, ok := r.byID[abs.String()]
	if !ok {
		return nil, nil
	}
	n, err := pointerGet(target.tree, frag)
	if err != nil {
		return nil, nil
	}
	return target, n
}

// PointerOrRoot is JSON pointer p as reports write it: "/" for the whole document (RFC 6901's "").
func PointerOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// unescapeToken reads a JSON pointer token back into the member name it stands for.
func unescapeToken(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// EscapeToken writes an object member's name as a JSON pointer token (RFC 6901: "~" as "~0", "/" as "~1").
func EscapeToken(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// ValueAt is the value at a JSON pointer in a JSON body, as JSON text ("" when there is none).
func ValueAt(body []byte, ptr string) string {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	v, err := pointerGet(doc, ptr)
	if err != nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
