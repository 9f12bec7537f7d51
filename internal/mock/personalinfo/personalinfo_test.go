package personalinfo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	client "github.com/latam-conformance/conformance/clients/personalinfo"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/schema"
)

// registry is the embedded schemas, which New uses when mock.Config names none.
var registry, _ = schema.Embedded()

func newMock(t testing.TB) *Mock {
	t.Helper()
	m, err := New(mock.Config{Schemas: registry})
	require.NoError(t, err)
	return m
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func send(t testing.TB, m *Mock, token, method, path, contentType string, body []byte) answer {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	if rec.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a.body), rec.Body.String())
	}
	return a
}

func create(t testing.TB, m *Mock, r *client.Request) answer {
	t.Helper()
	body, ct, err := client.Multipart(r, "")
	require.NoError(t, err)
	return send(t, m, Token, "POST", client.PathPersonalInformations, ct, body.Bytes())
}

func errorsOf(t testing.TB, a answer) map[string]any {
	t.Helper()
	errs, ok := a.body["errors"].(map[string]any)
	require.True(t, ok, "want a Rails errors object, got %s", a.raw)
	return errs
}

func TestCreateAnswersTheSeedsRecord(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	a := create(t, m, fixtures.PIRequest())
	require.Equal(t, 200, a.status, "%s", a.raw)
	data := a.body["data"].(map[string]any)
	for k, v := range map[string]any{"first_name": "Juan", "last_name": "Fernandez", "nationality": "Argentino",
		"gender": "Hombre", "marital_status": "divorcee", "politically_exposed": false, "birthday": "1990-08-10",
		"client_id": float64(ClientID), "document_type": "cuil", "document_number": "9999999", "state": "checking", "id": float64(1)} {
		assert.Equal(t, v, data[k], k)
	}
	vs, err := registry.ValidateResponse(m.op, 200, a.raw)
	require.NoError(t, err)
	assert.Empty(t, vs)

	// The second record gets the next id, and the photos are kept as uploads.
	a = create(t, m, fixtures.PIRequest())
	assert.Equal(t, float64(2), a.body["data"].(map[string]any)["id"])
	c := send(t, m, "", "GET", mock.ControlPrefix+"/records/2", "", nil)
	require.Equal(t, 200, c.status, "%s", c.raw)
	photos := c.body["photos"].(map[string]any)
	assert.Equal(t, "image/gif", photos["dni_selfie"].(map[string]any)["detected_type"])
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	bad := fixtures.PIRequest()
	bad.MaritalStatus = "complicated"
	body, ct, err := client.Multipart(bad, "")
	require.NoError(t, err)
	answers := map[string]answer{
		"200":                create(t, m, fixtures.PIRequest()),
		"422":                send(t, m, Token, "POST", client.PathPersonalInformations, ct, body.Bytes()),
		"401":                send(t, m, "", "POST", client.PathPersonalInformations, ct, body.Bytes()),
		"400":                send(t, m, Token, "POST", client.PathPersonalInformations, "multipart/form-data; boundary=x", []byte("garbage")),
		"404":                send(t, m, Token, "GET", "/nowhere", "", nil),
		"405":                send(t, m, Token, "GET", client.PathPersonalInformations, "", nil),
		"control API health": send(t, m, "", "GET", mock.HealthPath, "", nil),
	}
	for name, a := range answers {
		for _, kv := range SecurityHeaders {
			assert.Equal(t, kv[1], a.header.Get(kv[0]), "%s: %s", name, kv[0])
		}
		assert.Equal(t, ContentType, a.header.Get("Content-Type"), name)
		assert.Len(t, a.header.Get("X-Request-Id"), 36, name)
		assert.NotEmpty(t, a.header.Get("X-Runtime"), name)
	}
	assert.Equal(t, 200, answers["200"].status)
	assert.Equal(t, 422, answers["422"].status)
	assert.Equal(t, 401, answers["401"].status)
	assert.Equal(t, 400, answers["400"].status)
	assert.Equal(t, 404, answers["404"].status)
	assert.Equal(t, 405, answers["405"].status)
	assert.NotEqual(t, answers["200"].header.Get("X-Request-Id"), answers["422"].header.Get("X-Request-Id"))
}

func TestRailsErrorsPerField(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	cases := []struct {
		name   string
		change func(r *client.Request)
		want   map[string][]any
	}{
		{"marital status outside PI-03", func(r *client.Request) { r.MaritalStatus = "complicated" },
			map[string][]any{"marital_status": {"is not included in the list"}}},
		{"blank first name", func(r *client.Request) { r.FirstName = "" },
			map[string][]any{"first_name": {"can't be blank"}}},
		{"birthday not a date", func(r *client.Request) { r.Birthday = "10/08/1990" },
			map[string][]any{"birthday": {"is not a valid date"}}},
		{"birthday not a real day", func(r *client.Request) { r.Birthday = "1990/02/30" },
			map[string][]any{"birthday": {"is not a valid date"}}},
		{"no selfie", func(r *client.Request) { r.DNISelfie = nil },
			map[string][]any{"dni_selfie": {"can't be blank"}}},
		{"a PDF as the front", func(r *client.Request) {
			r.FrontDocument = &client.Photo{Filename: "f.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4\n")}
		}, map[string][]any{"front_document": {"must be an image", "does not look like an image"}}},
		{"text declared as an image", func(r *client.Request) {
			r.BackDocument = &client.Photo{Filename: "b.jpg", ContentType: "image/jpeg", Content: []byte("hello")}
		}, map[string][]any{"back_document": {"does not look like an image"}}},
		{"an empty photo", func(r *client.Request) {
			r.BackDocument = &client.Photo{Filename: "b.gif", ContentType: "image/gif"}
		}, map[string][]any{"back_document": {"is empty", "does not look like an image"}}},
		{"a photo over 5 MiB", func(r *client.Request) {
			r.DNISelfie = &client.Photo{Filename: "s.gif", ContentType: "image/gif",
				Content: append(append([]byte{}, fixtures.PIPhotoBytes...), make([]byte, MaxPhoto)...)}
		}, map[string][]any{"dni_selfie": {"is too large (maximum is 5 MB)"}}},
	}
	for _, tc := range cases {
		r := fixtures.PIRequest()
		tc.change(r)
		a := create(t, m, r)
		require.Equal(t, 422, a.status, "%s: %s", tc.name, a.raw)
		errs := errorsOf(t, a)
		for field, msgs := range tc.want {
			assert.ElementsMatch(t, msgs, errs[field], "%s: %s", tc.name, a.raw)
		}
		assert.Len(t, errs, len(tc.want), "%s: only the broken field is named: %s", tc.name, a.raw)
		vs, err := registry.ValidateResponse(m.op, 422, a.raw)
		require.NoError(t, err)
		assert.Empty(t, vs, tc.name)
	}
}

func TestBirthdayInEitherDocumentedFormAnswersTheExamplesForm(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	for _, b := range []string{"1990-08-10", "1990/08/10"} {
		r := fixtures.PIRequest()
		r.Birthday = b
		a := create(t, m, r)
		require.Equal(t, 200, a.status, "%s: %s", b, a.raw)
		assert.Equal(t, "1990-08-10", a.body["data"].(map[string]any)["birthday"], b)
	}
}

func TestPoliticallyExposedIsABoolean(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	r := fixtures.PIRequest()
	r.PoliticallyExposed = true
	a := create(t, m, r)
	require.Equal(t, 200, a.status, "%s", a.raw)
	assert.Equal(t, true, a.body["data"].(map[string]any)["politically_exposed"])

	body, ct, err := client.Multipart(fixtures.PIRequest(), "")
	require.NoError(t, err)
	broken := bytes.Replace(body.Bytes(), []byte("\r\n\r\nfalse\r\n"), []byte("\r\n\r\nmaybe\r\n"), 1)
	require.NotEqual(t, body.Bytes(), broken)
	a = send(t, m, Token, "POST", client.PathPersonalInformations, ct, broken)
	require.Equal(t, 422, a.status, "%s", a.raw)
	assert.Equal(t, []any{"is not included in the list"}, errorsOf(t, a)["politically_exposed"])
}

func TestTheDocumentedJSONBodyCannotCarryThePhotos(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	a := send(t, m, Token, "POST", client.PathPersonalInformations, "application/json", []byte(fixtures.PIDocumentedJSON))
	require.Equal(t, 422, a.status, "%s", a.raw)
	errs := errorsOf(t, a)
	assert.Len(t, errs, 3, "only the photos are refused: %s", a.raw)
	for _, p := range []string{"front_document", "back_document", "dni_selfie"} {
		assert.Contains(t, errs[p].([]any)[0], "DOC-11", p)
	}
}

func TestAuthenticationAndBadBodies(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	body, ct, err := client.Multipart(fixtures.PIRequest(), "")
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		token, ct string
		body      []byte
		status    int
		field     string
	}{
		"no token":         {"", ct, body.Bytes(), 401, "authorization"},
		"Bearer prefix":    {"Bearer " + Token, ct, body.Bytes(), 401, "authorization"},
		"wrong token":      {"nope", ct, body.Bytes(), 401, "authorization"},
		"no boundary":      {Token, "multipart/form-data", body.Bytes(), 400, "body"},
		"truncated":        {Token, ct, body.Bytes()[:body.Len()/2], 400, "body"},
		"JSON array":       {Token, "application/json", []byte(`[1]`), 400, "body"},
		"broken JSON":      {Token, "application/json", []byte(`{`), 400, "body"},
		"text/plain":       {Token, "text/plain", []byte("hello"), 422, "first_name"},
		"no content type":  {Token, "", nil, 422, "dni_selfie"},
		"body over 16 MiB": {Token, ct, make([]byte, MaxBody+1), 413, "body"},
	} {
		a := send(t, m, tc.token, "POST", client.PathPersonalInformations, tc.ct, tc.body)
		assert.Equal(t, tc.status, a.status, "%s: %s", name, a.raw)
		assert.Contains(t, errorsOf(t, a), tc.field, name)
	}
	// A token registered through the control API works, with its client id.
	c := send(t, m, "", "POST", mock.ControlPrefix+"/tokens", "application/json", []byte(`{"token":"t2","client_id":42}`))
	require.Equal(t, 201, c.status, "%s", c.raw)
	a := send(t, m, "t2", "POST", client.PathPersonalInformations, ct, body.Bytes())
	require.Equal(t, 200, a.status, "%s", a.raw)
	assert.Equal(t, float64(42), a.body["data"].(map[string]any)["client_id"])
	for _, bad := range []string{`{`, `{"tok":"x"}`, `{"token":""}`} {
		c = send(t, m, "", "POST", mock.ControlPrefix+"/tokens", "application/json", []byte(bad))
		assert.Equal(t, 400, c.status, bad)
	}
}

func FuzzNever5xx(f *testing.F) {
	body, ct, err := client.Multipart(fixtures.PIRequest(), "fuzzboundary")
	require.NoError(f, err)
	f.Add(ct, body.String())
	f.Add("application/json", fixtures.PIDocumentedJSON)
	f.Add("multipart/form-data; boundary=fuzzboundary", "--fuzzboundary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--fuzzboundary--\r\n")
	f.Add("application/json", `{"birthday":["x"],"politically_exposed":"yes"}`)
	m := newMock(f)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		req := httptest.NewRequest("POST", client.PathPersonalInformations, strings.NewReader(body))
		req.Header.Set("Authorization", Token)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", rec.Code, contentType, body, rec.Body.String())
		}
		var shape struct {
			Errors map[string][]string `json:"errors"`
		}
		if rec.Code != 200 && (json.Unmarshal(rec.Body.Bytes(), &shape) != nil || len(shape.Errors) == 0) {
			t.Fatalf("status %d without the Rails errors shape: %s", rec.Code, rec.Body.String())
		}
	})
}

// A form of many tiny parts is refused after the limit, in the Rails shape: 400 {"errors": {"body": [...]}}.
func TestAFormOfManyPartsIsRefused(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 150000; i++ {
		fmt.Fprintf(&b, "--B\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nx\r\n", i)
	}
	b.WriteString("--B--\r\n")
	a := send(t, newMock(t), Token, "POST", client.PathPersonalInformations, "multipart/form-data; boundary=B", b.Bytes())
	assert.Equal(t, 400, a.status)
	assert.Contains(t, fmt.Sprint(errorsOf(t, a)["body"]), "more than 100 parts")
}

// undeclared is a request whose length is not declared (a chunked upload): the mock counts as it reads.
func undeclared(contentType string, body []byte) *http.Request {
	req := httptest.NewRequest("POST", client.PathPersonalInformations, bytes.NewReader(body))
	req.ContentLength = -1
	req.Header.Set("Authorization", Token)
	req.Header.Set("Content-Type", contentType)
	return req
}

// TestABodyOver16MiBIsRefusedWhetherOrNotItSaysSo: a body that declares more than 16 MiB is refused
// before it is read; one that does not declare its length is counted as it streams and refused at the
// limit, a form and a JSON body alike.
func TestABodyOver16MiBIsRefusedWhetherOrNotItSaysSo(t *testing.T) {
	m := newMock(t)
	req := fixtures.PIRequest()
	big := make([]byte, MaxBody)
	copy(big, fixtures.PIPhotoBytes)
	req.FrontDocument.Content = big // a photo too large, and a body past the limit with the rest
	body, ct, err := client.Multipart(req, "")
	require.NoError(t, err)
	for name, r := range map[string]*http.Request{
		"form":  undeclared(ct, body.Bytes()),
		"other": undeclared("text/plain", make([]byte, MaxBody+1)),
	} {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, r)
		assert.Equal(t, 413, rec.Code, "%s: %s", name, rec.Body.String())
		assert.Contains(t, rec.Body.String(), `"body":["is larger than 16777216 bytes"]`, name)
	}
	// A JSON body carries no photo: past 1 MiB it is refused, declared or not.
	json := append([]byte(`{"first_name":"`), bytes.Repeat([]byte("a"), MaxJSON)...)
	declared := httptest.NewRequest("POST", client.PathPersonalInformations, bytes.NewReader(json))
	declared.Header.Set("Authorization", Token)
	declared.Header.Set("Content-Type", "application/json")
	for name, r := range map[string]*http.Request{"declared": declared, "undeclared": undeclared("application/json", json)} {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, r)
		assert.Equal(t, 413, rec.Code, "%s: %s", name, rec.Body.String())
		assert.Contains(t, rec.Body.String(), "is larger than 1048576 bytes, more than a JSON body takes: it carries no photo (DOC-11)", name)
	}
}

// TestAJSONBodyWaitsForItsShareOfTheBudget: with the JSON budget taken, a JSON body is answered 429
// with Retry-After, in the Rails shape; once it is given back, the same body is read. A form, read as it
// streams, needs no share.
func TestAJSONBodyWaitsForItsShareOfTheBudget(t *testing.T) {
	m := newMock(t)
	m.wait = 50 * time.Millisecond
	require.NoError(t, m.budget.Acquire(context.Background(), JSONBudget))
	a := send(t, m, Token, "POST", client.PathPersonalInformations, "application/json", []byte(fixtures.PIDocumentedJSON))
	assert.Equal(t, 429, a.status, "%s", a.raw)
	assert.Equal(t, "1", a.header.Get("Retry-After"))
	assert.Contains(t, fmt.Sprint(errorsOf(t, a)["body"]), "send it again in a second")
	assert.Equal(t, 200, create(t, m, fixtures.PIRequest()).status, "a form streams")

	m.budget.Release(JSONBudget)
	a = send(t, m, Token, "POST", client.PathPersonalInformations, "application/json", []byte(fixtures.PIDocumentedJSON))
	assert.Equal(t, 422, a.status, "read, and refused as DOC-11 says: %s", a.raw)
	require.True(t, m.budget.TryAcquire(JSONBudget), "every share was given back")
}
