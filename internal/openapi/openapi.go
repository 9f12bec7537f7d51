// Package openapi writes each provider's contract as an OpenAPI 3.1 document, from the sources the
// harness judges by: the operations and schemas of schemas/<provider>, the catalogue's IDs and
// findings, and the scenarios that tie a finding to an operation. Client teams take it to the tools they
// already use (Prism, Redocly, code generators); the harness stays the judge.
//
// The schemas are JSON Schema draft-07; OpenAPI 3.1 speaks 2020-12. The two differ here only in
// "definitions", which becomes "$defs": every schema file is a component named after it
// ("entity.request"), and each $ref is rewritten to point into the components.
package openapi

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/schema"
)

// Version is the OpenAPI version the documents declare.
const Version = "3.1.0"

// Sources are what a document is made from.
type Sources struct {
	Schemas   fs.FS // <provider>/*.json, as schemas.FS
	Registry  *schema.Registry
	Catalogue *catalogue.Catalogue
	Features  fs.FS // <provider>/*.feature, as features.FS: which findings touch which operation
}

// security is how a provider's calls authenticate, as faithfully as OpenAPI allows.
type security struct {
	schemes     map[string]any // components.securitySchemes
	requirement []map[string][]string
	open        map[string]bool // operation ids that take no credentials
	// bodies are request bodies the harness checks in code rather than in schemas/: operation id ->
	// media type -> schema.
	bodies map[string]map[string]any
	// query are query parameters, checked in code too: operation id -> parameters.
	query map[string][]any
	// encoded is a second wire form of every JSON body, both ways, that a signing scheme gives it
	// (BaaS's BAAS-17 sends and answers {"encoded_body": JWT}); nil: none.
	encoded map[string]any
}

// pomeloSearch is the search's query (KYC-08..12) as clients/pomelo writes it: one parameter per
// filter, the created_at range, the sort and the page. Any other parameter is refused (KYC-12), which
// OpenAPI cannot say of a query; x-unknown-parameters says it.
func pomeloSearch() []any {
	var out []any
	for _, f := range pomelo.FilterFields {
		s := map[string]any{"type": "string", "minLength": 1}
		if values, ok := pomelo.FilterValues[f]; ok {
			s = map[string]any{"type": "string", "enum": values}
		}
		out = append(out, map[string]any{"name": "filter[" + f + "]", "in": "query", "schema": s, "x-catalogue-ids": []string{"KYC-08"}})
	}
	date := map[string]any{"type": "string", "format": "date", "pattern": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`}
	for _, end := range []string{"from", "to"} {
		out = append(out, map[string]any{"name": "filter[created_at][" + end + "]", "in": "query", "schema": date, "x-catalogue-ids": []string{"KYC-09"}})
	}
	sortable := strings.Join(pomelo.SortFields, "|")
	out = append(out,
		map[string]any{"name": "sort", "in": "query", "description": "fields, comma-separated, each descending with a leading -; none twice",
			"schema": map[string]any{"type": "string", "pattern": `^-?(` + sortable + `)(,-?(` + sortable + `))*$`,
				"examples": []any{"-created_at,user_id"}}, "x-catalogue-ids": []string{"KYC-11"}},
		map[string]any{"name": "page[size]", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": pomelo.MaxPageSize, "default": pomelo.DefaultPageSize}, "x-catalogue-ids": []string{"KYC-10"}},
		map[string]any{"name": "page[number]", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "default": 1}, "x-catalogue-ids": []string{"KYC-10"}},
	)
	return out
}

// tokenRequest is Pomelo's client-credentials request (KYC-16), a form or JSON; the client id and secret
// may come in HTTP Basic instead.
var tokenRequest = map[string]any{"schema": map[string]any{
	"type": "object", "required": []string{"grant_type", "audience"}, "x-catalogue-ids": []string{"KYC-16"},
	"properties": map[string]any{
		"grant_type":    map[string]any{"const": "client_credentials"},
		"client_id":     map[string]any{"type": "string", "minLength": 1},
		"client_secret": map[string]any{"type": "string", "minLength": 1},
		"audience":      map[string]any{"type": "string", "minLength": 1},
	},
}}

// encodedName is the component of a security's encoded wire form.
const encodedName = "qit.encoded_body"

var securities = map[string]security{
	"pomelo": {
		schemes: map[string]any{"oauth2": map[string]any{
			"type":        "oauth2",
			"description": "OAuth2 client credentials (KYC-16): POST /oauth/token with client_id, client_secret, audience and grant_type=client_credentials; every other call carries Authorization: Bearer <access_token>.",
			"flows":       map[string]any{"clientCredentials": map[string]any{"tokenUrl": "/oauth/token", "scopes": map[string]any{}}},
		}},
		requirement: []map[string][]string{{"oauth2": {}}},
		open:        map[string]bool{"token": true},
		query:       map[string][]any{"search_sessions": pomeloSearch()},
		bodies: map[string]map[string]any{
			"token": {
				"application/x-www-form-urlencoded": tokenRequest,
				"application/json":                  tokenRequest,
			},
			"upload_file": {
				"multipart/form-data": map[string]any{
					"schema": map[string]any{
						"type": "object", "required": []string{"file"}, "x-catalogue-ids": []string{"KYC-03", "KYC-04"},
						"properties": map[string]any{"file": map[string]any{"type": "string", "contentMediaType": "image/*",
							"description": "the one part, named file: a non-empty image or PDF of at most 10 MiB", "x-max-bytes": 10 << 20}},
					},
					"encoding": map[string]any{"file": map[string]any{"contentType": "image/*, application/pdf"}},
				},
			},
		},
	},
	"gu1": {
		schemes: map[string]any{"bearer": map[string]any{
			"type": "http", "scheme": "bearer",
			"description": "The organization's API key as a bearer token (GU1-01).",
		}},
		requirement: []map[string][]string{{"bearer": {}}},
	},
	"personalinfo": {
		schemes: map[string]any{"integrationToken": map[string]any{
			"type": "apiKey", "in": "header", "name": "Authorization",
			"description": "The integration token the provider issued, bare, with no scheme before it (PI-01).",
		}},
		requirement: []map[string][]string{{"integrationToken": {}}},
	},
	"baas": {
		schemes: map[string]any{
			"apiClientKey": map[string]any{
				"type": "apiKey", "in": "header", "name": "API-CLIENT-KEY",
				"description": "The API client key QI Tech issued (BAAS-16).",
			},
			"signedRequest": map[string]any{
				"type": "apiKey", "in": "header", "name": "AUTHORIZATION",
				"description": "A JWT signed ES512 with the client's P-521 key, for this very call. OpenAPI cannot describe a per-request signature; x-signing-schemes says how it is made.",
				"x-signing-schemes": map[string]any{
					"claims": "BAAS-16: the JWT's claims are payload_md5 (of the body as sent), timestamp, method and uri; the body goes plain.",
					"qit":    "BAAS-17: AUTHORIZATION is 'QIT <api client key>:<signature of the string_to_sign>' (method, body MD5, content type, date, path); the body goes as a JWT {\"encoded_body\": …}, and the answer comes back signed with QI's key.",
				},
			},
		},
		requirement: []map[string][]string{{"apiClientKey": {}, "signedRequest": {}}},
		encoded: map[string]any{
			"title":       "A body under the string_to_sign scheme (BAAS-17)",
			"description": "The JSON body, as the claims of a JWT signed ES512 (the client's key for a request, QI's for an answer). Decoded, it is the other schema of the anyOf.",
			"type":        "object", "required": []string{"encoded_body"}, "additionalProperties": false,
			"properties":      map[string]any{"encoded_body": map[string]any{"type": "string", "pattern": `^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`}},
			"x-catalogue-ids": []string{"BAAS-17"},
		},
	},
}

// Document is provider's OpenAPI document, ready to be written as JSON.
func Document(src Sources, provider string) (map[string]any, error) {
	ops := src.Registry.Operations(provider)
	if len(ops) == 0 {
		return nil, fmt.Errorf("openapi: no operations for provider %q", provider)
	}
	components, err := components(src.Schemas, provider)
	if err != nil {
		return nil, err
	}
	findings, err := findingsByOperation(src, provider, ops)
	if err != nil {
		return nil, err
	}
	sec := securities[provider]
	paths := map[string]any{}
	for _, op := range ops {
		item, _ := paths[op.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.Path] = item
		}
		item[strings.ToLower(op.Method)] = operation(src.Catalogue, op, findings[op.ID], sec, components)
	}
	for _, op := range ops {
		delete(components, componentName(op.Form)) // inlined as it goes on the wire (formMedia)
	}
	if sec.encoded != nil {
		components[encodedName] = sec.encoded
	}
	info := src.Catalogue.Providers[provider]
	doc := map[string]any{
		"openapi":           Version,
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":   info.Title,
			"version": "conformance",
			"description": fmt.Sprintf("Written by 'conformance openapi' from schemas/%s, the catalogue and the features (seed %s). "+
				"Where the seeds contradict each other this document follows the harness's reading; each operation's x-findings names the contradictions (DOC-xx) that touch it. "+
				"x-catalogue-ids names the catalogue's rules an operation or a schema states.", provider, info.Seed),
			"license": map[string]any{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"servers":    []any{map[string]any{"url": "/", "description": "the provider, a sandbox, or 'conformance mock'"}},
		"paths":      paths,
		"components": map[string]any{"schemas": components, "securitySchemes": sec.schemes},
		"security":   sec.requirement,
	}
	if _, ok := components["webhook"]; ok {
		doc["webhooks"] = webhooks(components["webhook"].(map[string]any))
	}
	return doc, nil
}

// webhooks describes the notification a provider sends to the URL a client configures (the schema
// file webhook.json): OpenAPI 3.1's webhooks, which Prism and code generators read.
func webhooks(schema map[string]any) map[string]any {
	title, _ := schema["title"].(string)
	op := map[string]any{
		"operationId": "notification",
		"summary":     title,
		"description": "What the provider POSTs to the client's webhook URL; a 2xx answer acknowledges it, anything else is a failed delivery it sends again.",
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref("webhook", "")}}},
		"responses":   map[string]any{"200": map[string]any{"description": "received"}},
		"security":    []any{},
	}
	if m := regexp.MustCompile(`\(([A-Z0-9]+-\d+)\)`).FindStringSubmatch(title); m != nil {
		op["x-catalogue-ids"] = []string{m[1]}
	}
	return map[string]any{"notification": map[string]any{"post": op}}
}

// JSON is provider's document as indented JSON, the bytes 'conformance openapi' writes.
func JSON(src Sources, provider string) ([]byte, error) {
	doc, err := Document(src, provider)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

var pathParam = regexp.MustCompile(`\{([^}/]+)\}`)

func operation(cat *catalogue.Catalogue, op *schema.Operation, findings []catalogue.Finding, sec security, comps map[string]any) map[string]any {
	out := map[string]any{
		"operationId": op.ID,
		"summary":     op.Name(),
	}
	var lines []string
	for _, id := range op.CatalogueIDs {
		if e, ok := cat.Lookup(id); ok {
			lines = append(lines, fmt.Sprintf("- %s: %s", id, e.Behaviour))
		}
	}
	if len(lines) > 0 {
		out["description"] = "The catalogue's rules for this operation:\n\n" + strings.Join(lines, "\n")
		out["x-catalogue-ids"] = op.CatalogueIDs
	}
	if len(findings) > 0 {
		var fs []any
		for _, f := range findings {
			fs = append(fs, map[string]any{"id": f.ID, "text": f.Text})
		}
		out["x-findings"] = fs
	}
	if sec.open[op.ID] {
		out["security"] = []any{}
	}
	if op.Destructive {
		out["x-destructive"] = true
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	params = append(params, sec.query[op.ID]...)
	if len(params) > 0 {
		out["parameters"] = params
	}
	jsonSchema := func(file string) map[string]any {
		if sec.encoded == nil {
			return ref(componentName(file), "")
		}
		return map[string]any{"anyOf": []any{ref(componentName(file), ""), ref(encodedName, "")}}
	}
	content := map[string]any{}
	if op.Request != "" {
		content["application/json"] = map[string]any{"schema": jsonSchema(op.Request)}
	}
	if op.Form != "" {
		content["multipart/form-data"] = formMedia(comps, componentName(op.Form))
	}
	for mt, media := range sec.bodies[op.ID] {
		content[mt] = media
	}
	if len(content) > 0 {
		out["requestBody"] = map[string]any{"required": true, "content": content}
	}
	responses := map[string]any{}
	for status, file := range op.Responses {
		var code int
		_, _ = fmt.Sscan(status, &code)
		r := map[string]any{"description": http.StatusText(code)}
		if file != "" {
			r["content"] = map[string]any{"application/json": map[string]any{"schema": jsonSchema(file)}}
		}
		responses[status] = r
	}
	out["responses"] = responses
	return out
}

// formMedia is the multipart/form-data media type of a form schema. The harness checks a form through
// schema.FormDocument, which sees a file part as an object (filename, content_type, detected_type,
// size); on the wire it is a part of bytes. Each such property becomes a binary string of its media
// type, its size limit in x-max-bytes (OpenAPI has no byte limit for a part), and the harness's view in
// x-harness-view; the text parts stay as they are.
func formMedia(comps map[string]any, form string) map[string]any {
	src, _ := comps[form].(map[string]any)
	wire := map[string]any{}
	for k, v := range src {
		wire[k] = v
	}
	props, _ := src["properties"].(map[string]any)
	wireProps := map[string]any{}
	encoding := map[string]any{}
	for name, p := range props {
		file := fileView(comps, p)
		if file == nil {
			wireProps[name] = p
			continue
		}
		part := map[string]any{"type": "string", "contentMediaType": "image/*",
			"description": "a file part: an image, declared (its Content-Type) and by its first bytes", "x-harness-view": p}
		if fp, _ := file["properties"].(map[string]any); fp != nil {
			if size, _ := fp["size"].(map[string]any); size != nil && size["maximum"] != nil {
				part["x-max-bytes"] = size["maximum"]
			}
		}
		wireProps[name] = part
		encoding[name] = map[string]any{"contentType": "image/*"}
	}
	wire["properties"] = wireProps
	media := map[string]any{"schema": wire}
	if len(encoding) > 0 {
		media["encoding"] = encoding
	}
	return media
}

// fileView is the schema a form property refers to when it is a file part as FormDocument sees it, or nil.
func fileView(comps map[string]any, p any) map[string]any {
	m, _ := p.(map[string]any)
	r, _ := m["$ref"].(string)
	name, pointer, ok := strings.Cut(strings.TrimPrefix(r, "#/components/schemas/"), "/")
	if !ok || !strings.HasPrefix(pointer, "$defs/") {
		return nil
	}
	comp, _ := comps[name].(map[string]any)
	defs, _ := comp["$defs"].(map[string]any)
	def, _ := defs[strings.TrimPrefix(pointer, "$defs/")].(map[string]any)
	props, _ := def["properties"].(map[string]any)
	if props["filename"] == nil || props["detected_type"] == nil {
		return nil
	}
	return def
}

// componentName is a schema file's component: "entity.request.json" is "entity.request".
func componentName(file string) string { return strings.TrimSuffix(path.Base(file), ".json") }

func ref(component, pointer string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + component + pointer}
}

// components reads every schema file of provider (not its index) as a 2020-12 component.
func components(fsys fs.FS, provider string) (map[string]any, error) {
	files, err := fs.Glob(fsys, provider+"/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, f := range files {
		if path.Base(f) == "index.json" {
			continue
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var s map[string]any
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", f, err)
		}
		name := componentName(f)
		delete(s, "$schema")
		delete(s, "$id")
		if defs, ok := s["definitions"]; ok {
			s["$defs"] = defs
			delete(s, "definitions")
		}
		if err := rewriteRefs(s, name); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", f, err)
		}
		out[name] = s
	}
	return out, nil
}

// rewriteRefs points every $ref of the component self at the components: "other.json" and
// "other.json#/definitions/x" at other, "#/definitions/x" at self's own $defs.
func rewriteRefs(v any, self string) error {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["$ref"].(string); ok {
			file, pointer, _ := strings.Cut(r, "#")
			target := self
			if file != "" {
				target = componentName(file)
			}
			if pointer != "" && !strings.HasPrefix(pointer, "/definitions/") {
				return fmt.Errorf("$ref %q: only a file and its /definitions/ are followed", r)
			}
			t["$ref"] = ref(target, strings.Replace(pointer, "/definitions/", "/$defs/", 1))["$ref"]
		}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if err := rewriteRefs(t[k], self); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := rewriteRefs(e, self); err != nil {
				return err
			}
		}
	}
	return nil
}

// findingsByOperation ties a documentation finding to the operations it touches: a scenario tagged with
// the finding carries a catalogue ID of the operation that no other operation names (not the
// authentication every operation shares).
func findingsByOperation(src Sources, provider string, ops []*schema.Operation) (map[string][]catalogue.Finding, error) {
	out := map[string][]catalogue.Finding{}
	if src.Features == nil {
		return out, nil
	}
	scenarios, err := featureset.Parse(src.Features, ".")
	if err != nil {
		return nil, err
	}
	byID := map[string]catalogue.Finding{}
	for _, f := range src.Catalogue.Findings {
		byID[f.ID] = f
	}
	shared := map[string]int{} // how many operations name an ID
	for _, op := range ops {
		for _, id := range op.CatalogueIDs {
			shared[id]++
		}
	}
	for _, op := range ops {
		seen := map[string]bool{}
		for _, s := range scenarios {
			if s.Provider != provider || !slices.ContainsFunc(s.IDs, func(id string) bool {
				return slices.Contains(op.CatalogueIDs, id) && shared[id] == 1
			}) {
				continue
			}
			for _, id := range s.IDs {
				if f, ok := byID[id]; ok && !seen[id] {
					seen[id] = true
					out[op.ID] = append(out[op.ID], f)
				}
			}
		}
		sort.Slice(out[op.ID], func(i, j int) bool { return out[op.ID][i].ID < out[op.ID][j].ID })
	}
	return out, nil
}
