package runner

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/exit"
)

// loopbackRoundTrip is the median time of one small HTTP request and its answer over a kept-alive
// loopback connection: the least any exchange of a run can cost.
func loopbackRoundTrip(b *testing.B) time.Duration {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	c := srv.Client()
	var times []time.Duration
	for i := 0; i < 2000; i++ {
		start := time.Now()
		resp, err := c.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		times = append(times, time.Since(start))
	}
	return median(times)
}

// copies is the embedded feature set n times over, each copy in its own folder.
func copies(b *testing.B, n int) fs.FS {
	out := fstest.MapFS{}
	err := fs.WalkDir(features.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".feature" {
			return err
		}
		data, err := fs.ReadFile(features.FS, p)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			out[filepath.Join("copy"+string(rune('a'+i)), p)] = &fstest.MapFile{Data: data}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// es512Costs is the CPU time of one ES512 signature and of one verification, made as the suite makes
// them (a BaaS AUTHORIZATION token, each one fresh, so the verdict memo never answers): the thread's
// own CPU clock over 31 of each, on a locked OS thread, so a busy machine does not inflate it as it
// inflates wall time (issue 19: wall-clock medians doubled under load).
func es512Costs(b *testing.B) (sign, verify time.Duration) {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	s := &baas.Signer{APIClientKey: "k", Key: key}
	const n = 31
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tokens := make([]string, n)
	start := threadCPU(b)
	for i := range tokens {
		if tokens[i], err = s.Token("POST", baas.PathTokenRequest, []byte(`{"n":`+strconv.Itoa(i)+`}`)); err != nil {
			b.Fatal(err)
		}
	}
	signed := threadCPU(b)
	for _, tok := range tokens {
		if _, err := baas.ParseAuthorization(tok, &key.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
	verified := threadCPU(b)
	return (signed - start) / n, (verified - signed) / n
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSuiteAgainstFloor runs the whole suite at the default concurrency, eight times and once as
// 8 copies, and reports: the loopback floor (the exchanges of one run times one loopback round trip,
// both measured here), the fastest run's wall time and its ratio to the floor, and the CPU time per
// scenario of the whole process (harness and embedded mocks) at 1 and at 8 copies. It also reports the
// ES512 floor: the signatures and verifications one run makes, times their cost measured here, over
// the cores, and its ratio to the loopback floor over the cores.
func BenchmarkSuiteAgainstFloor(b *testing.B) {
	rtt := loopbackRoundTrip(b)
	// Count the exchanges of one run from its recording (a run of its own: recording costs CPU).
	dir := b.TempDir()
	o := options(b)
	o.Record = dir
	signed0, verified0 := baas.Work()
	if res, err := Run(context.Background(), o); err != nil || res.ExitCode() != exit.OK {
		b.Fatalf("a recorded run did not pass: %v", err)
	}
	signed1, verified1 := baas.Work()
	f, err := os.Open(filepath.Join(dir, "exchanges.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	exchanges := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		exchanges++
	}
	_ = f.Close()
	// The exchanges' round trips, one after another, and spread over every core as a concurrent run
	// spreads them: a concurrent run's wall time is compared with the latter (issue 19: it was divided
	// by the serial sum).
	floor := time.Duration(exchanges) * rtt
	parFloor := floor / time.Duration(runtime.GOMAXPROCS(0))
	// The ES512 work of one run, spread over every core, is a second floor: no run can be faster, since
	// the BaaS protocol signs every call afresh and a mock must verify what it is sent.
	signCost, verifyCost := es512Costs(b)
	signed, verified := signed1-signed0, verified1-verified0
	cryptoFloor := (time.Duration(signed)*signCost + time.Duration(verified)*verifyCost) /
		time.Duration(runtime.GOMAXPROCS(0))

	// run runs the suite n times over, times times, and returns the fastest wall time and the mean CPU
	// per scenario: one copy is short enough that a single garbage collection moves its figure.
	run := func(n, times int) (wall, cpuPerScenario time.Duration) {
		o := options(b)
		if n > 1 {
			o.Features = copies(b, n)
		}
		var cpu time.Duration
		scenarios := 0
		for i := 0; i < times; i++ {
			cpu0, start := cpuTime(), time.Now()
			res, err := Run(context.Background(), o)
			w := time.Since(start)
			if err != nil || res.ExitCode() != exit.OK {
				b.Fatalf("%d copies: %v", n, err)
			}
			cpu += cpuTime() - cpu0
			scenarios += len(res.Scenarios)
			if wall == 0 || w < wall {
				wall = w
			}
		}
		return wall, cpu / time.Duration(scenarios)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wall1, cpu1 := run(1, 8)
		_, cpu8 := run(8, 1)
		b.ReportMetric(float64(exchanges), "exchanges")
		b.ReportMetric(float64(rtt.Microseconds()), "rtt-µs")
		b.ReportMetric(float64(floor.Milliseconds()), "floor-ms")
		b.ReportMetric(float64(parFloor.Milliseconds()), "floor-over-cores-ms")
		b.ReportMetric(float64(signed), "es512-signed")
		b.ReportMetric(float64(verified), "es512-verified")
		b.ReportMetric(float64(signCost.Microseconds()), "sign-µs")
		b.ReportMetric(float64(verifyCost.Microseconds()), "verify-µs")
		b.ReportMetric(float64(cryptoFloor.Milliseconds()), "es512-floor-ms")
		b.ReportMetric(float64(cryptoFloor)/float64(parFloor), "es512-x-floor")
		b.ReportMetric(float64(wall1.Milliseconds()), "wall-ms")
		b.ReportMetric(float64(wall1)/float64(parFloor), "x-floor")
		b.ReportMetric(float64(cpu1.Microseconds())/1000, "cpu-ms/scenario")
		b.ReportMetric(float64(cpu8.Microseconds())/1000, "cpu-ms/scenario@8")
		b.ReportMetric(float64(cpu8)/float64(cpu1), "cpu-8/1")
	}
}
