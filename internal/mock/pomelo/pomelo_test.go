package pomelo

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	client "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/schema"
)

// registry is the embedded schemas, which New uses when mock.Config names none.
var registry, _ = schema.Embedded()

type harness struct {
	t     testing.TB
	m     *Mock
	token string
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := boundedHarness(t, mock.Config{})
	h.m.retries = []time.Duration{time.Millisecond, time.Millisecond}
	return h
}

func (h *harness) do(method, path, contentType, body string, auth bool) (int, map[string]any) {
	h.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	rec := httptest.NewRecorder()
	h.m.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		require.NoError(h.t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	}
	return rec.Code, out
}

func (h *harness) json(method, path string, v any) (int, map[string]any) {
	h.t.Helper()
	var s string
	if v != nil {
		b, err := json.Marshal(v)
		require.NoError(h.t, err)
		s = string(b)
	}
	return h.do(method, path, "application/json", s, true)
}

func (h *harness) create(user, flow string) string {
	h.t.Helper()
	status, body := h.json("POST", client.PathCreateSession, client.KYCSession{UserID: user, FlowID: flow})
	require.Equal(h.t, 201, status, "%v", body)
	return body["data"].(map[string]any)["id"].(string)
}

func (h *harness) upload(session, entity, docType, contentType string, content []byte) (int, map[string]any) {
	h.t.Helper()
	var buf bytes.Buffer
	buf.WriteString("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Type: " + contentType + "\r\n\r\n")
	buf.Write(content)
	buf.WriteString("\r\n--B--\r\n")
	return h.do("POST", client.PathSessions+"/"+session+"/entities/"+entity+"/files/"+docType, "multipart/form-data; boundary=B", buf.String(), true)
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestOAuth(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		body, want string
		status     int
	}{
		{"grant_type=password&client_id=" + ClientID + "&client_secret=" + ClientSecret + "&audience=a", "unsupported_grant_type", 400},
		{"grant_type=client_credentials&client_id=" + ClientID + "&client_secret=" + ClientSecret, "invalid_request", 400},
		{"grant_type=client_credentials&client_id=" + ClientID + "&client_secret=wrong&audience=a", "invalid_client", 401},
		{"%zz", "invalid_request", 400},
	} {
		status, body := h.do("POST", client.PathToken, "application/x-www-form-urlencoded", tc.body, false)
		assert.Equal(t, tc.status, status, tc.body)
		assert.Equal(t, tc.want, body["error"], tc.body)
	}
	status, body := h.do("POST", client.PathToken, "application/json",
		`{"grant_type":"client_credentials","client_id":"`+ClientID+`","client_secret":"`+ClientSecret+`","audience":"a"}`, false)
	assert.Equal(t, 200, status)
	assert.Equal(t, "Bearer", body["token_type"])
}

func TestEveryIdentityCallNeedsABearer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range []struct{ method, path string }{
		{"POST", client.PathCreateSession}, {"GET", client.PathSessions}, {"GET", client.PathSessions + "/ses-x"},
		{"DELETE", client.PathSessions + "/ses-x"}, {"GET", client.PathSessions + "/ses-x/report"},
		{"POST", client.PathSessions + "/ses-x/entities/usr-x/files/selfie"}, {"POST", client.PathCleanValidations},
	} {
		status, body := h.do(c.method, c.path, "application/json", "{}", false)
		assert.Equal(t, 401, status, c.path)
		assert.Equal(t, CodeUnauthorized, errCode(body), c.path)
		h2 := *h
		h2.token = "tok-forged"
		status, _ = h2.do(c.method, c.path, "application/json", "{}", true)
		assert.Equal(t, 401, status, c.path)
	}
}

func TestKYCLifecycleWithUploads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.create("usr-ana", "flo-BRA")
	status, body := h.json("GET", client.PathSessions+"/"+id, nil)
	require.Equal(t, 200, status)
	assert.Equal(t, "IN_PROGRESS", body["data"].(map[string]any)["status"])
	assert.Equal(t, "BRA", body["data"].(map[string]any)["country"])

	status, body = h.upload(id, "usr-ana", "passport", "image/jpeg", []byte("x"))
	assert.Equal(t, 400, status)
	assert.Equal(t, CodeInvalidDocType, errCode(body))
	status, body = h.upload(id, "usr-bob", "selfie", "image/jpeg", []byte("x"))
	assert.Equal(t, 404, status)
	assert.Equal(t, CodeEntityNotFound, errCode(body))
	status, body = h.upload(id, "usr-ana", "selfie", "text/plain", []byte("x"))
	assert.Equal(t, 400, status)
	assert.Equal(t, CodeInvalidFile, errCode(body))
	status, _ = h.upload(id, "usr-ana", "selfie", "image/jpeg", nil)
	assert.Equal(t, 400, status, "empty file")

	for _, doc := range []string{"selfie", "driver-license-front"} {
		status, body = h.upload(id, "usr-ana", doc, "image/jpeg", []byte("jpeg"))
		require.Equal(t, 201, status, "%v", body)
	}
	_, body = h.json("GET", client.PathSessions+"/"+id, nil)
	assert.Equal(t, "IN_PROGRESS", body["data"].(map[string]any)["status"])
	status, _ = h.upload(id, "usr-ana", "driver-license-back", "image/png", []byte("png"))
	require.Equal(t, 201, status)
	_, body = h.json("GET", "/identity/v1/session/"+id, nil) // DOC-01: the singular path answers too
	assert.Equal(t, "VALIDATED", body["data"].(map[string]any)["status"])

	status, body = h.json("DELETE", client.PathSessions+"/"+id, nil)
	assert.Equal(t, 409, status)
	assert.Equal(t, CodeSessionClosed, errCode(body))

	status, body = h.json("GET", client.PathSessions+"/"+id+"/report", nil)
	require.Equal(t, 200, status)
	assert.Equal(t, "VALIDATED", body["data"].(map[string]any)["validation_status"])
	raw, _ := json.Marshal(body)
	vs, err := registry.ValidateDocument("pomelo/report.200.json", raw)
	require.NoError(t, err)
	assert.Empty(t, vs)

	// A validated user cannot start again until its validations are cleaned (KYC-13).
	status, body = h.json("POST", client.PathCreateSession, client.KYCSession{UserID: "usr-ana", FlowID: "flo-BRA"})
	assert.Equal(t, 400, status)
	assert.Equal(t, CodeAlreadyValidated, errCode(body))
}

func TestCancelStopsUploads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.create("usr-carla", "flo-3ijPOgbwKFkmUjEnE4vM9IMea78")
	status, body := h.json("DELETE", client.PathSessions+"/"+id, nil)
	require.Equal(t, 200, status)
	assert.Equal(t, "CANCELLED", body["data"].(map[string]any)["status"])
	status, body = h.upload(id, "usr-carla", "selfie", "image/jpeg", []byte("x"))
	assert.Equal(t, 409, status)
	assert.Equal(t, CodeSessionClosed, errCode(body))
	// ARG does not take a driver's license (KYC-04).
	id = h.create("usr-dan", "flo-3ijPOgbwKFkmUjEnE4vM9IMea78")
	status, _ = h.upload(id, "usr-dan", "driver-license-front", "image/jpeg", []byte("x"))
	assert.Equal(t, 400, status)
	for _, p := range []string{"/ses-missing", "/ses-missing/report"} {
		status, body = h.json("GET", client.PathSessions+p, nil)
		assert.Equal(t, 404, status, p)
		assert.Equal(t, CodeSessionNotFound, errCode(body))
	}
	status, _ = h.json("DELETE", client.PathSessions+"/ses-missing", nil)
	assert.Equal(t, 404, status)
	status, _ = h.upload("ses-missing", "usr-dan", "selfie", "image/jpeg", []byte("x"))
	assert.Equal(t, 404, status)
}

func seedSessions(t *testing.T, h *harness, flow string) {
	t.Helper()
	rows := []struct{ user, status, created, updated string }{
		{"usr-a", "IN_PROGRESS", "2021-07-26T10:00:00Z", "2021-07-30T10:00:00Z"},
		{"usr-b", "VALIDATED", "2021-07-27T09:00:00Z", "2021-07-27T12:00:00Z"},
		{"usr-c", "IN_PROGRESS", "2021-07-27T11:00:00Z", "2021-07-29T08:00:00Z"},
		{"usr-d", "REJECTED", "2021-07-28T23:59:00Z", "2021-07-28T23:59:30Z"},
		{"usr-e", "IN_PROGRESS", "2021-07-29T00:00:00Z", "2021-07-29T00:00:00Z"},
	}
	for _, r := range rows {
		status, body := h.json("POST", mock.ControlPrefix+"/sessions", map[string]any{"user_id": r.user, "flow_id": flow,
			"status": r.status, "created_at": r.created, "updated_at": r.updated})
		require.Equal(t, 201, status, "%v", body)
	}
}

func users(body map[string]any) []string {
	var out []string
	for _, s := range body["data"].([]any) {
		out = append(out, s.(map[string]any)["user_id"].(string))
	}
	return out
}

func TestSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	status, body := h.json("POST", mock.ControlPrefix+"/flows", map[string]any{"country": "ARG"})
	require.Equal(t, 201, status)
	flow := body["flow_id"].(string)
	seedSessions(t, h, flow)
	f := "filter[flow_id]=" + flow
	cases := []struct {
		query string
		want  []string
		pages int
	}{
		{f, []string{"usr-a", "usr-b", "usr-c", "usr-d", "usr-e"}, 1},
		{f + "&filter[status]=IN_PROGRESS", []string{"usr-a", "usr-c", "usr-e"}, 1},
		{f + "&filter[created_at][from]=2021-07-27&filter[created_at][to]=2021-07-28", []string{"usr-b", "usr-c", "usr-d"}, 1},
		{f + "&filter[created_at][from]=2021-07-29", []string{"usr-e"}, 1},
		{f + "&sort=-created_at", []string{"usr-e", "usr-d", "usr-c", "usr-b", "usr-a"}, 1},
		{f + "&sort=status,-updated_at", []string{"usr-a", "usr-c", "usr-e", "usr-d", "usr-b"}, 1},
		{f + "&sort=status,updated_at", []string{"usr-e", "usr-c", "usr-a", "usr-d", "usr-b"}, 1},
		{f + "&page[size]=2", []string{"usr-a", "usr-b"}, 3},
		{f + "&page[size]=2&page[number]=3", []string{"usr-e"}, 3},
		{f + "&page[size]=2&page[number]=4", nil, 3},
	}
	for _, tc := range cases {
		status, body := h.json("GET", client.PathSessions+"?"+tc.query, nil)
		require.Equal(t, 200, status, "%s: %v", tc.query, body)
		assert.Equal(t, tc.want, users(body), tc.query)
		assert.EqualValues(t, tc.pages, body["meta"].(map[string]any)["pagination"].(map[string]any)["total_pages"], tc.query)
		raw, _ := json.Marshal(body)
		vs, err := registry.ValidateDocument("pomelo/search.200.json", raw)
		require.NoError(t, err)
		assert.Empty(t, vs, tc.query)
	}
}

func TestSearchRefusesIncorrectParameters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for query, want := range map[string]string{
		"filter[colour]=red":                  `cannot filter by "colour"`,
		"filter[status=IN_PROGRESS":           "malformed parameter",
		"filter[]=x":                          "malformed parameter",
		"filter[status][x]=y":                 "malformed parameter",
		"filters[status]=IN_PROGRESS":         "malformed parameter",
		"sort=colour":                         `cannot sort by "colour"`,
		"sort=created_at,,updated_at":         "empty sort field",
		"sort=created_at,-created_at":         "appears twice",
		"page[size]=ten":                      `"ten" is not a whole number`,
		"page[number]=0":                      "below 1",
		"page[size]=101":                      "outside 1..100",
		"filter[created_at][from]=27/07/2021": "is not a date YYYY-MM-DD",
		"filter[created_at][from]=2021-07-28&filter[created_at][to]=2021-07-27": "ends before it starts",
		"pagesize=10":             "unknown parameter",
		"sort=created_at&sort=id": "given 2 times",
	} {
		u := client.PathSessions + "?" + query
		status, body := h.json("GET", u, nil)
		assert.Equal(t, 400, status, query)
		assert.Equal(t, CodeInvalidParameter, errCode(body), query)
		assert.Contains(t, body["error"].(map[string]any)["message"], want, query)
	}
}

func TestCleanValidations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, u := range []struct{ user, doc string }{{"usr-one", "111"}, {"usr-two", "222"}} {
		status, _ := h.json("POST", mock.ControlPrefix+"/users", map[string]string{"user_id": u.user, "document_number": u.doc})
		require.Equal(t, 201, status)
		status, _ = h.json("POST", mock.ControlPrefix+"/sessions", map[string]any{"user_id": u.user, "flow_id": "flo-BRA",
			"status": "VALIDATED", "created_at": "2024-01-01T00:00:00Z"})
		require.Equal(t, 201, status)
	}
	// Both sent: the user id wins, so usr-two (document 222) stays validated.
	status, body := h.json("POST", client.PathCleanValidations, map[string]string{"user_id": "usr-one", "document_number": "222"})
	require.Equal(t, 200, status, "%v", body)
	assert.Equal(t, map[string]any{"cleaned_by": "user_id", "sessions_cleaned": float64(1)}, body["data"])
	h.create("usr-one", "flo-BRA")
	status, _ = h.json("POST", client.PathCreateSession, client.KYCSession{UserID: "usr-two", FlowID: "flo-BRA"})
	assert.Equal(t, 400, status)
	status, body = h.json("POST", client.PathCleanValidations, map[string]string{"document_number": "222"})
	require.Equal(t, 200, status)
	assert.Equal(t, "document_number", body["data"].(map[string]any)["cleaned_by"])
	h.create("usr-two", "flo-BRA")
	status, body = h.json("POST", client.PathCleanValidations, map[string]string{})
	assert.Equal(t, 400, status)
	assert.Equal(t, CodeInvalidRequest, errCode(body))
}

func TestWebhooksAreSignedAndRetried(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []client.Event
	fails := 2
	rc := &client.Receiver{Secrets: map[string]string{WebhookAPIKey: WebhookSecret}, Endpoint: "/hooks/pomelo",
		Handle: func(r *http.Request, ev client.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if fails > 0 {
				fails--
				return io.ErrUnexpectedEOF
			}
			got = append(got, ev)
			return nil
		}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	h := newHarness(t)
	status, body := h.json("POST", mock.ControlPrefix+"/flows", map[string]any{"country": "ARG", "webhook_url": srv.URL + "/hooks/pomelo"})
	require.Equal(t, 201, status)
	id := h.create("usr-hook", body["flow_id"].(string))
	status, _ = h.json("DELETE", client.PathSessions+"/"+id, nil)
	require.Equal(t, 200, status)
	h.m.Wait()
	mu.Lock()
	require.Len(t, got, 1)
	assert.Equal(t, id, got[0].SessionID)
	assert.Equal(t, "CANCELLED", got[0].Status)
	mu.Unlock()
	status, body = h.json("GET", mock.ControlPrefix+"/deliveries?session_id="+id, nil)
	require.Equal(t, 200, status)
	ds := body["deliveries"].([]any)
	require.Len(t, ds, 3, "two refusals, then delivered")
	assert.EqualValues(t, 503, ds[0].(map[string]any)["answer"])
	assert.EqualValues(t, 204, ds[2].(map[string]any)["answer"])
}

func FuzzNever5xx(f *testing.F) {
	f.Add("POST", client.PathCreateSession, `{"user_id":"usr-a","flow_id":"flo-BRA"}`)
	f.Add("POST", client.PathCreateSession, `{"flow_type":"kyb-cards","data":{"company":1}}`)
	f.Add("GET", client.PathSessions+"?filter[status]=x&sort=-id&page[size]=1", ``)
	f.Add("GET", client.PathSessions+"?filter%5B=%ZZ", ``)
	f.Add("POST", client.PathCleanValidations, `{"user_id":5}`)
	f.Add("POST", client.PathSessions+"/ses-x/entities/u/files/selfie", `--B--`)
	f.Add("POST", mock.ControlPrefix+"/sessions", `{"created_at":"x"}`)
	f.Add("POST", client.PathToken, `grant_type=client_credentials&audience=%`)
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") {
			return
		}
		req, err := http.NewRequest(method, "http://mock"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+h.token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.m.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", method, path, body, rec.Code, rec.Body.String())
		}
	})
}

// TestTokensLiveAsLongAsConfigured: the access token lives --token-ttl (5 minutes by default, as the
// help says), and a call with it after that is refused.
func TestTokensLiveAsLongAsConfigured(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ttl, want time.Duration
	}{{0, 5 * time.Minute}, {2 * time.Second, 2 * time.Second}} {
		m, err := New(mock.Config{Schemas: registry, TokenTTL: tc.ttl, Now: func() time.Time { return now }})
		require.NoError(t, err)
		h := &harness{t: t, m: m}
		status, body := h.do("POST", client.PathToken, "application/x-www-form-urlencoded",
			"grant_type=client_credentials&client_id="+ClientID+"&client_secret="+ClientSecret+"&audience=a", false)
		require.Equal(t, 200, status, "%v", body)
		assert.Equal(t, tc.want.Seconds(), body["expires_in"])
		h.token = body["access_token"].(string)
		status, _ = h.do("GET", "/identity/v1/sessions", "", "", true)
		assert.Equal(t, 200, status)
		now = now.Add(tc.want)
		status, _ = h.do("GET", "/identity/v1/sessions", "", "", true)
		assert.Equal(t, 401, status, "the token expired after %s", tc.want)
	}
}
