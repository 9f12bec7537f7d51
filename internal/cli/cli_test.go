package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	featurefiles "github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/pactfile"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/schema"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runEnv(t, nil, args...)
}

// runEnv runs the CLI with env as its environment.
func runEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// mockServer serves the named provider's embedded mock on loopback, through wrap when it is not nil.
func mockServer(t *testing.T, provider string, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	reg, err := schema.Embedded()
	require.NoError(t, err)
	p, err := providers.Lookup(provider)
	require.NoError(t, err)
	// A conforming provider that accepts both BaaS signing schemes (BAAS-16 and BAAS-17).
	return serveMock(t, p, mock.Config{Schemas: reg, BaaSSigning: []string{"claims", "qit"}}, wrap)
}

// serveMock serves p's mock built from cfg on loopback, through wrap when it is not nil.
func serveMock(t *testing.T, p providers.Provider, cfg mock.Config, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	m, err := p.Mock(cfg)
	require.NoError(t, err)
	if wrap != nil {
		m = wrap(m)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return srv.URL
}

func baasMock(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	return mockServer(t, "baas", wrap)
}

// answering serves every request through next, then lets change alter the status, the headers and the
// body of the answer before it is sent: a provider that strays from its documents in one way.
func answering(change func(status int, h http.Header, body []byte) (int, []byte)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			status, body := change(rec.Code, w.Header(), rec.Body.Bytes())
			w.Header().Del("Content-Length")
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})
	}
}

// rewriting replaces old with new in every response body.
func rewriting(old, new string) func(http.Handler) http.Handler {
	return answering(func(status int, _ http.Header, body []byte) (int, []byte) {
		return status, bytes.ReplaceAll(body, []byte(old), []byte(new))
	})
}

// withoutControl hides the control API, as a real sandbox would.
func withoutControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, mock.ControlPrefix) {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr
}

func TestRunEmbeddedPassesAndReports(t *testing.T) {
	// Heavy and independent: it overlaps the package's other heavy tests (make test's longest package).
	t.Parallel()
	dir := t.TempDir()
	junit, cucumber := filepath.Join(dir, "reports", "junit.xml"), filepath.Join(dir, "more", "cucumber.json")
	code, out, errOut := run(t, "run", "--junit", junit, "--cucumber-json", cucumber, "--concurrency", "4")
	require.Equal(t, exit.OK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "0 failed")
	for _, want := range []string{"baas         17/17", "gu1          13/13", "personalinfo 6/6", "pomelo       26/26"} {
		assert.Contains(t, out, "  "+want+" IDs proven (", "every provider's required IDs, in aligned columns")
	}
	assert.NotContains(t, out, "planned:", "every catalogue ID is in scope")
	assert.NotContains(t, out, "missing:")
	assert.Contains(t, out, "DOC-13")

	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(raw, &doc))
	assert.Greater(t, doc.Tests, 90)
	assert.Zero(t, doc.Failures)
	assert.Contains(t, string(raw), "[BAAS-12] an expired token is refused")

	var features []map[string]any
	raw, err = os.ReadFile(cucumber)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &features))
	files, err := fs.Glob(featurefiles.FS, "*/*.feature")
	require.NoError(t, err)
	assert.Len(t, features, len(files), "one cucumber feature per .feature file")
}

func TestRunFailsNamingIDAndCodesWhenProviderAnswersWrongCode(t *testing.T) {
	// A provider that answers ACC000133 (invalid) where ACC000134 (expired) is documented.
	url := baasMock(t, rewriting(`"ACC000134"`, `"ACC000133"`))
	code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@baas")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "[BAAS-12] an expired token is refused")
	assert.Contains(t, out, `POST /baas/movement_validation: code = "ACC000133", want "ACC000134"`)
	assert.Contains(t, out, "failed: BAAS-12")
	assert.Contains(t, out, "16/17 IDs proven")
}

func TestRunFailsWhenResponseBreaksSchema(t *testing.T) {
	// A provider whose created person carries a person_key that is not a UUID.
	url := baasMock(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if r.URL.Path == "/baas/movement_validation" && rec.Code == 200 {
				var doc map[string]any
				require.NoError(t, json.Unmarshal(body, &doc))
				doc["return_response"].(map[string]any)["person"].(map[string]any)["person_key"] = "not-a-uuid"
				body, _ = json.Marshal(doc)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	})
	code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@BAAS-15")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "response 200 breaks schemas/baas/movement_validation.200.json: /return_response/person/person_key: format")
}

func TestRunFailsWhenProviderAcceptsWhatTheSchemaRejects(t *testing.T) {
	// A lenient provider: it accepts any person_type. The harness must say the schema and the provider
	// disagree rather than pass.
	url := baasMock(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/baas/token_request" {
				raw, _ := io.ReadAll(r.Body)
				if strings.Contains(string(raw), `"person_type":"company"`) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, `{}`)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(raw))
			}
			next.ServeHTTP(w, r)
		})
	})
	code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@BAAS-07")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "the provider accepted (200) a request body that schemas/baas/token_request.request.json rejects: /person_creation/person/person_type: enum")
}

func TestRunRandomPrintsTheSeedItPicked(t *testing.T) {
	code, out, _ := run(t, "run", "--random", "-1", "--tags", "@BAAS-01")
	require.Equal(t, exit.OK, code, out)
	assert.Regexp(t, `Random order: --random [1-9][0-9]* repeats it`, out)
	code, out, _ = run(t, "run", "--random", "7", "--tags", "@BAAS-01")
	require.Equal(t, exit.OK, code, out)
	assert.Contains(t, out, "Random order: --random 7 repeats it")
}

func TestRunInterruptedStopsAndSaysSo(t *testing.T) {
	// A provider that never answers: cancelling the context (Ctrl-C) must end the run promptly.
	block := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == mock.HealthPath {
			http.NotFound(w, r)
			return
		}
		once.Do(cancel) // Ctrl-C while the first scenario waits for its answer
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	var out, errb bytes.Buffer
	start := time.Now()
	code := Main(ctx, []string{"run", "--base-url", "baas=" + srv.URL, "--tags", "@BAAS-01"}, &out, &errb, func(string) string { return "" })
	assert.Less(t, time.Since(start), 5*time.Second, "the run waited for the request timeout")
	assert.Equal(t, 130, code, "interrupted: 128 + SIGINT's number, as a shell reports it\n%s", out.String())
	assert.Contains(t, errb.String(), "run interrupted")
}

// pomeloMock serves a fresh Pomelo mock behind wrap (a mutant provider).
// ignoringDescendingSort is a provider whose search drops the "-" of every sort key.
func ignoringDescendingSort(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if s := q.Get("sort"); s != "" {
			q.Set("sort", strings.ReplaceAll(s, "-", ""))
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

func TestRunFailsNamingKYC11WhenSearchIgnoresDescending(t *testing.T) {
	// A provider whose search drops the "-" of every sort key.
	url := mockServer(t, "pomelo", ignoringDescendingSort)
	code, out, _ := run(t, "run", "--base-url", "pomelo="+url, "--tags", "@pomelo")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "[KYC-11] sort=-created_at")
	assert.Contains(t, out, "users = [usr-a, usr-b, usr-c, usr-d, usr-e], want [usr-e, usr-d, usr-c, usr-b, usr-a]")
	assert.Contains(t, out, "failed: KYC-11")
}

func TestRunFailsNamingKYC12WhenSearchIgnoresUnknownFilters(t *testing.T) {
	// A provider that silently drops a filter it does not know and answers the unfiltered list.
	url := mockServer(t, "pomelo", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			q.Del("filter[colour]")
			r.URL.RawQuery = q.Encode()
			next.ServeHTTP(w, r)
		})
	})
	code, out, _ := run(t, "run", "--base-url", "pomelo="+url, "--tags", "@KYC-12")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "[KYC-12] an incorrect parameter is refused: filter[colour]=red")
	assert.Contains(t, out, "status = 200, want 400 for the incorrect colour")
	assert.Contains(t, out, "failed: KYC-12")
}

func TestRunFailsNamingGU107WhenUnknownEntityIs400(t *testing.T) {
	// A provider that answers 400 where GU1-07 documents 404.
	url := mockServer(t, "gu1", answering(func(status int, _ http.Header, body []byte) (int, []byte) {
		if status == http.StatusNotFound && bytes.Contains(body, []byte("ENTITY_NOT_FOUND")) {
			status = http.StatusBadRequest
		}
		return status, body
	}))
	code, out, _ := run(t, "run", "--base-url", "gu1="+url, "--tags", "@gu1")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "[GU1-07] an entity that does not exist")
	assert.Contains(t, out, "status = 400, want 404")
	assert.Contains(t, out, "failed: GU1-07")
}

func TestRunAndVerifyFailNamingPI05WhenXContentTypeOptionsIsDropped(t *testing.T) {
	// A provider that forgets one of the security headers of PI-05 on every response.
	url := mockServer(t, "personalinfo", answering(func(status int, h http.Header, body []byte) (int, []byte) {
		h.Del("X-Content-Type-Options")
		return status, body
	}))
	code, out, _ := run(t, "run", "--base-url", "personalinfo="+url, "--tags", "@personalinfo")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "[PI-05] every response, accepted or refused, carries the documented headers")
	assert.Contains(t, out, `answered 200 with X-Content-Type-Options: "", want "nosniff"`)
	assert.Contains(t, out, "failed: PI-05")
	assert.Contains(t, out, "1 failed", "only the header scenario fails: the others do not look at headers")

	code, out, _ = run(t, "verify", "--base-url", "personalinfo="+url, "--provider", "personalinfo")
	require.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "FAIL PI-01 PI-02 PI-04 PI-05 DOC-10 DOC-11: the seed's person with three photos uploaded")
	assert.Contains(t, out, "X-Content-Type-Options")
}

func TestRunUnreachableTargetExits3NamingURL(t *testing.T) {
	url := closedPort(t)
	code, out, errOut := run(t, "run", "--base-url", "baas="+url)
	require.Equal(t, exit.Unavailable, code, out+errOut)
	assert.Contains(t, errOut, "target baas at "+url+" is unreachable")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
}

func TestRunAgainstTargetWithoutControlSkipsWithReason(t *testing.T) {
	// A target that hides the control API, as a sandbox would.
	url := baasMock(t, withoutControl)
	code, out, _ := run(t, "run", "--base-url", "baas="+url, "--tags", "@baas")
	require.Equal(t, exit.OK, code, out)
	assert.Contains(t, out, "Skipped:")
	assert.Contains(t, out, "needs the mock control API (@control), which "+url+" does not offer")
	assert.Contains(t, out, "(external, no control API; 24 at once, 64 with the other mocks, by default)")
	assert.Regexp(t, `skipped: .*BAAS-12`, out)
}

func writeFeature(t *testing.T, dir, provider, name, text string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, provider), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, provider, name), []byte(text), 0o644))
}

func TestRunUsageErrors(t *testing.T) {
	malformed := t.TempDir()
	writeFeature(t, malformed, "baas", "broken.feature", "Feature: x\n  Scenario: y\n    Given a step\n  Examples oops\n    | a |\n")
	wrongFolder := t.TempDir()
	writeFeature(t, wrongFolder, "acme", "x.feature", "Feature: x\n  Scenario: y\n    Given a person to register, built from the seed's example\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"run", "--colour"}, "unknown flag: --colour"},
		{"misspelt flag", []string{"run", "--tag", "@BAAS-01"}, "unknown flag: --tag (did you mean --tags?)"},
		{"misspelt flag, one dash", []string{"run", "-junt", "x"}, "(did you mean --junit?)"},
		{"bad base-url", []string{"run", "--base-url", "baas"}, "want PROVIDER=URL"},
		{"unknown provider", []string{"run", "--base-url", "acme=http://127.0.0.1:1"}, `unknown provider "acme" (known: baas, gu1, personalinfo, pomelo)`},
		{"not http", []string{"run", "--base-url", "baas=ftp://x"}, "is not an http(s) URL"},
		{"bad format", []string{"run", "--format", "xml"}, `--format "xml": want pretty, progress, junit:FILE`},
		{"format without file", []string{"run", "--format", "html"}, `--format html: name the file, html:FILE`},
		{"two console formats", []string{"run", "-f", "pretty", "-f", "progress"}, `one console format at a time`},
		{"bad concurrency", []string{"run", "--concurrency", "-1"}, "want 1 or more, or 0 for as many as the targets allow"},
		{"bad random", []string{"run", "--random", "-5"}, "want a seed above 0"},
		{"malformed feature", []string{"run", "--features", malformed}, malformed + `/baas/broken.feature:4:3: Gherkin syntax error: "Examples oops" is not`},
		{"feature folder not a provider", []string{"run", "--features", wrongFolder}, `acme/x.feature: features must sit in a folder named after their provider`},
		{"features not a dir", []string{"run", "--features", filepath.Join(malformed, "nope")}, "not a directory"},
		{"unknown command", []string{"launch"}, `unknown command "launch"`},
		{"a path that selects nothing", []string{"run", "extra"}, `extra: no feature file or folder extra in the feature set`},
		{"a line with no scenario", []string{"run", "baas/token_request.feature:2"}, `no scenario at line 2 of baas/token_request.feature`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			assert.Equal(t, exit.Usage, code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line, no stack trace: %q", errOut)
			assert.NotContains(t, errOut, "goroutine")
			assert.NotContains(t, errOut, "conformance: conformance")
			if tc.name != "malformed feature" && tc.name != "feature folder not a provider" && tc.name != "no scenario matches tags" {
				assert.Empty(t, out, "nothing but the error is printed")
			}
		})
	}
}

func TestRunUndefinedStepExits2(t *testing.T) {
	dir := t.TempDir()
	writeFeature(t, dir, "baas", "x.feature", "Feature: x\n  @BAAS-01\n  Scenario: y\n    Given a step nobody wrote\n")
	code, out, _ := run(t, "run", "--features", dir)
	assert.Equal(t, exit.Usage, code, out)
	assert.Contains(t, out, "Undefined steps (the suite is broken, not the provider)")
	assert.Contains(t, out, "step is undefined: a step nobody wrote")
}

func TestHelpListsExitCodes(t *testing.T) {
	code, out, _ := run(t, "help")
	assert.Equal(t, exit.OK, code)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for code, want := range map[string]string{"0": "everything passed", "1": "a conformance failure", "2": "usage or configuration error",
		"3": "infrastructure", "4": "nothing proven", "5": "a gate not met", "130": "interrupted by SIGINT"} {
		assert.Regexp(t, `(?m)^  `+code+` +`+want, out, "help names exit %s", code)
		assert.Regexp(t, `(?m)^\| `+code+`(, \d+)? \| `+want, string(readme), "README's table names exit %s", code)
	}
	for _, cmd := range []string{"run", "mock", "verify", "merge", "steps", "diff"} {
		code, out, _ := run(t, cmd, "--help")
		assert.Equal(t, exit.OK, code)
		assert.Contains(t, out, "Usage: conformance "+cmd)
		assert.Contains(t, out, "Flags:")
	}
	code, _, errOut := run(t)
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "Exit codes:")
}

// syncBuffer is a goroutine-safe writer that signals each line.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		select {
		case s.lines <- sc.Text():
		default:
		}
	}
	return len(p), nil
}

func TestMockInOneProcessRunInAnother(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{lines: make(chan string, 16)}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"mock", "--baas-signing", "claims,qit"}, out, io.Discard, func(string) string { return "" })
	}()
	urls := map[string]string{}
	for len(urls) < len(providers.Names()) {
		select {
		case line := <-out.lines:
			name, u, ok := strings.Cut(line, " ")
			require.True(t, ok, line)
			_, err := url.Parse(u)
			require.NoError(t, err)
			urls[name] = u
		case <-time.After(10 * time.Second):
			t.Fatalf("conformance mock printed %d URLs", len(urls))
		}
	}
	baseURL := urls["baas"]
	var targets []string
	for _, name := range providers.Names() {
		require.NotEmpty(t, urls[name], "conformance mock printed no URL for %s", name)
		targets = append(targets, "--base-url", name+"="+urls[name])
	}
	code, runOut, errOut := run(t, append([]string{"run"}, targets...)...)
	assert.Equal(t, exit.OK, code, runOut+errOut)
	assert.NotContains(t, runOut, "embedded mock")
	for _, want := range []string{"baas         17/17", "gu1          13/13", "personalinfo 6/6", "pomelo       26/26"} {
		assert.Contains(t, runOut, want+" IDs proven")
	}

	code, verOut, errOut := run(t, append([]string{"verify"}, targets...)...)
	assert.Equal(t, exit.OK, code, verOut+errOut)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exit.OK, code)
	case <-time.After(15 * time.Second):
		t.Fatal("conformance mock did not shut down")
	}
	_, err := http.Get(baseURL + mock.HealthPath)
	assert.Error(t, err, "the mock still answers after shutdown")
}

func TestMockUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mock", "--listen", "baas"}, "want PROVIDER=HOST:PORT"},
		{[]string{"mock", "--listen", "acme=127.0.0.1:0"}, `unknown provider "acme"`},
		{[]string{"mock", "--listen", "baas=nohost"}, "missing port in address"},
		// A mistyped address is a usage error, not a target that could not start (issue 18).
		{[]string{"mock", "--control-token", "a-token-of-16-chars", "--listen", "baas=999.0.0.1:1"}, `host "999.0.0.1" is not an IP address`},
		{[]string{"mock", "--listen", "baas=127.0.0.1:99999"}, `port "99999": want a number from 0 to 65535`},
	} {
		code, _, errOut := run(t, tc.args...)
		assert.Equal(t, exit.Usage, code)
		assert.Contains(t, errOut, tc.want)
	}
	// A port in use is a target that cannot start: exit 3.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	code, _, errOut := run(t, "mock", "--listen", "baas="+ln.Addr().String())
	assert.Equal(t, exit.Unavailable, code)
	assert.Contains(t, errOut, "address already in use")
}

func TestVerify(t *testing.T) {
	t.Run("embedded mock holds every interaction", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "verify.xml")
		code, out, errOut := run(t, "verify", "--junit", junit)
		require.Equal(t, exit.OK, code, out+errOut)
		assert.Contains(t, out, "ok   BAAS-12: a movement validation with an expired token [given a person holds an expired SMS token]")
		assert.Contains(t, out, "ok   KYC-03 KYC-04: an upload of a selfie [given an access token is valid; a KYC session exists]")
		// Every committed interaction, counted from pacts/ rather than written down here.
		all, err := pactfile.ReadDir(filepath.Join("..", "..", "pacts"))
		require.NoError(t, err)
		n := 0
		for _, p := range all {
			n += len(p.Interactions)
		}
		require.GreaterOrEqual(t, n, 40)
		assert.Contains(t, out, fmt.Sprintf("%d passed, 0 failed", n))
		raw, err := os.ReadFile(junit)
		require.NoError(t, err)
		assert.Contains(t, string(raw), fmt.Sprintf(`tests="%d"`, n))
	})
	t.Run("a provider that answers the wrong code fails that interaction", func(t *testing.T) {
		url := baasMock(t, rewriting(`"ACC000134"`, `"ACC000133"`))
		dir := t.TempDir()
		html, doc, summary := filepath.Join(dir, "verify.html"), filepath.Join(dir, "verify.json"), filepath.Join(dir, "summary.md")
		code, out, _ := runEnv(t, map[string]string{"GITHUB_STEP_SUMMARY": summary}, "verify", "--base-url", "baas="+url,
			"--provider", "baas", "--html", html, "--report-json", doc)
		require.Equal(t, exit.Failed, code, out)
		assert.Contains(t, out, "FAIL BAAS-12: a movement validation with an expired token")
		// The same report kinds as run (issue 18): the JSON and its schema, the page, the job summary.
		d, err := report.ReadJSONFile(doc)
		require.NoError(t, err)
		assert.Equal(t, exit.Failed, d.Exit)
		assert.Positive(t, d.Totals.Failed)
		assert.Equal(t, d.Totals.Scenarios, d.Totals.Passed+d.Totals.Failed+d.Totals.Skipped)
		require.Len(t, d.Providers, 1)
		assert.Equal(t, "baas", d.Providers[0].Provider)
		var states = map[string]string{}
		for _, id := range d.Providers[0].IDs {
			states[id.ID] = id.State
		}
		assert.Equal(t, "failed", states["BAAS-12"], "an ID is judged by the interactions that name it")
		assert.Equal(t, "proven", states["BAAS-01"])
		validAgainstReportSchema(t, doc)
		page, err := os.ReadFile(html)
		require.NoError(t, err)
		assert.Contains(t, string(page), "BAAS-12: a movement validation with an expired token")
		assert.Contains(t, string(page), "exit 1")
		md, err := os.ReadFile(summary)
		require.NoError(t, err)
		assert.Contains(t, string(md), "exit 1")
		assert.Contains(t, out, `$.code`)
		assert.Contains(t, out, "8 passed, 1 failed")
	})
	t.Run("a target without control API skips stateful interactions", func(t *testing.T) {
		url := baasMock(t, withoutControl)
		code, out, _ := run(t, "verify", "--base-url", "baas="+url, "--provider", "baas")
		require.Equal(t, exit.OK, code, out)
		assert.Contains(t, out, "3 passed, 0 failed, 6 skipped")
		assert.Contains(t, out, "has no control API")
	})
	t.Run("closed port exits 3", func(t *testing.T) {
		url := closedPort(t)
		code, _, errOut := run(t, "verify", "--base-url", "baas="+url)
		assert.Equal(t, exit.Unavailable, code)
		assert.Contains(t, errOut, url)
	})
	t.Run("unknown provider filter exits 2", func(t *testing.T) {
		code, _, errOut := run(t, "verify", "--provider", "acme")
		assert.Equal(t, exit.Usage, code)
		assert.Contains(t, errOut, `unknown provider "acme"`)
	})
	t.Run("bad pact dir exits 2", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"consumer":{}}`), 0o644))
		code, _, errOut := run(t, "verify", "--pacts", dir)
		assert.Equal(t, exit.Usage, code)
		assert.Contains(t, errOut, "is not a pact file")
		code, _, errOut = run(t, "verify", "--pacts", t.TempDir())
		assert.Equal(t, exit.Usage, code)
		assert.Contains(t, errOut, "no pact files")
	})
}

func TestLinePrompt(t *testing.T) {
	var out bytes.Buffer
	p := LinePrompt(strings.NewReader("123456\nsecond\n"), &out)
	got, err := p("token? ")
	require.NoError(t, err)
	assert.Equal(t, "123456", got)
	assert.Equal(t, "token? ", out.String())
	got, err = p("again? ")
	require.NoError(t, err)
	assert.Equal(t, "second", got)
	_, err = p("more? ")
	assert.ErrorIs(t, err, io.EOF)
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "--version")
	assert.Equal(t, exit.OK, code)
	assert.Regexp(t, `^conformance \S+( commit [0-9a-f]+(\+dirty)?)?( \(\S+\))? go1\.\d+`, out)
}

// TestAnErrorWithoutAdditionalDataIsConformant: BAAS-14 makes additional_data an object when present;
// a target that leaves it out of its 401s breaks neither BAAS-12 nor BAAS-13. One that sends it null
// is named null, not absent.
func TestAnErrorWithoutAdditionalDataIsConformant(t *testing.T) {
	drop := func(replace string) func(http.Handler) http.Handler {
		return rewriting(`"additional_data":{},`, replace) // the mock writes its members sorted
	}
	code, out, _ := run(t, "run", "--base-url", "baas="+baasMock(t, drop("")), "--tags", "@BAAS-12,@BAAS-13")
	assert.Equal(t, exit.OK, code, tail(out))
	code, out, _ = run(t, "run", "--base-url", "baas="+baasMock(t, drop(`"additional_data":null,`)), "--tags", "@BAAS-13")
	assert.Equal(t, exit.Failed, code, tail(out))
	assert.Contains(t, out, "/additional_data: type (Invalid type. Expected: object, given: null)", "null is named null")
	code, out, _ = run(t, "run", "--base-url", "baas="+baasMock(t, drop(`"additional_data":[],`)), "--tags", "@BAAS-13")
	assert.Equal(t, exit.Failed, code, "the rewrite reaches the answer: an array is no object\n"+tail(out))
}

// TestABirthdayAnsweredInTheTablesFormIsConformant: DOC-09 says a target that follows either reading
// of the birthday's format is not failed for it, in its answers as in what it accepts.
func TestABirthdayAnsweredInTheTablesFormIsConformant(t *testing.T) {
	slashed := rewriting(`"birthday":"1990-08-10"`, `"birthday":"1990/08/10"`)
	code, out, _ := run(t, "run", "--base-url", "personalinfo="+mockServer(t, "personalinfo", slashed), "--tags", "@PI-06,@PI-04")
	assert.Equal(t, exit.OK, code, tail(out))
	assert.Contains(t, out, "found: the record's birthday is written 1990/08/10, the table's reading (DOC-09)", "the rewrite reached the answers")
	wrong := rewriting(`"birthday":"1990-08-10"`, `"birthday":"1990.08.10"`)
	code, out, _ = run(t, "run", "--base-url", "personalinfo="+mockServer(t, "personalinfo", wrong), "--tags", "@PI-06")
	assert.Equal(t, exit.Failed, code, "a form neither reading writes still fails\n"+tail(out))
}

// TestBadSelectionsAreUsageErrors: a --tags expression that is no tag expression, or that names a
// catalogue ID the catalogue does not have, and an empty config file, are exit 2 with one line, not
// "nothing proven" nor a silent default run (issue 18).
func TestBadSelectionsAreUsageErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	require.NoError(t, os.WriteFile(empty, []byte("# nothing yet\n"), 0o644))
	for args, want := range map[string]string{
		"run --tags (@gu1":               `"(gu1" is not a tag`,
		"run --tags @BAAS-99":            `BAAS-99 is not in the catalogue`,
		"run --tags @gu1&&~@BAAS-99":     `BAAS-99 is not in the catalogue`,
		"run --config " + empty:          "the file is empty",
		"config check --config " + empty: "the file is empty",
	} {
		code, out, errOut := run(t, strings.Fields(args)...)
		assert.Equal(t, exit.Usage, code, "%s: %s%s", args, out, errOut)
		assert.Contains(t, errOut+out, want, args)
	}
}

// TestVerifyTakesTheCLIsProviderNames: a pact may name its provider as the CLI does (pomelo) as well as
// the committed pacts do (pomelo-identity); an unknown name lists the known ones (issue 18).
func TestVerifyTakesTheCLIsProviderNames(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "pacts", "conformance-pomelo-client-pomelo-identity.json"))
	require.NoError(t, err)
	for name, wantCode := range map[string]int{"pomelo": exit.OK, "pomelo-identity": exit.OK, "pomelo-id": exit.Usage} {
		dir := t.TempDir()
		renamed := bytes.Replace(raw, []byte(`"name": "pomelo-identity"`), []byte(`"name": "`+name+`"`), 1)
		require.True(t, name == "pomelo-identity" || !bytes.Equal(raw, renamed), "the pact names its provider")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "p.json"), renamed, 0o644))
		code, out, errOut := run(t, "verify", "--pacts", dir)
		assert.Equal(t, wantCode, code, "%s: %s%s", name, tail(out), errOut)
		if wantCode == exit.Usage {
			assert.Contains(t, errOut, "known: qitech-baas (baas), gu1 (gu1)")
		}
	}
}

// TestGodogUsersFlagsWork: -t, -c, -d/--definitions, --strict, --random without a seed and -f junit
// without a file work as godog takes them (issue 18).
func TestGodogUsersFlagsWork(t *testing.T) {
	code, out, errOut := run(t, "run", "-t", "@BAAS-12", "-c", "2", "--strict", "--random", "-f", "junit")
	require.Equal(t, exit.OK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "<?xml"), "JUnit alone on the standard output: %.80s", out)
	assert.Contains(t, out, `<testcase name="[BAAS-12] an expired token is refused"`)
	assert.Contains(t, errOut, "Random order: --random ", "the console on the standard error, with the seed picked")
	code, out, _ = run(t, "run", "--definitions")
	require.Equal(t, exit.OK, code)
	assert.Contains(t, out, `^the provider answers (\d{3})$`)
	code, out, _ = run(t, "run", "-d")
	require.Equal(t, exit.OK, code)
	assert.Contains(t, out, "steps/common.go:")
}
