package gu1

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	client "github.com/latam-conformance/conformance/clients/gu1"
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

func call(t testing.TB, m *Mock, key, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	switch {
	case key != "" && strings.HasPrefix(path, mock.ControlPrefix):
		req.Header.Set(mock.TenantHeader, key) // the control API acts for the organisation named
	case key != "":
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	}
	return rec.Code, out
}

func entity(t testing.TB, m *Mock, key, typ string) string {
	t.Helper()
	status, body := call(t, m, key, "POST", client.PathEntities, `{"type":"`+typ+`","name":"Ana"}`)
	require.Equal(t, 201, status, "%v", body)
	return body["id"].(string)
}

// metadataOf returns a metadata object whose compact JSON is exactly n bytes.
func metadataOf(n int) string { return `{"k":"` + strings.Repeat("x", n-8) + `"}` }

func TestDocumentedErrorsWordForWord(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	person := entity(t, m, APIKey, "person")
	company := entity(t, m, APIKey, "company")
	cases := []struct {
		name, key, body string
		status          int
		want            map[string]any
	}{
		{"unknown entity (GU1-07)", APIKey, `{"entityId":"123e4567-e89b-12d3-a456-426614174000"}`, 404,
			map[string]any{"error": "ENTITY_NOT_FOUND", "message": "Entity not found"}},
		{"company (GU1-08)", APIKey, `{"entityId":"` + company + `"}`, 400,
			map[string]any{"error": "INVALID_ENTITY_TYPE", "message": "KYC validation is only available for person entities"}},
		{"no KYC integration (GU1-09)", APIKeyNoKYC, `{"entityId":"` + person + `"}`, 400,
			map[string]any{"error": "KYC_NOT_CONFIGURED", "message": "La integración KYC no está configurada for this organization. Please contact your administrator."}},
	}
	for _, tc := range cases {
		status, body := call(t, m, tc.key, "POST", client.PathValidations, tc.body)
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.want, body, tc.name)
	}
	for name, tc := range map[string]struct {
		key, body, code string
		status          int
	}{
		"no bearer":           {"", `{}`, CodeUnauthorized, 401},
		"unknown key":         {"nope", `{}`, CodeUnauthorized, 401},
		"entityId not uuid":   {APIKey, `{"entityId":"123"}`, CodeInvalidRequest, 400},
		"entityId missing":    {APIKey, `{"metadata":{}}`, CodeInvalidRequest, 400},
		"metadata not object": {APIKey, `{"entityId":"` + person + `","metadata":"x"}`, CodeInvalidRequest, 400},
		"malformed":           {APIKey, `{"entityId":`, CodeInvalidRequest, 400},
	} {
		status, body := call(t, m, tc.key, "POST", client.PathValidations, tc.body)
		assert.Equal(t, tc.status, status, name)
		assert.Equal(t, tc.code, body["error"], name)
	}
}

func TestMetadataBoundary(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	person := entity(t, m, APIKey, "person")
	status, body := call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+person+`","metadata":`+metadataOf(10240)+`}`)
	require.Equal(t, 201, status, "%v", body)
	raw, _ := json.Marshal(body)
	vs, err := registry.ValidateDocument("gu1/validation.json", raw)
	require.NoError(t, err)
	assert.Empty(t, vs)
	status, body = call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+person+`","metadata":`+metadataOf(10241)+`}`)
	assert.Equal(t, 400, status)
	assert.Equal(t, CodeMetadataTooLarge, body["error"])
	// Whitespace does not count: the size is that of the compact JSON.
	spaced := strings.Replace(metadataOf(10240), `":"`, `" :   "`, 1)
	status, _ = call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+person+`","metadata":`+spaced+`}`)
	assert.Equal(t, 201, status)
}

func TestCurrentValidationListAndCancel(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	person := entity(t, m, APIKey, "person")
	_, first := call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+person+`"}`)
	_, second := call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+person+`"}`)
	assert.Equal(t, true, second["isCurrent"])
	status, got := call(t, m, APIKey, "GET", client.PathValidations+"/"+first["id"].(string), "")
	require.Equal(t, 200, status)
	assert.Equal(t, false, got["isCurrent"], "GU1-12: the first is no longer current")
	assert.Equal(t, "pending", got["status"])

	status, list := call(t, m, APIKey, "GET", "/api/kyc/entities/"+person+"/validations?limit=1", "")
	require.Equal(t, 200, status)
	assert.EqualValues(t, 2, list["total"])
	items := list["validations"].([]any)
	require.Len(t, items, 1)
	assert.Equal(t, second["id"], items[0].(map[string]any)["id"], "newest first")
	status, _ = call(t, m, APIKey, "GET", "/api/kyc/entities/"+person+"/validations?limit=101", "")
	assert.Equal(t, 400, status)
	status, body := call(t, m, APIKey, "GET", "/api/kyc/entities/123e4567-e89b-12d3-a456-426614174000/validations", "")
	assert.Equal(t, 404, status)
	assert.Equal(t, "ENTITY_NOT_FOUND", body["error"])

	status, body = call(t, m, APIKey, "POST", client.PathValidations+"/"+second["id"].(string)+"/cancel", "")
	require.Equal(t, 200, status)
	assert.Equal(t, "cancelled", body["status"])
	status, _ = call(t, m, APIKey, "POST", client.PathValidations+"/"+second["id"].(string)+"/cancel", "")
	assert.Equal(t, 409, status)
	// Another organisation cannot see it.
	status, _ = call(t, m, APIKeyNoKYC, "GET", client.PathValidations+"/"+first["id"].(string), "")
	assert.Equal(t, 404, status)
}

func TestWebhooksAreSigned(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []client.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !client.Verify(WebhookSecret, body, r.Header.Get(client.HeaderSignature)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev client.Event
		_ = json.Unmarshal(body, &ev)
		vs, err := registry.ValidateDocument("gu1/webhook.json", body)
		if err != nil || len(vs) > 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	defer srv.Close()
	m := newMock(t)
	status, _ := call(t, m, "", "POST", mock.ControlPrefix+"/organizations", `{"api_key":"k2","kyc_configured":true,"webhook_url":"`+srv.URL+`/default"}`)
	require.Equal(t, 201, status)
	person := entity(t, m, "k2", "person")
	_, v := call(t, m, "k2", "POST", client.PathValidations, `{"entityId":"`+person+`"}`)
	id := v["id"].(string)
	status, _ = call(t, m, "k2", "POST", mock.ControlPrefix+"/validations/"+id+"/status", `{"status":"approved"}`)
	require.Equal(t, 200, status)
	status, _ = call(t, m, "", "POST", mock.ControlPrefix+"/validations/"+id+"/status", `{"status":"accepted"}`)
	assert.Equal(t, 400, status)
	m.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, events, 2)
	assert.Equal(t, "kyc.validation_created", events[0].Event)
	assert.Equal(t, "kyc.validation_approved", events[1].Event)
	assert.Equal(t, "approved", events[1].Payload.Status)
	assert.Equal(t, id, events[1].Payload.ValidationID)
}

// TestWebhooksGoToLoopbackOnly: a webhookUrl outside loopback is recorded as not delivered, refused
// before any name is resolved; a loopback one is delivered.
func TestWebhooksGoToLoopbackOnly(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	m := newMock(t)
	person := entity(t, m, APIKey, "person")
	var ids []string
	for _, hook := range []string{"https://hooks.example.com/kyc", "http://192.0.2.1/kyc", srv.URL + "/kyc"} {
		status, v := call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+person+`","webhookUrl":"`+hook+`"}`)
		require.Equal(t, 201, status, "%v", v)
		ids = append(ids, v["id"].(string))
	}
	m.Wait()
	for i, id := range ids {
		req := httptest.NewRequest("GET", mock.ControlPrefix+"/deliveries?validation_id="+id, nil)
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		var doc struct{ Deliveries []Delivery }
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc), rec.Body.String())
		ds := doc.Deliveries
		require.Len(t, ds, 1)
		if i < 2 {
			assert.Equal(t, 0, ds[0].Answer, "not delivered")
			assert.Contains(t, ds[0].Error, "only loopback addresses")
		} else {
			assert.Equal(t, 200, ds[0].Answer)
		}
	}
	assert.Equal(t, int64(1), hits.Load())
}

func FuzzNever5xx(f *testing.F) {
	for _, s := range []string{`{"entityId":"123e4567-e89b-12d3-a456-426614174000","metadata":{"a":[1,{"b":null}]}}`,
		`{"type":"person","name":"x"}`, `{"entityId":null}`, `[]`, `{"metadata":1e999}`} {
		f.Add(uint8(0), s)
		f.Add(uint8(1), s)
	}
	m := newMock(f)
	paths := []string{client.PathValidations, client.PathEntities, client.PathValidations + "/x/cancel", mock.ControlPrefix + "/organizations"}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		req := httptest.NewRequest("POST", paths[int(which)%len(paths)], strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+APIKey)
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

func TestGetEntity(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	id := entity(t, m, APIKey, "company")
	status, body := call(t, m, APIKey, "GET", client.PathEntities+"/"+id, "")
	require.Equal(t, 200, status, "%v", body)
	assert.Equal(t, map[string]any{"id": id, "type": "company", "name": "Ana"}, body)

	status, body = call(t, m, APIKeyNoKYC, "GET", client.PathEntities+"/"+id, "")
	assert.Equal(t, 404, status, "another organisation's entity is not visible")
	assert.Equal(t, "ENTITY_NOT_FOUND", body["error"])
	status, _ = call(t, m, "", "GET", client.PathEntities+"/"+id, "")
	assert.Equal(t, 401, status)
}

func TestControlEntityAndValidation(t *testing.T) {
	t.Parallel()
	m := newMock(t)
	const person, val = "0b6f4c1e-6f0a-4c55-9a53-6d3e1f7b2a10", "e3a1c2b4-5d6f-4a8b-9c0d-1e2f3a4b5c6d"
	status, body := call(t, m, "", "POST", mock.ControlPrefix+"/entities", `{"api_key":"`+APIKey+`","id":"`+person+`","type":"person","name":"Ana"}`)
	require.Equal(t, 201, status, "%v", body)
	status, body = call(t, m, "", "POST", mock.ControlPrefix+"/validations", `{"api_key":"`+APIKey+`","id":"`+val+`","entity_id":"`+person+`","status":"approved"}`)
	require.Equal(t, 201, status, "%v", body)

	status, body = call(t, m, APIKey, "GET", client.PathValidations+"/"+val, "")
	require.Equal(t, 200, status, "%v", body)
	assert.Equal(t, "approved", body["status"])
	assert.Equal(t, true, body["isCurrent"])
	status, body = call(t, m, APIKey, "POST", client.PathValidations+"/"+val+"/cancel", "")
	assert.Equal(t, 409, status, "an approved validation is not cancellable: %v", body)

	// A later real validation takes over as current.
	status, body = call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+person+`"}`)
	require.Equal(t, 201, status, "%v", body)
	_, body = call(t, m, APIKey, "GET", client.PathValidations+"/"+val, "")
	assert.Equal(t, false, body["isCurrent"])

	for name, tc := range map[string]struct {
		path, body string
		status     int
	}{
		"unknown key":               {"/entities", `{"api_key":"nobody","id":"x","type":"person","name":"A"}`, 404},
		"bad type":                  {"/entities", `{"api_key":"` + APIKey + `","id":"x","type":"robot","name":"A"}`, 400},
		"unknown field":             {"/entities", `{"api_key":"` + APIKey + `","id":"x","type":"person","nme":"A"}`, 400},
		"validation unknown entity": {"/validations", `{"api_key":"` + APIKey + `","id":"v","entity_id":"nobody","status":"pending"}`, 404},
		"validation bad status":     {"/validations", `{"api_key":"` + APIKey + `","id":"v","entity_id":"` + person + `","status":"done"}`, 400},
		"malformed":                 {"/validations", `{`, 400},
	} {
		status, body := call(t, m, "", "POST", mock.ControlPrefix+tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s: %v", name, body)
		assert.NotEmpty(t, body["error"], name)
	}
}

// TestADeadReceiverDelaysOnlyItsOwnTenant: organisation A's receiver never answers (each delivery
// waits out its 5 s timeout); organisation B's notifications, queued after A's, still arrive at once
// and in order.
func TestADeadReceiverDelaysOnlyItsOwnTenant(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer dead.Close()
	defer close(release)
	got := make(chan string, 16)
	alive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev client.Event
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &ev)
		got <- ev.Event
	}))
	defer alive.Close()

	m := newMock(t)
	for key, hook := range map[string]string{"dead-org": dead.URL, "alive-org": alive.URL} {
		status, _ := call(t, m, "", "POST", mock.ControlPrefix+"/organizations", `{"api_key":"`+key+`","kyc_configured":true,"webhook_url":"`+hook+`"}`)
		require.Equal(t, 201, status)
	}
	for i := 0; i < 3; i++ { // three of A's notifications queue up behind a receiver that never answers
		_, v := call(t, m, "dead-org", "POST", client.PathValidations, `{"entityId":"`+entity(t, m, "dead-org", "person")+`"}`)
		require.NotEmpty(t, v["id"])
	}
	start := time.Now()
	_, v := call(t, m, "alive-org", "POST", client.PathValidations, `{"entityId":"`+entity(t, m, "alive-org", "person")+`"}`)
	status, _ := call(t, m, "alive-org", "POST", mock.ControlPrefix+"/validations/"+v["id"].(string)+"/status", `{"status":"approved"}`)
	require.Equal(t, 200, status)
	for _, want := range []string{"kyc.validation_created", "kyc.validation_approved"} {
		select {
		case ev := <-got:
			assert.Equal(t, want, ev, "B's notifications in order")
		case <-time.After(3 * time.Second):
			t.Fatalf("B's %s did not arrive while A's receiver hung (%s)", want, time.Since(start))
		}
	}
	t.Logf("B's two notifications arrived %s after they were queued, behind A's three stuck ones", time.Since(start).Round(time.Millisecond))

	// Whoever runs the mock sees the stuck tenant on the health endpoint: one target still busy, its
	// later deliveries waiting behind the one that hangs.
	var h map[string]any
	assert.Eventually(t, func() bool { // B's queue goes once its last delivery has returned
		var status int
		status, h = call(t, m, "", "GET", mock.HealthPath, "")
		webhooks, _ := h["webhooks"].(map[string]any)
		return status == 200 && webhooks["targets"] == float64(1) && webhooks["waiting"] == float64(2)
	}, 2*time.Second, 5*time.Millisecond, "A's target busy, two of its deliveries waiting")
	stores, _ := h["stores"].(map[string]any)
	assert.Equal(t, map[string]any{"items": float64(4), "max_items": float64(mock.DefaultMaxItems), "evicted": float64(0),
		"evicted_unfinished": float64(0)}, stores["validations"], "%v", h)
}
