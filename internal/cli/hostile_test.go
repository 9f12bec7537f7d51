package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/hostile"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/runner"
)

// hostileConfig writes a mock-kind configuration that points every provider at a hostile target made
// by behaviour in front of the mocks at urls, with the production hosts given.
func hostileConfig(t *testing.T, urls map[string]string, behaviour func(provider string) hostile.Behaviour, production ...string) (string, map[string]*hostile.Server) {
	t.Helper()
	servers := map[string]*hostile.Server{}
	var b strings.Builder
	fmt.Fprintf(&b, "production_hosts: [%s]\nproviders:\n", strings.Join(production, ", "))
	for _, name := range providers.Names() {
		servers[name] = hostile.New(t, urls[name], behaviour(name))
		fmt.Fprintf(&b, "  %s:\n    base_url: %s\n", name, servers[name].URL)
	}
	return writeConfig(t, b.String()), servers
}

// TestRedirectsAreNeverFollowed: a target that answers every call with a redirect to a declared
// production host (a loopback address that counts what reaches it) fails every scenario naming the
// status and the Location, and not one request reaches that host, in run or in verify.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	urls := startMockProcess(t)
	prod := hostile.NewCounter(t, "127.0.0.2:0")
	// The whole suite through a 302 (the body dropped, were it followed) and a 307 (the body sent again);
	// one scenario of each provider's every kind of call through the others: the client never follows
	// any 3xx, so whole suites of them cost a minute and a half under -race and prove nothing more.
	for _, tc := range []struct {
		status int
		tags   string
	}{{301, "@BAAS-11,@KYC-03,@GU1-01,@PI-01"}, {302, ""}, {303, "@BAAS-11,@KYC-03,@GU1-01,@PI-01"}, {307, ""}, {308, "@BAAS-11,@KYC-03,@GU1-01,@PI-01"}} {
		status := tc.status
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			cfg, _ := hostileConfig(t, urls, func(string) hostile.Behaviour { return hostile.Redirect(status, prod.URL) }, "127.0.0.2")
			junit := filepath.Join(t.TempDir(), "junit.xml")
			// A generous per-request deadline: a verdict here must not depend on how busy the machine is.
			args := []string{"run", "--config", cfg, "--concurrency", "8", "--junit", junit, "--timeout", "60s"}
			if tc.tags != "" {
				args = append(args, "--tags", tc.tags)
			}
			code, out, errOut := run(t, args...)
			assert.Equal(t, exit.Failed, code, errOut)
			assert.Contains(t, out, fmt.Sprintf("answered %d, a redirect to http://127.0.0.2:", status))
			assert.Contains(t, out, "?… (a query of ", "the Location's query, where the target echoes what it was sent, is not shown")
			assert.Contains(t, out, "which its documents do not show; the harness never follows a redirect")
			// The only scenarios that pass never ask the target: they test the harness's own webhook receiver.
			for _, tc := range junitCases(t, junit) {
				if tc.Failure == nil && tc.Skipped == nil && tc.Error == nil {
					assert.Equal(t, "pomelo/webhooks", tc.Classname, "%s passed through a redirect", tc.Name)
					assert.Contains(t, tc.Name, "notification", tc.Name)
				}
			}
			code, out, _ = run(t, "verify", "--config", cfg)
			assert.Equal(t, exit.Failed, code, tail(out))
			assert.Contains(t, out, fmt.Sprintf("answered %d, a redirect to", status))
		})
	}
	assert.Equal(t, int64(0), prod.Hits.Load(), "requests that reached the production host")
}

// TestPomeloOnlyRunThroughARedirectFails is the run that used to exit 0: the Pomelo suite through a 308.
func TestPomeloOnlyRunThroughARedirectFails(t *testing.T) {
	upstream := mockServer(t, "pomelo", nil)
	h := hostile.New(t, upstream, hostile.Redirect(http.StatusPermanentRedirect, upstream))
	code, out, _ := run(t, "run", "--base-url", "pomelo="+h.URL, "--tags", "@pomelo")
	assert.Equal(t, exit.Failed, code)
	assert.Contains(t, out, "answered 308, a redirect to "+upstream)
}

// TestNothingProvenIsNotGreen: a run in which no scenario passed, or none was selected, and a verify
// in which no interaction was verified end with exit 4 and say why.
func TestNothingProvenIsNotGreen(t *testing.T) {
	code, _, errOut := run(t, "run", "--tags", "@NOPE-99")
	assert.Equal(t, exit.NothingProven, code)
	assert.Contains(t, errOut, `nothing proven: no scenario of the embedded suite matches --tags "@NOPE-99"`)

	noControl := mockServer(t, "pomelo", withoutControl)
	code, out, errOut := run(t, "run", "--base-url", "pomelo="+noControl, "--tags", "@pomelo && @control")
	assert.Equal(t, exit.NothingProven, code, tail(out))
	assert.Contains(t, errOut, "nothing proven: no scenario passed (")
	assert.Contains(t, out, "needs the mock control API (@control)")

	// A pact dir holding only interactions that need provider states, against a target without a
	// control API: every one is skipped.
	raw, err := os.ReadFile(filepath.Join("..", "..", "pacts", "conformance-gu1-client-gu1.json"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	var stateful []any
	for _, in := range doc["interactions"].([]any) {
		if states, _ := in.(map[string]any)["providerStates"].([]any); len(states) > 0 {
			stateful = append(stateful, in)
		}
	}
	require.NotEmpty(t, stateful)
	doc["interactions"] = stateful
	dir := t.TempDir()
	b, _ := json.Marshal(doc)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gu1.json"), b, 0o644))
	code, out, errOut = run(t, "verify", "--pacts", dir, "--base-url", "gu1="+mockServer(t, "gu1", withoutControl))
	assert.Equal(t, exit.NothingProven, code, tail(out))
	assert.Contains(t, errOut, fmt.Sprintf("nothing proven: no interaction was verified (%d skipped of %d", len(stateful), len(stateful)))
}

// TestATargetThatDiesMidRunIsInfrastructure: a target killed in the middle of a run ends as exit 3
// naming it; the scenarios it left are not judged (not failures of their IDs), in one line with a count.
func TestATargetThatDiesMidRunIsInfrastructure(t *testing.T) {
	h := hostile.New(t, mockServer(t, "baas", nil), hostile.DieAfter(40))
	code, out, errOut := run(t, "run", "--base-url", "baas="+h.URL, "--tags", "@baas")
	assert.Equal(t, exit.Unavailable, code, tail(out))
	assert.Regexp(t, `^conformance: the baas target `+h.URL+` stopped answering \([^)]+\): \d+ scenarios not judged\n$`, errOut)
	assert.Contains(t, out, "Not judged (no answer to judge: infrastructure, not conformance")
	assert.Regexp(t, `\d+ passed, 0 failed, 0 skipped, 0 undefined, \d+ not judged`, out)
	assert.NotContains(t, out, "failed: BAAS", "no catalogue ID is failed for a dead target")
	assert.Contains(t, out, "not judged: BAAS-")
	// Each scenario in flight when the target died shows its own error (godog's failed steps); the
	// scenarios after it are collapsed into the summary's lines.
	assert.LessOrEqual(t, strings.Count(out, "connection refused")+strings.Count(out, "EOF"), runner.MockInFlight+12,
		"transport errors are collapsed, not repeated per scenario")
}

// TestATargetThatStopsAnsweringIsInfrastructure: a target that accepts but never answers, once it was
// reached, is the same: exit 3, not judged.
func TestATargetThatStopsAnsweringIsInfrastructure(t *testing.T) {
	h := hostile.New(t, mockServer(t, "gu1", nil), hostile.HangAfter(10, 20*time.Second))
	start := time.Now()
	code, out, errOut := run(t, "run", "--base-url", "gu1="+h.URL, "--tags", "@gu1", "--timeout", "300ms")
	assert.Equal(t, exit.Unavailable, code, tail(out))
	assert.Contains(t, errOut, "the gu1 target "+h.URL+" stopped answering")
	assert.Contains(t, out, "0 failed")
	assert.Less(t, time.Since(start), 15*time.Second, "the run gave up on the silent target")
}

// slow forwards every provider request after a pause.
func slow(d time.Duration) hostile.Behaviour {
	return func(_ *hostile.Server, w http.ResponseWriter, _ *http.Request, _ []byte, forward func() hostile.Answer) {
		time.Sleep(d)
		forward().WriteTo(w)
	}
}

// TestReportsSurviveInterruption: --run-timeout and a signal still write JUnit, cucumber JSON and the
// recording, for what finished, the rest marked not judged; the exit code says which.
func TestReportsSurviveInterruption(t *testing.T) {
	h := hostile.New(t, mockServer(t, "gu1", nil), slow(40*time.Millisecond))
	for _, tc := range []struct {
		name string
		args []string
		stop func(cancel context.CancelCauseFunc)
		code int
		why  string
	}{
		{"run-timeout", []string{"--run-timeout", "1500ms"}, nil, exit.Unavailable, "the run hit its time limit (--run-timeout 1.5s)"},
		{"SIGINT", nil, func(cancel context.CancelCauseFunc) {
			time.Sleep(1500 * time.Millisecond)
			cancel(exit.Signal("SIGINT", 2))
		}, 130, "the run was interrupted by SIGINT"},
		{"SIGTERM", nil, func(cancel context.CancelCauseFunc) {
			time.Sleep(1500 * time.Millisecond)
			cancel(exit.Signal("SIGTERM", 15))
		}, 143, "the run was interrupted by SIGTERM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			junit, cucumber, rec := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cucumber.json"), filepath.Join(dir, "rec")
			args := append([]string{"run", "--base-url", "gu1=" + h.URL, "--tags", "@gu1", "--concurrency", "1",
				"--junit", junit, "--cucumber-json", cucumber, "--record", rec,
				"--report-json", filepath.Join(dir, "report.json"), "--html", filepath.Join(dir, "report.html")}, tc.args...)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tc.stop != nil {
				go tc.stop(cancel)
			}
			var out, errb strings.Builder
			code := Main(ctx, args, &out, &errb, func(string) string { return "" })
			assert.Equal(t, tc.code, code, out.String()+errb.String())
			assert.Contains(t, errb.String(), "the reports hold them, the rest marked not judged")

			x, err := os.ReadFile(junit)
			require.NoError(t, err, "JUnit written")
			assert.Contains(t, string(x), `type="not-judged"`)
			assert.Contains(t, string(x), tc.why)
			assert.Regexp(t, `<testcase name="\[GU1-[^"]+" classname="[^"]+" time="[0-9.]+">\s*<properties>`, string(x), "finished scenarios are in it")
			c, err := os.ReadFile(cucumber)
			require.NoError(t, err, "cucumber JSON written")
			var features []any
			require.NoError(t, json.Unmarshal(c, &features), "a whole document")
			assert.Contains(t, string(c), "not judged: "+tc.why)
			r, err := os.ReadFile(filepath.Join(rec, "exchanges.jsonl"))
			require.NoError(t, err, "recording written")
			lines := strings.Split(strings.TrimSpace(string(r)), "\n")
			assert.Greater(t, len(lines), 3)
			assert.Contains(t, lines[len(lines)-1], `"interrupted":"`+tc.why)
			doc, err := report.ReadJSONFile(filepath.Join(dir, "report.json"))
			require.NoError(t, err, "JSON report written")
			assert.Equal(t, tc.code, doc.Exit, "the JSON report's exit is the process's, never 0 for a stopped run")
			assert.Equal(t, tc.why, doc.Stopped)
			assert.Greater(t, doc.Totals.NotJudged, 0)
			page, err := os.ReadFile(filepath.Join(dir, "report.html"))
			require.NoError(t, err, "HTML report written")
			assert.Contains(t, string(page), "The run stopped early: "+tc.why)

			// A merge of that stopped run is not green either.
			mcode, mout, _ := run(t, "merge", filepath.Join(dir, "report.json"))
			assert.Equal(t, exit.Unavailable, mcode, mout)
			leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
			leftovers2, _ := filepath.Glob(filepath.Join(rec, ".*"))
			assert.Empty(t, append(leftovers, leftovers2...), "no temporary file is left behind")
		})
	}
}

// TestAnAnswerTheHarnessCannotJudgeNeverPasses: an answer padded past the reading limit (plain, gzip
// bomb, endless) and JSON declared as another media type fail, naming the limit or the type.
func TestAnAnswerTheHarnessCannotJudgeNeverPasses(t *testing.T) {
	upstream := mockServer(t, "gu1", nil)
	for _, tc := range []struct {
		name string
		b    hostile.Behaviour
		want string
	}{
		{"padded", hostile.Pad(9<<20, false), "with a body over the 8 MiB the harness reads (after decompression)"},
		{"gzip bomb", hostile.Pad(16<<20, true), "with a body over the 8 MiB the harness reads (after decompression)"},
		{"endless", hostile.Pad(1<<40, false), "with a body over the 8 MiB the harness reads"},
		{"html", hostile.MediaType("text/html; charset=utf-8"), `with "text/html; charset=utf-8"; its documents describe a JSON answer`},
		// Only answers with a status member are doubled: the 401s of GU1-01 still pass.
		{"a member twice", duplicating("status", `"rejected"`), `with the member /status twice ("rejected", then "pending")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostile.New(t, upstream, tc.b)
			// 60 s per request: reading 9 to 16 MiB of padding or a gzip bomb on a busy runner is slow,
			// and a client timeout would turn the verdict (1) into "not judged" (3).
			// The three scenarios of GU1-03 for the bodies of 9 MiB and more (each answer costs seconds under
			// -race), the seven of GU1-01 and GU1-03 for the rest.
			tags := "@GU1-01,@GU1-03"
			if strings.Contains(tc.want, "8 MiB") {
				tags = "@GU1-03"
			}
			code, out, _ := run(t, "run", "--base-url", "gu1="+h.URL, "--tags", tags, "--timeout", "60s")
			assert.Equal(t, exit.Failed, code, tail(out))
			if tc.name != "a member twice" {
				assert.Regexp(t, `\d+ scenarios: 0 passed`, out)
			}
			assert.Contains(t, out, tc.want)
		})
	}
}

// TestVerifyJudgesAnswersAgainstTheSchemas: an answer that Pact's matchers accept but the schema does
// not (a registration_date of the right shape that is no date) fails the interaction.
func TestVerifyJudgesAnswersAgainstTheSchemas(t *testing.T) {
	upstream := mockServer(t, "baas", nil)
	h := hostile.New(t, upstream, func(_ *hostile.Server, w http.ResponseWriter, r *http.Request, _ []byte, forward func() hostile.Answer) {
		a := forward()
		body := string(a.Body)
		if r.URL.Path == "/baas/movement_validation" && a.Status == http.StatusOK {
			var doc map[string]any
			require.NoError(t, json.Unmarshal(a.Body, &doc))
			doc["return_response"].(map[string]any)["person"].(map[string]any)["registration_date"] = "2023-13-45"
			b, _ := json.Marshal(doc)
			body = string(b)
		}
		a.Body = []byte(body)
		a.WriteTo(w)
	})
	code, out, _ := run(t, "verify", "--base-url", "baas="+h.URL, "--provider", "baas")
	assert.Equal(t, exit.Failed, code, tail(out))
	assert.Contains(t, out, "/return_response/person/registration_date: format")
	assert.Regexp(t, `== verify: \d+ interactions: \d+ passed, 1 failed`, out, "only the interaction whose answer breaks the schema")
}

type junitTestcase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Failure   *struct{} `xml:"failure"`
	Skipped   *struct{} `xml:"skipped"`
	Error     *struct{} `xml:"error"`
}

// junitCases reads every testcase of a JUnit report.
func junitCases(t *testing.T, path string) []junitTestcase {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Suites []struct {
			Cases []junitTestcase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(raw, &doc))
	var out []junitTestcase
	for _, s := range doc.Suites {
		out = append(out, s.Cases...)
	}
	require.NotEmpty(t, out)
	return out
}

// tail is the end of a long output, for a failure message.
func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// seedAnswering is a BaaS provider whose movement validation answers seed 004's 200 example verbatim,
// the request's person echoed into it, as a provider that follows its documents would.
func seedAnswering(t *testing.T) func(http.Handler) http.Handler {
	seed, err := os.ReadFile(filepath.Join("..", "..", "clients", "baas", "testdata", "movement_validation.200.json"))
	require.NoError(t, err)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			if r.URL.Path != "/baas/movement_validation" || rec.Code != http.StatusOK {
				hostile.Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}.WriteTo(w)
				return
			}
			var req struct {
				PersonCreation struct{ Person map[string]any } `json:"person_creation"`
			}
			require.NoError(t, json.Unmarshal(body, &req))
			sent := req.PersonCreation.Person
			var doc map[string]any
			require.NoError(t, json.Unmarshal(seed, &doc))
			rr := doc["return_response"].(map[string]any)
			for _, k := range []string{"birth_place", "document_identification_number", "email", "father_name", "mother_name",
				"nationality", "profession", "is_pep", "gender", "marital_status"} {
				if v, ok := sent[k]; ok {
					rr[k] = v
				}
			}
			rr["date_of_birth"] = sent["date_of_birth"].(string) + "T00:00:00"
			p := rr["person"].(map[string]any)
			p["name"], p["document_number"] = sent["name"], sent["document_number"]
			p["person_type"].(map[string]any)["enumerator"] = sent["person_type"]
			if addr, ok := sent["address"].(map[string]any); ok {
				addr["created_at"] = p["address"].(map[string]any)["created_at"]
				p["address"] = addr
			} else {
				p["address"] = nil
			}
			phone := p["phone"].([]any)[0].(map[string]any)
			for k, v := range sent["phone_number"].(map[string]any) {
				phone[k] = v
			}
			out, _ := json.Marshal(doc)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out)
		})
	}
}

// TestTheSeedsAnswerIsNoDrift: a provider answering movement validation exactly as seed 004's example
// does passes with --strict-drift: schema, mock and contract carry every member of it.
func TestTheSeedsAnswerIsNoDrift(t *testing.T) {
	url := mockServer(t, "baas", seedAnswering(t))
	code, out, errOut := run(t, "run", "--base-url", "baas="+url, "--tags", "@BAAS-11,@BAAS-15 && ~@BAAS-17", "--strict-drift")
	require.Equal(t, exit.OK, code, tail(out)+errOut)
	assert.NotContains(t, out, "Drift")
	assert.Regexp(t, `[1-9]\d* scenarios: [1-9]\d* passed, 0 failed`, out)
}

// TestAQITSchemeThatBreaksIsNotSkipped: a target that answers every string_to_sign call with a 500 has
// not refused the scheme (that is GDF000014, DOC-17), so BAAS-17 is not skipped as unsupported: its
// scenarios run and fail on that answer, and the run is not green however the rest passes.
func TestAQITSchemeThatBreaksIsNotSkipped(t *testing.T) {
	h := hostile.New(t, mockServer(t, "baas", nil), func(_ *hostile.Server, w http.ResponseWriter, r *http.Request, _ []byte, forward func() hostile.Answer) {
		if strings.HasPrefix(r.Header.Get("Authorization"), "QIT ") {
			http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
			return
		}
		forward().WriteTo(w)
	})
	code, out, _ := run(t, "run", "--base-url", "baas="+h.URL, "--tags", "@BAAS-01,@BAAS-17")
	assert.Equal(t, exit.Failed, code, tail(out))
	assert.NotContains(t, out, "does not accept the string_to_sign scheme")
	assert.Regexp(t, `failed: [^\n]*BAAS-17`, out)
}

// duplicating answers every JSON object answer with member sent once more, first, holding first: the
// last value is the upstream's, which Go would keep, while a reader of the first value sees another.
func duplicating(member, first string) hostile.Behaviour {
	return func(_ *hostile.Server, w http.ResponseWriter, _ *http.Request, _ []byte, forward func() hostile.Answer) {
		a := forward()
		if b := bytes.TrimSpace(a.Body); len(b) > 1 && b[0] == '{' && bytes.Contains(b, []byte(`"`+member+`"`)) {
			a.Body = append([]byte(`{"`+member+`":`+first+`,`), b[1:]...)
			a.Header.Del("Content-Length")
		}
		a.WriteTo(w)
	}
}
