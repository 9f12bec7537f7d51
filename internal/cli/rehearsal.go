package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
	mockpomelo "github.com/latam-conformance/conformance/internal/mock/pomelo"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/runner"
)

// writeRehearsal writes, for the mocks serving at urls, a conformance.yaml that treats them as a sandbox
// (target: sandbox, every provider's base URL, credentials as env:NAME, the options a sandbox run needs)
// at path, and at path+".env" the export lines of the mocks' fixture credentials. Each file is written
// beside and renamed, so a reader never sees half of one. Then
//
//	set -a; . FILE.env; conformance run --config FILE
//
// rehearses a sandbox run: the harness does not use the control API (the mocks still offer it).
func writeRehearsal(path string, urls map[string]string, options map[string]map[string]string) error {
	var cfg, env strings.Builder
	fmt.Fprintf(&cfg, "# Written by 'conformance mock --write-config': the running mocks as a sandbox. Rehearse a\n"+
		"# sandbox run with:  set -a; . %s.env; conformance run --config %s\n", filepath.Base(path), filepath.Base(path))
	fmt.Fprintf(&env, "# The mocks' fixture credentials for %s (they guard nothing).\n", filepath.Base(path))
	cfg.WriteString("target: sandbox\n")
	fmt.Fprintf(&cfg, "# rate_limit and in_flight: what these mocks take. For a real sandbox write its documented\n"+
		"# limits, or leave them out for a sandbox's defaults (%g requests/s, %d at once, per provider).\n",
		runner.SandboxRateLimit, runner.SandboxInFlight)
	cfg.WriteString("providers:\n")
	for _, name := range slices.Sorted(maps.Keys(urls)) {
		p, err := providers.Lookup(name)
		if err != nil {
			return err
		}
		fmt.Fprintf(&cfg, "  %s:\n    base_url: %s\n    rate_limit: %d\n    in_flight: %d\n", name, urls[name], rehearsalRate, rehearsalInFlight)
		if len(p.Credentials) > 0 {
			cfg.WriteString("    credentials:\n")
		}
		for _, c := range p.Credentials {
			v := envName(name, c.Name)
			fmt.Fprintf(&cfg, "      %s: env:%s\n", c.Name, v)
			fmt.Fprintf(&env, "export %s=%s\n", v, shellQuote(c.Mock))
		}
		if opts := options[name]; len(opts) > 0 {
			cfg.WriteString("    options:\n")
			for _, k := range slices.Sorted(maps.Keys(opts)) {
				fmt.Fprintf(&cfg, "      %s: %s\n", k, opts[k])
			}
		}
	}
	if err := writeFileAtomic(path, []byte(cfg.String()), 0o644); err != nil {
		return err
	}
	return writeFileAtomic(path+".env", []byte(env.String()), 0o600)
}

// A rehearsal's limits per provider: what the mocks take on a loopback without making the rehearsal
// wait on the pace a real sandbox would need (with the sandbox defaults the whole suite takes 44 s; with
// these, 10 s, most of it BAAS-12's token left to expire).
const (
	rehearsalRate     = 50
	rehearsalInFlight = 8
)

// rehearsalTokenTTL is the tokens' lifetime in a rehearsal (--write-config) unless --token-ttl says
// otherwise: BAAS-12 waits that long for one to expire.
const rehearsalTokenTTL = 5 * time.Second

// rehearsalDefaults gives --write-config what a complete rehearsal needs, where the flags say nothing:
// the SMS gateway's file beside the configuration (FILE.sms), a short token lifetime, and both BaaS
// signing schemes, so that the run proves every catalogue ID (issue 19: with the mock's own defaults
// it proved 59 of 62 after waiting out a 5-minute token).
func (o *MockOptions) rehearsalDefaults(given map[string]bool) {
	if !given["sms-file"] {
		o.SMSFile = o.WriteConfig + ".sms"
	}
	if !given["token-ttl"] {
		o.TokenTTL = rehearsalTokenTTL
	}
	if !given["baas-signing"] { // a --config that names the schemes still says which
		o.BaaSSigning = "claims,qit"
	}
}

// rehearsalOptions are the options a sandbox run of the mocks o serves needs: the signing schemes the
// BaaS mock accepts, the SMS file it writes, and how long its tokens live (BAAS-12 waits that long).
func rehearsalOptions(o MockOptions) map[string]map[string]string {
	baas := map[string]string{"signing": o.BaaSSigning}
	if o.SMSFile != "" {
		baas["sms_token_file"] = o.SMSFile
	}
	ttl := o.TokenTTL
	if ttl <= 0 {
		ttl = mockbaas.DefaultTokenTTL
	}
	baas["token_ttl"] = ttl.String()
	pom := map[string]string{"flows": mockpomelo.FixtureFlows()}
	if u, err := url.Parse(o.PomeloHook); err == nil && o.PomeloHook != "" {
		pom["webhook_url"], pom["webhook_listen"] = o.PomeloHook, u.Host
	}
	return map[string]map[string]string{"baas": baas, "pomelo": pom}
}

// freeLoopbackURL is an http URL with path on a loopback port nothing listens on now, outside the
// ephemeral range (Linux's 32768–60999): a freed ephemeral port is soon some client connection's own, and
// the run that later listens there found it in use (the webhook receiver of a rehearsal, once, beside
// the other tests of a busy machine).
func freeLoopbackURL(path string) (string, error) {
	for try := 0; try < 200; try++ {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		return "http://" + addr + path, nil
	}
	return "", errors.New("no free loopback port between 20000 and 31999")
}

// envName is the variable a rehearsal config reads a credential from: CONFORMANCE_BAAS_PRIVATE_KEY.
func envName(provider, credential string) string {
	return strings.ToUpper("CONFORMANCE_" + provider + "_" + credential)
}

// shellQuote quotes s for sh: single quotes, each ' written '\”.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	err := report.WriteAtomic(path, data, mode)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no such directory %s", filepath.Dir(path))
	}
	return err
}
