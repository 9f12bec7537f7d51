package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/redact"
)

func raw(body string) Raw {
	return Raw{Provider: "baas", Feature: "baas/a.feature", Scenario: "s", Operation: "POST /baas/token_request",
		Method: "POST", Path: "/baas/token_request", Query: "filter[user_id]=usr-1&filter[document_number]=68346734500&page[size]=10",
		ReqHeader: http.Header{"Authorization": {"eyJsecret.jwt.value"}, "Content-Type": {"application/json"}},
		ReqType:   "application/json", ReqBody: []byte(body), Status: 200,
		RespHeader: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r-1"}},
		RespBody:   []byte(`{"person":{"name":"Sample Name","document_number":"68346734500","status":"pending","address":{"city":"Ituiutaba"}}}`)}
}

func TestRecordingMasksSecretsAndPersonalData(t *testing.T) {
	dir := t.TempDir()
	red := &redact.Redactor{}
	red.Add("api-key-0123456789")
	w, err := Create(dir, red, false)
	require.NoError(t, err)
	w.Add([]Raw{raw(`{"person_creation":{"person":{"name":"Sample Name","email":"sample@gmail.com","note":"key api-key-0123456789"}},"contact_type":"sms"}`)})
	require.NoError(t, w.Close())
	text, err := os.ReadFile(filepath.Join(dir, FileName))
	require.NoError(t, err)
	for _, leak := range []string{"Sample Name", "sample@gmail.com", "68346734500", "Ituiutaba", "eyJsecret", "api-key-0123456789"} {
		assert.NotContains(t, string(text), leak)
	}
	for _, kept := range []string{`"contact_type":"sms"`, `"status":"pending"`, `"X-Request-Id":"r-1"`, `"Authorization":"[REDACTED]"`, "filter[user_id]=usr-1"} {
		assert.Contains(t, string(text), kept)
	}
	list, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, 1, list[0].Seq)
	assert.Equal(t, 200, list[0].Response.Status)

	// --show-pii keeps personal data; secrets stay masked.
	dir2 := t.TempDir()
	w, err = Create(dir2, red, true)
	require.NoError(t, err)
	w.Add([]Raw{raw(`{"name":"Sample Name","note":"api-key-0123456789"}`)})
	require.NoError(t, w.Close())
	text, err = os.ReadFile(filepath.Join(dir2, FileName))
	require.NoError(t, err)
	assert.Contains(t, string(text), "Sample Name")
	assert.Contains(t, string(text), "68346734500")
	assert.NotContains(t, string(text), "api-key-0123456789")
	assert.NotContains(t, string(text), "eyJsecret")
}

func TestMultipartIsRecordedWithoutItsBytes(t *testing.T) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("first_name", "Juan")
	_ = mw.WriteField("marital_status", "divorcee")
	f, _ := mw.CreateFormFile("dni_selfie", "juan-selfie.jpg")
	_, _ = f.Write([]byte("GIF89a photo bytes"))
	_ = mw.Close()
	w := &Writer{red: &redact.Redactor{}}
	got := w.body(mw.FormDataContentType(), buf.Bytes()).(map[string]any)
	assert.Equal(t, PIIMask, got["first_name"])
	assert.Equal(t, "divorcee", got["marital_status"])
	photo := got["dni_selfie"].(map[string]any)
	assert.Equal(t, PIIMask, photo["filename"])
	assert.Equal(t, float64(18), photo["size"])
	assert.Contains(t, w.body("text/plain", []byte("Juan Fernandez")), "not recorded")
}

// TestEchoedPersonalDataIsMaskedWhereverItLands: a provider that echoes the request back, under any
// member or inside a string, a cut multipart form included, does not put the person in the recording.
func TestEchoedPersonalDataIsMaskedWhereverItLands(t *testing.T) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("last_name", "Fernandez")
	_ = mw.WriteField("first_name", "Juan Carlos")
	_ = mw.Close()
	form := buf.Bytes()
	cut := form[:bytes.LastIndex(form, []byte("Juan"))+6] // cut in half, as a scenario sends it on purpose
	for name, body := range map[string][]byte{"whole": form, "cut": cut} {
		w := &Writer{red: &redact.Redactor{}}
		echo, _ := json.Marshal(map[string]string{"echo": string(body), "message": "rejected Fernandez"})
		ex := w.mask(Raw{Method: "POST", Path: "/p", ReqType: mw.FormDataContentType(), ReqBody: body, Status: 422,
			RespHeader: http.Header{"Content-Type": {"application/json"}, "X-Echo": {"last_name=Fernandez"}}, RespBody: echo})
		line, err := json.Marshal(ex)
		require.NoError(t, err)
		assert.NotContains(t, string(line), "Fernandez", name)
		assert.Contains(t, string(line), PIIMask, name)
	}
}

func TestAbortAndCloseNeverLeaveHalfARecording(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), []byte("{\"provider\":\"old\"}\n"), 0o644))
	w, err := Create(dir, nil, false)
	require.NoError(t, err)
	w.Add([]Raw{raw(`{}`)})
	w.Abort()
	list, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "old", list[0].Provider, "an aborted run leaves the earlier recording as it was")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "and no temporary file")

	_, err = Load(t.TempDir())
	assert.ErrorContains(t, err, "no recording")
	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, FileName), []byte("{\"provider\":\"x\"}\nnot json\n"), 0o644))
	_, err = Load(bad)
	assert.ErrorContains(t, err, "line 2")
	assert.False(t, errors.Is(err, os.ErrNotExist))
}

func TestDiff(t *testing.T) {
	ex := func(scenario string, seq, status int, body any) Exchange {
		return Exchange{Provider: "gu1", Feature: "gu1/v.feature", Scenario: scenario, Seq: seq, Operation: "GET /x",
			Response: &Response{Status: status, Body: body}}
	}
	obj := func(s string) any {
		var v any
		require.NoError(t, jsonUnmarshal(s, &v))
		return v
	}
	old := []Exchange{
		ex("a", 1, 200, obj(`{"id":"1","items":[{"k":1}],"gone":true}`)),
		ex("b", 1, 200, obj(`{}`)),
		ex("c", 1, 201, nil),
	}
	cur := []Exchange{
		ex("a", 1, 200, obj(`{"id":2,"items":[{"k":1,"extra":"x"}],"new":null}`)),
		ex("b", 1, 404, obj(`{}`)),
		ex("d", 1, 200, nil),
	}
	var got []string
	for _, c := range Diff(old, cur, nil) {
		got = append(got, c.What)
	}
	assert.ElementsMatch(t, []string{
		"GET /x is no longer made",
		"GET /x 200: /id is number, was string",
		"GET /x 200: /items/*/extra appeared (string)",
		"GET /x 200: /new appeared (null)",
		"GET /x 200: /gone disappeared",
		"GET /x answers 404, was 200",
		"GET /x is new",
	}, got)
	assert.Empty(t, Diff(old, old, nil))
	assert.True(t, strings.HasPrefix(Summary(Diff(old, cur, nil), 3, 3), "7 change(s)"))
}

// TestDiffComparesDocumentedValues: an error code that changes (ENTITY_NOT_FOUND → ENTITY_MISSING) is a
// change, as is a value the schema enumerates (a status), while ids, timestamps and other values are
// not (issue 18).
func TestDiffComparesDocumentedValues(t *testing.T) {
	ex := func(body string) Exchange {
		var v any
		require.NoError(t, jsonUnmarshal(body, &v))
		return Exchange{Provider: "gu1", Feature: "gu1/v.feature", Scenario: "s", Seq: 1, Operation: "GET /validations/{id}",
			Response: &Response{Status: 404, Body: v}}
	}
	old := []Exchange{ex(`{"error":"ENTITY_NOT_FOUND","message":"no such validation","id":"a1","at":"2026-01-01T00:00:00Z","status":"pending","n":1}`)}
	cur := []Exchange{ex(`{"error":"ENTITY_MISSING","message":"validation not found","id":"b2","at":"2026-02-02T00:00:00Z","status":"done","n":2}`)}
	var got []string
	for _, c := range Diff(old, cur, nil) {
		got = append(got, c.What)
		assert.Equal(t, "GET /validations/{id}", c.Operation)
	}
	assert.Equal(t, []string{`GET /validations/{id} 404: /error is "ENTITY_MISSING", was "ENTITY_NOT_FOUND"`}, got,
		"a code-shaped value is compared; the message, id, timestamp and a lower-case value are not")

	enumerated := func(Exchange) []string { return []string{"/status"} }
	got = nil
	for _, c := range Diff(old, cur, enumerated) {
		got = append(got, c.What)
	}
	assert.ElementsMatch(t, []string{`GET /validations/{id} 404: /error is "ENTITY_MISSING", was "ENTITY_NOT_FOUND"`,
		`GET /validations/{id} 404: /status is "done", was "pending"`}, got, "and every value the schema enumerates")
	assert.Empty(t, Diff(old, old, enumerated))
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// TestASecretHoldingPersonalDataIsMaskedWhole: an echoed token whose text happens to hold a value the
// request sent (or a run of digits) is masked as a secret first; masking the personal value inside it
// first would hide the token from the redactor and leave the rest of it in the recording.
func TestASecretHoldingPersonalDataIsMaskedWhole(t *testing.T) {
	const token = "eyJtoken.Fernandez.sig0123456789tail"
	red := &redact.Redactor{}
	red.Add(token)
	w := &Writer{red: red}
	ex := w.mask(Raw{Method: "POST", Path: "/echo/" + token, Query: "t=" + token, ReqType: "application/json",
		ReqBody: []byte(`{"last_name":"Fernandez"}`), Err: errors.New("GET /echo/" + token + ": refused"), Status: 200,
		RespHeader: http.Header{"Content-Type": {"application/json"}, "X-Echo-Raw-Auth": {token}},
		RespBody:   []byte(`{"echo":"` + token + `"}`)})
	line, err := json.Marshal(ex)
	require.NoError(t, err)
	for _, piece := range []string{"eyJtoken", "sig", "tail"} {
		assert.NotContains(t, string(line), piece)
	}
	assert.Equal(t, redact.Mask, ex.Response.Headers["X-Echo-Raw-Auth"])
	assert.Equal(t, "/echo/"+redact.Mask, ex.Path)
}

// TestAUUIDIsNotPersonalData: a UUID whose last group is twelve digits is an identifier, kept whole in
// a path and a query, as a report's message beside the request prints it; a document number in the
// same path is still masked (issue 18).
func TestAUUIDIsNotPersonalData(t *testing.T) {
	id := "5f1c2b3a-9d8e-4c7b-a6f5-426614174000"
	ex := Mask(Raw{Provider: "pomelo", Method: "GET", Path: "/identity/v1/sessions/" + id + "/persons/68346734500",
		Query: "filter[session_id]=" + id + "&filter[cpf]=1234567", Status: 200}, &redact.Redactor{}, false)
	assert.Equal(t, "/identity/v1/sessions/"+id+"/persons/"+PIIMask, ex.Path)
	assert.Contains(t, ex.Query, "filter[session_id]="+id)
	assert.Contains(t, ex.Query, "filter[cpf]="+PIIMask)
	assert.Equal(t, "a-"+PIIMask+"-b", maskDigits("a-12345678-b"), "a digit run that is not a UUID is masked")
}
