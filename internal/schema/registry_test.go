package schema

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/schemas"
)

func TestEmbeddedSchemasCompileAndEveryRefResolves(t *testing.T) {
	r, err := Load(schemas.FS)
	require.NoError(t, err)
	assert.Contains(t, r.Providers(), "baas")
	for _, p := range r.Providers() {
		for _, op := range r.Operations(p) {
			assert.NotEmpty(t, op.Responses, "%s %s documents no response", p, op.ID)
		}
	}
	assert.Contains(t, r.Schemas(), "baas/person.json")
}

func TestLoadRejectsBrokenSets(t *testing.T) {
	const ok = `{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://s.invalid/p/a.json","type":"object"}`
	cases := map[string]struct {
		files   map[string]string
		wantErr string
	}{
		"not json": {map[string]string{"p/a.json": `{`}, "not valid JSON"},
		"no id":    {map[string]string{"p/a.json": `{"type":"object"}`}, "absolute $id"},
		"dangling ref": {map[string]string{"p/a.json": `{"$id":"https://s.invalid/p/a.json","$ref":"b.json"}`},
			"https://s.invalid/p/b.json, which is not one of the schemas"},
		"bad fragment": {map[string]string{
			"p/a.json": `{"$id":"https://s.invalid/p/a.json","definitions":{"x":{}},"properties":{"y":{"$ref":"#/definitions/z"}}}`},
			`no "z"`},
		"invalid keyword value": {map[string]string{"p/a.json": `{"$id":"https://s.invalid/p/a.json","type":"strin"}`}, "compile schema p/a.json"},
		"index names missing schema": {map[string]string{"p/a.json": ok,
			"p/index.json": `{"provider":"p","operations":[{"id":"x","method":"GET","path":"/x","responses":{"200":"nope.json"}}]}`},
			"response 200 schema nope.json does not exist"},
		"index provider mismatch": {map[string]string{"p/a.json": ok,
			"p/index.json": `{"provider":"q","operations":[]}`}, "does not match its folder"},
		"index unknown field": {map[string]string{"p/a.json": ok,
			"p/index.json": `{"provider":"p","operation":[]}`}, "unknown field"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for k, v := range tc.files {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			_, err := Load(fsys)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestViolationsNamePointerAndRule(t *testing.T) {
	r, err := Load(schemas.FS)
	require.NoError(t, err)
	op, ok := r.Match("baas", "POST", "/baas/token_request")
	require.True(t, ok)

	cases := []struct {
		name string
		body string
		want []string
	}{
		{"name too long", personBody(`"name":"` + repeat("a", 101) + `"`), []string{"/person_creation/person/name: maxLength"}},
		{"missing email", personBody(`"email":null`), []string{"/person_creation/person/email: type"}},
		{"bad state", personBody(`"address":{"street":"s","state":"mg","city":"c","neighborhood":"n","number":"1","postal_code":"38300000","complement":"x"}`),
			[]string{"/person_creation/person/address/state: pattern"}},
		{"unknown field", personBody(`"nickname":"x"`), []string{"/person_creation/person/nickname: additionalProperties"}},
		{"bad date", personBody(`"date_of_birth":"1987/01/11"`), []string{"/person_creation/person/date_of_birth: format", "/person_creation/person/date_of_birth: pattern"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := r.ValidateRequest(op, []byte(tc.body))
			var got []string
			for _, v := range vs {
				got = append(got, v.Pointer+": "+v.Rule)
			}
			assert.Equal(t, tc.want, got)
		})
	}

	t.Run("valid", func(t *testing.T) {
		assert.Empty(t, r.ValidateRequest(op, []byte(personBody(""))))
	})
	t.Run("required field names the missing property", func(t *testing.T) {
		vs := r.ValidateRequest(op, []byte(`{"contact_type":"sms"}`))
		require.Len(t, vs, 1)
		assert.Equal(t, "/person_creation", vs[0].Pointer)
		assert.Equal(t, "required", vs[0].Rule)
	})
	t.Run("undocumented status", func(t *testing.T) {
		_, err := r.ValidateResponse(op, 500, []byte(`{}`))
		var u *ErrUndocumentedStatus
		require.ErrorAs(t, err, &u)
		assert.Contains(t, err.Error(), "POST /baas/token_request answered status 500, which is not documented (documented: 200, 400, 401, 404)")
	})
	t.Run("error body shape", func(t *testing.T) {
		vs, err := r.ValidateResponse(op, 400, []byte(`{"title":"Bad Request","code":"ACC000152","additional_data":[]}`))
		require.NoError(t, err)
		var got []string
		for _, v := range vs {
			got = append(got, v.Pointer+": "+v.Rule)
		}
		assert.Equal(t, []string{"/additional_data: type", "/description: required", "/translation: required"}, got)
	})
	t.Run("not json", func(t *testing.T) {
		vs := r.ValidateRequest(op, []byte(`{"contact_type":`))
		require.Len(t, vs, 1)
		assert.Equal(t, "json", vs[0].Rule)
	})
}

func TestMatchWithPlaceholders(t *testing.T) {
	fsys := fstest.MapFS{
		"p/a.json":     {Data: []byte(`{"$id":"https://s.invalid/p/a.json"}`)},
		"p/index.json": {Data: []byte(`{"provider":"p","operations":[{"id":"get","method":"GET","path":"/v1/sessions/{id}","responses":{"200":"a.json"}}]}`)},
	}
	r, err := Load(fsys)
	require.NoError(t, err)
	op, ok := r.Match("p", "GET", "/v1/sessions/abc-123")
	require.True(t, ok)
	assert.Equal(t, "get", op.ID)
	_, ok = r.Match("p", "GET", "/v1/sessions/abc/report")
	assert.False(t, ok)
	_, ok = r.Match("p", "POST", "/v1/sessions/abc")
	assert.False(t, ok)
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

// personBody is a valid token request with extra (overriding) person members spliced in.
func personBody(extra string) string {
	fields := map[string]string{
		"date_of_birth": `"1987-01-11"`, "document_identification_number": `"rg-key"`, "email": `"a@b.co"`,
		"document_number": `"68346734500"`, "is_pep": `false`, "mother_name": `"M"`, "name": `"N"`,
		"nationality": `"Brasil"`, "birth_place": `"Ituiutaba"`, "person_type": `"natural"`,
		"phone_number": `{"country_code":"55","area_code":"34","number":"988887777"}`,
	}
	person := ""
	for k, v := range fields {
		if extra != "" && len(extra) > len(k)+3 && extra[1:len(k)+1] == k && extra[len(k)+1] == '"' {
			continue
		}
		if person != "" {
			person += ","
		}
		person += `"` + k + `":` + v
	}
	if extra != "" {
		person += "," + extra
	}
	return `{"contact_type":"sms","person_creation":{"person":{` + person + `}}}`
}

// TestEnumeratedNamesTheValuesASchemaFixes: a session's status and kind are enumerated (through the
// $ref to the session definition), its id and dates are not; an undocumented status names nothing.
func TestEnumeratedNamesTheValuesASchemaFixes(t *testing.T) {
	reg, err := Embedded()
	require.NoError(t, err)
	op, ok := reg.Match("pomelo", "GET", "/identity/v1/sessions/abc")
	require.True(t, ok)
	body := []byte(`{"data":{"id":"abc","status":"IN_PROGRESS","kind":"kyc","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}`)
	assert.Equal(t, []string{"/data/kind", "/data/status"}, reg.Enumerated(op, 200, body))
	assert.Empty(t, reg.Enumerated(op, 299, body))
}
