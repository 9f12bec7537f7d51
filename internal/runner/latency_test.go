package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
)

// delayed answers every request after d, as a target that far away would: a round trip of d.
func delayed(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	})
}

// BenchmarkSuiteBehindLatency runs the whole suite with the default flags against the four mocks behind
// a round trip of 50 ms and of 150 ms (a sandbox on another continent), control API included, and
// reports the run's wall time, the scenarios it ran at once and the connections it opened; and the same
// at --concurrency 4, the default before issue 19. What a user of a real sandbox waits for is this, not
// the loopback floor; README's figures come from here.
func BenchmarkSuiteBehindLatency(b *testing.B) {
	for _, bc := range []struct {
		rtt  time.Duration
		conc int
	}{{50 * time.Millisecond, 0}, {150 * time.Millisecond, 0}, {50 * time.Millisecond, 4}, {150 * time.Millisecond, 4}} {
		name, rtt := bc.rtt.String(), bc.rtt
		if bc.conc > 0 {
			name += fmt.Sprintf("/concurrency=%d", bc.conc)
		}
		b.Run(name, func(b *testing.B) {
			o := options(b)
			o.Concurrency = bc.conc
			o.BaseURLs = map[string]string{}
			for _, name := range providers.Names() {
				p, err := providers.Lookup(name)
				if err != nil {
					b.Fatal(err)
				}
				h, err := p.Mock(mock.Config{Schemas: o.Schemas, BaaSSigning: []string{"claims", "qit"}, Faults: &mock.Faults{}})
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(delayed(h, rtt))
				b.Cleanup(srv.Close)
				o.BaseURLs[name] = srv.URL
			}
			for i := 0; i < b.N; i++ {
				start := time.Now()
				res, err := Run(context.Background(), o)
				if err != nil || res.ExitCode() != exit.OK {
					b.Fatalf("the run did not pass: %v", err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "wall-s")
				b.ReportMetric(float64(res.Connections.Opened), "connections")
				b.ReportMetric(float64(res.AtOnce), "at-once")
				b.ReportMetric(float64(res.Connections.Requests), "requests")
			}
		})
	}
}
