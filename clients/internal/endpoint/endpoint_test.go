package endpoint

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAndJoin(t *testing.T) {
	for _, bad := range []string{"ftp://x", "not a url", "http://", "::"} {
		_, err := Parse("p", bad)
		assert.Error(t, err, bad)
	}
	_, err := Parse("gu1", "ftp://x")
	assert.EqualError(t, err, `gu1: base URL "ftp://x": want http(s)://host[:port][/prefix]`)
	u, err := Parse("p", "https://sandbox.example/pre%2Ffix/")
	require.NoError(t, err)
	assert.Equal(t, "https://sandbox.example/pre%2Ffix", u.String())
	assert.Equal(t, "https://sandbox.example/pre%2Ffix/sessions/ses%2F1", Join(u, "/sessions/ses%2F1").String())
	assert.Equal(t, "abc…", Truncate("abcdef", 3))
	assert.Equal(t, "ab", Truncate("ab", 3))
}

func TestFilePartEscapesLikeMimeMultipart(t *testing.T) {
	h := FilePart("dni_selfie", `fóto "1".jpg`, "image/jpeg")
	assert.Equal(t, `form-data; name="dni_selfie"; filename="fóto \"1\".jpg"`, h.Get("Content-Disposition"))
	assert.Equal(t, "image/jpeg", h.Get("Content-Type"))
}

func TestAnswer(t *testing.T) {
	resp := func(status int, body string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"X-Request-Id": {"r-1"}}, Body: io.NopCloser(strings.NewReader(body))}
	}
	var out struct{ A int }
	require.NoError(t, Answer(resp(200, `{"A":1,"new":true}`), "p: GET /x", &out, nil))
	assert.Equal(t, 1, out.A, "unknown members are ignored")
	require.NoError(t, Answer(resp(204, "ignored"), "p: GET /x", nil, nil))
	err := Answer(resp(200, `{`), "p: GET /x", &out, nil)
	assert.ErrorContains(t, err, "p: GET /x: decode 200 body:")

	var gotStatus, gotLen int
	var gotID string
	err = Answer(resp(500, strings.Repeat("x", MaxErrorBody+10)), "p: GET /x", &out, func(status int, body []byte, h http.Header) error {
		gotStatus, gotLen, gotID = status, len(body), h.Get("X-Request-Id")
		return errors.New("provider error")
	})
	assert.EqualError(t, err, "provider error")
	assert.Equal(t, []any{500, MaxErrorBody, "r-1"}, []any{gotStatus, gotLen, gotID})
}

// TestRedirectsStayWithinTheOrigin: a client follows a redirect within the origin that drew it, and
// hands one to another origin back as the answer, so a credential never travels there.
func TestRedirectsStayWithinTheOrigin(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landed", http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
		default:
			_, _ = io.WriteString(w, r.Header.Get("Authorization"))
		}
	}))
	defer target.Close()
	for _, hc := range []*http.Client{HTTPClient(nil, time.Second), HTTPClient(&http.Client{}, 0)} {
		req, _ := http.NewRequest(http.MethodGet, target.URL+"/same", nil)
		req.Header.Set("Authorization", "Bearer k")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, "Bearer k", string(b), "followed within the origin")
		req, _ = http.NewRequest(http.MethodGet, target.URL+"/away", nil)
		req.Header.Set("Authorization", "Bearer k")
		resp, err = hc.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode, "the redirect elsewhere is the answer")
	}
	assert.Equal(t, int64(0), elsewhere.Load())
}
