package cli

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xeipuuv/gojsonschema"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/hostile"
	"github.com/latam-conformance/conformance/internal/report"
)

// failingRun runs the whole suite against a BaaS provider that answers ACC000133 where ACC000134 is
// documented (BAAS-12 fails), writing every report, and returns the folder they are in.
func failingRun(t *testing.T) (dir string, out string) {
	t.Helper()
	dir = t.TempDir()
	url := baasMock(t, rewriting(`"ACC000134"`, `"ACC000133"`))
	summary := filepath.Join(dir, "summary.md")
	code, out, errs := runEnv(t, map[string]string{"GITHUB_STEP_SUMMARY": summary}, "run", "--base-url", "baas="+url,
		"--html", filepath.Join(dir, "report.html"), "--report-json", filepath.Join(dir, "report.json"), "--junit", filepath.Join(dir, "junit.xml"))
	require.Equal(t, exit.Failed, code, out+errs)
	return dir, out
}

// externalLoad finds what in a page could make a browser fetch something: an element that loads, a
// CSS url() or @import, a link anywhere but inside the page.
var externalLoad = regexp.MustCompile(`(?i)<(script|link|img|iframe|object|embed|video|audio|source|base|form)\b|\bsrc\s*=|url\s*\(|@import|href\s*=\s*"[^#"]`)

func TestHTMLJSONAndSummaryReportsOfAFailingRun(t *testing.T) {
	// Heavy and independent: it overlaps the package's other heavy tests (make test's longest package).
	t.Parallel()
	dir, _ := failingRun(t)
	cat, err := catalogue.Load()
	require.NoError(t, err)

	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	html := string(page)
	for _, e := range cat.Entries {
		assert.Contains(t, html, `<tr id="`+e.ID+`">`, "the HTML report's matrix names every catalogue ID")
	}
	for _, f := range cat.Findings {
		assert.Contains(t, html, ">"+f.ID+"<", "and every documentation finding")
	}
	assert.Empty(t, externalLoad.FindAllString(html, -1), "nothing in the page loads anything")
	assert.Contains(t, html, `content="default-src 'none'; style-src 'unsafe-inline'"`, "and its CSP forbids any load")
	assert.Contains(t, html, "exit 1")
	assert.Contains(t, html, "an expired token is refused", "the failure is listed")
	assert.Contains(t, html, "POST /baas/movement_validation", "with its request")
	assert.Contains(t, html, "ACC000133", "and its answer")
	assert.Contains(t, html, "Authorization: [REDACTED]", "credentials masked")
	assert.NotContains(t, html, "Bearer ey", "no token")

	raw := validAgainstReportSchema(t, filepath.Join(dir, "report.json"))
	var doc report.Document
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, exit.Failed, doc.Exit)
	assert.Equal(t, doc.Totals.Scenarios, doc.Totals.Passed+doc.Totals.Failed+doc.Totals.Skipped+doc.Totals.Waived+doc.Totals.NotJudged+doc.Totals.Undefined)
	assert.Equal(t, 1, doc.Totals.Failed)
	var baas12 *report.IDDoc
	ids := 0
	for _, p := range doc.Providers {
		for i := range p.IDs {
			ids++
			if p.IDs[i].ID == "BAAS-12" {
				baas12 = &p.IDs[i]
			}
		}
	}
	assert.Equal(t, len(cat.Entries), ids, "every catalogue ID, once")
	require.NotNil(t, baas12)
	assert.Equal(t, report.Broken, baas12.State)
	require.NotEmpty(t, baas12.Scenarios)
	for _, s := range doc.Scenarios {
		if s.Status == report.Failed {
			require.NotNil(t, s.Exchange, "a failure carries its exchange")
			assert.Equal(t, 401, s.Exchange.Status)
			assert.Contains(t, s.Exchange.ResponseBody, "ACC000133")
			assert.Equal(t, "[REDACTED]", s.Exchange.RequestHeaders["Authorization"])
		} else {
			assert.Nil(t, s.Exchange, "only failures carry an exchange")
		}
	}

	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## ❌ Conformance: exit 1")
	assert.Contains(t, string(md), "### Failures by catalogue ID")
	assert.Contains(t, string(md), "- **BAAS-12**")
	for _, p := range doc.Providers {
		assert.Contains(t, string(md), fmt.Sprintf("| %d / %d |", p.Proven, p.Required))
	}
}

func TestTheExternalLoadCheckCatchesLoads(t *testing.T) {
	for _, bait := range []string{`<img src="x.png">`, `<link rel=stylesheet href="http://x/a.css">`,
		`<style>body{background:url(http://x/)}</style>`, `<a href="https://x">`, `<script>`, `@import "x.css"`} {
		assert.NotEmpty(t, externalLoad.FindAllString(bait, -1), bait)
	}
	assert.Empty(t, externalLoad.FindAllString(`<a href="#BAAS-01">`, -1))
}

// The page in a real headless Chromium (Debian's): it renders the catalogue, and Chromium's network
// log shows no load that the page started. Chromium's own background requests ("initiator: not an
// origin") are not the page's. With CONFORMANCE_REQUIRE_CHROMIUM=1 (make html-check) a missing browser
// fails instead of skipping; CONFORMANCE_SCREENSHOT=FILE keeps a screenshot to look at.
func TestHTMLReportInHeadlessChromium(t *testing.T) {
	browser := ""
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(b); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		if os.Getenv("CONFORMANCE_REQUIRE_CHROMIUM") != "" {
			t.Fatal("no chromium on PATH (apt-get install chromium)")
		}
		t.Skip("no chromium on PATH; make html-check installs it")
	}
	dir, _ := failingRun(t)
	page := filepath.Join(dir, "report.html")

	dom, pageLoads := chromium(t, browser, page, os.Getenv("CONFORMANCE_SCREENSHOT"))
	assert.Contains(t, dom, "Catalogue coverage")
	assert.Contains(t, dom, "BAAS-12")
	assert.Contains(t, dom, "an expired token is refused")
	assert.Empty(t, pageLoads, "requests the page made")

	// The same check sees a page that loads something.
	bait := filepath.Join(dir, "bait.html")
	require.NoError(t, os.WriteFile(bait, []byte(`<!DOCTYPE html><p>bait</p><img src="http://127.0.0.1:9/x.png">`), 0o644))
	_, baitLoads := chromium(t, browser, bait, "")
	assert.NotEmpty(t, baitLoads, "the network log shows a load the page starts")
	t.Logf("the bait page loaded %v", baitLoads)
}

// chromium renders file in a fresh headless Chromium and returns its DOM and the URLs of requests the
// page started (from the network log).
func chromium(t *testing.T, browser, file, screenshot string) (string, []string) {
	t.Helper()
	tmp := t.TempDir()
	netlog := filepath.Join(tmp, "netlog.json")
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(tmp, "profile"), "--log-net-log=" + netlog, "--window-size=1280,1600"}
	if screenshot != "" {
		shot := exec.Command(browser, append(args, "--screenshot="+screenshot, "file://"+file)...)
		out, err := shot.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	cmd := exec.Command(browser, append(args, "--dump-dom", "file://"+file)...)
	dom, err := cmd.Output()
	require.NoError(t, err)
	raw, err := os.ReadFile(netlog)
	require.NoError(t, err)
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int            `json:"type"`
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	// Chromium may leave the log without its closing brackets when it exits at once.
	if json.Unmarshal(raw, &log) != nil {
		text := strings.TrimSuffix(strings.TrimSpace(string(raw)), ",") + "]}"
		require.NoError(t, json.Unmarshal([]byte(text), &log), "chromium's net log")
	}
	start := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	require.NotZero(t, start)
	var loads []string
	for _, e := range log.Events {
		if e.Type != start {
			continue
		}
		u, _ := e.Params["url"].(string)
		if u == "" {
			continue
		}
		if init, _ := e.Params["initiator"].(string); init != "not an origin" && !strings.HasPrefix(u, "file://") {
			loads = append(loads, u)
		}
	}
	return string(dom), loads
}

// TestEveryReportCountsTheSameRun: one run with passed, failed, waived and not judged scenarios (a BaaS
// answer rewritten, a waived Pomelo deviation, a gu1 target that dies) writes every report, and each
// counts what the run counts: the console, JUnit, cucumber JSON, HTML, JSON and the job summary. A
// waived scenario is failed in none of them, and the HTML page lists as failures only what failed
// (issue 18).
func TestEveryReportCountsTheSameRun(t *testing.T) {
	dir := t.TempDir()
	waivers := filepath.Join(dir, "waivers.yaml")
	require.NoError(t, os.WriteFile(waivers, []byte("waivers:\n  - id: KYC-11\n    reason: the sandbox ignores descending sorts (PMO-123)\n    expires: 2099-12-31\n"), 0o644))
	gu1 := hostile.New(t, mockServer(t, "gu1", nil), hostile.DieAfter(12))
	files := map[string]string{}
	for _, k := range []string{"junit.xml", "cucumber.json", "report.html", "report.json", "summary.md"} {
		files[k] = filepath.Join(dir, k)
	}
	code, out, errOut := runEnv(t, map[string]string{"GITHUB_STEP_SUMMARY": files["summary.md"]}, "run",
		"--base-url", "baas="+baasMock(t, rewriting(`"ACC000134"`, `"ACC000133"`)),
		"--base-url", "pomelo="+mockServer(t, "pomelo", ignoringDescendingSort), "--base-url", "gu1="+gu1.URL,
		"--tags", "@BAAS-12,@KYC-11,@gu1", "--waivers", waivers, "--junit", files["junit.xml"],
		"--cucumber-json", files["cucumber.json"], "--html", files["report.html"], "--report-json", files["report.json"])
	require.Equal(t, exit.Unavailable, code, "a target died: %s", errOut)

	doc, err := report.ReadJSONFile(files["report.json"])
	require.NoError(t, err)
	want := doc.Totals
	t.Logf("totals %+v", want)
	require.Positive(t, want.Passed, "%+v", want)
	require.Positive(t, want.Failed, "%+v", want)
	require.Positive(t, want.Waived, "%+v", want)
	require.Positive(t, want.NotJudged, "%+v", want)
	assert.Equal(t, want, report.CountTotals(scenariosOf(doc)), "the JSON's totals are its scenarios'")

	// Console: the harness's line, and no other count of scenarios.
	m := regexp.MustCompile(`== conformance: (\d+) scenarios: (\d+) passed, (\d+) failed, (\d+) skipped, (\d+) undefined, (\d+) waived, (\d+) not judged`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, fmt.Sprint(want.Scenarios, want.Passed, want.Failed, want.Skipped, want.Undefined, want.Waived, want.NotJudged),
		strings.Join(m[1:], " "), "console")
	assert.NotRegexp(t, `(?m)^\d+ scenarios \(`, out, "godog's own totals are not printed beside the harness's")

	// JUnit: failures are the failed, errors the not judged (and undefined), skipped the skipped and waived.
	raw, err := os.ReadFile(files["junit.xml"])
	require.NoError(t, err)
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	require.NoError(t, xml.Unmarshal(raw, &suites))
	assert.Equal(t, [4]int{want.Scenarios, want.Failed, want.NotJudged + want.Undefined, want.Skipped + want.Waived},
		[4]int{suites.Tests, suites.Failures, suites.Errors, suites.Skipped}, "JUnit")

	// Cucumber JSON, counted as cucumber-html-reporter does: a scenario with a failed step failed, else
	// one with a skipped step skipped, else passed.
	raw, err = os.ReadFile(files["cucumber.json"])
	require.NoError(t, err)
	var features []struct {
		Elements []struct {
			Steps []struct {
				Result struct{ Status string } `json:"result"`
			} `json:"steps"`
		} `json:"elements"`
	}
	require.NoError(t, json.Unmarshal(raw, &features))
	cuke := map[string]int{}
	for _, f := range features {
		for _, e := range f.Elements {
			st := "passed"
			for _, s := range e.Steps {
				if s.Result.Status == "failed" || (s.Result.Status != "passed" && st == "passed") {
					st = s.Result.Status
				}
			}
			cuke[st]++
		}
	}
	assert.Equal(t, map[string]int{"passed": want.Passed, "failed": want.Failed, "skipped": want.Skipped + want.Waived + want.NotJudged},
		cuke, "cucumber JSON")

	// HTML: the totals, the failures section (failed only), not judged grouped by cause, waived apart.
	page, err := os.ReadFile(files["report.html"])
	require.NoError(t, err)
	html := string(page)
	for label, n := range map[string]int{"scenarios": want.Scenarios, "passed": want.Passed, "failed": want.Failed,
		"skipped": want.Skipped, "waived": want.Waived, "not judged": want.NotJudged} {
		assert.Contains(t, html, fmt.Sprintf("<b>%d</b> %s</span>", n, label), "HTML totals")
	}
	assert.Contains(t, html, fmt.Sprintf(">Failures (%d)</h2>", want.Failed))
	assert.Equal(t, want.Failed, strings.Count(html, `<div class="failure">`), "only failures are failure cards")
	assert.Contains(t, html, fmt.Sprintf(">Not judged (%d): ", want.NotJudged))
	assert.Less(t, strings.Count(html, `<div class="failure nj">`), want.NotJudged, "not judged scenarios are grouped by cause")
	assert.Contains(t, html, fmt.Sprintf(">Waived (%d): ", want.Waived))
	assert.Less(t, strings.Index(html, `<table id="summary">`), strings.Index(html, `id="failures"`), "the coverage summary is near the top")
	for _, p := range doc.Providers {
		assert.Contains(t, html, fmt.Sprintf(`<a href="#provider-%s">`, p.Provider))
	}

	// Job summary: the totals row.
	raw, err = os.ReadFile(files["summary.md"])
	require.NoError(t, err)
	assert.Contains(t, string(raw), fmt.Sprintf("| %d | %d | %d | %d | %d | %d | %d |", want.Scenarios, want.Passed, want.Failed,
		want.Skipped, want.Undefined, want.Waived, want.NotJudged), "job summary")
}

// scenariosOf gives the JSON report's scenarios back as results, to count them.
func scenariosOf(d *report.Document) []report.Scenario {
	out := make([]report.Scenario, 0, len(d.Scenarios))
	for _, s := range d.Scenarios {
		out = append(out, report.Scenario{Status: s.Status})
	}
	return out
}

// validAgainstReportSchema checks the JSON report at path against schemas/report.schema.json and
// returns its bytes.
func validAgainstReportSchema(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	schemaPath, err := filepath.Abs("../../schemas/report.schema.json")
	require.NoError(t, err)
	res, err := gojsonschema.Validate(gojsonschema.NewReferenceLoader("file://"+schemaPath), gojsonschema.NewBytesLoader(raw))
	require.NoError(t, err)
	assert.True(t, res.Valid(), "the JSON report follows schemas/report.schema.json: %v", res.Errors())
	return raw
}
