package cli

import (
	"errors"
	"fmt"
	flag "github.com/spf13/pflag"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/config"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/targets"
)

// targeting holds the flags that decide where requests go and with which credentials; run and verify
// share them.
type targeting struct {
	Config          string
	Target          string
	BaseURLs        multiFlag
	AllowProduction bool
}

func (t *targeting) register(fs *flag.FlagSet) {
	fs.StringVar(&t.Config, "config", "", "read targets, credentials (by environment variable), timeouts and rate limits from `FILE` (conformance.yaml); flags override it")
	fs.StringVar(&t.Target, "target", "", "`KIND` of target: mock (embedded mocks unless --base-url; the default) or sandbox (every provider at its configured URL, with real credentials, no control API)")
	fs.Var(&t.BaseURLs, "base-url", "`PROVIDER=URL`: send that provider's requests to URL (repeatable; overrides the config file)")
	fs.BoolVar(&t.AllowProduction, "allow-production", false, "allow a production host as a target (scenarios tagged @destructive still never run there)")
}

// plan is where one run sends requests, resolved from the flags over the config file.
type plan struct {
	Kind     string                       // config.TargetMock or config.TargetSandbox
	Config   *config.Config               // nil without --config
	BaseURLs map[string]string            // provider -> URL given by a flag or the file
	Secrets  map[string]map[string]string // provider -> credential -> value; mock fixtures where not configured
	Options  map[string]map[string]string // provider -> option -> value
	Prod     map[string]bool              // providers whose URL is a production host
	Timeouts map[string]time.Duration     // per-provider request timeout from the file
	Rates    map[string]float64           // per-provider requests per second from the file
	InFlight map[string]int               // per-provider requests at once from the file
	Guard    *netguard.Policy             // where any request of the run may go (production hosts refused)
}

// resolve reads the config file, lays the flags over it and checks safety: a production host is
// refused (exit 2, before anything is sent) unless --allow-production.
func (t *targeting) resolve(c *command, env Env) (*plan, error) {
	p := &plan{Kind: config.TargetMock, BaseURLs: map[string]string{}, Secrets: map[string]map[string]string{},
		Options: map[string]map[string]string{}, Prod: map[string]bool{}, Timeouts: map[string]time.Duration{},
		Rates: map[string]float64{}, InFlight: map[string]int{}}
	if t.Config != "" {
		cfg, err := config.Load(t.Config)
		if err != nil {
			return nil, configError(t.Config, err)
		}
		p.Config = cfg
		if cfg.Target != "" {
			p.Kind = cfg.Target
		}
		for name, pc := range cfg.Providers {
			if pc.BaseURL != "" {
				p.BaseURLs[name] = pc.BaseURL
			}
			if pc.Timeout > 0 {
				p.Timeouts[name] = pc.Timeout
			}
			if pc.RateLimit > 0 {
				p.Rates[name] = pc.RateLimit
			}
			if pc.InFlight > 0 {
				p.InFlight[name] = pc.InFlight
			}
		}
	}
	if t.Target != "" {
		if t.Target != config.TargetMock && t.Target != config.TargetSandbox {
			return nil, exit.Usagef("%s: --target %q: want mock or sandbox", c.name, t.Target)
		}
		p.Kind = t.Target
	}
	flagURLs, err := targets.ParseBaseURLs(t.BaseURLs)
	if err != nil {
		return nil, err
	}
	for name, u := range flagURLs {
		p.BaseURLs[name] = u
	}
	var extra []string
	if p.Config != nil {
		extra = p.Config.ProductionHosts
	}
	p.Guard = targets.Guard(extra, t.AllowProduction)
	p.Guard.ControlToken = env(controlTokenEnv) // for a mock started with --control-token
	names := make([]string, 0, len(p.BaseURLs))
	for name := range p.BaseURLs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		u, _ := url.Parse(p.BaseURLs[name])
		if u == nil || !targets.IsProduction(u.Hostname(), extra) {
			continue
		}
		if !t.AllowProduction {
			return nil, exit.Usagef("%s: the %s target %s is a production host; nothing was sent. Point it at a sandbox, or pass --allow-production (scenarios tagged @destructive never run there)",
				c.name, name, p.BaseURLs[name])
		}
		p.Prod[name] = true
	}
	for _, prov := range providers.All() {
		p.Secrets[prov.Name] = map[string]string{}
		if p.Kind == config.TargetMock {
			p.Secrets[prov.Name] = providers.Defaults(prov.Credentials)
		}
		p.Options[prov.Name] = providers.Defaults(prov.Options)
		if p.Config == nil || p.Config.Providers[prov.Name] == nil {
			continue
		}
		for k, v := range p.Config.Providers[prov.Name].Options {
			p.Options[prov.Name][k] = v
		}
	}
	return p, nil
}

// credentialed lists, of the providers a run uses, those whose credentials it reads: all of them
// against a sandbox; against mocks too, but there only configured credentials are read.
func (p *plan) credentialed(inRun []string) []string {
	var out []string
	for _, n := range inRun {
		// A sandbox provider without a URL is reported as such when the targets start.
		if _, ok := p.BaseURLs[n]; ok || p.Kind != config.TargetSandbox {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// configuredSecrets lists every credential the configuration supplied (the mocks' fixtures are no
// secrets) and the control token from the environment, for the run's Redactor.
func (p *plan) configuredSecrets() []string {
	var out []string
	if p.Guard != nil && p.Guard.ControlToken != "" {
		out = append(out, p.Guard.ControlToken)
	}
	for name, secrets := range p.Secrets {
		prov, err := providers.Lookup(name)
		if err != nil {
			continue
		}
		fixtures := providers.Defaults(prov.Credentials)
		for k, v := range secrets {
			if v != fixtures[k] {
				out = append(out, v)
			}
		}
	}
	return out
}

// checkSigners checks each configured credential that can be checked (a key that parses) and builds
// each provider's request signer, so that a bad key is a configuration error naming its variable before
// anything runs, not a failure in every scenario.
func (p *plan) checkSigners(names []string) error {
	var problems []string
	for _, n := range names {
		prov, err := providers.Lookup(n)
		if err != nil {
			continue
		}
		problems = append(problems, p.credentialProblems(prov)...)
		if len(problems) > 0 || prov.Signer == nil {
			continue
		}
		if _, err := prov.Signer(p.secretsOf(n)); err != nil {
			problems = append(problems, fmt.Sprintf("%s credentials: %v", n, err))
		}
	}
	if len(problems) > 0 {
		return exit.Usagef("%s", strings.Join(problems, "; "))
	}
	return nil
}

// credentialProblems checks the configured credentials of prov that can be checked, naming the
// variable each came from; the value is never quoted.
func (p *plan) credentialProblems(prov providers.Provider) []string {
	var out []string
	for _, cr := range prov.Credentials {
		v, ok := p.Secrets[prov.Name][cr.Name]
		if !ok || cr.Check == nil || p.Config == nil || p.Config.Providers[prov.Name] == nil {
			continue
		}
		ref := p.Config.Providers[prov.Name].Credentials[cr.Name]
		if ref == "" {
			continue
		}
		if err := cr.Check(v); err != nil {
			out = append(out, fmt.Sprintf("providers.%s.credentials.%s (from %s): %v", prov.Name, cr.Name, ref, err))
		}
	}
	return out
}

// secretsOf is a provider's credentials: configured ones over the mock's fixtures (a sandbox run has
// checked that its required ones are configured).
func (p *plan) secretsOf(name string) map[string]string {
	prov, err := providers.Lookup(name)
	if err != nil {
		return nil
	}
	out := providers.Defaults(prov.Credentials)
	for k, v := range p.Secrets[name] {
		out[k] = v
	}
	return out
}

// secretsFor reads from the environment the credentials the config file names for the providers of a
// run; an unset variable is a configuration error. In sandbox mode a provider without configured
// credentials is an error too: the mock's fixture credentials mean nothing to a sandbox.
func (p *plan) secretsFor(names []string, env Env) error {
	var problems []string
	for _, name := range names {
		prov, err := providers.Lookup(name)
		if err != nil {
			return exit.Usagef("%v", err)
		}
		var configured map[string]string
		if p.Config != nil {
			s, err := p.Config.Secrets(name, env)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			configured = s
		}
		if p.Kind == config.TargetSandbox {
			for _, cr := range prov.Credentials {
				if _, ok := configured[cr.Name]; !ok && !cr.Optional {
					problems = append(problems, fmt.Sprintf("sandbox target %s needs providers.%s.credentials.%s (%s) in the config file", name, name, cr.Name, cr.Doc))
				}
			}
		}
		for k, v := range configured {
			p.Secrets[name][k] = v
		}
	}
	if len(problems) > 0 {
		return exit.Usagef("%s", strings.Join(problems, "; "))
	}
	return nil
}

// configError makes a config problem a usage error; a missing file says so plainly.
func configError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return exit.Usagef("--config %s: no such file", path)
	}
	return &exit.Error{Code: exit.Usage, Err: err} // *config.Problems: printed whole, a line per problem
}
