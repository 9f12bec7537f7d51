package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/features"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/hostile"
	"github.com/latam-conformance/conformance/internal/mock"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
	mockgu1 "github.com/latam-conformance/conformance/internal/mock/gu1"
	mockpi "github.com/latam-conformance/conformance/internal/mock/personalinfo"
	mockpomelo "github.com/latam-conformance/conformance/internal/mock/pomelo"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/randid"
	"github.com/latam-conformance/conformance/internal/redact"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "conformance.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// startMockProcess runs 'conformance mock' as another command would, and returns each provider's URL.
func startMockProcess(t *testing.T, flags ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{lines: make(chan string, 16)}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"mock"}, flags...), out, io.Discard, func(string) string { return "" })
	}()
	t.Cleanup(func() { cancel(); <-done })
	urls := map[string]string{}
	for len(urls) < len(providers.Names()) {
		select {
		case line := <-out.lines:
			if name, u, ok := strings.Cut(line, " "); ok && strings.HasPrefix(u, "http") {
				urls[name] = u
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("conformance mock printed %d URLs", len(urls))
		}
	}
	return urls
}

func TestSandboxRunWithRealCredentialsSkipsExactlyTheControlScenarios(t *testing.T) {
	// Tokens live 4 s, and the configuration says so: BAAS-12 waits that long for one to expire. The
	// fixture flows notify a receiver this run listens on (KYC-14).
	hook, err := freeLoopbackURL("/hooks/pomelo")
	require.NoError(t, err)
	hookURL, err := url.Parse(hook)
	require.NoError(t, err)
	urls := startMockProcess(t, "--baas-signing", "claims,qit", "--token-ttl", "4s", "--pomelo-webhook-url", hook)
	// The SMS token reaches a file, as a person or a gateway hook would write it (see smsRelay).
	tokenFile := filepath.Join(t.TempDir(), "sms.txt")
	smsRelay(t, urls["baas"], tokenFile)
	cfg := writeConfig(t, fmt.Sprintf(`target: sandbox
providers:
  baas:
    base_url: %s
    rate_limit: 200
    credentials:
      api_client_key: env:QITECH_API_CLIENT_KEY
      private_key: env:QITECH_PRIVATE_KEY
    options:
      sms_token_file: `+tokenFile+`
      signing: claims,qit
      token_ttl: 4s
  gu1:
    base_url: %s
    rate_limit: 200
    credentials:
      api_key: env:GU1_KEY
      api_key_no_kyc: env:GU1_NOKYC_KEY
  personalinfo:
    base_url: %s
    credentials:
      token: env:PI_TOKEN
  pomelo:
    base_url: %s
    rate_limit: 200
    credentials:
      client_id: env:POMELO_ID
      client_secret: env:POMELO_SECRET
    options:
      flows: `+mockpomelo.FixtureFlows()+`
      webhook_url: `+hook+`
      webhook_listen: `+hookURL.Host+`
`, urls["baas"], urls["gu1"], urls["personalinfo"], urls["pomelo"]))
	env := map[string]string{"GU1_KEY": mockgu1.APIKey, "GU1_NOKYC_KEY": mockgu1.APIKeyNoKYC, "PI_TOKEN": mockpi.Token,
		"POMELO_ID": mockpomelo.ClientID, "POMELO_SECRET": mockpomelo.ClientSecret,
		"QITECH_API_CLIENT_KEY": mockbaas.APIClientKey, "QITECH_PRIVATE_KEY": mockbaas.FixturePrivateKeyPEM}

	code, out, errOut := runEnv(t, env, "config", "check", "--config", cfg)
	require.Equal(t, exit.OK, code, out+errOut)
	assert.Contains(t, out, "client_secret from POMELO_SECRET: set")

	junit := filepath.Join(t.TempDir(), "junit.xml")
	// One scenario at a time: the relay writes the latest SMS of all, as a single phone would show it.
	cucumber := filepath.Join(t.TempDir(), "cucumber.json")
	code, out, errOut = runEnv(t, env, "run", "--config", cfg, "--junit", junit, "--cucumber-json", cucumber, "--concurrency", "1")
	require.Equal(t, exit.OK, code, out+errOut)

	// Every notification the mock sent during the run found the run's receiver listening (issue 19: it
	// started with the first webhook scenario, and earlier sessions' notifications found nothing).
	delivered, unreached := 0, []string{}
	for since := int64(0); ; {
		var page mock.Page
		require.NoError(t, mock.ControlCall(context.Background(), http.DefaultClient, http.MethodGet, fmt.Sprintf("%s%s?since=%d", urls["pomelo"], mock.JournalPath, since), nil, &page))
		for _, e := range page.Entries {
			if e.Webhook && e.Path == hook {
				delivered++
				if e.Status == 0 {
					unreached = append(unreached, e.Operation+": "+strings.Join(e.Notes, "; "))
				}
			}
		}
		if len(page.Entries) == 0 || page.Next <= since {
			break
		}
		since = page.Next
	}
	assert.Greater(t, delivered, 10, "the fixture flows notify the run's receiver")
	if len(unreached) > 0 {
		t.Errorf("%d of %d notifications found no receiver listening, the first: %s", len(unreached), delivered, unreached[0])
	}

	// Exactly the @control scenarios are skipped, each saying why; the @sms ones read the token file.
	all, err := featureset.Parse(features.FS, ".")
	require.NoError(t, err)
	control := 0
	for _, s := range all {
		if slices.Contains(s.Tags, "@control") {
			control++
		}
	}
	require.Positive(t, control)
	assert.Contains(t, out, fmt.Sprintf(" 0 failed, %d skipped", control))
	assert.Equal(t, control, strings.Count(out, "needs the mock control API (@control); a sandbox target ("))
	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	var doc struct {
		Skipped int `xml:"skipped,attr"`
	}
	require.NoError(t, xml.Unmarshal(raw, &doc))
	assert.Equal(t, control, doc.Skipped)
	assert.Equal(t, control, strings.Count(string(raw), "a sandbox target ("), "the JUnit report says why, too")
	raw, err = os.ReadFile(cucumber)
	require.NoError(t, err)
	assert.Equal(t, control, strings.Count(string(raw), `"description": "skipped: needs the mock control API (@control); a sandbox target (`), "and the cucumber JSON")
	assert.Contains(t, out, "(external, no control API; 200 requests/s, 8 at once by default)")
	assert.Regexp(t, `personalinfo +http://\S+ \(external, no control API; 10 requests/s and 8 at once by default\)`, out,
		"a provider the config gives no limits keeps to the sandbox defaults")

	// The credentials are real: a wrong key fails on the mock exactly as on the provider.
	env["GU1_KEY"] = "not-the-key"
	code, out, _ = runEnv(t, env, "run", "--config", cfg, "--tags", "@gu1 && @GU1-05")
	assert.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "HTTP 401 UNAUTHORIZED")

	// A BaaS private key the mock does not know: every signed call is GDF000014, in runs and in verify.
	other, err := os.ReadFile(filepath.Join("..", "..", "clients", "baas", "testdata", "es512-vector.key.pem"))
	require.NoError(t, err)
	env["QITECH_PRIVATE_KEY"] = string(other)
	code, out, _ = runEnv(t, env, "run", "--config", cfg, "--tags", "@BAAS-01")
	assert.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, `"code":"GDF000014"`)
	code, out, _ = runEnv(t, env, "verify", "--config", cfg, "--target", "mock", "--provider", "baas")
	assert.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "FAIL BAAS-03")
	assert.Contains(t, out, "ok   BAAS-16", "the unsigned interaction is sent unsigned")
}

func TestSandboxNeedsItsCredentialsAndURLs(t *testing.T) {
	cfg := writeConfig(t, "target: sandbox\nproviders:\n  gu1:\n    base_url: http://127.0.0.1:1\n    credentials:\n      api_key: env:GU1_KEY\n")
	code, _, errOut := runEnv(t, nil, "run", "--config", cfg, "--tags", "@gu1")
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "providers.gu1.credentials.api_key names GU1_KEY, which is not set")

	code, _, errOut = runEnv(t, map[string]string{"GU1_KEY": "k"}, "run", "--config", cfg, "--tags", "@personalinfo")
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "sandbox target: no base URL for personalinfo")

	cfg = writeConfig(t, "target: sandbox\nproviders:\n  gu1:\n    base_url: http://127.0.0.1:1\n")
	code, _, errOut = runEnv(t, nil, "run", "--config", cfg, "--tags", "@gu1")
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "sandbox target gu1 needs providers.gu1.credentials.api_key")
}

func TestProductionHostIsRefusedBeforeAnythingIsSent(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	// The config lists localhost as a production host; the documented ones are refused without a list.
	cfg := writeConfig(t, "production_hosts: [localhost]\n")
	for _, args := range [][]string{
		{"run", "--config", cfg, "--base-url", "gu1=http://localhost:" + port},
		{"verify", "--config", cfg, "--base-url", "gu1=http://localhost:" + port},
		{"run", "--base-url", "pomelo=https://api.pomelo.la"},
		{"run", "--target", "sandbox", "--base-url", "gu1=https://API.GU1.AI."},
	} {
		code, out, errOut := run(t, args...)
		assert.Equal(t, exit.Usage, code, "%v: %s%s", args, out, errOut)
		assert.Contains(t, errOut, "is a production host; nothing was sent", args)
		assert.Empty(t, out, args)
	}
	assert.Equal(t, int32(0), hits.Load(), "not one request reached the production host")
}

func TestAllowProductionNeverRunsDestructiveScenarios(t *testing.T) {
	urls := startMockProcess(t)
	host := strings.Replace(urls["pomelo"], "127.0.0.1", "localhost", 1)
	cfg := writeConfig(t, "production_hosts: [localhost]\n")
	code, out, errOut := run(t, "run", "--config", cfg, "--allow-production", "--base-url", "pomelo="+host, "--tags", "@KYC-13")
	require.Equal(t, exit.NothingProven, code, "every scenario skipped proves nothing\n%s%s", out, errOut)
	assert.Contains(t, errOut, "nothing proven: no scenario passed (3 skipped of 3")
	assert.Equal(t, 3, strings.Count(out, "destructive (@destructive): never run against the production host"), out)
}

func TestConfigCheck(t *testing.T) {
	code, out, errOut := run(t, "config", "check", "--config", writeConfig(t, "target: live\nproviders:\n  gu1:\n    credentials:\n      api_key: hunter2\n"))
	assert.Equal(t, exit.Usage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, `conformance.yaml:1:9: target: "live": want mock or sandbox`)
	assert.Contains(t, errOut, "conformance.yaml:5:16: providers.gu1.credentials.api_key: holds a literal value")
	assert.NotContains(t, errOut, "hunter2")

	code, _, errOut = run(t, "config", "check", "--config", filepath.Join(t.TempDir(), "none.yaml"))
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "no such file")

	code, out, _ = run(t, "config", "--help")
	assert.Equal(t, exit.OK, code)
	assert.Contains(t, out, "personalinfo  credential token")

	code, _, errOut = run(t, "config", "lint")
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, `unknown subcommand "lint"`)
}

// noLeak fails when text holds s, quoting only the place (an artefact can be megabytes).
func noLeak(t *testing.T, name, text, s string) {
	t.Helper()
	if i := strings.Index(text, s); i >= 0 {
		t.Errorf("%s holds %q: …%s…", name, s, text[max(0, i-80):min(len(text), i+len(s)+40)])
	}
}

// TestNoSecretReachesAnyArtefact runs the whole suite against sandboxes that echo every credential
// back (JSON-escaped in JSON bodies, HTML-escaped in error pages, base64 and raw in response headers),
// and once more against sandboxes that redirect with the credentials URL-encoded in the Location, with
// credentials known only to this test that hold < > & + / =, and scans everything the runs and a verify
// wrote for each secret in every encoding.
func TestNoSecretReachesAnyArtefact(t *testing.T) {
	// Not in parallel: its echoes of 5 MiB photos under -race, beside the other heavy tests on a busy
	// 2-core runner, passed the 60 s per-request deadline once (a run not judged, exit 3, not a leak).
	urls := startMockProcess(t, "--baas-signing", "claims,qit") // QIT signatures and signed answers too
	hc := &http.Client{Timeout: 5 * time.Second}
	ctx := context.Background()
	ctl := func(base, path string, in any) {
		require.NoError(t, mock.ControlCall(ctx, hc, http.MethodPost, base+mock.ControlPrefix+path, in, nil))
	}
	planted := func(name string) string { return "S<" + name + ">&+/=" + randid.Hex(8) + "/+=" }
	gu1Key, piToken, baasKey := planted("gu1"), planted("pi"), planted("baas")
	pomeloID, pomeloSecret := planted("pomelo-id"), planted("pomelo-secret")
	priv, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(priv)
	require.NoError(t, err)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	ctl(urls["gu1"], "/organizations", map[string]any{"api_key": gu1Key, "kyc_configured": true})
	ctl(urls["personalinfo"], "/tokens", map[string]any{"token": piToken})
	ctl(urls["baas"], "/clients", map[string]any{"api_client_key": baasKey,
		"public_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))})
	ctl(urls["pomelo"], "/clients", map[string]any{"client_id": pomeloID, "client_secret": pomeloSecret})
	env := map[string]string{"BAAS_KEY": baasKey, "BAAS_PEM": privPEM, "GU1_KEY": gu1Key, "PI_TOKEN": piToken,
		"POMELO_ID": pomeloID, "POMELO_SECRET": pomeloSecret}
	sandbox := func(behaviour hostile.Behaviour) string {
		at := func(p string) string { return hostile.New(t, urls[p], behaviour).URL }
		return writeConfig(t, fmt.Sprintf(`target: sandbox
production_hosts: [127.0.0.2]
providers:
  baas:
    base_url: %s
    credentials: {api_client_key: env:BAAS_KEY, private_key: env:BAAS_PEM}
    options: {signing: "claims,qit"}
  gu1:
    base_url: %s
    credentials: {api_key: env:GU1_KEY}
  personalinfo:
    base_url: %s
    credentials: {token: env:PI_TOKEN}
  pomelo:
    base_url: %s
    credentials: {client_id: env:POMELO_ID, client_secret: env:POMELO_SECRET}
`, at("baas"), at("gu1"), at("personalinfo"), at("pomelo")))
	}
	artefacts := map[string]string{}
	for name, behaviour := range map[string]hostile.Behaviour{"echo": hostile.Echo(), "redirect": hostile.Redirect(http.StatusFound, "http://127.0.0.2:9")} {
		cfg := sandbox(behaviour)
		dir := t.TempDir()
		junit, cucumber := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cucumber.json")
		recDir := filepath.Join(dir, "recorded")
		// A generous timeout: the echoes of three 5 MiB photos, several scenarios at once, are slow under
		// -race on two busy cores (one passed 60 s beside four CPU-bound loops).
		html, doc, summary := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.json"), filepath.Join(dir, "summary.md")
		runEnvVars := map[string]string{"GITHUB_STEP_SUMMARY": summary}
		for k, v := range env {
			runEnvVars[k] = v
		}
		code, out, errOut := runEnv(t, runEnvVars, "run", "--config", cfg, "--junit", junit, "--cucumber-json", cucumber, "--format", "pretty", "--record", recDir, "--timeout", "180s",
			"--html", html, "--report-json", doc)
		require.Equal(t, exit.Failed, code, "the hostile provider fails scenarios: %s", errOut)
		vcode, vout, verrOut := runEnv(t, env, "verify", "--config", cfg, "--target", "mock", "--verbose")
		assert.Equal(t, exit.Failed, vcode)
		artefacts[name+" run stdout"], artefacts[name+" run stderr"] = out, errOut
		artefacts[name+" verify stdout"], artefacts[name+" verify stderr"] = vout, verrOut
		for _, f := range []string{junit, cucumber, filepath.Join(recDir, "exchanges.jsonl"), html, doc, summary} {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			artefacts[name+" "+filepath.Base(f)] = string(raw)
		}
	}
	secrets := []string{gu1Key, piToken, baasKey, pomeloID, pomeloSecret, "Bearer " + gu1Key}
	for _, line := range strings.Split(privPEM, "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}`)
	for name, text := range artefacts {
		for _, leak := range leaks(text, secrets) {
			t.Errorf("%s: %s", name, leak)
		}
		if m := jwt.FindString(text); m != "" {
			noLeak(t, name, text, m)
		}
	}
	// The check can fail: the providers did quote the credentials, the reports show them masked, and
	// the scan finds each encoding when it is left in.
	assert.Contains(t, artefacts["echo exchanges.jsonl"], `"X-Echo-Raw-Auth":"[REDACTED]"`, "the echoed header reached the recording, masked")
	assert.Contains(t, artefacts["echo exchanges.jsonl"], `"X-Echo-Authorization":"[REDACTED]"`, "and its base64 form")
	for _, h := range []string{"X-Echo-Body-Query", "X-Echo-Body-Json-Query", "X-Echo-Body-Query-B64", "X-Echo-Body-Json-B64"} {
		assert.Contains(t, artefacts["echo exchanges.jsonl"], `"`+h+`":"`, "the nested echo %s reached the recording", h)
	}
	assert.Regexp(t, `"X-Echo-Body-Query":"[^"]*\[REDACTED\]`, artefacts["echo exchanges.jsonl"], "the token request's secret, URL-encoded twice, is masked")
	assert.Contains(t, artefacts["redirect exchanges.jsonl"], `"Location":"http://127.0.0.2:9/steal/`, "the Location reached the recording")
	assert.Contains(t, artefacts["echo report.json"], `"X-Echo-Raw-Auth": "[REDACTED]"`, "a failure's answer reached the JSON report, masked")
	assert.Contains(t, artefacts["echo report.html"], `X-Echo-Raw-Auth: [REDACTED]`, "and the HTML report")
	assert.Contains(t, artefacts["redirect run stdout"], "?… (a query of ", "the Location's query is never shown")
	for _, form := range encodings(pomeloSecret) {
		assert.NotEmpty(t, leaks("…"+form+"…", []string{pomeloSecret}), "the scan misses %q", form)
	}
	for _, form := range redact.Forms(pomeloSecret) {
		assert.Contains(t, encodings(pomeloSecret), form, "the redactor masks a form the scan does not look for")
	}
	for _, p := range []string{"68346734500", "sample@gmail.com", "Sample Name Natural", "Fernandez"} {
		noLeak(t, "exchanges.jsonl", artefacts["echo exchanges.jsonl"], p)
	}
}

// leaks lists where text holds one of secrets in any of its encodings, quoting only the place. The
// encodings are written out here, independently of redact.Forms, so a form the redactor forgets is a
// form this scan still finds.
func leaks(text string, secrets []string) []string {
	var out []string
	for _, s := range secrets {
		for _, f := range encodings(s) {
			if i := strings.Index(text, f); i >= 0 {
				out = append(out, fmt.Sprintf("holds the secret as %q: …%s…", f, text[max(0, i-60):min(len(text), i+len(f)+30)]))
			}
		}
	}
	return out
}

// encodings is s as it is and each single encoding of it (encodings1), then nested as an echo wraps
// what it got, three deep (issue 18): its URL and JSON forms URL-encoded again, and the part of a longer
// base64 text, standard or URL, that only the inner form decides, of those and of the twice-wrapped ones.
func encodings(s string) []string {
	out := encodings1(s)
	lower := regexp.MustCompile(`%[0-9A-F]{2}`)
	urls := func(f string) []string {
		q, p := url.QueryEscape(f), url.PathEscape(f)
		return []string{q, lower.ReplaceAllStringFunc(q, strings.ToLower), p, lower.ReplaceAllStringFunc(p, strings.ToLower)}
	}
	inside := func(f string) []string {
		var out []string
		for k := 0; k <= 2; k++ {
			for _, e := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				full := e.EncodeToString(append(bytes.Repeat([]byte{'x'}, k), f...))
				if from, to := (8*k+5)/6, 8*(k+len(f))/6; to > from {
					out = append(out, full[from:to])
				}
			}
		}
		return out
	}
	jsonHTML, _ := json.Marshal(s)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	js := strings.TrimSpace(plain.String())
	for _, f := range append(urls(s), string(jsonHTML[1:len(jsonHTML)-1]), js[1:len(js)-1]) {
		if f == s {
			continue
		}
		for _, g := range urls(f) {
			out = append(append(out, g), inside(g)...)
		}
		out = append(out, inside(f)...)
	}
	return out
}

// encodings1 is s as it is; JSON-escaped with and without HTML escaping; HTML and XML escaped; URL
// query and path encoded (both cases of hex); base64 standard and URL, padded or not, and the part of
// a longer base64 text that only s decides, at each byte offset.
func encodings1(s string) []string {
	jsonHTML, _ := json.Marshal(s)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	var x bytes.Buffer
	_ = xml.EscapeText(&x, []byte(s))
	q, p := url.QueryEscape(s), url.PathEscape(s)
	lower := regexp.MustCompile(`%[0-9A-F]{2}`)
	js := strings.TrimSpace(plain.String())
	js = js[1 : len(js)-1]
	out := []string{s, string(jsonHTML[1 : len(jsonHTML)-1]), js, strings.ReplaceAll(js, "/", `\/`),
		html.EscapeString(s), strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s), x.String(), q, p, lower.ReplaceAllStringFunc(q, strings.ToLower), lower.ReplaceAllStringFunc(p, strings.ToLower),
		base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(s)),
		base64.RawStdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
	for k := 0; k <= 2; k++ {
		for _, e := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			full := e.EncodeToString(append(bytes.Repeat([]byte{'x'}, k), s...))
			out = append(out, full[(8*k+5)/6:8*(k+len(s))/6])
		}
	}
	return out
}

// TestDriftIsAWarningUnlessStrict: a provider that adds a member and a new enum value to its sessions
// passes with drift warnings naming both, and fails with --strict-drift.
func TestDriftIsAWarningUnlessStrict(t *testing.T) {
	url := mockServer(t, "pomelo", answering(func(status int, _ http.Header, body []byte) (int, []byte) {
		body = bytes.ReplaceAll(body, []byte(`"kind":"kyc"`), []byte(`"kind":"kyc_express","risk_score":0.12`))
		return status, body
	}))
	code, out, errOut := run(t, "run", "--base-url", "pomelo="+url, "--tags", "@KYC-05,@KYC-08")
	require.Equal(t, exit.OK, code, out+errOut)
	assert.Contains(t, out, "Drift (answers beyond the provider's documents; warnings, which --strict-drift makes failures):")
	assert.Contains(t, out, "GET /identity/v1/sessions/{session_id} 200: /data/kind is \"kyc_express\", a value its documents do not list")
	assert.Contains(t, out, "GET /identity/v1/sessions/{session_id} 200: /data/risk_score is a member its documents do not describe")
	assert.Contains(t, out, "GET /identity/v1/sessions 200: /data/*/risk_score is a member its documents do not describe")
	assert.Contains(t, out, "GET /identity/v1/sessions 200: /data/*/kind is \"kyc_express\", a value its documents do not list")

	code, out, _ = run(t, "run", "--base-url", "pomelo="+url, "--tags", "@KYC-05,@KYC-08", "--strict-drift")
	assert.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "/data/risk_score: unknown-field")
	assert.Contains(t, out, "/data/kind: enum")
}

// TestSandboxRunCancelsWhatItCreated: against a sandbox, every gu1 validation a scenario created is
// cancelled afterwards. (Pomelo's session scenarios all need the control API today, so no sandbox run
// creates one; steps' TestCleanUpCancelsPomeloSessionsOnASandbox covers that half.)
func TestSandboxRunCancelsWhatItCreated(t *testing.T) {
	var mu sync.Mutex
	cancelled := map[string]int{}
	count := func(provider string, match func(*http.Request) bool) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if match(r) {
					mu.Lock()
					cancelled[provider]++
					mu.Unlock()
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	pom := mockServer(t, "pomelo", count("pomelo", func(r *http.Request) bool { return r.Method == http.MethodDelete }))
	g := mockServer(t, "gu1", count("gu1", func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/cancel") }))
	cfg := writeConfig(t, fmt.Sprintf(`target: sandbox
providers:
  gu1: {base_url: %s, credentials: {api_key: env:K, api_key_no_kyc: env:N}}
  pomelo: {base_url: %s, credentials: {client_id: env:I, client_secret: env:S}}
`, g, pom))
	env := map[string]string{"K": mockgu1.APIKey, "N": mockgu1.APIKeyNoKYC, "I": mockpomelo.ClientID, "S": mockpomelo.ClientSecret}
	code, out, errOut := runEnv(t, env, "run", "--config", cfg, "--tags", "@GU1-05,@KYC-05")
	require.Equal(t, exit.OK, code, out+errOut)
	mu.Lock()
	defer mu.Unlock()
	assert.Positive(t, cancelled["gu1"], "the gu1 validations were cancelled")

	// Against the embedded mocks nothing is cancelled behind the scenarios' backs.
	before := cancelled["pomelo"] + cancelled["gu1"]
	mu.Unlock()
	code, out, _ = run(t, "run", "--tags", "@GU1-05,@KYC-05")
	mu.Lock()
	require.Equal(t, exit.OK, code, out)
	assert.Equal(t, before, cancelled["pomelo"]+cancelled["gu1"])
}

// TestRecordMasksPersonalDataAndDiffFindsChanges: two recorded runs of the same suite differ in nothing;
// a provider that adds a member differs in exactly that; no personal datum of the fixtures reaches a
// recording unless --show-pii.
func TestRecordMasksPersonalDataAndDiffFindsChanges(t *testing.T) {
	dir := t.TempDir()
	one, two, drifted, shown := filepath.Join(dir, "one"), filepath.Join(dir, "two"), filepath.Join(dir, "drifted"), filepath.Join(dir, "shown")
	tags := "@BAAS-11,@PI-04,@KYB-08,@GU1-05"
	for _, d := range []string{one, two} {
		code, out, errOut := run(t, "run", "--tags", tags, "--record", d, "--concurrency", "1")
		require.Equal(t, exit.OK, code, out+errOut)
	}
	code, out, _ := run(t, "diff", one, two)
	assert.Equal(t, exit.OK, code, out)
	assert.Contains(t, out, "== diff: 0 change(s)")

	pom := mockServer(t, "pomelo", answering(func(status int, _ http.Header, body []byte) (int, []byte) {
		return status, bytes.ReplaceAll(body, []byte(`"status":`), []byte(`"risk_score":1,"status":`))
	}))
	code, out, errOut := run(t, "run", "--tags", tags, "--record", drifted, "--concurrency", "1", "--base-url", "pomelo="+pom)
	require.Equal(t, exit.OK, code, out+errOut)
	code, out, _ = run(t, "diff", one, drifted)
	assert.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "POST /identity/v2/sessions 201: /data/risk_score appeared (number)")

	// A documented code that changes is a change, under its operation (issue 18).
	renamed := filepath.Join(dir, "renamed")
	g := mockServer(t, "gu1", rewriting(`"ENTITY_NOT_FOUND"`, `"ENTITY_MISSING"`))
	code, out, errOut = run(t, "run", "--tags", "@GU1-10", "--record", renamed, "--concurrency", "1", "--base-url", "gu1="+g)
	require.Equal(t, exit.Failed, code, out+errOut)
	found := filepath.Join(dir, "found")
	code, out, errOut = run(t, "run", "--tags", "@GU1-10", "--record", found, "--concurrency", "1")
	require.Equal(t, exit.OK, code, out+errOut)
	code, out, _ = run(t, "diff", found, renamed)
	assert.Equal(t, exit.Failed, code, out)
	assert.Regexp(t, `(?m)^GET /api/entities/\{[^}]+\}: 1 change\(s\)\n  GET /api/entities/\{[^}]+\} 404: /error is "ENTITY_MISSING", was "ENTITY_NOT_FOUND"\n    in gu1 `, out)

	// Personal data of the fixtures: the seed's CPF, names, e-mail, phone, birthdays, street, company tax id.
	pii := []string{"68346734500", "Sample Name Natural", "sample@gmail.com", "988887777", "1987-01-11",
		"Rua Sample Avenue", "Juan", "Fernandez", "9999999", "1990-08-10", "Diego Pomelo", "29.086.892/0001-77",
		"123.456.789-10", "Maria Pomelo", "Ana Conformance"}
	raw, err := os.ReadFile(filepath.Join(one, "exchanges.jsonl"))
	require.NoError(t, err)
	require.Greater(t, bytes.Count(raw, []byte("\n")), 8, "the recording holds the exchanges")
	for _, p := range pii {
		assert.NotContains(t, string(raw), p, "a personal datum in the recording")
	}
	assert.Contains(t, string(raw), `"[PII]"`)

	code, out, errOut = run(t, "run", "--tags", tags, "--record", shown, "--show-pii")
	require.Equal(t, exit.OK, code, out+errOut)
	raw, err = os.ReadFile(filepath.Join(shown, "exchanges.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), "Sample Name Natural", "--show-pii records it as sent")

	code, _, errOut = run(t, "diff", one)
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "want two recording directories")
	code, _, errOut = run(t, "diff", one, filepath.Join(dir, "nothing"))
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "no recording")
}

// TestWaivers: a failure of a waived ID is reported as waived and does not fail the run; once the
// waiver has expired, it fails the run even when nothing else fails.
func TestWaivers(t *testing.T) {
	// A provider that drops the "-" of every sort key fails KYC-11 (see the test of that name).
	url := mockServer(t, "pomelo", ignoringDescendingSort)
	dir := t.TempDir()
	waivers := func(expires string) string {
		p := filepath.Join(dir, expires+".yaml")
		require.NoError(t, os.WriteFile(p, []byte("waivers:\n  - id: KYC-11\n    reason: the sandbox ignores descending sorts (PMO-123)\n    expires: "+expires+"\n"), 0o600))
		return p
	}
	junit, cucumber := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cucumber.json")
	code, out, errOut := run(t, "run", "--base-url", "pomelo="+url, "--tags", "@KYC-11", "--waivers", waivers("2099-12-31"), "--junit", junit,
		"--cucumber-json", cucumber)
	require.Equal(t, exit.OK, code, out+errOut)
	// Cucumber JSON counts a waived scenario as the run does: none of its steps failed (issue 18), and
	// it is readable as every other report is.
	raw, err := os.ReadFile(cucumber)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), `"status": "failed"`)
	assert.Contains(t, string(raw), `"error_message": "waived: `)
	st, err := os.Stat(cucumber)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	assert.Contains(t, out, "waived: KYC-11")
	assert.Contains(t, out, "Waived (known deviations, listed in the waivers file):")
	assert.Contains(t, out, "KYC-11 waived until 2099-12-31 (the sandbox ignores descending sorts (PMO-123)): GET /identity/v1/sessions")
	assert.Contains(t, out, " 0 failed, 0 skipped, 0 undefined, 6 waived")
	assert.Contains(t, out, "waived: KYC-11")
	raw, err = os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `message="waived: KYC-11 waived until 2099-12-31`)

	code, out, _ = run(t, "run", "--base-url", "pomelo="+url, "--tags", "@KYC-11", "--waivers", waivers("2020-01-01"))
	assert.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, "Expired waivers (each fails the run until it is renewed or removed):")
	assert.Contains(t, out, "KYC-11 expired on 2020-01-01")
	assert.Contains(t, out, "the waiver of KYC-11 expired on 2020-01-01")

	// A waiver in force that excuses nothing (the embedded mock sorts as documented) is listed as stale.
	code, out, _ = run(t, "run", "--tags", "@KYC-11", "--waivers", waivers("2099-12-31"))
	assert.Equal(t, exit.OK, code, out)
	assert.Contains(t, out, "Stale waivers (in force, but nothing they excuse failed; they do not fail the run):")
	assert.Contains(t, out, "KYC-11 ("+waivers("2099-12-31")+":2) matched no failure")

	// An expired waiver fails a run in which everything passes.
	code, out, _ = run(t, "run", "--tags", "@KYC-11", "--waivers", waivers("2020-01-01"))
	assert.Equal(t, exit.Failed, code, out)
	assert.Contains(t, out, " 0 failed")

	code, _, errOut = run(t, "run", "--waivers", filepath.Join(dir, "none.yaml"))
	assert.Equal(t, exit.Usage, code)
	assert.Contains(t, errOut, "--waivers")
}

// smsRelay writes the latest SMS the BaaS mock at base sent into file whenever it changes, until the
// test ends: what a person or a gateway hook does against a real sandbox.
func smsRelay(t *testing.T, base, file string) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { stop(); <-done })
	go func() {
		defer close(done)
		last := ""
		for ctx.Err() == nil {
			var sms struct {
				Token string `json:"token"`
			}
			if mock.ControlCall(ctx, http.DefaultClient, http.MethodGet, base+mock.ControlPrefix+"/sms", nil, &sms) == nil && sms.Token != last {
				last = sms.Token
				_ = os.WriteFile(file, []byte("Seu código: "+sms.Token+"\n"), 0o600)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
}

// TestSMSTokenFromAFileOrSkipped: against a BaaS target without the control API the SMS token comes from
// the config file's source, here a file a relay writes as each SMS arrives (as a person or a gateway
// hook would); without a source the scenarios that need it are skipped, saying why.
func TestSMSTokenFromAFileOrSkipped(t *testing.T) {
	m, err := mockbaas.New(mock.Config{})
	require.NoError(t, err)
	raw := httptest.NewServer(m)
	defer raw.Close()
	hidden := httptest.NewServer(withoutControl(m))
	defer hidden.Close()

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "sms.txt")
	smsRelay(t, raw.URL, tokenFile)
	cfg := writeConfig(t, "providers:\n  baas:\n    options:\n      sms_token_file: "+tokenFile+"\n")
	code, out, errOut := run(t, "run", "--config", cfg, "--base-url", "baas="+hidden.URL, "--tags", "@sms && ~@BAAS-17", "--concurrency", "1")
	require.Equal(t, exit.OK, code, out+errOut)
	assert.Contains(t, out, "2 scenarios: 2 passed")

	// At a terminal, the person types the token they received.
	var asked []string
	prompt := func(q string) (string, error) {
		asked = append(asked, q)
		var sms struct {
			Token string `json:"token"`
		}
		err := mock.ControlCall(context.Background(), http.DefaultClient, http.MethodGet, raw.URL+mock.ControlPrefix+"/sms", nil, &sms)
		return " " + sms.Token + " ", err
	}
	var buf bytes.Buffer
	// One scenario at a time: the prompt answers with the latest SMS of all, as one phone would show it.
	code = Main(context.Background(), []string{"run", "--base-url", "baas=" + hidden.URL, "--tags", "@sms && ~@BAAS-17", "--concurrency", "1"}, &buf, io.Discard,
		func(string) string { return "" }, WithPrompt(prompt))
	require.Equal(t, exit.OK, code, buf.String())
	assert.Contains(t, buf.String(), "2 scenarios: 2 passed")
	require.Len(t, asked, 2)
	assert.Contains(t, asked[0], "SMS token sent for CPF ")

	code, out, _ = run(t, "run", "--base-url", "baas="+hidden.URL, "--tags", "@sms && ~@BAAS-17")
	require.Equal(t, exit.NothingProven, code, out)
	assert.Contains(t, out, "2 skipped")
	assert.Equal(t, 2, strings.Count(out, "needs the SMS token the provider sent: set providers.baas.options.sms_token_command or sms_token_file"))
}

func TestABaaSKeyThatDoesNotParseIsAConfigurationError(t *testing.T) {
	cfg := writeConfig(t, "target: sandbox\nproviders:\n  baas:\n    base_url: http://127.0.0.1:1\n    credentials: {api_client_key: env:K, private_key: env:P}\n")
	code, out, errOut := runEnv(t, map[string]string{"K": "key", "P": "not a key"}, "run", "--config", cfg, "--tags", "@baas")
	assert.Equal(t, exit.Usage, code, out)
	assert.Contains(t, errOut, "providers.baas.credentials.private_key (from P): baas: private key: not PEM", "the variable is named")
	assert.NotContains(t, errOut, "not a key", "the value is never echoed")
}

// TestConfigCheckChecksWhatARunWould: a key that does not parse and an unset variable are each a line
// of the problems, named by variable, and the check never calls the file good while it exits non-zero.
func TestConfigCheckChecksWhatARunWould(t *testing.T) {
	cfg := writeConfig(t, "target: sandbox\nproviders:\n  baas:\n    base_url: http://127.0.0.1:1\n    credentials: {api_client_key: env:K, private_key: env:P}\n"+
		"  gu1:\n    base_url: http://127.0.0.1:2\n    credentials: {api_key: env:GU1_UNSET}\n")
	code, out, errOut := runEnv(t, map[string]string{"K": "key", "P": "garbage that is no key"}, "config", "check", "--config", cfg)
	assert.Equal(t, exit.Usage, code, out)
	assert.NotContains(t, out+errOut, "good")
	assert.NotContains(t, out+errOut, "garbage that is no key")
	assert.Contains(t, out, "private_key from P: set, but UNUSABLE")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.Len(t, lines, 3, errOut)
	assert.Contains(t, lines[0], "2 problem(s)")
	assert.Contains(t, lines[1], "providers.baas.credentials.private_key (from P): baas: private key: not PEM")
	assert.Contains(t, lines[2], "providers.gu1.credentials.api_key names GU1_UNSET, which is not set")

	key, err := os.ReadFile(filepath.Join("..", "..", "clients", "baas", "testdata", "es512-vector.key.pem"))
	require.NoError(t, err)
	code, out, errOut = runEnv(t, map[string]string{"K": "key", "P": string(key), "GU1_UNSET": "now-set-key"}, "config", "check", "--config", cfg)
	assert.Equal(t, exit.OK, code, out+errOut)
	assert.Contains(t, out, ": good:")
}
