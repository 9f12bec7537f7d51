package mock

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/schema"
)

// journalled serves a tiny gu1-like handler behind a journal of max entries: POST /api/kyc/validations
// accepts {"entityId"} and refuses anything else as a broken GU1-02; the router answers the rest.
func journalled(t *testing.T, max int) (*Journal, http.Handler) {
	t.Helper()
	reg, rt := gu1Like(t)
	j := NewJournal("gu1", reg, max)
	return j, j.Wrap(rt)
}

// gu1Like is the handler journalled serves, unwrapped.
func gu1Like(t *testing.T) (*schema.Registry, http.Handler) {
	t.Helper()
	reg, err := schema.Embedded()
	require.NoError(t, err)
	rt := NewRouter(func(w http.ResponseWriter, r *http.Request, p Problem) {
		Teach(w, &p)
		WriteJSON(w, p.Status, map[string]any{"error": p.Code})
	})
	rt.Documented(reg.Operations("gu1"))
	rt.Handle(http.MethodPost, "/api/kyc/validations", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		if in["entityId"] == nil {
			p := (&Problem{Status: 400, Code: "X"}).Broke("/entityId: required", "GU1-02")
			Teach(w, p)
			WriteJSON(w, 400, map[string]any{"error": "X"})
			return
		}
		Note(w, "a leniency", "GU1-03")
		FollowedInstead(r, "GU1-04", "GU1-99")
		WriteJSON(w, 201, map[string]any{"id": "v1"})
	})
	rt.Handle(http.MethodPost, ControlPrefix+"/reset", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	return reg, rt
}

func send(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer secret-api-key")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestTheJournalJudgesEveryCall: an accepted call follows its operation's IDs (with the ones a mock
// says it followed instead), a refused one names the rule it broke, an undocumented path breaks its
// nearest operation's; control calls are not journalled; credentials are masked.
func TestTheJournalJudgesEveryCall(t *testing.T) {
	j, h := journalled(t, 100)
	require.Equal(t, 201, send(h, "POST", "/api/kyc/validations", `{"entityId":"e"}`).Code)
	require.Equal(t, 400, send(h, "POST", "/api/kyc/validations", `{}`).Code)
	require.Equal(t, 404, send(h, "POST", "/api/kyc/validation", `{}`).Code)
	require.Equal(t, 204, send(h, "POST", ControlPrefix+"/reset", ``).Code)

	p := j.Since(0)
	require.Len(t, p.Entries, 3, "control calls are not the client's")
	ok, refused, lost := p.Entries[0], p.Entries[1], p.Entries[2]
	assert.Equal(t, "POST /api/kyc/validations", ok.Operation)
	assert.Equal(t, []string{"GU1-01", "GU1-02", "GU1-03", "GU1-99"}, ok.Followed)
	assert.Nil(t, ok.Broken)
	assert.Equal(t, []string{"GU1-03: a leniency"}, ok.Notes)
	assert.Equal(t, "Bearer [MASKED]", ok.Request.Headers["Authorization"])
	assert.Equal(t, `{"entityId":"e"}`, ok.Request.Body)

	assert.Empty(t, refused.Followed, "a refused call follows nothing")
	require.NotNil(t, refused.Broken)
	assert.Equal(t, []string{"GU1-02"}, refused.Broken.IDs)
	assert.Equal(t, "/entityId: required", refused.Broken.Rule)

	assert.Empty(t, lost.Operation)
	require.NotNil(t, lost.Broken)
	assert.Equal(t, []string{"GU1-01"}, lost.Broken.IDs, "the nearest operation's own ID")
	assert.Contains(t, lost.Broken.Rule, "the nearest documented operation is POST /api/kyc/validations")

	assert.Len(t, j.Since(ok.Seq).Entries, 2, "since pages on")
	assert.Equal(t, int64(3), j.Since(0).Next)
}

// TestTheJournalIsBounded: past its limit the oldest entries go and are counted; a body is kept up to
// JournalBody bytes with its whole size.
func TestTheJournalIsBounded(t *testing.T) {
	j, h := journalled(t, 5)
	big := `{"entityId":"` + strings.Repeat("x", 3*JournalBody) + `"}`
	for range 12 {
		send(h, "POST", "/api/kyc/validations", big)
	}
	p := j.Since(0)
	assert.Len(t, p.Entries, 5)
	assert.Equal(t, int64(7), p.Evicted)
	assert.Equal(t, int64(8), p.Entries[0].Seq, "the oldest went first")
	assert.Equal(t, int64(8), p.Oldest, "a reader whose mark is before 7 lost entries")
	assert.Len(t, p.Entries[0].Request.Body, JournalBody)
	assert.Equal(t, int64(len(big)), p.Entries[0].Request.Size)
}

// TestTheJournalIsServed: GET JournalPath answers a Page.
func TestTheJournalIsServed(t *testing.T) {
	_, h := journalled(t, 10)
	send(h, "POST", "/api/kyc/validations", `{}`)
	rec := send(h, "GET", JournalPath+"?since=0", "")
	require.Equal(t, 200, rec.Code)
	var p Page
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Len(t, p.Entries, 1)
	assert.Equal(t, []string{"GU1-02"}, p.Entries[0].Broken.IDs)
}

// TestTheJournalIsReadPerTenant: each tenant reads its own entries and those of calls that named no
// credential; a client secret in a body is masked.
func TestTheJournalIsReadPerTenant(t *testing.T) {
	reg, h := gu1Like(t)
	j := NewJournal("gu1", reg, 100)
	j.TenantOf = func(r *http.Request) string {
		if strings.HasPrefix(r.URL.Path, ControlPrefix) {
			return r.Header.Get(TenantHeader)
		}
		return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	srv := j.Wrap(h)
	for _, key := range []string{"org-a", "org-b", ""} {
		req := httptest.NewRequest("POST", "/api/kyc/validations", strings.NewReader(`{"entityId":"e","client_secret":"s3cr3t-value"}`))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	read := func(tenant string) []string {
		req := httptest.NewRequest("GET", JournalPath+"?since=0", nil)
		req.Header.Set(TenantHeader, tenant)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var p Page
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
		var out []string
		for _, e := range p.Entries {
			out = append(out, e.Tenant)
			assert.NotContains(t, e.Request.Body, "s3cr3t-value")
		}
		return out
	}
	assert.Equal(t, []string{"org-a", ""}, read("org-a"))
	assert.Equal(t, []string{"org-b", ""}, read("org-b"))
	p := j.SinceFor(0, "org-b", false)
	assert.Equal(t, int64(1), p.Oldest, "org-a's entry, unseen by org-b, is no loss: nothing was let go")
	assert.Equal(t, "client_id=x&client_secret=[MASKED]&audience=y", maskBodySecrets("client_id=x&client_secret=abc%2Fdef&audience=y"))
}

// TestWebhookAcknowledgementsAreJudged: a receiver's 2xx follows the rule; a refusal before the last
// attempt is noted (sent again), at the last breaks it; a provider with no documented acknowledgement
// only records it.
func TestWebhookAcknowledgementsAreJudged(t *testing.T) {
	j, _ := journalled(t, 100)
	j.Delivered("a", "http://127.0.0.1:9/hooks", "identity.session.status_changed", 204, "", false, "KYC-14")
	j.Delivered("a", "http://127.0.0.1:9/hooks", "identity.session.status_changed", 500, "", false, "KYC-14")
	j.Delivered("a", "http://127.0.0.1:9/hooks", "identity.session.status_changed", 0, "connection refused", true, "KYC-14")
	j.Delivered("b", "http://127.0.0.1:9/gu1", "kyc.validation_created", 500, "", true)
	es := j.Since(0).Entries
	require.Len(t, es, 4)
	assert.Equal(t, []string{"KYC-14"}, es[0].Followed)
	assert.True(t, es[0].Webhook)
	assert.Nil(t, es[1].Broken)
	assert.Equal(t, []string{"KYC-14: the receiver answered 500; the notification is sent again"}, es[1].Notes)
	require.NotNil(t, es[2].Broken)
	assert.Equal(t, "the receiver could not be reached: connection refused, and no attempt was acknowledged with a 2xx", es[2].Broken.Rule)
	assert.Nil(t, es[3].Broken)
	assert.Empty(t, es[3].Followed)
	assert.Equal(t, []string{"the receiver answered 500"}, es[3].Notes)
}
