// Package schema compiles the embedded JSON Schemas once and validates exchanges against them.
//
// Every schema file carries an absolute $id under a reserved, never-resolving host; $refs are resolved
// against it and checked to land in the set before anything is compiled, so validation never reaches for
// the network (gojsonschema would otherwise try to fetch an unknown reference over HTTP).
package schema

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/xeipuuv/gojsonschema"

	"github.com/latam-conformance/conformance/schemas"
)

// Operation is one documented call of a provider, as listed in <provider>/index.json.
type Operation struct {
	Provider  string            `json:"-"`
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	Path      string            `json:"path"`                   // may hold {placeholders}, each matching one path segment
	Request   string            `json:"request,omitempty"`      // schema of a JSON request body
	Form      string            `json:"request_form,omitempty"` // schema of a multipart/form-data body, seen through FormDocument
	Responses map[string]string `json:"responses"`              // status code -> schema file
	// CatalogueIDs are the request-side rules a call of this operation is judged by (its method, path,
	// credentials, body): a client's call that the provider accepts has followed them. The first is the
	// one that documents the operation itself (PrimaryID).
	CatalogueIDs []string `json:"catalogue_ids,omitempty"`
	// Destructive says the operation deletes or resets data on the target (Pomelo's
	// /clean_validations): what calls it never runs against a production host.
	Destructive bool `json:"destructive,omitempty"`
	pathRE      *regexp.Regexp
}

// PrimaryID is the catalogue ID that documents the operation itself (its method and path), "" where the
// index names none.
func (o *Operation) PrimaryID() string {
	if len(o.CatalogueIDs) == 0 {
		return ""
	}
	return o.CatalogueIDs[0]
}

// Name is "METHOD /path", the way failures name an operation.
func (o *Operation) Name() string { return o.Method + " " + o.Path }

type index struct {
	Provider   string       `json:"provider"`
	Operations []*Operation `json:"operations"`
}

// Registry holds the compiled schemas and the operations of every provider.
type Registry struct {
	schemas map[string]*gojsonschema.Schema // key: "<provider>/<file>"
	ops     map[string][]*Operation         // key: provider
	docs    map[string]*doc                 // key: "<provider>/<file>"; the parsed trees, for UnknownFields
	byID    map[string]*doc                 // $id without fragment
}

// Violation is one place where a document breaks its schema.
type Violation struct {
	Pointer string // JSON pointer into the document, "" for the root
	Rule    string // the JSON Schema keyword that failed: maxLength, required, pattern, ...
	Message string
	IDs     []string // the catalogue IDs the schema states for the member (x-catalogue-ids); nil where it names none
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "/"
	}
	return fmt.Sprintf("%s: %s (%s)", p, v.Rule, v.Message)
}

type doc struct {
	key  string // "<provider>/<file>"
	id   *url.URL
	raw  []byte
	tree any
	refs map[*doc]bool // the other documents its $refs land in
}

// Load reads <provider>/index.json and <provider>/*.json from fsys, checks that every $ref resolves
// within the set and compiles every schema. It fails on the first problem, naming the file.
func Load(fsys fs.FS) (*Registry, error) {
	files, err := fs.Glob(fsys, "*/*.json")
	if err != nil {
		return nil, err
	}
	docs := map[string]*doc{} // key -> doc
	byID := map[string]*doc{} // $id without fragment -> doc
	var indexes []string
	for _, f := range files {
		if path.Base(f) == "index.json" {
			indexes = append(indexes, f)
			continue
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", f, err)
		}
		var tree any
		if err := json.Unmarshal(raw, &tree); err != nil {
			return nil, fmt.Errorf("schema %s is not valid JSON: %w", f, err)
		}
		obj, _ := tree.(map[string]any)
		idStr, _ := obj["$id"].(string)
		id, err := url.Parse(idStr)
		if idStr == "" || err != nil || !id.IsAbs() {
			return nil, fmt.Errorf("schema %s: needs an absolute $id", f)
		}
		d := &doc{key: f, id: id, raw: raw, tree: tree, refs: map[*doc]bool{}}
		if prev, dup := byID[idStr]; dup {
			return nil, fmt.Errorf("schema %s: $id %s already used by %s", f, idStr, prev.key)
		}
		docs[f], byID[idStr] = d, d
	}
	for _, d := range docs {
		if err := checkRefs(d, d.tree, byID); err != nil {
			return nil, err
		}
	}
	r := &Registry{schemas: map[string]*gojsonschema.Schema{}, ops: map[string][]*Operation{}, docs: docs, byID: byID}
	for key, d := range docs {
		sl := gojsonschema.NewSchemaLoader()
		sl.Validate = true // the schema itself must be a valid draft-07 schema
		// Only the documents d reaches through $refs: adding every schema to every loader made start-up
		// quadratic in the number of schemas (0.56 s for 40 of them).
		for _, od := range reachable(d) {
			if err := sl.AddSchemas(gojsonschema.NewBytesLoader(od.raw)); err != nil {
				return nil, fmt.Errorf("load schema %s: %w", od.key, err)
			}
		}
		s, err := sl.Compile(gojsonschema.NewBytesLoader(d.raw))
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", key, err)
		}
		r.schemas[key] = s
	}
	for _, f := range indexes {
		if err := r.loadIndex(fsys, f); err != nil {
			return nil, err
		}
	}
	return r, nil
}

var placeholder = regexp.MustCompile(`\\\{[A-Za-z0-9_]+\\\}`)

func (r *Registry) loadIndex(fsys fs.FS, f string) error {
	raw, err := fs.ReadFile(fsys, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", f, err)
	}
	var ix index
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ix); err != nil {
		return fmt.Errorf("%s: %w", f, err)
	}
	dir := path.Dir(f)
	if ix.Provider != dir {
		return fmt.Errorf("%s: provider %q does not match its folder %q", f, ix.Provider, dir)
	}
	for _, op := range ix.Operations {
		op.Provider = ix.Provider
		if op.ID == "" || op.Method == "" || !strings.HasPrefix(op.Path, "/") {
			return fmt.Errorf("%s: operation %q needs an id, a method and a path starting with /", f, op.ID)
		}
		refs := map[string]string{"request": op.Request, "request_form": op.Form}
		for st, s := range op.Responses {
			if _, err := strconv.Atoi(st); err != nil {
				return fmt.Errorf("%s: operation %s: response status %q is not a number", f, op.ID, st)
			}
			refs["response "+st] = s
		}
		for what, s := range refs {
			if s == "" {
				continue
			}
			if _, ok := r.schemas[dir+"/"+s]; !ok {
				return fmt.Errorf("%s: operation %s: %s schema %s does not exist", f, op.ID, what, s)
			}
		}
		op.pathRE = regexp.MustCompile("^" + placeholder.ReplaceAllString(regexp.QuoteMeta(op.Path), `[^/]+`) + "$")
		r.ops[ix.Provider] = append(r.ops[ix.Provider], op)
	}
	return nil
}

// reachable lists the other documents d refers to, directly or through them, sorted by key.
func reachable(d *doc) []*doc {
	seen := map[*doc]bool{d: true}
	var out []*doc
	var walk func(*doc)
	walk = func(x *doc) {
		for r := range x.refs {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
				walk(r)
			}
		}
	}
	walk(d)
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// checkRefs walks node and fails when a $ref does not land on a document of the set (and, with a
// fragment, on a node inside it).
func checkRefs(d *doc, node any, byID map[string]*doc) error {
	switch n := node.(type) {
	case map[string]any:
		if ref, ok := n["$ref"].(string); ok {
			u, err := url.Parse(ref)
			if err != nil {
				return fmt.Errorf("schema %s: $ref %q: %w", d.key, ref, err)
			}
			abs := d.id.ResolveReference(u)
			frag := abs.Fragment
			abs.Fragment = ""
			target, ok := byID[abs.String()]
			if !ok {
				return fmt.Errorf("schema %s: $ref %q resolves to %s, which is not one of the schemas", d.key, ref, abs)
			}
			if target != d {
				d.refs[target] = true
			}
			if _, err := pointerGet(target.tree, frag); err != nil {
				return fmt.Errorf("schema %s: $ref %q: %v in %s", d.key, ref, err, target.key)
			}
		}
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := checkRefs(d, n[k], byID); err != nil {
				return err
			}
		}
	case []any:
		for _, v := range n {
			if err := checkRefs(d, v, byID); err != nil {
				return err
			}
		}
	}
	return nil
}

func pointerGet(tree any, ptr string) (any, error) {
	if ptr == "" || ptr == "/" {
		return tree, nil
	}
	cur := tree
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = unescapeToken(tok)
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("pointer %s: no %q", ptr, tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("pointer %s: no index %q", ptr, tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("pointer %s: %q is inside a scalar", ptr, tok)
		}
	}
	return cur, nil
}

// Providers lists the providers that have an index, sorted.
func (r *Registry) Providers() []string {
	out := make([]string, 0, len(r.ops))
	for p := range r.ops {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Operations lists a provider's operations in index order.
func (r *Registry) Operations(provider string) []*Operation { return r.ops[provider] }

// Schemas lists the keys ("<provider>/<file>") of every compiled schema, sorted.
func (r *Registry) Schemas() []string {
	out := make([]string, 0, len(r.schemas))
	for k := range r.schemas {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Match finds the operation of provider that method and urlPath (no query) call.
func (r *Registry) Match(provider, method, urlPath string) (*Operation, bool) {
	for _, op := range r.ops[provider] {
		if op.Method == method && op.pathRE.MatchString(urlPath) {
			return op, true
		}
	}
	return nil, false
}

// ValidateRequest checks a JSON request body against the operation's request schema. An operation
// without a request schema accepts any body.
func (r *Registry) ValidateRequest(op *Operation, body []byte) []Violation {
	if op.Request == "" {
		return nil
	}
	return r.validate(op.Provider+"/"+op.Request, body)
}

// ErrUndocumentedStatus is returned by ValidateResponse for a status the operation does not document.
type ErrUndocumentedStatus struct {
	Op     *Operation
	Status int
}

func (e *ErrUndocumentedStatus) Error() string {
	var documented []string
	for s := range e.Op.Responses {
		documented = append(documented, s)
	}
	sort.Strings(documented)
	return fmt.Sprintf("%s answered status %d, which is not documented (documented: %s)",
		e.Op.Name(), e.Status, strings.Join(documented, ", "))
}

// ValidateResponse checks a response body against the schema of its status.
func (r *Registry) ValidateResponse(op *Operation, status int, body []byte) ([]Violation, error) {
	s, ok := op.Responses[strconv.Itoa(status)]
	if !ok {
		return nil, &ErrUndocumentedStatus{Op: op, Status: status}
	}
	return r.validate(op.Provider+"/"+s, body), nil
}

// ValidateDocument checks body against the schema file key ("<provider>/<file>").
func (r *Registry) ValidateDocument(key string, body []byte) ([]Violation, error) {
	if _, ok := r.schemas[key]; !ok {
		return nil, fmt.Errorf("no schema %s", key)
	}
	return r.validate(key, body), nil
}

func (r *Registry) validate(key string, body []byte) []Violation {
	s := r.schemas[key]
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []Violation{{Rule: "json", Message: "body is not valid JSON: " + err.Error()}}
	}
	res, err := s.Validate(gojsonschema.NewGoLoader(v))
	if err != nil {
		return []Violation{{Rule: "json", Message: err.Error()}}
	}
	var out []Violation
	for _, e := range res.Errors() {
		p := pointer(e)
		out = append(out, Violation{Pointer: p, Rule: rule(e.Type()), Message: e.Description(), IDs: r.idsAt(key, p)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pointer != out[j].Pointer {
			return out[i].Pointer < out[j].Pointer
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// pointer turns gojsonschema's "(root).a.0.b" context into "/a/0/b"; a "required" error points at the
// missing property itself.
func pointer(e gojsonschema.ResultError) string {
	ctx := e.Context().String()
	ctx = strings.TrimPrefix(strings.TrimPrefix(ctx, "(root)"), ".")
	var toks []string
	if ctx != "" {
		for _, t := range strings.Split(ctx, ".") {
			toks = append(toks, EscapeToken(t))
		}
	}
	if e.Type() == "required" {
		if p, ok := e.Details()["property"].(string); ok {
			toks = append(toks, p)
		}
	}
	if e.Type() == "additional_property_not_allowed" {
		if p, ok := e.Details()["property"].(string); ok {
			toks = append(toks, p)
		}
	}
	if len(toks) == 0 {
		return ""
	}
	return "/" + strings.Join(toks, "/")
}

// rule maps gojsonschema's error types to the JSON Schema keyword a reader looks for in the schema.
func rule(t string) string {
	switch t {
	case "string_gte":
		return "minLength"
	case "string_lte":
		return "maxLength"
	case "number_gte":
		return "minimum"
	case "number_lte":
		return "maximum"
	case "number_gt":
		return "exclusiveMinimum"
	case "number_lt":
		return "exclusiveMaximum"
	case "array_min_items":
		return "minItems"
	case "array_max_items":
		return "maxItems"
	case "array_min_properties":
		return "minProperties"
	case "array_max_properties":
		return "maxProperties"
	case "invalid_type":
		return "type"
	case "additional_property_not_allowed":
		return "additionalProperties"
	case "number_any_of":
		return "anyOf"
	case "number_one_of":
		return "oneOf"
	case "number_all_of":
		return "allOf"
	case "format":
		return "format"
	case "enum", "pattern", "required", "const":
		return t
	default:
		return t
	}
}

// Embedded returns the registry of the schemas built into the binary (package schemas), compiled on the
// first call and shared after it: a Registry is only read once loaded.
var Embedded = sync.OnceValues(func() (*Registry, error) { return Load(schemas.FS) })
