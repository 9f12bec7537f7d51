package boundary

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// node is a schema with its $ref resolved and its members read.
type node struct {
	s        map[string]any
	props    map[string]*node
	order    []string // property names, sorted
	required []string // members the smallest valid body keeps (an anyOf of required lists: its first)
	oneOf    [][]string
	items    *node
}

// resolve follows a $ref (local to the document) and merges the referring schema's own members over
// the target's, as 2020-12 reads a $ref beside other keywords.
func (g *gen) resolve(v any) (map[string]any, error) {
	s, _ := v.(map[string]any)
	for range 16 {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nil
		}
		target, err := pointer(g.doc, ref)
		if err != nil {
			return nil, err
		}
		merged := map[string]any{}
		for k, v := range target {
			merged[k] = v
		}
		for k, v := range s {
			if k != "$ref" {
				merged[k] = v
			}
		}
		s = merged
	}
	return nil, fmt.Errorf("$ref chain too long at %v", s["$ref"])
}

// pointer reads a "#/a/b" reference in doc.
func pointer(doc map[string]any, ref string) (map[string]any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local to the document", ref)
	}
	var cur any = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: nothing at %q", ref, tok)
		}
		cur = m[tok]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q points to no schema", ref)
	}
	return m, nil
}

func (g *gen) tree(s map[string]any, depth int) (*node, error) {
	if depth > 12 {
		return nil, fmt.Errorf("schema nested too deep")
	}
	n := &node{s: s, props: map[string]*node{}}
	props, _ := s["properties"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		child, err := g.resolve(props[name])
		if err != nil {
			return nil, err
		}
		if n.props[name], err = g.tree(child, depth+1); err != nil {
			return nil, err
		}
		n.order = append(n.order, name)
	}
	n.required = strs(s["required"])
	for _, alt := range list(s["anyOf"]) {
		if a, ok := alt.(map[string]any); ok && len(a) == 1 && a["required"] != nil {
			n.oneOf = append(n.oneOf, strs(a["required"]))
		}
	}
	if len(n.oneOf) > 0 {
		n.required = append(n.required, n.oneOf[0]...)
	}
	if it := s["items"]; it != nil {
		child, err := g.resolve(it)
		if err != nil {
			return nil, err
		}
		if n.items, err = g.tree(child, depth+1); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// object gives the cases of an object's own constraints and of each member's.
func (g *gen) object(at []string, n *node, ids []string) {
	ids = idsOf(n.s, ids)
	for _, r := range n.required {
		if slices.ContainsFunc(n.oneOf, func(grp []string) bool { return slices.Contains(grp, r) }) {
			continue
		}
		g.constraint()
		g.add(&Case{Member: path(at, r), Rule: "required", Change: "left out", Remove: true}, idsOf(childSchema(n, r), ids))
	}
	if len(n.oneOf) > 0 {
		// Pomelo's clean: one of user_id or document_number. The smallest valid body has the first.
		g.constraint()
		var all [][]string
		for _, grp := range n.oneOf {
			for _, m := range grp {
				all = append(all, path(at, m))
			}
		}
		rule := "anyOf required: " + strings.Join(slices.Concat(n.oneOf...), " or ")
		g.add(&Case{Member: all[0], Rule: rule, Change: "none of them", Remove: true, Drop: all[1:]}, ids)
		for _, m := range all[1:] {
			g.add(&Case{Member: m, Rule: rule, Change: "only " + m[len(m)-1], Value: g.valid(n.props[m[len(m)-1]]), Accept: true, Drop: [][]string{all[0]}}, ids)
		}
	}
	if ap, ok := n.s["additionalProperties"].(bool); ok && !ap && g.media != "multipart/form-data" {
		g.constraint()
		g.add(&Case{Member: path(at, "boundary_unknown_member"), Rule: "additionalProperties false", Change: "a member the contract does not name", Value: "x"}, ids)
	}
	for _, name := range n.order {
		g.member(path(at, name), n.props[name], ids)
	}
}

func childSchema(n *node, name string) map[string]any {
	if c := n.props[name]; c != nil {
		return c.s
	}
	return nil
}

func path(at []string, name string) []string { return append(slices.Clone(at), name) }

func idsOf(s map[string]any, inherited []string) []string {
	if ids := strs(s["x-catalogue-ids"]); len(ids) > 0 {
		return ids
	}
	return inherited
}

// member gives the cases of one member's constraints.
func (g *gen) member(at []string, n *node, ids []string) {
	ids = idsOf(n.s, ids)
	s := n.s
	if g.filePart(at, s, ids) {
		return
	}
	types := typesOf(s)
	form := g.media == "multipart/form-data" // text parts: no JSON types, no null
	if len(types) > 0 && !form {
		g.constraint()
		if slices.Contains(types, "null") {
			g.add(&Case{Member: at, Rule: "type " + strings.Join(types, " or "), Change: "null", Value: nil, Accept: true}, ids)
		} else {
			g.add(&Case{Member: at, Rule: "type " + strings.Join(types, " or "), Change: "null", Value: nil}, ids)
		}
		if v, name, ok := g.wrongType(types); ok {
			g.add(&Case{Member: at, Rule: "type " + strings.Join(types, " or "), Change: name, Value: v}, ids)
		}
	}
	bound := g.bound(at)
	for _, c := range g.stringCases(s, bound) {
		c.Member = at
		g.add(c, ids)
	}
	for _, c := range g.numberCases(s, slices.Contains(types, "integer")) {
		c.Member = at
		g.add(c, ids)
	}
	if max, ok := num(s["x-max-bytes"]); ok && slices.Contains(types, "object") {
		g.constraint()
		g.add(&Case{Member: at, Rule: fmt.Sprintf("x-max-bytes %d", int(max)), Change: fmt.Sprintf("%d bytes of compact JSON, at the limit", int(max)), Value: g.objectOfBytes(int(max)), Accept: true}, ids)
		g.add(&Case{Member: at, Rule: fmt.Sprintf("x-max-bytes %d", int(max)), Change: fmt.Sprintf("%d bytes of compact JSON, one past", int(max)+1), Value: g.objectOfBytes(int(max) + 1)}, ids)
	}
	if slices.Contains(types, "array") {
		g.arrayCases(at, n, ids)
	}
	if len(n.order) > 0 || len(n.oneOf) > 0 || n.s["additionalProperties"] == false {
		g.object(at, n, ids)
	}
}

// filePart gives a multipart file part's cases (its size and media type), and says whether s is one.
func (g *gen) filePart(at []string, s map[string]any, ids []string) bool {
	media, _ := s["contentMediaType"].(string)
	if g.media != "multipart/form-data" || media == "" {
		return false
	}
	want := "image/gif" // what the steps send: a GIF (its signature, then zeros)
	if max, ok := num(s["x-max-bytes"]); ok {
		g.constraint()
		rule := fmt.Sprintf("x-max-bytes %d", int(max))
		g.add(&Case{Member: at, Rule: rule, Change: fmt.Sprintf("%d bytes, at the limit", int(max)), Value: FilePart{Size: int(max), Type: want}, Accept: true}, ids)
		g.add(&Case{Member: at, Rule: rule, Change: fmt.Sprintf("%d bytes, one past", int(max)+1), Value: FilePart{Size: int(max) + 1, Type: want}}, ids)
		g.add(&Case{Member: at, Rule: rule, Change: "0 bytes", Value: FilePart{Size: 0, Type: want}}, ids)
	}
	g.constraint()
	g.add(&Case{Member: at, Rule: "contentMediaType " + media, Change: "text declared text/plain", Value: FilePart{Size: 64, Type: "text/plain", Text: true}}, ids)
	return true
}

func typesOf(s map[string]any) []string {
	var out []string
	switch t := s["type"].(type) {
	case string:
		out = append(out, t)
	case []any:
		out = strs(t)
	}
	for _, alt := range list(s["anyOf"]) {
		if a, ok := alt.(map[string]any); ok {
			out = append(out, typesOf(a)...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// wrongType is a value of a JSON type the member does not take, chosen by the seed among those.
func (g *gen) wrongType(types []string) (any, string, bool) {
	type alt struct {
		v    any
		name string
		t    []string // the schema types that would take it
	}
	alts := []alt{
		{"1", "string", []string{"string"}},
		{float64(1), "number", []string{"number", "integer"}},
		{true, "boolean", []string{"boolean"}},
		{map[string]any{}, "object", []string{"object"}},
		{[]any{}, "array", []string{"array"}},
	}
	var ok []alt
	for _, a := range alts {
		if !slices.ContainsFunc(a.t, func(t string) bool { return slices.Contains(types, t) }) {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		return nil, "", false
	}
	a := ok[g.rnd.IntN(len(ok))]
	article := "a "
	if a.name == "object" || a.name == "array" {
		article = "an "
	}
	return a.v, article + a.name, true
}

func (g *gen) stringCases(s map[string]any, bound bool) []*Case {
	var out []*Case
	pattern, _ := s["pattern"].(string)
	var re *regexp.Regexp
	if pattern != "" {
		re, _ = regexp.Compile(pattern)
	}
	if min, ok := num(s["minLength"]); ok {
		g.constraint()
		m := int(min)
		rule := fmt.Sprintf("minLength %d", m)
		if !bound && re == nil {
			out = append(out, &Case{Rule: rule, Change: chars(m, "at the limit"), Value: g.text(m), Accept: true})
		}
		if m > 0 {
			out = append(out, &Case{Rule: rule, Change: chars(m-1, "one short"), Value: g.text(m - 1)})
		}
	}
	if max, ok := num(s["maxLength"]); ok {
		g.constraint()
		m := int(max)
		rule := fmt.Sprintf("maxLength %d", m)
		if !bound && re == nil {
			out = append(out, &Case{Rule: rule, Change: chars(m, "at the limit"), Value: g.text(m), Accept: true})
		}
		out = append(out, &Case{Rule: rule, Change: chars(m+1, "one past"), Value: g.text(m + 1)})
	}
	if re != nil {
		g.constraint()
		rule := "pattern " + pattern
		sample, ok := g.matching(re)
		examples := strs(s["examples"])
		if len(examples) > 0 { // a pattern looser than the rule (a calendar date, a field named twice)
			sample, ok = examples[0], true
		}
		if f, _ := s["format"].(string); f != "" { // a text the format takes too, where it has one
			if _, good, _ := formatValues(f); good != "" && re.MatchString(good) {
				sample, ok = good, true
			}
		}
		if ok && !bound {
			out = append(out, &Case{Rule: rule, Change: fmt.Sprintf("%q, which matches", sample), Value: sample, Accept: true})
			for _, e := range examples[min(1, len(examples)):] {
				out = append(out, &Case{Rule: rule, Change: fmt.Sprintf("%q, which matches", e), Value: e, Accept: true})
			}
		}
		if bad, ok := mismatch(re, sample); ok {
			out = append(out, &Case{Rule: rule, Change: fmt.Sprintf("%q, which does not match", bad), Value: bad})
		}
	}
	if f, ok := s["format"].(string); ok {
		if bad, good, known := formatValues(f); known {
			g.constraint()
			if re == nil && !bound && good != "" {
				out = append(out, &Case{Rule: "format " + f, Change: fmt.Sprintf("%q, a valid %s", good, f), Value: good, Accept: true})
			}
			out = append(out, &Case{Rule: "format " + f, Change: fmt.Sprintf("%q, not a %s", bad, f), Value: bad})
		}
	}
	if enum := list(s["enum"]); len(enum) > 0 {
		g.constraint()
		rule := "enum " + enumText(enum)
		if !bound {
			for _, v := range enum {
				out = append(out, &Case{Rule: rule, Change: fmt.Sprintf("%v, in the enum", v), Value: v, Accept: true})
			}
		}
		if s, ok := enum[0].(string); ok {
			out = append(out, &Case{Rule: rule, Change: fmt.Sprintf("%q, not in the enum", g.outside(enum, s)), Value: g.outside(enum, s)})
		}
	}
	if c, ok := s["const"].(string); ok {
		g.constraint()
		out = append(out, &Case{Rule: "const " + c, Change: fmt.Sprintf("%q, not the constant", g.outside([]any{c}, c)), Value: g.outside([]any{c}, c)})
	}
	return out
}

func chars(n int, what string) string {
	if n == 1 {
		return "1 character, " + what
	}
	return fmt.Sprintf("%d characters, %s", n, what)
}

func enumText(enum []any) string {
	var parts []string
	for _, v := range enum {
		parts = append(parts, fmt.Sprint(v))
	}
	return strings.Join(parts, "|")
}

// outside is a value near first that the enum does not hold: its case swapped (the contract's
// enums are case-sensitive), else with a letter added.
func (g *gen) outside(enum []any, first string) string {
	holds := func(s string) bool { return slices.Contains(enum, any(s)) }
	swapped := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 32
		case r >= 'A' && r <= 'Z':
			return r + 32
		}
		return r
	}, first)
	if swapped != first && !holds(swapped) {
		return swapped
	}
	for {
		c := first + string(rune('a'+g.rnd.IntN(26)))
		if !holds(c) {
			return c
		}
	}
}

func (g *gen) numberCases(s map[string]any, integer bool) []*Case {
	var out []*Case
	step := 1.0
	if !integer {
		step = 0.01
	}
	if min, ok := num(s["minimum"]); ok {
		g.constraint()
		out = append(out, &Case{Rule: "minimum " + numText(min), Change: numText(min) + ", at the limit", Value: min, Accept: true},
			&Case{Rule: "minimum " + numText(min), Change: numText(min-step) + ", one past", Value: min - step})
	}
	if max, ok := num(s["maximum"]); ok {
		g.constraint()
		out = append(out, &Case{Rule: "maximum " + numText(max), Change: numText(max) + ", at the limit", Value: max, Accept: true},
			&Case{Rule: "maximum " + numText(max), Change: numText(max+step) + ", one past", Value: max + step})
	}
	if integer && s["minimum"] == nil && s["maximum"] == nil {
		out = append(out, &Case{Rule: "type integer", Change: "1.5, a fraction", Value: 1.5})
	}
	return out
}

func numText(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func num(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// arrayCases are an array's size limits: at each limit and one past, items copied from the body's first.
func (g *gen) arrayCases(at []string, n *node, ids []string) {
	if min, ok := num(n.s["minItems"]); ok {
		g.constraint()
		m := int(min)
		rule := fmt.Sprintf("minItems %d", m)
		g.add(&Case{Member: at, Rule: rule, Change: fmt.Sprintf("%d items, at the limit", m), Value: Items(m), Accept: true}, ids)
		if m > 0 {
			g.add(&Case{Member: at, Rule: rule, Change: fmt.Sprintf("%d items, one short", m-1), Value: Items(m - 1)}, ids)
		}
	}
	if max, ok := num(n.s["maxItems"]); ok {
		g.constraint()
		m := int(max)
		rule := fmt.Sprintf("maxItems %d", m)
		g.add(&Case{Member: at, Rule: rule, Change: fmt.Sprintf("%d items, at the limit", m), Value: Items(m), Accept: true}, ids)
		g.add(&Case{Member: at, Rule: rule, Change: fmt.Sprintf("%d items, one past", m+1), Value: Items(m + 1)}, ids)
	}
	if n.items != nil && (len(n.items.order) > 0 || n.items.s["additionalProperties"] == false) {
		g.object(path(at, "0"), n.items, ids)
	}
}

// Items asks for an array of that many copies of the body's first item.
type Items int

// param gives a query parameter's cases: its values are text.
func (g *gen) param(name string, s map[string]any, ids []string) {
	at := []string{name}
	add := func(c *Case) {
		c.In, c.Member = InQuery, at
		g.add(c, ids)
	}
	types := typesOf(s)
	if slices.Contains(types, "integer") || slices.Contains(types, "number") {
		g.constraint()
		add(&Case{Rule: "type " + strings.Join(types, " or "), Change: `"x", not a number`, Value: "x"})
		for _, c := range g.numberCases(s, slices.Contains(types, "integer")) {
			c.Value = numText(c.Value.(float64))
			add(c)
		}
		return
	}
	for _, c := range g.stringCases(s, false) {
		add(c)
	}
}

// bound says whether the member's valid values are issued or known by the provider (an entity's id, an
// SMS token, a credential, a flow): the generator makes no valid value for it, and the smallest valid
// body carries the real one.
func (g *gen) bound(at []string) bool {
	_, ok := Bound[g.provider+"/"+g.opID+"/"+strings.Join(at, ".")]
	return ok
}

// Bound lists the members whose valid values only the provider knows, and why.
var Bound = map[string]string{
	"baas/token_request/agent_document_number":                                  "an administrator the provider knows (BAAS-05)",
	"baas/token_request/person_creation.person.document_number":                 "a CPF with its check digits",
	"baas/movement_validation/agent_document_number":                            "an administrator the provider knows (BAAS-05)",
	"baas/movement_validation/person_creation.person.document_number":           "the CPF the SMS token was sent for (BAAS-12)",
	"baas/movement_validation/token":                                            "the token of the SMS (BAAS-12)",
	"gu1/create_validation/entityId":                                            "a person entity created first (GU1-02)",
	"baas/token_request/person_creation.person.phone_number.country_code":       "55: the SMS goes to Brazilian numbers only (BAAS-06)",
	"baas/movement_validation/person_creation.person.phone_number.country_code": "55: the SMS goes to Brazilian numbers only (BAAS-06)",
	"pomelo/token/client_id":                                                    "the client's credential (KYC-16)",
	"pomelo/token/client_secret":                                                "the client's credential (KYC-16)",
	"pomelo/token/audience":                                                     "the audience the provider issues tokens for (KYC-16)",
	"pomelo/create_session/flow_id":                                             "a validation flow configured in the provider (KYC-01)",
}

// formatValues are a value that breaks a format and one that keeps it (on loopback, for a URI).
func formatValues(f string) (bad, good string, known bool) {
	switch f {
	case "uuid":
		return "not-a-uuid", "", true // a valid UUID names an entity: see Bound
	case "uri":
		return "not a uri", "http://127.0.0.1:9/boundary", true
	case "email":
		return "not-an-email", "ana@example.com", true
	case "date":
		return "1990-13-45", "1990-08-10", true
	case "date-time":
		return "1990-08-10Tnoon", "2026-01-02T03:04:05Z", true
	}
	return "", "", false
}
