package schema

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func formBody(t *testing.T, build func(w *multipart.Writer)) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	build(w)
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

func TestFormDocument(t *testing.T) {
	body, ct := formBody(t, func(w *multipart.Writer) {
		require.NoError(t, w.WriteField("name", "Ana"))
		require.NoError(t, w.WriteField("tag", "a"))
		require.NoError(t, w.WriteField("tag", "b"))
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="photo"; filename="p.png"`)
		h.Set("Content-Type", "image/png")
		p, err := w.CreatePart(h)
		require.NoError(t, err)
		_, _ = p.Write([]byte("\x89PNG\r\n\x1a\n" + "rest of it"))
		f, err := w.CreateFormFile("raw", "r.bin") // declared application/octet-stream
		require.NoError(t, err)
		_, _ = f.Write([]byte("hello"))
	})
	doc, err := FormDocument(ct, body)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Ana","tag":["a","b"],
		"photo":{"filename":"p.png","content_type":"image/png","detected_type":"image/png","size":18},
		"raw":{"filename":"r.bin","content_type":"application/octet-stream","detected_type":"text/plain; charset=utf-8","size":5}}`, string(doc))

	for name, tc := range map[string]struct{ ct, body string }{
		"not multipart":    {"application/json", "{}"},
		"no boundary":      {"multipart/form-data", string(body)},
		"no part":          {"multipart/form-data; boundary=zzz", "nothing delimited here"},
		"truncated":        {ct, string(body[:len(body)/2])},
		"part has no name": {"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n"},
	} {
		_, err := FormDocument(tc.ct, []byte(tc.body))
		assert.Error(t, err, name)
	}
}

func TestValidateRequestBodyPicksTheSchemaByContentType(t *testing.T) {
	fsys := fstest.MapFS{
		"p/json.json": {Data: []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://x.invalid/p/json.json",
			"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}`)},
		"p/form.json": {Data: []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://x.invalid/p/form.json",
			"type":"object","required":["n","f"],"properties":{"n":{"type":"string","pattern":"^[0-9]+$"},
			"f":{"type":"object","properties":{"content_type":{"pattern":"^image/"}}}}}`)},
		"p/index.json": {Data: []byte(`{"provider":"p","operations":[
			{"id":"both","method":"POST","path":"/x","request":"json.json","request_form":"form.json","responses":{"200":"json.json"}},
			{"id":"json_only","method":"POST","path":"/y","request":"json.json","responses":{"200":"json.json"}}]}`)},
	}
	r, err := Load(fsys)
	require.NoError(t, err)
	both, _ := r.Match("p", "POST", "/x")
	jsonOnly, _ := r.Match("p", "POST", "/y")

	assert.Empty(t, r.ValidateRequestBody(both, "application/json", []byte(`{"n":1}`)))
	assert.Equal(t, "type", r.ValidateRequestBody(both, "application/json", []byte(`{"n":"1"}`))[0].Rule)

	good, ct := formBody(t, func(w *multipart.Writer) {
		_ = w.WriteField("n", "12")
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="f"; filename="a.gif"`)
		h.Set("Content-Type", "image/gif")
		p, _ := w.CreatePart(h)
		_, _ = p.Write([]byte("GIF89a"))
	})
	assert.Empty(t, r.ValidateRequestBody(both, ct, good))
	bad, ct2 := formBody(t, func(w *multipart.Writer) { _ = w.WriteField("n", "twelve") })
	vs := r.ValidateRequestBody(both, ct2, bad)
	var got []string
	for _, v := range vs {
		got = append(got, v.Pointer+": "+v.Rule)
	}
	assert.ElementsMatch(t, []string{"/n: pattern", "/f: required"}, got)
	assert.Equal(t, "multipart", r.ValidateRequestBody(both, "multipart/form-data; boundary=q", []byte("junk"))[0].Rule)
	assert.Empty(t, r.ValidateRequestBody(jsonOnly, ct2, bad), "an operation without a form schema accepts any multipart body")
}

func TestUnknownFields(t *testing.T) {
	fsys := fstest.MapFS{
		"p/defs.json": {Data: []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://x.invalid/p/defs.json",
			"definitions":{"addr":{"type":"object","properties":{"city":{"type":"string"}}}}}`)},
		"p/resp.json": {Data: []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://x.invalid/p/resp.json",
			"type":"object","properties":{
				"id":{"type":"string"},
				"address":{"oneOf":[{"$ref":"defs.json#/definitions/addr"},{"type":"null"}]},
				"items":{"type":"array","items":{"allOf":[{"$ref":"defs.json#/definitions/addr"}]}},
				"metadata":{"type":"object"},
				"extra":{"type":"object","properties":{"a":{}},"additionalProperties":true}}}`)},
		"p/index.json": {Data: []byte(`{"provider":"p","operations":[{"id":"get","method":"GET","path":"/x","responses":{"200":"resp.json"}}]}`)},
	}
	r, err := Load(fsys)
	require.NoError(t, err)
	op, _ := r.Match("p", "GET", "/x")
	body := `{"id":"1","risk_score":3,"address":{"city":"Recife","zip":"5"},"items":[{"city":"a"},{"city":"b","geo":1}],
		"metadata":{"anything":true},"extra":{"a":1,"b":2}}`
	var got []string
	for _, v := range r.UnknownFields(op, 200, []byte(body)) {
		assert.Equal(t, RuleUnknownField, v.Rule)
		got = append(got, v.Pointer)
	}
	assert.Equal(t, []string{"/address/zip", "/items/1/geo", "/risk_score"}, got)
	assert.Empty(t, r.UnknownFields(op, 200, []byte(`{"id":"1","address":null}`)))
	assert.Empty(t, r.UnknownFields(op, 404, []byte(`{"x":1}`)), "an undocumented status has no schema to compare with")
	assert.Empty(t, r.UnknownFields(op, 200, []byte(`not json`)))
}

// FuzzFormDocument: no multipart body, however malformed, panics the reader.
func FuzzFormDocument(f *testing.F) {
	f.Add("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n")
	f.Add("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"p.gif\"\r\nContent-Type: image/gif\r\n\r\nGIF89a\r\n--b--\r\n")
	f.Add("multipart/form-data", "")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		doc, err := FormDocument(contentType, []byte(body))
		if err == nil && len(doc) == 0 {
			t.Fatal("no document and no error")
		}
	})
}

// A form of many tiny parts, or one huge text part, is malformed: the reader stops at the limit
// instead of reading on.
func TestFormDocumentLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 150000; i++ {
		fmt.Fprintf(&b, "--B\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nx\r\n", i)
	}
	b.WriteString("--B--\r\n")
	_, err := FormDocument("multipart/form-data; boundary=B", []byte(b.String()))
	assert.ErrorContains(t, err, fmt.Sprintf("more than %d parts", MaxFormParts))

	big := "--B\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\n" + strings.Repeat("a", MaxFormTextPart+1) + "\r\n--B--\r\n"
	_, err = FormDocument("multipart/form-data; boundary=B", []byte(big))
	assert.ErrorContains(t, err, `text part "first_name" is over 65536 bytes`)

	ok := "--B\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\n" + strings.Repeat("a", MaxFormTextPart) + "\r\n--B--\r\n"
	_, err = FormDocument("multipart/form-data; boundary=B", []byte(ok))
	assert.NoError(t, err, "a part at the limit is read")
}
