package personalinfo

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	client "github.com/latam-conformance/conformance/clients/personalinfo"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/mock"
)

// serveEnv makes the test binary serve the mock instead of running tests: the memory benchmark measures
// the mock in a process of its own, as 'conformance mock' runs.
const serveEnv = "CONFORMANCE_PERSONALINFO_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		os.Exit(serveForMeasure())
	}
	os.Exit(m.Run())
}

// serveForMeasure serves the mock on a loopback port, prints its URL, and stops when its standard input
// closes.
func serveForMeasure() int {
	m, err := New(mock.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: m, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("http://%s\n", ln.Addr())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the benchmark closes it
	return 0
}

// peakRSS is a process's peak resident set (VmHWM) in MiB.
func peakRSS(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// BenchmarkUploadMemory sends 32 maximal uploads at once (three 5 MiB photos each, an authenticated
// multipart body of 15 MiB) to the mock in a process of its own, then 32 JSON bodies of 1 MiB at once,
// and reports the process's peak resident memory after each (issue 19: 944 MB for the uploads, when the
// mock read each body whole; the goal is under 256 MB). Every upload must be accepted; a JSON body is
// refused with 422 (DOC-11), or 429 when the mock's JSON budget has no room within JSONWait.
func BenchmarkUploadMemory(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc to read the mock's peak memory")
	}
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), serveEnv+"=1")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		url, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		url = strings.TrimSpace(url)
		base, _ := peakRSS(cmd.Process.Pid)

		photo := make([]byte, MaxPhoto)
		copy(photo, fixtures.PIPhotoBytes)
		req := fixtures.PIRequest()
		for _, p := range []**client.Photo{&req.FrontDocument, &req.BackDocument, &req.DNISelfie} {
			(*p).Content = photo
		}
		c, err := client.NewClient(url, client.WithToken(Token))
		if err != nil {
			b.Fatal(err)
		}
		statuses := at32(func() int {
			_, resp, err := c.Create(context.Background(), req)
			if err != nil && resp == nil {
				b.Error(err)
				return 0
			}
			return resp.StatusCode
		})
		if statuses[http.StatusOK] != 32 {
			b.Fatalf("every maximal upload is accepted: %v", statuses)
		}
		uploads, _ := peakRSS(cmd.Process.Pid)

		json := append(append([]byte(`{"first_name":"`), bytes.Repeat([]byte("a"), MaxJSON-40)...), `"}`...)
		statuses = at32(func() int {
			_, resp, err := c.CreateRaw(context.Background(), json, "application/json")
			if err != nil && resp == nil {
				b.Error(err)
				return 0
			}
			return resp.StatusCode
		})
		if statuses[http.StatusUnprocessableEntity]+statuses[http.StatusTooManyRequests] != 32 {
			b.Fatalf("a JSON body is refused, as DOC-11 says, or asked to come again: %v", statuses)
		}
		jsonPeak, _ := peakRSS(cmd.Process.Pid)
		_ = stdin.Close()
		_ = cmd.Wait()
		b.ReportMetric(base, "idle-MiB")
		b.ReportMetric(uploads, "peak-after-uploads-MiB")
		b.ReportMetric(jsonPeak, "peak-after-json-MiB")
		b.ReportMetric(float64(statuses[http.StatusTooManyRequests]), "json-429s")
	}
}

// at32 calls f 32 times at once and counts the statuses it returns.
func at32(f func() int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]int{}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := f()
			mu.Lock()
			got[s]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return got
}
