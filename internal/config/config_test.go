package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const good = `# a nightly sandbox run
target: sandbox
timeout: 15s
run_timeout: 20m
production_hosts: [api.acme.example]
providers:
  gu1:
    base_url: https://sandbox.gu1.example/
    timeout: 30s
    rate_limit: 2.5
    in_flight: 3
    credentials:
      api_key: env:GU1_API_KEY
  pomelo:
    base_url: http://127.0.0.1:8082
    credentials:
      client_id: env:POMELO_CLIENT_ID
      client_secret: env:POMELO_CLIENT_SECRET
    options:
      audience: https://api.pomelo.la
`

func TestParseAGoodFile(t *testing.T) {
	c, err := Parse("conformance.yaml", []byte(good))
	require.NoError(t, err)
	assert.Equal(t, TargetSandbox, c.Target)
	assert.Equal(t, 15*time.Second, c.Timeout)
	assert.Equal(t, 20*time.Minute, c.RunTimeout)
	assert.Equal(t, []string{"api.acme.example"}, c.ProductionHosts)
	g := c.Providers["gu1"]
	require.NotNil(t, g)
	assert.Equal(t, "https://sandbox.gu1.example", g.BaseURL, "trailing slash dropped")
	assert.Equal(t, 30*time.Second, g.Timeout)
	assert.Equal(t, 2.5, g.RateLimit)
	assert.Equal(t, 3, g.InFlight)
	assert.Equal(t, map[string]string{"api_key": "GU1_API_KEY"}, g.Credentials)
	assert.Equal(t, "https://api.pomelo.la", c.Providers["pomelo"].Options["audience"])

	env := map[string]string{"GU1_API_KEY": "k-123"}
	secrets, err := c.Secrets("gu1", func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"api_key": "k-123"}, secrets)
	_, err = c.Secrets("pomelo", func(k string) string { return env[k] })
	assert.EqualError(t, err, "conformance.yaml: providers.pomelo.credentials.client_id names POMELO_CLIENT_ID, which is not set; "+
		"providers.pomelo.credentials.client_secret names POMELO_CLIENT_SECRET, which is not set")
}

// TestAnEmptyFileIsRefused: an empty file, or one of comments only, is most likely the wrong or a
// half-written file; it is a problem on line 1, never a silent default run (issue 18).
func TestAnEmptyFileIsRefused(t *testing.T) {
	for _, raw := range []string{"", "\n\n", "# only a comment\n"} {
		_, err := Parse("c.yaml", []byte(raw))
		var probs *Problems
		require.ErrorAs(t, err, &probs, "%q", raw)
		require.Len(t, probs.List, 1)
		assert.Equal(t, 1, probs.List[0].Line)
		assert.Contains(t, probs.List[0].Message, "the file is empty")
	}
}

func TestEveryProblemIsReportedWithItsLine(t *testing.T) {
	const bad = `target: staging
timeout: ten seconds
colour: blue
production_hosts: [https://api.x.example/]
providers:
  acme:
    base_url: http://x
  gu1:
    base_url: ftp://files.example
    rate_limit: -1
    credentials:
      api_key: sk_live_DO_NOT_ECHO
      password: env:X
  personalinfo:
    timeout: 10s
    timeout: 20s
    in_flight: 0
`
	_, err := Parse("conformance.yaml", []byte(bad))
	var probs *Problems
	require.True(t, errors.As(err, &probs), "%v", err)
	msg := err.Error()
	for _, want := range []string{
		`conformance.yaml:1:9: target: "staging": want mock or sandbox`,
		`conformance.yaml:2:10: timeout: "ten seconds": want a positive duration such as 10s or 2m`,
		`conformance.yaml:3:1: colour: unknown key (known here: production_hosts, providers, run_timeout, target, timeout)`,
		`conformance.yaml:4:20: production_hosts[0]: "https://api.x.example/": want a bare host name`,
		`conformance.yaml:6:3: providers.acme: unknown provider "acme" (known: baas, gu1, personalinfo, pomelo)`,
		`conformance.yaml:9:15: providers.gu1.base_url: "ftp://files.example": want an http(s) URL`,
		`conformance.yaml:10:17: providers.gu1.rate_limit: "-1": want requests per second`,
		`conformance.yaml:12:16: providers.gu1.credentials.api_key: holds a literal value; write env:NAME`,
		`conformance.yaml:13:7: providers.gu1.credentials.password: unknown key (known here: api_key, api_key_no_kyc, webhook_secret)`,
		`conformance.yaml:16:5: providers.personalinfo.timeout: given twice`,
		`conformance.yaml:17:16: providers.personalinfo.in_flight: "0": want how many requests may be in flight at once, a whole number from 1 to 1000`,
	} {
		assert.Contains(t, msg, want)
	}
	assert.Len(t, probs.List, 11, msg)
	assert.NotContains(t, msg, "sk_live_DO_NOT_ECHO", "a literal secret is never echoed")
}

func TestNotYAMLAndShapes(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"broken YAML":          {"target: [sandbox", "not valid YAML"},
		"a list at the top":    {"- a\n- b\n", "want a mapping of keys to values"},
		"providers not a map":  {"providers: [gu1]\n", "providers: want a section per provider"},
		"credentials a string": {"providers:\n  gu1:\n    credentials: env:X\n", "providers.gu1.credentials: want a mapping"},
		"null value":           {"target:\n", "target: want a single value"},
	} {
		_, err := Parse("c.yaml", []byte(tc.text))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

func TestLoadNamesAMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "%v", err)
}

// FuzzParse: no file, however malformed, panics the parser; a refusal names at least one problem.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("target: [\n"))
	f.Add([]byte("providers:\n  gu1:\n    credentials:\n      api_key: env:\n"))
	f.Add([]byte("providers: {gu1: {rate_limit: .nan, timeout: -1s}}"))
	f.Add([]byte("- - - &a [*a]"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := Parse("c.yaml", raw)
		if err == nil && c == nil {
			t.Fatal("no config and no error")
		}
		if p, ok := err.(*Problems); ok && len(p.List) == 0 {
			t.Fatal("a refusal without a problem")
		}
	})
}

// TestASyntaxErrorIsPlacedWhereItIs: a flow mapping left open on line 5 is reported on line 6, where
// the parser finds the next key, with its column: not on the line the decoder names (4, counted from
// zero, where the enclosing mapping began) (issue 18).
func TestASyntaxErrorIsPlacedWhereItIs(t *testing.T) {
	_, err := Parse("c.yaml", []byte("target: sandbox\nproviders:\n  baas:\n    base_url: http://127.0.0.1:1\n    credentials: {api_client_key: x\n  gu1:\n    base_url: y\n"))
	var probs *Problems
	require.ErrorAs(t, err, &probs)
	require.Len(t, probs.List, 1)
	assert.Equal(t, 6, probs.List[0].Line)
	assert.Equal(t, 3, probs.List[0].Column)
	assert.Contains(t, err.Error(), "c.yaml:6:3: not valid YAML: ")
}
