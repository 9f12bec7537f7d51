package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunsAtOnceWriteTheirOwnCucumberJSON: the buffered cucumber formatter finds each run's file by the
// run's suite name, so two runs in one process never write into each other's report, and neither
// leaves its sink registered.
func TestRunsAtOnceWriteTheirOwnCucumberJSON(t *testing.T) {
	dir := t.TempDir()
	tags := []string{"@BAAS-12", "@GU1-01"}
	var wg sync.WaitGroup
	for i, tag := range tags {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := options(t)
			o.Tags = tag
			o.CucumberJSON = filepath.Join(dir, tag[1:]+".json")
			_, err := Run(context.Background(), o)
			assert.NoError(t, err, "run %d", i)
		}()
	}
	wg.Wait()
	for _, tag := range tags {
		raw, err := os.ReadFile(filepath.Join(dir, tag[1:]+".json"))
		require.NoError(t, err)
		var features []struct {
			Elements []struct {
				Tags []struct{ Name string } `json:"tags"`
			} `json:"elements"`
		}
		require.NoError(t, json.Unmarshal(raw, &features), "%s", raw)
		n := 0
		for _, f := range features {
			for _, e := range f.Elements {
				n++
				var names []string
				for _, tg := range e.Tags {
					names = append(names, tg.Name)
				}
				assert.Contains(t, names, tag, "a scenario of another run in %s's report", tag)
			}
		}
		assert.Positive(t, n, "%s's report holds its scenarios", tag)
	}
	n := 0
	cucumberSinks.Range(func(any, any) bool { n++; return true })
	assert.Zero(t, n, "no sink is left registered")
}

// BenchmarkCucumberJSON measures what --cucumber-json adds to a run, for a quarter, half and all of the
// suite (shards 1/4, 1/2 and the whole). Each iteration runs the same selection twice, without and with
// the report, in alternating order, so that both see the same machine; the metrics are the medians of
// the plain runs, of the runs with the report, and of the per-pair difference. README's figures come from
// here: the overhead must stay linear in the suite and within 10% of a plain run.
func BenchmarkCucumberJSON(b *testing.B) {
	for _, size := range []struct {
		name  string
		shard Shard
	}{{"quarter", Shard{Index: 1, Count: 4}}, {"half", Shard{Index: 1, Count: 2}}, {"all", Shard{}}} {
		b.Run(size.name, func(b *testing.B) {
			o := options(b)
			o.Shard = size.shard
			dir := b.TempDir()
			timed := func(cuke bool) time.Duration {
				o := o
				if cuke {
					o.CucumberJSON = filepath.Join(dir, "cucumber.json")
				}
				start := time.Now()
				if _, err := Run(context.Background(), o); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			var plain, cuke, over []time.Duration
			for i := 0; i < b.N; i++ {
				var p, c time.Duration
				if i%2 == 0 {
					p, c = timed(false), timed(true)
				} else {
					c, p = timed(true), timed(false)
				}
				plain, cuke, over = append(plain, p), append(cuke, c), append(over, c-p)
			}
			p, c, added := median(plain), median(cuke), median(over)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(p), "plain-ms")
			b.ReportMetric(ms(c), "cucumber-ms")
			b.ReportMetric(ms(added), "added-ms")
			b.ReportMetric(100*float64(added)/float64(p), "overhead-%")
		})
	}
}
