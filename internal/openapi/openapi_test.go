package openapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/schema"
	"github.com/latam-conformance/conformance/schemas"
)

func sources(t *testing.T) Sources {
	t.Helper()
	reg, err := schema.Embedded()
	require.NoError(t, err)
	cat, err := catalogue.Load()
	require.NoError(t, err)
	return Sources{Schemas: schemas.FS, Registry: reg, Catalogue: cat, Features: features.FS}
}

// TestTheCommittedDocumentsAreInStep: openapi/<provider>.openapi.json is what 'conformance openapi'
// writes from today's schemas, catalogue and features.
func TestTheCommittedDocumentsAreInStep(t *testing.T) {
	src := sources(t)
	for _, p := range src.Registry.Providers() {
		want, err := JSON(src, p)
		require.NoError(t, err)
		have, err := os.ReadFile(filepath.Join("..", "..", "openapi", p+".openapi.json"))
		require.NoError(t, err, "run 'conformance openapi' and commit openapi/")
		assert.True(t, string(want) == string(have), "openapi/%s.openapi.json is out of step: run 'conformance openapi' and commit it", p)
	}
}

// resolve follows a local JSON pointer ("#/components/schemas/x/$defs/y") in doc.
func resolve(doc any, ref string) (any, bool) {
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func refs(v any, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["$ref"].(string); ok {
			*out = append(*out, r)
		}
		for _, e := range t {
			refs(e, out)
		}
	case []any:
		for _, e := range t {
			refs(e, out)
		}
	}
}

// TestEveryOperationAndRefIsThere: each document holds every operation of its index, with its catalogue
// IDs, request bodies and answer statuses, and every $ref in it resolves inside it.
func TestEveryOperationAndRefIsThere(t *testing.T) {
	src := sources(t)
	for _, p := range src.Registry.Providers() {
		raw, err := JSON(src, p)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(raw, &doc))
		assert.Equal(t, Version, doc["openapi"])
		paths := doc["paths"].(map[string]any)
		for _, op := range src.Registry.Operations(p) {
			item, ok := paths[op.Path].(map[string]any)
			require.True(t, ok, "%s: %s", p, op.Name())
			o, ok := item[strings.ToLower(op.Method)].(map[string]any)
			require.True(t, ok, "%s: %s", p, op.Name())
			assert.Equal(t, op.ID, o["operationId"])
			var ids []string
			for _, id := range o["x-catalogue-ids"].([]any) {
				ids = append(ids, id.(string))
			}
			assert.Equal(t, op.CatalogueIDs, ids, op.Name())
			responses := o["responses"].(map[string]any)
			assert.Len(t, responses, len(op.Responses), op.Name())
			if op.Request != "" || op.Form != "" {
				assert.Contains(t, o, "requestBody", op.Name())
			}
		}
		var all []string
		refs(doc, &all)
		require.NotEmpty(t, all)
		for _, r := range all {
			_, ok := resolve(doc, r)
			assert.True(t, ok, "%s: $ref %s does not resolve", p, r)
		}
	}
}

// TestAFormsFilePartsAreBinaryOnTheWire: the natural-person form's photos are image parts with their
// 5 MiB limit, the harness's view of them kept beside.
func TestAFormsFilePartsAreBinaryOnTheWire(t *testing.T) {
	doc, err := Document(sources(t), "personalinfo")
	require.NoError(t, err)
	op := doc["paths"].(map[string]any)["/internal/v1/clients/personal_informations"].(map[string]any)["post"].(map[string]any)
	media := op["requestBody"].(map[string]any)["content"].(map[string]any)["multipart/form-data"].(map[string]any)
	photo := media["schema"].(map[string]any)["properties"].(map[string]any)["front_document"].(map[string]any)
	assert.Equal(t, "string", photo["type"])
	assert.Equal(t, "image/*", photo["contentMediaType"])
	assert.EqualValues(t, 5<<20, photo["x-max-bytes"])
	assert.Contains(t, media["encoding"], "dni_selfie")
	text := media["schema"].(map[string]any)["properties"].(map[string]any)["first_name"].(map[string]any)
	assert.Equal(t, "#/components/schemas/fields/$defs/text", text["$ref"], "a text part stays as the schema says")
}
