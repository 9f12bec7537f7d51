package pomelo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	client "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/mock"
)

func boundedHarness(t testing.TB, cfg mock.Config) *harness {
	t.Helper()
	cfg.Schemas = registry
	m, err := New(cfg)
	require.NoError(t, err)
	h := &harness{t: t, m: m}
	status, body := h.do("POST", client.PathToken, "application/x-www-form-urlencoded",
		"grant_type=client_credentials&client_id="+ClientID+"&client_secret="+ClientSecret+"&audience=https%3A%2F%2Fapi.pomelo.la", false)
	require.Equal(t, 200, status, "%v", body)
	h.token = body["access_token"].(string)
	return h
}

// health reads GET /__control/health, as whoever runs a shared mock reads it.
func (h *harness) health() mock.Health {
	h.t.Helper()
	status, body := h.do("GET", mock.HealthPath, "", "", false)
	require.Equal(h.t, 200, status, "%v", body)
	raw, err := json.Marshal(body)
	require.NoError(h.t, err)
	var out mock.Health
	require.NoError(h.t, json.Unmarshal(raw, &out))
	return out
}

func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// A soak: 20,000 sessions through a mock that keeps 1,000. Sessions idle past the active window are
// evicted oldest first, the store stays at its limit, and the heap does not grow with the count.
func TestSessionsStayWithinTheLimitUnderASoak(t *testing.T) {
	clock := mock.NewManualClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	h := boundedHarness(t, mock.Config{Now: clock.Now, MaxItems: 1000, ActiveFor: time.Minute, TokenTTL: 24 * time.Hour})
	first := h.create("usr-first", fixtureFlows[0].ID)
	var at5k float64
	for i := 0; i < 20000; i++ {
		clock.Add(time.Second)
		h.create(fmt.Sprintf("usr-%d", i), fixtureFlows[i%len(fixtureFlows)].ID)
		if i == 5000 {
			at5k = heapMB()
		}
	}
	at20k := heapMB()
	h.m.mu.Lock()
	n, users := len(h.m.sessions), len(h.m.byUser)
	_, kept := h.m.sessions[first]
	h.m.mu.Unlock()
	assert.LessOrEqual(t, n, 1000, "sessions kept")
	assert.Equal(t, n, users, "the user index shrinks with the store")
	assert.False(t, kept, "the oldest, idle for hours, was evicted")
	assert.Less(t, at20k, at5k+8, "the heap does not grow with the sessions made (%.1f MB at 5k, %.1f MB at 20k)", at5k, at20k)
	t.Logf("heap %.1f MB after 5,000 sessions, %.1f MB after 20,000 (limit 1,000)", at5k, at20k)
	status, _ := h.do("GET", client.PathSessions+"/"+first, "", "", true)
	assert.Equal(t, 404, status, "an evicted session is gone, as one that never was (KYC-17)")
}

// Past the limit, a session a running scenario may still need (unfinished, changed within the active
// window) is kept, up to twice the limit; once it is finished it goes, oldest first.
func TestABusySessionIsNeverEvicted(t *testing.T) {
	h := boundedHarness(t, mock.Config{MaxItems: 150})
	var ids []string
	for i := 0; i < 300; i++ {
		ids = append(ids, h.create(fmt.Sprintf("usr-%d", i), fixtureFlows[0].ID))
	}
	h.m.mu.Lock()
	n := len(h.m.sessions)
	h.m.mu.Unlock()
	assert.Equal(t, 300, n, "every session is in progress and fresh: none is evicted up to twice the limit")
	for _, id := range ids[:250] {
		status, body := h.do("DELETE", client.PathSessions+"/"+id, "", "", true)
		require.Equal(t, 200, status, "%v", body)
	}
	for i := 0; i < 100; i++ { // each new session lets the store look at a few of its oldest
		ids = append(ids, h.create(fmt.Sprintf("usr-next%d", i), fixtureFlows[0].ID))
	}
	h.m.mu.Lock()
	cancelled, inProgress := 0, 0
	for _, s := range h.m.sessions {
		if s.Status == client.StatusCancelled {
			cancelled++
		} else {
			inProgress++
		}
	}
	h.m.mu.Unlock()
	assert.Zero(t, cancelled, "the cancelled sessions went, oldest first")
	assert.Equal(t, 150, inProgress, "every unfinished, fresh session stayed")
	health := h.health()
	assert.Equal(t, mock.StoreStats{Items: 150, Max: 150, Evicted: 250}, health.Stores["sessions"],
		"the health endpoint says how full the store is and what went; no unfinished session was lost")
	assert.Equal(t, &mock.OutboxStats{}, health.Webhooks)
}

// Sessions left unfinished and fresh still cannot grow the store without bound: past twice the limit
// the oldest goes whatever its state.
func TestUnfinishedSessionsStayWithinTwiceTheLimit(t *testing.T) {
	h := boundedHarness(t, mock.Config{MaxItems: 100})
	for i := 0; i < 1000; i++ {
		h.create(fmt.Sprintf("usr-%d", i), fixtureFlows[0].ID)
	}
	h.m.mu.Lock()
	n, indexed := len(h.m.sessions), len(h.m.byCreated[ClientID])
	h.m.mu.Unlock()
	assert.LessOrEqual(t, n, 200)
	assert.Equal(t, n, indexed, "the ordered index shrinks with the store")
	st := h.health().Stores["sessions"]
	assert.Equal(t, n, st.Items)
	assert.Equal(t, int64(1000-n), st.Evicted)
	assert.Equal(t, st.Evicted, st.EvictedUnfinished, "each was unfinished and fresh: the health endpoint says so, for the operator to raise --max-items")
}

// BenchmarkStore: one create and one search by user (a scenario's own sessions, KYC-08) with 1k, 10k
// and 100k sessions stored; and an unfiltered search of the first page, which must look at every
// session to count them (reported, not flat).
func BenchmarkStore(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		h := boundedHarness(b, mock.Config{MaxItems: 2 * n, TokenTTL: time.Hour})
		for i := 0; i < n; i++ {
			s := &session{entities: map[string]bool{}, tenant: ClientID}
			s.ID, s.Status, s.Kind, s.UserID, s.FlowID = newID("ses"), client.StatusInProgress, "kyc", fmt.Sprintf("usr-%d", i), fixtureFlows[0].ID
			s.CreatedAt, s.UpdatedAt = stamp(time.Now()), stamp(time.Now())
			h.m.mu.Lock()
			h.m.addSession(s)
			h.m.mu.Unlock()
		}
		b.Run(fmt.Sprintf("create/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				h.create(fmt.Sprintf("usr-b%dx%d", n, i), fixtureFlows[0].ID)
			}
		})
		b.Run(fmt.Sprintf("search-by-user/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				status, _ := h.do("GET", client.PathSessions+"?filter[user_id]=usr-"+fmt.Sprint(i%n)+"&sort=-created_at", "", "", true)
				if status != 200 {
					b.Fatal(status)
				}
			}
		})
		b.Run(fmt.Sprintf("search-all/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				status, _ := h.do("GET", client.PathSessions+"?page[size]=20", "", "", true)
				if status != 200 {
					b.Fatal(status)
				}
			}
		})
	}
}

// The ordered index answers an unfiltered search exactly as sorting every session does, ties in
// created_at (back-dated sessions of the control API share seconds) included, on every page.
func TestSearchInOrderMatchesAFullSort(t *testing.T) {
	h := boundedHarness(t, mock.Config{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 250; i++ {
		created := base.Add(time.Duration(i*7919%97) * time.Second) // out of order, many ties
		status, body := h.json("POST", mock.ControlPrefix+"/sessions", map[string]any{"user_id": fmt.Sprintf("usr-%d", i%13),
			"flow_id": fixtureFlows[0].ID, "status": client.StatusInProgress, "created_at": created.Format(time.RFC3339)})
		require.Equal(t, 201, status, "%v", body)
	}
	for i := 0; i < 3; i++ {
		h.create(fmt.Sprintf("usr-now%d", i), fixtureFlows[0].ID)
	}
	h.m.mu.Lock()
	var all []*session
	for _, s := range h.m.sessions {
		all = append(all, s)
	}
	h.m.mu.Unlock()
	for _, order := range []string{"", "created_at", "-created_at"} {
		keys := []client.SortKey{}
		if order != "" {
			keys = append(keys, client.SortKey{Field: "created_at", Desc: order[0] == '-'})
		}
		rows := sortRows(all, append(keys, client.SortKey{Field: "created_at"}, client.SortKey{Field: "id"}))
		rows.sort()
		for pageNo := 1; pageNo <= 6; pageNo++ {
			q := &searchQuery{filters: map[string]string{}, sort: keys, size: 50, number: pageNo}
			page, total, ok := h.m.searchInOrder(ClientID, q)
			require.True(t, ok)
			assert.Equal(t, len(all), total)
			var want []string
			for _, r := range rows.rows[min((pageNo-1)*50, len(all)):min(pageNo*50, len(all))] {
				want = append(want, r.s.ID)
			}
			var got []string
			for _, s := range page {
				got = append(got, s.ID)
			}
			assert.Equal(t, want, got, "sort %q page %d", order, pageNo)
		}
	}
}

func rssMB(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkSoakRSS: 200,000 sessions created over loopback HTTP, four clients at once, against a
// Pomelo mock served as conformance mock serves it, with the default limits; it reports the process's
// RSS before, after 20,000 and after 200,000 sessions, and the heap per stored session.
func BenchmarkSoakRSS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		m, err := New(mock.Config{Schemas: registry, TokenTTL: time.Hour})
		require.NoError(b, err)
		srv, err := mock.Start("127.0.0.1:0", m)
		require.NoError(b, err)
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
		form := "grant_type=client_credentials&client_id=" + ClientID + "&client_secret=" + ClientSecret + "&audience=x"
		resp, err := hc.Post(srv.URL+client.PathToken, "application/x-www-form-urlencoded", strings.NewReader(form))
		require.NoError(b, err)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(b, json.NewDecoder(resp.Body).Decode(&tok))
		_ = resp.Body.Close()
		create := func(from, to int) {
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := from + w; j < to; j += 4 {
						body := fmt.Sprintf(`{"user_id":"usr-%d","flow_id":"%s"}`, j, fixtureFlows[0].ID)
						req, _ := http.NewRequest("POST", srv.URL+client.PathCreateSession, strings.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
						resp, err := hc.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						_ = resp.Body.Close()
					}
				}()
			}
			wg.Wait()
		}
		runtime.GC()
		before := rssMB(b)
		heap0 := heapMB()
		create(0, 10000)
		perItem := (heapMB() - heap0) * (1 << 20) / 10000
		create(10000, 20000)
		at20k := rssMB(b)
		create(20000, 200000)
		runtime.GC()
		at200k := rssMB(b)
		m.mu.Lock()
		kept := len(m.sessions)
		m.mu.Unlock()
		_ = srv.Close(context.Background())
		b.ReportMetric(before, "rss-MB-start")
		b.ReportMetric(at20k, "rss-MB-20k")
		b.ReportMetric(at200k, "rss-MB-200k")
		b.ReportMetric(float64(kept), "sessions-kept")
		b.ReportMetric(perItem, "heap-B/session")
	}
}

// An upload of many tiny parts is refused after the limit, in Pomelo's error shape, not read to its end.
func TestAnUploadOfManyPartsIsRefused(t *testing.T) {
	h := boundedHarness(t, mock.Config{})
	id := h.create("usr-parts", fixtureFlows[0].ID)
	var b strings.Builder
	for i := 0; i < 150000; i++ {
		fmt.Fprintf(&b, "--B\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nx\r\n", i)
	}
	b.WriteString("--B--\r\n")
	status, body := h.do("POST", client.PathSessions+"/"+id+"/entities/usr-parts/files/selfie", "multipart/form-data; boundary=B", b.String(), true)
	assert.Equal(t, 400, status)
	e, _ := body["error"].(map[string]any)
	require.NotNil(t, e, "%v", body)
	assert.Equal(t, CodeInvalidFile, e["code"])
	assert.Contains(t, e["message"], "more than 100 parts")
}
