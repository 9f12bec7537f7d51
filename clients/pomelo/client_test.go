package pomelo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI issues tokens and checks them; revoke makes every token issued so far invalid.
type fakeAPI struct {
	mu       sync.Mutex
	issued   int
	valid    map[string]bool
	lastForm map[string]string
	handler  http.HandlerFunc // the identity endpoints
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == PathToken {
		_ = r.ParseForm()
		f.mu.Lock()
		f.issued++
		tok := fmt.Sprintf("tok-%d", f.issued)
		f.valid[tok] = true
		f.lastForm = map[string]string{}
		for k := range r.PostForm {
			f.lastForm[k] = r.PostForm.Get(k)
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, tok)
		return
	}
	f.mu.Lock()
	ok := f.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"code":"UNAUTHORIZED","message":"bad token"}}`)
		return
	}
	f.handler(w, r)
}

func (f *fakeAPI) revoke() {
	f.mu.Lock()
	f.valid = map[string]bool{}
	f.mu.Unlock()
}

func newFake(t *testing.T, h http.HandlerFunc) (*fakeAPI, *Client) {
	t.Helper()
	f := &fakeAPI{valid: map[string]bool{}, handler: h}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, WithCredentials(Credentials{ClientID: "id", ClientSecret: "secret", Audience: "https://api.pomelo.la"}))
	require.NoError(t, err)
	return f, c
}

func session(w http.ResponseWriter, id, status string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"data":{"id":%q,"status":%q,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","brand_new":1}}`, id, status)
}

func TestTokenIsCachedAndRefreshedOnceOn401(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		session(w, "ses-1", StatusInProgress)
	})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		s, _, err := c.GetSession(ctx, "ses-1")
		require.NoError(t, err)
		assert.Equal(t, StatusInProgress, s.Status)
	}
	f.mu.Lock()
	assert.Equal(t, 1, f.issued, "one token for three calls")
	assert.Equal(t, map[string]string{"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret",
		"audience": "https://api.pomelo.la"}, f.lastForm)
	f.mu.Unlock()

	f.revoke()
	s, _, err := c.CreateKYCSession(ctx, &KYCSession{UserID: "usr-a", FlowID: "flo-b"})
	require.NoError(t, err, "a 401 fetches a new token and replays the request, body included")
	assert.Equal(t, "ses-1", s.ID)
	f.mu.Lock()
	assert.Equal(t, 2, f.issued)
	f.mu.Unlock()
}

func TestA401AfterRefreshIsReturned(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{valid: map[string]bool{}}
	f.handler = func(w http.ResponseWriter, r *http.Request) {
		f.revoke() // every token dies as soon as it is used
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"code":"UNAUTHORIZED","message":"revoked"}}`)
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := NewClient(srv.URL, WithCredentials(Credentials{ClientID: "id", ClientSecret: "s", Audience: "a"}))
	require.NoError(t, err)
	_, _, err = c.GetSession(context.Background(), "ses-1")
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, "UNAUTHORIZED", apiErr.Code)
	f.mu.Lock()
	assert.Equal(t, 2, f.issued, "refreshed once, not in a loop")
	f.mu.Unlock()
}

func TestTokenEndpointRefusalIsAnAPIError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"wrong secret"}`)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithCredentials(Credentials{ClientID: "id", ClientSecret: "s", Audience: "a"}))
	require.NoError(t, err)
	_, _, err = c.GetSession(context.Background(), "ses-1")
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Contains(t, string(apiErr.Body), "invalid_client")
}

func TestQueryEncodesTheDocumentedSyntax(t *testing.T) {
	t.Parallel()
	q := Query{Filters: map[string]string{"status": "IN_PROGRESS"}, CreatedFrom: "2021-07-27", CreatedTo: "2021-07-28",
		Sort: ParseSort("created_at,-updated_at"), PageSize: 10, PageNumber: 2}
	assert.Equal(t, "filter[created_at][from]=2021-07-27&filter[created_at][to]=2021-07-28&filter[status]=IN_PROGRESS&page[number]=2&page[size]=10&sort=created_at,-updated_at",
		encodeQuery(q.Values()))
	assert.Equal(t, []SortKey{{Field: "created_at"}, {Field: "updated_at", Desc: true}}, ParseSort(" created_at, -updated_at ,"))
	assert.Equal(t, "filter[x]=a+b%26c", encodeQuery(Query{Filters: map[string]string{"x": "a b&c"}}.Values()))
}

func TestSearchAllPagesThrough(t *testing.T) {
	t.Parallel()
	var seen []string
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.RawQuery)
		n := 1
		_, _ = fmt.Sscanf(r.URL.Query().Get("page[number]"), "%d", &n)
		w.Header().Set("Content-Type", "application/json")
		items := []string{}
		if n <= 3 {
			items = append(items, fmt.Sprintf(`{"id":"ses-%d","status":"IN_PROGRESS","created_at":"x","updated_at":"x"}`, n))
		}
		_, _ = fmt.Fprintf(w, `{"data":[%s],"meta":{"pagination":{"current_page":%d,"page_size":1,"total_pages":3,"total_items":3}}}`, strings.Join(items, ","), n)
	})
	var ids []string
	for s, err := range c.SearchAll(context.Background(), Query{PageSize: 1, Filters: map[string]string{"status": "IN_PROGRESS"}}) {
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	assert.Equal(t, []string{"ses-1", "ses-2", "ses-3"}, ids)
	assert.Equal(t, "filter[status]=IN_PROGRESS&page[number]=3&page[size]=1", seen[2])
}

func TestSearchAllStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"code":"INVALID_PARAMETER","message":"cannot sort by \"colour\""}}`)
	})
	n := 0
	for s, err := range c.SearchAll(context.Background(), Query{Sort: ParseSort("colour")}) {
		n++
		assert.Nil(t, s)
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr))
		assert.Equal(t, "INVALID_PARAMETER", apiErr.Code)
	}
	assert.Equal(t, 1, n)
}

func TestUploadIsMultipartWithTheFileField(t *testing.T) {
	t.Parallel()
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/identity/v1/sessions/ses%2F1/entities/usr-a/files/selfie", r.URL.EscapedPath())
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		require.NoError(t, err)
		assert.Equal(t, "multipart/form-data", mt)
		part, err := multipart.NewReader(r.Body, params["boundary"]).NextPart()
		require.NoError(t, err)
		assert.Equal(t, "file", part.FormName())
		assert.Equal(t, "me.png", part.FileName())
		assert.Equal(t, "image/png", part.Header.Get("Content-Type"))
		b, _ := io.ReadAll(part)
		assert.Equal(t, "PNG", string(b))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"data":{"type":"selfie","entity_id":"usr-a","uploaded_at":"2024-01-01T00:00:00Z"}}`)
	})
	doc, resp, err := c.UploadFile(context.Background(), "ses/1", "usr-a", DocSelfie, "me.png", "image/png", strings.NewReader("PNG"))
	require.NoError(t, err)
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, "selfie", doc.Type)
}

func TestOperationsUseTheDocumentedMethodsAndPaths(t *testing.T) {
	t.Parallel()
	var got []string
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		switch {
		case strings.HasSuffix(r.URL.Path, "/report"):
			_, _ = io.WriteString(w, `{"data":{"session_id":"ses-1","validation_status":"VALIDATED","details":{}}}`)
		case r.URL.Path == PathCleanValidations:
			body, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, `{"user_id":"usr-a","document_number":"123"}`, string(body))
			_, _ = io.WriteString(w, `{"data":{"cleaned_by":"user_id","sessions_cleaned":1}}`)
		default:
			session(w, "ses-1", StatusCancelled)
		}
	})
	ctx := context.Background()
	_, _, err := c.CancelSession(ctx, "ses-1")
	require.NoError(t, err)
	rep, _, err := c.SessionReport(ctx, "ses-1")
	require.NoError(t, err)
	assert.Equal(t, "VALIDATED", rep.ValidationStatus)
	_, err = c.CleanValidations(ctx, "usr-a", "123")
	require.NoError(t, err)
	_, _, err = c.CreateKYBSession(ctx, &KYBSession{FlowType: "kyb-cards", Country: "BRA", IntegrationMethod: "API"})
	require.NoError(t, err)
	assert.Equal(t, []string{"DELETE /identity/v1/sessions/ses-1", "GET /identity/v1/sessions/ses-1/report",
		"POST /clean_validations", "POST /identity/v2/sessions"}, got)
}

func TestErrorsCarryCodeAndTolerateOtherShapes(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"error":{"code":"SESSION_NOT_FOUND","message":"no session","details":[{"x":1}],"new":true}}`: "SESSION_NOT_FOUND",
		`{"message":"not found"}`: "",
		`<html/>`:                 "",
	} {
		_, c := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, body)
		})
		_, _, err := c.GetSession(context.Background(), "ses-x")
		var apiErr *APIError
		require.True(t, errors.As(err, &apiErr), body)
		assert.Equal(t, 404, apiErr.StatusCode)
		assert.Equal(t, want, apiErr.Code)
	}
}

func TestReceiver(t *testing.T) {
	t.Parallel()
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
	now := time.Unix(1_700_000_000, 0)
	var handled []Event
	rc := &Receiver{Secrets: map[string]string{"key-1": secret}, Endpoint: "/hooks", Now: func() time.Time { return now },
		Handle: func(r *http.Request, ev Event) error { handled = append(handled, ev); return nil }}
	body := []byte(`{"event_id":"evt-1","event_type":"identity.session.status_changed","session_id":"ses-1","status":"VALIDATED","created_at":"2023-11-14T22:13:20Z"}`)
	send := func(mutate func(h http.Header, b []byte) []byte) int {
		sig, err := Sign(secret, now.Unix(), "/hooks", body)
		require.NoError(t, err)
		h := http.Header{}
		h.Set(HeaderAPIKey, "key-1")
		h.Set(HeaderSignature, sig)
		h.Set(HeaderTimestamp, fmt.Sprint(now.Unix()))
		h.Set(HeaderEndpoint, "/hooks")
		b := append([]byte(nil), body...)
		if mutate != nil {
			b = mutate(h, b)
		}
		req := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(string(b)))
		req.Header = h
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusNoContent, send(nil))
	require.Len(t, handled, 1)
	assert.Equal(t, "ses-1", handled[0].SessionID)

	for name, mutate := range map[string]func(http.Header, []byte) []byte{
		"wrong signature": func(h http.Header, b []byte) []byte { h.Set(HeaderSignature, "hmac-sha256 AAAA"); return b },
		"tampered body": func(h http.Header, b []byte) []byte {
			return []byte(strings.Replace(string(b), "VALIDATED", "REJECTED", 1))
		},
		"replayed old timestamp": func(h http.Header, b []byte) []byte {
			old := now.Add(-10 * time.Minute).Unix()
			sig, _ := Sign(secret, old, "/hooks", b)
			h.Set(HeaderTimestamp, fmt.Sprint(old))
			h.Set(HeaderSignature, sig)
			return b
		},
		"unknown api key":        func(h http.Header, b []byte) []byte { h.Set(HeaderAPIKey, "key-2"); return b },
		"other endpoint":         func(h http.Header, b []byte) []byte { h.Set(HeaderEndpoint, "/elsewhere"); return b },
		"timestamp not a number": func(h http.Header, b []byte) []byte { h.Set(HeaderTimestamp, "yesterday"); return b },
	} {
		assert.Equal(t, http.StatusUnauthorized, send(mutate), name)
	}
	assert.Len(t, handled, 1, "no refused notification reached the handler")

	rc.Handle = func(*http.Request, Event) error { return errors.New("database down") }
	assert.Equal(t, http.StatusServiceUnavailable, send(nil), "a handler failure asks for the notification again")
}

func TestSignMatchesAKnownVector(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256(key="key", "1700000000" + "/hooks" + "{}"), computed independently with openssl:
	// printf '1700000000/hooks{}' | openssl dgst -sha256 -hmac key -binary | base64
	sig, err := Sign("a2V5", 1700000000, "/hooks", []byte("{}"))
	require.NoError(t, err)
	assert.Equal(t, "hmac-sha256 "+knownVector, sig)
	_, err = Sign("not base64!", 1, "/", nil)
	assert.Error(t, err)
}

func TestDecodesUnknownFields(t *testing.T) {
	t.Parallel()
	var s envelope[Session]
	require.NoError(t, json.Unmarshal([]byte(`{"data":{"id":"ses-1","status":"IN_PROGRESS","extra":{"a":1}},"meta":1}`), &s))
	assert.Equal(t, "ses-1", s.Data.ID)
}
