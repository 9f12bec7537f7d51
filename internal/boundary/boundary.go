// Package boundary derives boundary cases from the contract: every request constraint the OpenAPI
// documents state (conformance openapi) gives the value at its limit, one past it, the member left out,
// the wrong type, null, a value outside an enum, a text outside a pattern or a format, a body or a file
// part one byte over its size. Each case changes one thing in the smallest valid request (the required
// members only) and says whether the provider must accept or refuse it, with the catalogue IDs of the
// rule it tests. The same seed gives the same cases.
//
// The cases become Gherkin scenarios (Features) that the runner runs like the suite, so a boundary run
// has the suite's targets, limits, safety rules and reports.
package boundary

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/latam-conformance/conformance/internal/openapi"
)

// Where a case changes the request.
const (
	InBody  = "body"  // a member of the JSON body, or a part of a multipart body
	InQuery = "query" // a query parameter
)

// Case is one request to send and the verdict the contract gives it.
type Case struct {
	Key       string // stable and unique: provider/operation[/variant]/where/rule/change
	Provider  string
	Operation string
	Variant   string // which form of the body ("kyc", "kyb" for Pomelo's create); "" when it has one
	Method    string
	Path      string
	Media     string     // the request's media type: application/json, multipart/form-data; "" for none
	In        string     // InBody or InQuery
	Member    []string   // the member's path in the body, or the query parameter's name; nil: the body itself
	Rule      string     // the constraint as the contract states it ("maxLength 100")
	Change    string     // what the case does, in words ("101 characters, one past")
	Value     any        // what is set there (JSON, a query's text, a FilePart); unused when Remove
	Remove    bool       // the member is left out
	Drop      [][]string // other members left out with it (an anyOf of required members)
	Accept    bool       // the contract says the provider accepts it; otherwise it refuses it
	IDs       []string   // catalogue IDs of the rule (the nearest the contract names)
	// Destructive: the operation deletes or resets data (x-destructive); never sent to production.
	Destructive bool

	shape *node // the body's schema, to prune a body to its required members
}

// FilePart is a file part of a multipart body: Size bytes declared as Type. Text says the bytes are text
// rather than an image's.
type FilePart struct {
	Size int
	Type string
	Text bool
}

// Where names the member in words: "person_creation.person.name", "query page[size]", "the body".
func (c *Case) Where() string {
	switch {
	case c.In == InQuery:
		return "query " + strings.Join(c.Member, ".")
	case len(c.Member) == 0:
		return "the body"
	}
	return strings.Join(c.Member, ".")
}

// Expect is "accepted" or "refused".
func (c *Case) Expect() string {
	if c.Accept {
		return "accepted"
	}
	return "refused"
}

// Set is every case of a seed, with what they were derived from.
type Set struct {
	Seed        int64
	Cases       []*Case
	Constraints map[string]int // provider -> request constraints the cases come from
	byKey       map[string]*Case
}

// Lookup finds a case by its key.
func (s *Set) Lookup(key string) (*Case, bool) {
	c, ok := s.byKey[key]
	return c, ok
}

// Count is one provider's figures.
type Count struct {
	Provider    string `json:"provider"`
	Constraints int    `json:"constraints"`
	Cases       int    `json:"cases"`
	Accept      int    `json:"accept"`
	Refuse      int    `json:"refuse"`
}

// Counts are the figures per provider, sorted by name.
func (s *Set) Counts() []Count {
	by := map[string]*Count{}
	for _, c := range s.Cases {
		n := by[c.Provider]
		if n == nil {
			n = &Count{Provider: c.Provider, Constraints: s.Constraints[c.Provider]}
			by[c.Provider] = n
		}
		n.Cases++
		if c.Accept {
			n.Accept++
		} else {
			n.Refuse++
		}
	}
	out := make([]Count, 0, len(by))
	for _, n := range by {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out
}

// Derive reads each provider's OpenAPI document (provider -> document, as openapi.Document builds it)
// and gives every case of every request constraint, the same for the same seed.
func Derive(docs map[string]map[string]any, seed int64) (*Set, error) {
	s := &Set{Seed: seed, Constraints: map[string]int{}, byKey: map[string]*Case{}}
	providers := make([]string, 0, len(docs))
	for p := range docs {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, p := range providers {
		doc, _ := clone(docs[p]).(map[string]any) // as JSON reads it: numbers float64, lists []any
		g := &gen{doc: doc, provider: p, rnd: rand.New(rand.NewPCG(uint64(seed), uint64(len(p))))}
		if err := g.operations(); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, c := range g.cases {
			if _, dup := s.byKey[c.Key]; dup {
				return nil, fmt.Errorf("%s: two cases are keyed %s", p, c.Key)
			}
			s.byKey[c.Key] = c
		}
		s.Cases = append(s.Cases, g.cases...)
		s.Constraints[p] = g.constraints
	}
	return s, nil
}

// gen derives one provider's cases.
type gen struct {
	doc         map[string]any
	provider    string
	rnd         *rand.Rand
	cases       []*Case
	constraints int
	keys        map[string]int

	// the operation being walked
	op      map[string]any
	opID    string
	method  string
	path    string
	media   string
	variant string
	opIDs   []string
	destroy bool
	shape   *node
}

func (g *gen) operations() error {
	paths, _ := g.doc["paths"].(map[string]any)
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[p].(map[string]any)
		for _, m := range slices.Sorted(maps.Keys(item)) {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			g.op, g.method, g.path = op, strings.ToUpper(m), p
			g.opID, _ = op["operationId"].(string)
			g.opIDs = strs(op["x-catalogue-ids"])
			g.destroy, _ = op["x-destructive"].(bool)
			if err := g.operation(); err != nil {
				return fmt.Errorf("%s: %w", g.opID, err)
			}
		}
	}
	return nil
}

func (g *gen) operation() error {
	g.variant, g.media, g.shape = "", "", nil
	for _, prm := range list(g.op["parameters"]) {
		p, _ := prm.(map[string]any)
		if p["in"] != "query" {
			continue
		}
		name, _ := p["name"].(string)
		sch, err := g.resolve(p["schema"])
		if err != nil {
			return err
		}
		g.param(name, sch, append(strs(p["x-catalogue-ids"]), g.opIDs...))
	}
	body, _ := g.op["requestBody"].(map[string]any)
	content, _ := body["content"].(map[string]any)
	media := pickMedia(content)
	if media == "" {
		return nil
	}
	g.media = media
	mt, _ := content[media].(map[string]any)
	root, err := g.resolve(mt["schema"])
	if err != nil {
		return err
	}
	// A body in two wire forms (BaaS's plain body or BAAS-17's encoded one) is generated in its plain
	// form: the signing scheme turns it into the other.
	if alts := list(root["anyOf"]); len(alts) > 0 && root["properties"] == nil {
		if root, err = g.resolve(alts[0]); err != nil {
			return err
		}
	}
	variants, err := g.variants(root)
	if err != nil {
		return err
	}
	for _, v := range variants {
		g.variant = v.name
		g.shape, err = g.tree(v.schema, 0)
		if err != nil {
			return err
		}
		g.add(&Case{Member: nil, Rule: "the smallest valid body", Change: "the required members only", Accept: true}, nil)
		g.object(nil, g.shape, g.opIDs)
	}
	return nil
}

// pickMedia chooses the body a client really sends: a multipart form where there is one (the natural-person
// API documents a JSON body that cannot carry its photos, DOC-11), else JSON, else a form.
func pickMedia(content map[string]any) string {
	for _, mt := range []string{"multipart/form-data", "application/json", "application/x-www-form-urlencoded"} {
		if content[mt] != nil {
			return mt
		}
	}
	return ""
}

type variant struct {
	name   string
	schema map[string]any
}

// variants splits an if/then/else body into its two forms (Pomelo's KYB and KYC sessions), each named
// after the schema it points to.
func (g *gen) variants(root map[string]any) ([]variant, error) {
	if root["if"] == nil {
		return []variant{{"", root}}, nil
	}
	var out []variant
	for _, k := range []string{"then", "else"} {
		raw, _ := root[k].(map[string]any)
		name := k
		if r, ok := raw["$ref"].(string); ok {
			name = r[strings.LastIndex(r, "/")+1:]
		}
		sch, err := g.resolve(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, variant{name, sch})
	}
	return out, nil
}

// add completes a case with its operation's facts and keeps it.
func (g *gen) add(c *Case, ids []string) {
	c.Provider, c.Operation, c.Variant = g.provider, g.opID, g.variant
	c.Method, c.Path, c.Media, c.Destructive, c.shape = g.method, g.path, g.media, g.destroy, g.shape
	if c.In == "" {
		c.In = InBody
	}
	c.IDs = nearestIDs(ids, g.opIDs)
	parts := []string{g.provider, g.opID}
	if g.variant != "" {
		parts = append(parts, g.variant)
	}
	where := "body"
	if len(c.Member) > 0 {
		where = strings.Join(c.Member, ".")
	}
	if c.In == InQuery {
		where = "query." + where
	}
	c.Key = strings.Join(append(parts, where, keyOf(c.Rule)+"/"+keyOf(c.Change)), "/")
	if g.keys == nil {
		g.keys = map[string]int{}
	}
	if n := g.keys[c.Key]; n > 0 { // two changes that read alike once keyed ("1990-08-10", "1990/08/10")
		g.keys[c.Key]++
		c.Key += "-" + strconv.Itoa(n+1)
	} else {
		g.keys[c.Key] = 1
	}
	g.cases = append(g.cases, c)
}

// constraint counts one constraint the contract states.
func (g *gen) constraint() { g.constraints++ }

func nearestIDs(ids, op []string) []string {
	if len(ids) == 0 {
		ids = op
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func keyOf(s string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '[' || r == ']' || r == '_' || r == '.'
		if ok {
			sb.WriteRune(r)
			dash = false
		} else if !dash && sb.Len() > 0 {
			sb.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(sb.String(), "-")
}

func list(v any) []any { l, _ := v.([]any); return l }

func strs(v any) []string {
	var out []string
	switch l := v.(type) {
	case []string:
		out = append(out, l...)
	case []any:
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// FromContract derives the cases of every provider's OpenAPI document as 'conformance openapi' writes it.
func FromContract(src openapi.Sources, seed int64) (*Set, error) {
	docs := map[string]map[string]any{}
	for _, p := range src.Registry.Providers() {
		doc, err := openapi.Document(src, p)
		if err != nil {
			return nil, err
		}
		docs[p] = doc
	}
	return Derive(docs, seed)
}
