package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/latam-conformance/conformance/internal/config"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/targets"
)

const configHelp = `Usage: conformance config check --config FILE

Checks a configuration file (conformance.yaml) without running anything or sending any request: every
key, value and credential reference, each problem with its line. Then, per provider, where it points, and
whether each credential's environment variable is set (never its value). A production host is named.

Exit codes: 0 the file is good: every credential it names is set and, where it can be checked, usable
(a BaaS key parses); for a sandbox target every required credential is named. 2 it is not: one problem
a line, each naming the key and the variable, never the value.

The file:

  target: sandbox                # or mock (the default); --target overrides
  timeout: 10s                   # per request; --timeout overrides
  run_timeout: 20m               # the whole run; --run-timeout overrides
  production_hosts: [api.example.com]   # refused like the documented ones, unless --allow-production
  providers:
    gu1:
      base_url: https://sandbox.gu1.example   # --base-url gu1=URL overrides
      timeout: 30s
      rate_limit: 5              # requests per second (a sandbox's default: 10)
      in_flight: 4               # requests at once (a sandbox's default: 8)
      credentials:               # env:NAME only: never a secret in the file
        api_key: env:GU1_API_KEY
`

func configCmd(_ context.Context, args []string, stdout, _ io.Writer, env Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprint(stdout, configHelp+credentialHelp())
		if len(args) == 0 {
			return exit.Usagef("config: want a subcommand: check (see 'conformance config --help')")
		}
		return nil
	}
	if args[0] != "check" {
		return exit.Usagef("config: unknown subcommand %q (want check)", args[0])
	}
	var path string
	flags := newFlags("config check", configHelp+credentialHelp(), stdout)
	flags.flags.StringVar(&path, "config", "conformance.yaml", "the configuration `FILE` to check")
	if err := parse(flags, args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return configError(path, err)
	}
	target := cfg.Target
	if target == "" {
		target = config.TargetMock + " (default)"
	}
	fmt.Fprintf(stdout, "%s: target %s\n", path, target)
	// Every problem is one line of the list that ends the check, with what a run would do about it.
	var problems []config.Problem
	problem := func(format string, a ...any) {
		problems = append(problems, config.Problem{Message: fmt.Sprintf(format, a...)})
	}
	names := make([]string, 0, len(cfg.Providers))
	for n := range cfg.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pc := cfg.Providers[n]
		prov, _ := providers.Lookup(n)
		where := "no base_url (its embedded mock in mock mode)"
		if pc.BaseURL != "" {
			where = pc.BaseURL
			if u, err := url.Parse(pc.BaseURL); err == nil && targets.IsProduction(u.Hostname(), cfg.ProductionHosts) {
				where += " (PRODUCTION host: runs refuse it without --allow-production)"
			}
		}
		fmt.Fprintf(stdout, "  %s: %s\n", n, where)
		for _, cr := range prov.Credentials {
			ref, ok := pc.Credentials[cr.Name]
			v := ""
			if ok {
				v = env(strings.TrimPrefix(ref, "env:"))
			}
			switch {
			case ok && v == "":
				fmt.Fprintf(stdout, "    %s from %s: NOT SET\n", cr.Name, ref)
				problem("providers.%s.credentials.%s names %s, which is not set", n, cr.Name, ref)
			case ok && cr.Check != nil && cr.Check(v) != nil:
				fmt.Fprintf(stdout, "    %s from %s: set, but UNUSABLE\n", cr.Name, ref)
				problem("providers.%s.credentials.%s (from %s): %v", n, cr.Name, ref, cr.Check(v))
			case ok:
				fmt.Fprintf(stdout, "    %s from %s: set\n", cr.Name, ref)
			case cfg.Target == config.TargetSandbox && !cr.Optional:
				fmt.Fprintf(stdout, "    %s: MISSING (%s)\n", cr.Name, cr.Doc)
				problem("sandbox target %s needs providers.%s.credentials.%s", n, n, cr.Name)
			}
		}
	}
	if cfg.Target == config.TargetSandbox {
		for _, p := range providers.All() {
			if cfg.Providers[p.Name] == nil || cfg.Providers[p.Name].BaseURL == "" {
				fmt.Fprintf(stdout, "  %s: no base_url: a sandbox run must leave it out with --tags '~@%s'\n", p.Name, p.Name)
			}
		}
	}
	if len(problems) > 0 {
		return &exit.Error{Code: exit.Usage, Err: &config.Problems{File: path, List: problems}}
	}
	fmt.Fprintf(stdout, "%s: good: a run would read every credential above and use it\n", path)
	return nil
}

// credentialHelp lists every provider's credentials and options.
func credentialHelp() string {
	var b strings.Builder
	b.WriteString("\nCredentials (credentials: NAME: env:VAR) and options (options: NAME: value) per provider:\n")
	for _, p := range providers.All() {
		for _, s := range p.Credentials {
			opt := ""
			if s.Optional {
				opt = ", optional"
			}
			fmt.Fprintf(&b, "  %-13s credential %-16s %s%s\n", p.Name, s.Name, s.Doc, opt)
		}
		for _, s := range p.Options {
			def := ""
			if s.Mock != "" {
				def = " (default " + s.Mock + ")"
			}
			fmt.Fprintf(&b, "  %-13s option     %-16s %s%s\n", p.Name, s.Name, s.Doc, def)
		}
	}
	return b.String()
}
