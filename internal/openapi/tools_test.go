package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/cli"
)

// tool is the outside tool name (redocly, prism) of scripts/install-openapi-tools.sh, whose directory
// make test passes in OPENAPI_TOOLS. Without it the test is skipped, except in CI.
func tool(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("OPENAPI_TOOLS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".tools", "openapi")
	}
	bin, err := filepath.Abs(filepath.Join(dir, "node_modules", ".bin", name))
	require.NoError(t, err)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (%s): scripts/install-openapi-tools.sh", name, bin)
		}
		t.Skipf("%s is not installed (%s): run scripts/install-openapi-tools.sh", name, bin)
	}
	return bin
}

// quietNode keeps the outside tools from telemetry and update checks: nothing leaves the machine.
func quietNode(cmd *exec.Cmd) {
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true",
		"NO_UPDATE_NOTIFIER=1", "DO_NOT_TRACK=1")
}

// TestRedoclyLintsEveryDocumentWithoutAnError: Redocly CLI, as installed from npm at the pinned
// version, reads each committed document with its recommended rules and finds no error.
func TestRedoclyLintsEveryDocumentWithoutAnError(t *testing.T) {
	bin := tool(t, "redocly")
	files, err := filepath.Glob(filepath.Join("..", "..", "openapi", "*.openapi.json"))
	require.NoError(t, err)
	require.Len(t, files, 4)
	cmd := exec.Command(bin, append([]string{"lint", "--format", "json"}, files...)...)
	quietNode(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	type report struct { // one per document
		Totals struct {
			Errors   int `json:"errors"`
			Warnings int `json:"warnings"`
		} `json:"totals"`
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
		} `json:"problems"`
	}
	dec := json.NewDecoder(&stdout)
	reports, errs, warnings := 0, 0, 0
	for dec.More() {
		var r report
		require.NoError(t, dec.Decode(&r), "redocly lint --format json: %v\n%s", runErr, stderr.String())
		reports++
		errs += r.Totals.Errors
		warnings += r.Totals.Warnings
		for _, p := range r.Problems {
			if p.Severity == "error" {
				t.Errorf("%s: %s", p.RuleID, p.Message)
			}
		}
	}
	require.Equal(t, len(files), reports, "a report per document")
	require.Zero(t, errs)
	require.NoError(t, runErr, "redocly exits 0 without errors")
	t.Logf("redocly lint: %d documents, %d errors, %d warnings", reports, errs, warnings)
}

// TestRedoclyFindsABrokenDocument: the lint above can fail — a document whose operation has no
// responses and whose $ref leads nowhere is an error.
func TestRedoclyFindsABrokenDocument(t *testing.T) {
	bin := tool(t, "redocly")
	broken := filepath.Join(t.TempDir(), "broken.openapi.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"openapi":"3.1.0","info":{"title":"x","version":"1"},
"paths":{"/a":{"get":{"operationId":"a","requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/missing"}}}}}}}}`), 0o644))
	cmd := exec.Command(bin, "lint", "--format", "json", broken)
	quietNode(cmd)
	out, err := cmd.Output()
	require.Error(t, err, "redocly exits non-zero")
	var r struct {
		Totals struct{ Errors int } `json:"totals"`
	}
	require.NoError(t, json.Unmarshal(out, &r))
	require.Positive(t, r.Totals.Errors)
}

// TestAPrismProxyFindsNoAnswerOutsideTheContract: Prism (proxy mode), as installed from npm at the pinned
// version, stands between a whole sandbox-mode run and 'conformance mock', each provider behind its
// own document, and checks every exchange against it. No answer of a mock breaks its document, and
// every request Prism finds outside the document is one the mock refused (4xx): the suite's negative
// scenarios send them on purpose, and the document and the mock agree that they are invalid. The run
// goes one scenario at a time, so that Prism's log is one request after another.
func TestAPrismProxyFindsNoAnswerOutsideTheContract(t *testing.T) {
	bin := tool(t, "prism")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rehearsal.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	mockOut := &lines{ch: make(chan string, 64)}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"mock", "--write-config", cfg}, mockOut, io.Discard, func(string) string { return "" })
	}()
	t.Cleanup(func() { cancel(); <-done })
	urls := map[string]string{}
	for len(urls) < 4 {
		select {
		case line := <-mockOut.ch:
			if name, u, ok := strings.Cut(line, " "); ok && strings.HasPrefix(u, "http://") {
				urls[name] = u
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("conformance mock printed %d URLs", len(urls))
		}
	}
	raw, err := os.ReadFile(cfg)
	require.NoError(t, err)
	text := string(raw)
	logs := map[string]*lockedWriter{}
	for name, u := range urls {
		port := freePort(t)
		logs[name] = &lockedWriter{w: &bytes.Buffer{}}
		cmd := exec.Command(bin, "proxy", filepath.Join("..", "..", "openapi", name+".openapi.json"), u,
			"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--errors", "false")
		quietNode(cmd)
		cmd.Stdout, cmd.Stderr = logs[name], io.Discard // Prism writes on while the log is read
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		proxy := fmt.Sprintf("http://127.0.0.1:%d", port)
		waitListening(t, proxy)
		text = strings.Replace(text, "base_url: "+u, "base_url: "+proxy, 1)
	}
	require.NoError(t, os.WriteFile(cfg, []byte(text), 0o644))
	env := readEnv(t, cfg+".env")
	var stdout, stderr bytes.Buffer
	// Prism reads a 15 MiB upload slowly: a generous request timeout.
	code := cli.Main(context.Background(), []string{"run", "--config", cfg, "--timeout", "120s", "--concurrency", "1"}, &stdout, &stderr,
		func(k string) string { return env[k] })
	require.Equal(t, 0, code, "%s\n%s", tail(stdout.String()), stderr.String())
	requests, flagged, refused := map[string]int{}, 0, 0
	for name, log := range logs {
		exchanges := exchangesOf(log.String())
		require.NotEmpty(t, exchanges, "%s's traffic went through Prism", name)
		for _, ex := range exchanges {
			for _, v := range ex.response {
				t.Errorf("%s: %s answered %d, outside its document: %s", name, ex.request, ex.status, v)
			}
			if len(ex.violations) == 0 {
				continue
			}
			flagged++
			if ex.status >= 400 && ex.status < 500 {
				refused++
			} else {
				t.Errorf("%s: %s is outside the document (%s) and the mock answered %d", name, ex.request, ex.violations[0], ex.status)
			}
			for _, v := range ex.violations {
				requests[name+": "+v]++
			}
		}
	}
	t.Logf("Prism: 0 answers outside the documents; %d requests outside them, %d refused by the mock with a 4xx:", flagged, refused)
	for _, k := range slices.Sorted(maps.Keys(requests)) {
		t.Logf("  %4d %s", requests[k], k)
	}
}

// exchange is one request in Prism's log: what it logged from "Request received" to the next.
type exchange struct {
	request    string   // "post /baas/token_request"
	violations []string // of the request
	response   []string // violations of the answer
	status     int      // the upstream's
}

var (
	received = regexp.MustCompile(`\] (\w+ \S+) .*Request received`)
	returned = regexp.MustCompile(`has returned (\d{3})`)
)

// exchangesOf splits a Prism proxy log, one request at a time, into its exchanges.
func exchangesOf(log string) []exchange {
	var out []exchange
	for _, line := range strings.Split(log, "\n") {
		if m := received.FindStringSubmatch(line); m != nil {
			out = append(out, exchange{request: m[1]})
			continue
		}
		if len(out) == 0 {
			continue
		}
		ex := &out[len(out)-1]
		if m := returned.FindStringSubmatch(line); m != nil {
			ex.status, _ = strconv.Atoi(m[1])
		}
		if _, v, ok := strings.Cut(line, "Violation: "); ok {
			if strings.HasPrefix(v, "response") {
				ex.response = append(ex.response, v)
			} else {
				ex.violations = append(ex.violations, v)
			}
		}
	}
	return out
}

type lines struct{ ch chan string }

func (l *lines) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		select {
		case l.ch <- line:
		default:
		}
	}
	return len(p), nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitListening waits until something answers at url (Prism takes a few seconds to start).
func waitListening(t *testing.T, url string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), time.Second); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens at %s after 60 s", url)
}

// readEnv reads the export lines --write-config writes beside the configuration, through sh (a PEM
// key spans lines inside its quotes).
func readEnv(t *testing.T, file string) map[string]string {
	out, err := exec.Command("sh", "-c", `set -a; . "$0"; env -0`, file).Output()
	require.NoError(t, err)
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CONFORMANCE_") {
			env[k] = v
		}
	}
	require.NotEmpty(t, env)
	return env
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
