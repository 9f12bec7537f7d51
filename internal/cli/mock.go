package cli

import (
	"context"
	"fmt"
	flag "github.com/spf13/pflag"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/config"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/providers"
)

const mockHelp = `Usage: conformance mock [flags]

Serves every mock provider over HTTP until interrupted (Ctrl-C or SIGTERM), then shuts down gracefully,
letting requests in flight finish. Each provider gets a random port on 127.0.0.1 unless --listen names
an address; the URLs are printed, one line per provider, as "PROVIDER URL". Point a run at them with
'conformance run --base-url PROVIDER=URL'. The control API (provider states) is under /__control.

The BaaS mock accepts BAAS-16's claims signing always, and QI's string_to_sign scheme (BAAS-17: an
Authorization "QIT key:JWT", encoded bodies, answers signed with the mock's key, whose public half is
served at GET /__control/public_key) when started with --baas-signing claims,qit. Every mock takes Pact
provider-state changes at /__control/pact/state.

As a shared, long-running service: each store of a mock keeps at most --max-items (10,000) items,
evicting the oldest first but never an unfinished one changed within --active-for (30m); webhook
deliveries queue per target, so a receiver that never answers delays only its own notifications (each
attempt times out after 5 s); connections that send their headers or body too slowly, or sit idle,
are closed (--read-header-timeout, --read-timeout, --idle-timeout); each provider holds at most
--max-conns (200) connections, more waiting to be accepted; headers over 64 KiB are answered 431, a
multipart form of more than 100 parts 400. GET /__control/health answers 200 while a mock serves,
saying how full each store is, what it evicted (evicted_unfinished above 0: raise --max-items) and the
webhook deliveries waiting; SIGTERM or Ctrl-C stops accepting and lets requests in flight finish (up
to 3 s).

Every mock journals the calls it serves, each judged against the catalogue (GET /__control/journal),
and injects the faults --fault or PUT /__control/faults {"faults": [{"kind": "429", "first": 2}]} set:
429 and 503 with Retry-After, 500, slow answers, connection resets, an OAuth token expired mid-flow
(pomelo), and webhooks delivered twice, late or out of order (pomelo, gu1). GET /__control/faults says
how often each was injected.

Examples:
  conformance mock
  conformance mock --listen baas=127.0.0.1:8081 --baas-signing claims,qit
  conformance mock --max-items 50000 --active-for 2h --read-timeout 10s
  conformance mock --fault pomelo:429:first=2 --fault gu1:webhook-duplicate:every=1
`

// MockOptions are the flags of 'conformance mock'.
type MockOptions struct {
	Listen      multiFlag
	TokenTTL    time.Duration
	BaaSSigning string
	WriteConfig string
	SMSFile     string
	PomeloHook  string
	Config      string
	MaxItems    int
	ActiveFor   time.Duration
	Limits      mock.Limits
	Faults      multiFlag
	Token       string
	Readings    string
}

// controlTokenEnv names the variable that holds a mock's control token: 'mock' is started with it,
// 'run', 'verify' and 'gate' send it to the control API.
const controlTokenEnv = "CONFORMANCE_CONTROL_TOKEN"

func mockCmd(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) error {
	var o MockOptions
	flags := newFlags("mock", mockHelp, stdout)
	flags.flags.Var(&o.Listen, "listen", "`PROVIDER=HOST:PORT`: serve that provider there instead of on a random loopback port (repeatable)")
	flags.flags.DurationVar(&o.TokenTTL, "token-ttl", 0, "lifetime of the tokens the mocks issue (`DURATION`; default 5m)")
	flags.flags.StringVar(&o.BaaSSigning, "baas-signing", "claims", "the request-signing `SCHEMES` the BaaS mock accepts: claims (BAAS-16, always) or claims,qit (adds QI's string_to_sign, BAAS-17)")
	flags.flags.StringVar(&o.SMSFile, "sms-file", "", "the BaaS mock (the SMS gateway) also writes the latest SMS of each person to `FILE`, a line each (\"CPF TOKEN PHONE\"), as a run's sms_token_file reads them")
	flags.flags.StringVar(&o.Config, "config", "", "read the BaaS mock's signing schemes from `FILE` (providers.baas.options.signing, as a run reads it); --baas-signing overrides")
	flags.flags.StringVar(&o.PomeloHook, "pomelo-webhook-url", "", "the webhook `URL` of the Pomelo mock's fixture flows (a loopback URL; with --write-config and none given, one the rehearsal's run listens on)")
	flags.flags.StringVar(&o.WriteConfig, "write-config", "", "write `FILE`, a conformance.yaml that points a sandbox run at these mocks (credentials as env:NAME), and FILE.env with their export lines: 'set -a; . FILE.env; conformance run --config FILE' rehearses a sandbox run that proves every catalogue ID. Unless given, it sets --sms-file FILE.sms, --token-ttl 5s and --baas-signing claims,qit")
	flags.flags.IntVar(&o.MaxItems, "max-items", mock.DefaultMaxItems, "keep at most `N` of each kind of stored item per mock (sessions, validations, entities, records, tokens, SMS, delivery logs); past it the oldest go first")
	flags.flags.DurationVar(&o.ActiveFor, "active-for", mock.DefaultActiveFor, "past --max-items, keep an unfinished item (a pending session or validation, a valid token) this long after its last change: a running scenario may still need it")
	flags.flags.DurationVar(&o.Limits.ReadHeader, "read-header-timeout", mock.DefaultLimits.ReadHeader, "close a connection whose request headers take longer than `DURATION`")
	flags.flags.DurationVar(&o.Limits.Read, "read-timeout", mock.DefaultLimits.Read, "close a connection whose whole request, body included, takes longer than `DURATION`")
	flags.flags.DurationVar(&o.Limits.Write, "write-timeout", mock.DefaultLimits.Write, "give up writing an answer after `DURATION`")
	flags.flags.DurationVar(&o.Limits.Idle, "idle-timeout", mock.DefaultLimits.Idle, "close a keep-alive connection idle for `DURATION`")
	flags.flags.IntVar(&o.Limits.MaxConns, "max-conns", mock.DefaultLimits.MaxConns, "hold at most `N` connections per provider; more wait, not accepted, until one closes, so a flood on one provider leaves the others their descriptors")
	flags.flags.Var(&o.Faults, "fault", "inject a fault, `PROVIDER:KIND[:OPTION=VALUE...]` with options first=N, every=N or percent=P (seed=S), delay=D, op=OPERATION, into that mock's calls or webhooks (repeatable): KIND is 429, 500, 503, slow, reset, expire-token (pomelo), webhook-duplicate, webhook-late or webhook-reorder (pomelo, gu1); also settable at URL/__control/faults")
	flags.flags.StringVar(&o.Token, "control-token", env(controlTokenEnv), "the control API (under /__control) answers only calls that carry `TOKEN` (header Conformance-Control-Token; run, verify and gate send $"+controlTokenEnv+"); without one it answers loopback peers only, and --listen beyond loopback is refused (default $"+controlTokenEnv+")")
	flags.flags.StringVar(&o.Readings, "readings", "harness", "`READING`: harness, a documentation contradiction is held to the harness's reading, as a run expects; or either, a client following either reading (DOC-12, DOC-13) is accepted and noted, as 'conformance gate' judges one")
	if err := parse(flags, args); err != nil {
		return err
	}
	if o.Readings != "harness" && o.Readings != "either" {
		return exit.Usagef("mock: --readings %q: want harness or either", o.Readings)
	}
	faults, err := faultFlags("mock", o.Faults)
	if err != nil {
		return err
	}
	if o.MaxItems < 1 {
		return exit.Usagef("mock: --max-items %d: want 1 or more", o.MaxItems)
	}
	if o.Limits.MaxConns < 1 {
		return exit.Usagef("mock: --max-conns %d: want 1 or more", o.Limits.MaxConns)
	}
	for name, d := range map[string]time.Duration{"active-for": o.ActiveFor, "read-header-timeout": o.Limits.ReadHeader,
		"read-timeout": o.Limits.Read, "write-timeout": o.Limits.Write, "idle-timeout": o.Limits.Idle} {
		if d <= 0 {
			return exit.Usagef("mock: --%s %s: want a positive duration", name, d)
		}
	}
	given := map[string]bool{}
	flags.flags.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if o.WriteConfig != "" {
		o.rehearsalDefaults(given)
	}
	if o.Config != "" {
		cfg, err := config.Load(o.Config)
		if err != nil {
			return configError(o.Config, err)
		}
		if pc := cfg.Providers["baas"]; pc != nil && pc.Options["signing"] != "" && !given["baas-signing"] {
			o.BaaSSigning = pc.Options["signing"]
		}
	}
	signing := strings.Split(o.BaaSSigning, ",")
	if _, err := mockbaas.Schemes(signing); err != nil {
		return exit.Usagef("mock: --baas-signing %q: %v", o.BaaSSigning, err)
	}
	addrs := map[string]string{}
	for _, l := range o.Listen {
		name, addr, ok := strings.Cut(l, "=")
		if !ok || name == "" || addr == "" {
			return exit.Usagef("mock: --listen %q: want PROVIDER=HOST:PORT, e.g. baas=127.0.0.1:8081", l)
		}
		if _, err := providers.Lookup(name); err != nil {
			return exit.Usagef("mock: --listen %q: %v", l, err)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return exit.Usagef("mock: --listen %q: %v", l, err)
		}
		if err := listenable(host, port); err != nil {
			return exit.Usagef("mock: --listen %q: %v", l, err)
		}
		if !netguard.IsLoopbackHost(host) && o.Token == "" {
			return exit.Usagef("mock: --listen %q serves beyond loopback, and with it the control API (resets, tokens, SMS, records): give --control-token TOKEN (or $%s), which every control call must then carry", l, controlTokenEnv)
		}
		if _, dup := addrs[name]; dup {
			return exit.Usagef("mock: --listen: %s given twice", name)
		}
		addrs[name] = addr
	}
	reg, err := loadSchemas()
	if err != nil {
		return err
	}
	if o.PomeloHook != "" {
		if err := mock.CheckWebhookURL(o.PomeloHook); err != nil {
			return exit.Usagef("mock: --pomelo-webhook-url: %v", err)
		}
	}
	if o.WriteConfig != "" && o.PomeloHook == "" {
		// The rehearsal's run will listen for the fixture flows' notifications on a free loopback port.
		hook, err := freeLoopbackURL("/hooks/pomelo")
		if err != nil {
			return exit.Unavailablef("mock: %v", err)
		}
		o.PomeloHook = hook
	}
	cfg := mock.Config{Schemas: reg, TokenTTL: o.TokenTTL, BaaSSigning: signing, SMSFile: o.SMSFile, PomeloWebhookURL: o.PomeloHook,
		MaxItems: o.MaxItems, ActiveFor: o.ActiveFor, ControlToken: o.Token, EitherReading: o.Readings == "either"}
	var servers []*mock.Server
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		for _, s := range servers {
			_ = s.Close(sctx)
		}
	}
	names := providers.Names()
	sort.Strings(names)
	urls := map[string]string{}
	for _, name := range names {
		p, _ := providers.Lookup(name)
		pcfg := cfg
		pcfg.Faults = &mock.Faults{}
		if err := pcfg.Faults.Set(name, faults[name]); err != nil {
			stop()
			return exit.Usagef("mock: --fault: %v", err)
		}
		h, err := p.Mock(pcfg)
		if err != nil {
			stop()
			return fmt.Errorf("mock %s: %w", name, err)
		}
		addr := addrs[name]
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		srv, err := mock.StartWith(addr, h, o.Limits)
		if err != nil {
			stop()
			return exit.Unavailablef("mock %s: %v", name, err)
		}
		servers = append(servers, srv)
		urls[name] = srv.URL
	}
	// The configuration is in place before any URL is printed: a script that waits for the URLs can
	// read it at once.
	if o.WriteConfig != "" {
		if err := writeRehearsal(o.WriteConfig, urls, rehearsalOptions(o)); err != nil {
			stop()
			return exit.Usagef("mock: --write-config %s: %v", o.WriteConfig, err)
		}
		fmt.Fprintf(stderr, "conformance mock: wrote %s and %s.env: set -a; . %s.env; conformance run --config %s\n",
			o.WriteConfig, o.WriteConfig, o.WriteConfig, o.WriteConfig)
	}
	for _, name := range names {
		fmt.Fprintf(stdout, "%s %s\n", name, urls[name])
	}
	fmt.Fprintln(stderr, "conformance mock: serving; Ctrl-C to stop")
	<-ctx.Done()
	fmt.Fprintln(stderr, "conformance mock: shutting down")
	stop()
	return nil
}

// listenable checks a --listen address before anything starts: a port from 0 to 65535 (0: any free
// one), and a host that is an IP address, empty (every interface) or a name this machine resolves. A
// mistyped address is a usage error (exit 2), not a target that could not be reached (exit 3).
func listenable(host, port string) error {
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: want a number from 0 to 65535 (0: any free port)", port)
	}
	if host == "" || net.ParseIP(host) != nil {
		return nil
	}
	if strings.Trim(host, "0123456789.") == "" {
		return fmt.Errorf("host %q is not an IP address", host)
	}
	if _, err := net.LookupHost(host); err != nil {
		return fmt.Errorf("host %q: this machine does not resolve it", host)
	}
	return nil
}
