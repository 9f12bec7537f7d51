package mock

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/schema"
)

// picks runs n calls of op through fs and says which got a fault.
func picks(fs *Faults, n int, op *schema.Operation) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = fs.pick(false, op, "") != nil
	}
	return out
}

func TestFaultSelection(t *testing.T) {
	op := &schema.Operation{ID: "create_validation", Method: "POST", Path: "/api/kyc/validations"}
	other := &schema.Operation{ID: "get_validation", Method: "GET", Path: "/api/kyc/validations/{id}"}
	set := func(f Fault) *Faults {
		fs := &Faults{}
		require.NoError(t, fs.Set("gu1", []Fault{f}))
		return fs
	}
	assert.Equal(t, []bool{true, true, false, false}, picks(set(Fault{Kind: "429", First: 2}), 4, op))
	assert.Equal(t, []bool{false, false, true, false, false, true}, picks(set(Fault{Kind: "500", Every: 3}), 6, op))
	assert.Equal(t, []bool{true, true, true}, picks(set(Fault{Kind: "503"}), 3, op), "every call when no selection is given")

	// A percentage is drawn from its seed: the same seed, the same calls; about the share asked for.
	a, b := picks(set(Fault{Kind: "500", Percent: 30, Seed: 7}), 1000, op), picks(set(Fault{Kind: "500", Percent: 30, Seed: 7}), 1000, op)
	assert.Equal(t, a, b)
	hits := 0
	for _, h := range a {
		if h {
			hits++
		}
	}
	assert.InDelta(t, 300, hits, 60)

	// An operation narrows it, by id or by name; other calls neither get it nor count.
	fs := set(Fault{Kind: "429", First: 1, Operation: "create_validation"})
	assert.Equal(t, []bool{false, false}, picks(fs, 2, other))
	assert.Equal(t, []bool{true, false}, picks(fs, 2, op))
	assert.Equal(t, int64(1), fs.List()[0].Injected)

	// Webhook faults apply to notifications only.
	fs = set(Fault{Kind: FaultDuplicate})
	assert.Nil(t, fs.pick(false, op, ""))
	assert.NotNil(t, fs.webhookFault(""))
}

func TestFaultsAreChecked(t *testing.T) {
	for spec, want := range map[string]string{
		"teapot":                "want one of 429, 500",
		"429:first=2:every=3":   "choose one of every, first and percent",
		"429:percent=150":       "percent from 0 to 100",
		"expire-token":          "only Pomelo's calls carry an OAuth token",
		"webhook-late:delay=1s": "baas sends no webhooks",
		"429:sometimes":         "is not NAME=VALUE",
		"slow:delay=soon":       "delay=soon",
		"429:colour=red":        `unknown "colour"`,
	} {
		f, err := ParseFault(spec)
		if err == nil {
			err = f.Check("baas")
		}
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), want, spec)
	}
	f, err := ParseFault("slow:delay=3s:every=4:op=create_session")
	require.NoError(t, err)
	assert.Equal(t, Fault{Kind: "slow", Every: 4, Delay: Duration(3 * time.Second), Operation: "create_session"}, f)
}

// injector serves the gu1 journal test handler behind faults and a journal.
func injector(t *testing.T, faults ...Fault) (*Journal, *Faults, *httptest.Server) {
	t.Helper()
	reg, h := gu1Like(t)
	j := NewJournal("gu1", reg, 100)
	fs := &Faults{}
	require.NoError(t, fs.Set("gu1", faults))
	fi := &FaultInjector{Provider: "gu1", Faults: fs, Schemas: reg, Errors: func(w http.ResponseWriter, r *http.Request, p Problem) {
		WriteJSON(w, p.Status, map[string]any{"error": p.Code, "message": p.Message})
	}}
	srv := httptest.NewServer(j.Wrap(fi.Wrap(h)))
	t.Cleanup(srv.Close)
	return j, fs, srv
}

func post(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	resp, err := c.Post(url+"/api/kyc/validations", "application/json", strings.NewReader(`{"entityId":"e"}`))
	if err == nil {
		t.Cleanup(func() { _ = resp.Body.Close() })
	}
	return resp, err
}

// TestHTTPFaultsAnswerInsteadOfTheMock: 429 and 503 carry Retry-After, in the provider's shape; a reset
// leaves the client no answer; a slow answer is the mock's own, late; each is journalled as the fault
// it was, and no faulted call counts as following a rule.
func TestHTTPFaultsAnswerInsteadOfTheMock(t *testing.T) {
	j, fs, srv := injector(t, Fault{Kind: "429", First: 1, Delay: Duration(3 * time.Second)}, Fault{Kind: "503", First: 2}, Fault{Kind: "reset", First: 3})
	resp, err := post(t, http.DefaultClient, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, "3", resp.Header.Get("Retry-After"))
	resp, err = post(t, http.DefaultClient, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	_, err = post(t, http.DefaultClient, srv.URL)
	require.Error(t, err, "a reset connection gives no answer")
	resp, err = post(t, http.DefaultClient, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 201, resp.StatusCode, "past every fault's selection the mock answers")

	// The reset's handler journals its call after the client has already seen the connection close.
	require.Eventually(t, func() bool { return len(j.Since(0).Entries) == 4 }, 10*time.Second, 5*time.Millisecond)
	p := j.Since(0)
	sort.Slice(p.Entries, func(a, b int) bool { return p.Entries[a].Time.Before(p.Entries[b].Time) })
	for i, want := range []struct {
		fault  string
		status int
	}{{"429", 429}, {"503", 503}, {"reset", 0}, {"", 201}} {
		assert.Equal(t, want.fault, p.Entries[i].Fault, i)
		assert.Equal(t, want.status, p.Entries[i].Status, i)
		assert.Equal(t, want.fault == "", len(p.Entries[i].Followed) > 0, "entry %d follows rules only when the mock answered", i)
	}
	counts := map[string]int64{}
	for _, f := range fs.List() {
		counts[f.Kind] = f.Injected
	}
	assert.Equal(t, map[string]int64{"429": 1, "503": 1, "reset": 1}, counts)

	// A slow answer outlasts a client that waits less than its delay, whatever the machine's speed.
	_, _, srv = injector(t, Fault{Kind: "slow", Delay: Duration(3 * time.Second)})
	_, err = post(t, &http.Client{Timeout: 200 * time.Millisecond}, srv.URL)
	var ne interface{ Timeout() bool }
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
}

// TestFaultsThroughTheControlAPI: PUT sets, GET counts, DELETE clears, a bad fault is a 400 naming it.
func TestFaultsThroughTheControlAPI(t *testing.T) {
	_, _, srv := injector(t)
	c := http.DefaultClient
	ctx := context.Background()
	require.NoError(t, ControlCall(ctx, c, http.MethodPut, srv.URL+FaultsPath, map[string]any{"faults": []Fault{{Kind: "500", Every: 2}}}, nil))
	_, _ = post(t, c, srv.URL)
	resp, _ := post(t, c, srv.URL)
	assert.Equal(t, 500, resp.StatusCode)
	var got struct{ Faults []Fault }
	require.NoError(t, ControlCall(ctx, c, http.MethodGet, srv.URL+FaultsPath, nil, &got))
	require.Len(t, got.Faults, 1)
	assert.Equal(t, int64(1), got.Faults[0].Injected)
	err := ControlCall(ctx, c, http.MethodPut, srv.URL+FaultsPath, map[string]any{"faults": []Fault{{Kind: "expire-token"}}}, nil)
	require.ErrorContains(t, err, "status 400")
	assert.ErrorContains(t, err, "only Pomelo's calls carry an OAuth token")
	require.NoError(t, ControlCall(ctx, c, http.MethodDelete, srv.URL+FaultsPath, nil, nil))
	resp, _ = post(t, c, srv.URL)
	assert.Equal(t, 201, resp.StatusCode)
}

// TestWebhookFaults: a notification delivered twice, late, or after the next one to its target; one
// held with no next one is delivered all the same.
func TestWebhookFaults(t *testing.T) {
	run := func(f Fault, n int) []string {
		fs := &Faults{}
		require.NoError(t, fs.Set("gu1", []Fault{f}))
		o := &Outbox{Faults: fs}
		var mu sync.Mutex
		var got []string
		for i := range n {
			name := string(rune('a' + i))
			o.Go("target", func() { mu.Lock(); got = append(got, name); mu.Unlock() })
		}
		o.Wait()
		return got
	}
	assert.Equal(t, []string{"a", "a", "b"}, run(Fault{Kind: FaultDuplicate, First: 1}, 2))
	assert.Equal(t, []string{"a", "b"}, run(Fault{Kind: FaultLate, First: 1, Delay: Duration(time.Millisecond)}, 2), "late, still in order")
	assert.Equal(t, []string{"b", "a", "c"}, run(Fault{Kind: FaultOutOfOrder, First: 1}, 3))
	assert.Equal(t, []string{"a"}, run(Fault{Kind: FaultOutOfOrder, First: 1}, 1), "held, then delivered when nothing follows")
}
