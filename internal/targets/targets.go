// Package targets decides where each provider's requests go: an embedded mock started on loopback (the
// default) or a URL given with --base-url, and checks each one answers before anything runs.
package targets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/providers"
)

// Target is one provider's endpoint.
type Target struct {
	Provider   providers.Provider
	BaseURL    string
	Embedded   bool // an in-process mock this package started
	Control    bool // the control API answers (never used against a sandbox)
	Sandbox    bool // a real provider environment: real credentials, no control API
	Production bool // a production host, allowed with --allow-production
}

// DocumentedProductionHosts are the providers' production API hosts named in their documents. A run
// refuses them unless --allow-production; conformance.yaml's production_hosts adds more.
var DocumentedProductionHosts = []string{"api.pomelo.la", "api-auth.qitech.app", "api.gu1.ai"}

// IsProduction tells whether host is a documented production host or one of extra, ignoring case and a
// trailing dot.
func IsProduction(host string, extra []string) bool { return Guard(extra, false).Production(host) }

// Guard is the policy every request of a run goes through: the documented production hosts and extra
// are refused before any byte is sent, unless allowProduction.
func Guard(extra []string, allowProduction bool) *netguard.Policy {
	return &netguard.Policy{ProductionHosts: append(slices.Clone(DocumentedProductionHosts), extra...), AllowProduction: allowProduction}
}

// Mode says how Start treats the targets.
type Mode struct {
	Sandbox    bool             // no embedded mocks, no control API: every provider needs a base URL
	Production map[string]bool  // providers whose base URL is a production host (already allowed)
	Guard      *netguard.Policy // where requests may go; nil: the documented production hosts refused
}

// guard is m.Guard or the default policy.
func (m Mode) guard() *netguard.Policy {
	if m.Guard != nil {
		return m.Guard
	}
	return Guard(nil, false)
}

// Set is the targets of one run. Close stops the embedded mocks.
type Set struct {
	ByName  map[string]*Target
	servers []*mock.Server
}

// ParseBaseURLs turns repeated "provider=URL" flags into a map, checking names and URLs.
func ParseBaseURLs(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		name, raw, ok := strings.Cut(f, "=")
		if !ok || name == "" || raw == "" {
			return nil, exit.Usagef("--base-url %q: want PROVIDER=URL, e.g. baas=http://127.0.0.1:8081", f)
		}
		if _, err := providers.Lookup(name); err != nil {
			return nil, exit.Usagef("--base-url %q: %v", f, err)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, exit.Usagef("--base-url %q: %q is not an http(s) URL", f, raw)
		}
		if _, dup := out[name]; dup {
			return nil, exit.Usagef("--base-url: %s given twice", name)
		}
		out[name] = strings.TrimSuffix(raw, "/")
	}
	return out, nil
}

// Start prepares a target for each named provider: baseURLs[name] when given, otherwise an embedded mock
// on 127.0.0.1 with a random port. It then probes every target; one that does not answer is an
// exit.Unavailable error naming its URL.
//
// In sandbox mode every provider must have a base URL, the control API is never used (even where it
// answers), and the probe only checks that the base URL answers HTTP at all.
func Start(ctx context.Context, names []string, baseURLs map[string]string, cfg mock.Config, mode Mode) (*Set, error) {
	s := &Set{ByName: map[string]*Target{}}
	for name := range baseURLs {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if mode.Sandbox {
		var missing []string
		for _, name := range names {
			if baseURLs[name] == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return nil, exit.Usagef("sandbox target: no base URL for %s; set providers.<name>.base_url in the config file or --base-url NAME=URL, or leave the provider out with --tags (e.g. '~@%s')",
				strings.Join(missing, ", "), missing[0])
		}
	}
	for _, name := range names {
		p, err := providers.Lookup(name)
		if err != nil {
			s.Close()
			return nil, exit.Usagef("%v", err)
		}
		t := &Target{Provider: p, Sandbox: mode.Sandbox, Production: mode.Production[name]}
		if u, ok := baseURLs[name]; ok {
			t.BaseURL = u
		} else {
			h, err := p.Mock(cfg)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("start the %s mock: %w", name, err)
			}
			srv, err := mock.Start("127.0.0.1:0", h)
			if err != nil {
				s.Close()
				return nil, exit.Unavailablef("start the %s mock: %v", name, err)
			}
			s.servers = append(s.servers, srv)
			t.BaseURL, t.Embedded = srv.URL, true
		}
		s.ByName[name] = t
	}
	hc := mode.guard().Client(5 * time.Second)
	for _, name := range names {
		t := s.ByName[name]
		var ok bool
		var err error
		if t.Sandbox {
			err = answers(ctx, hc, t.BaseURL)
		} else {
			ok, err = mock.HasControl(ctx, hc, t.BaseURL)
		}
		if err != nil {
			s.Close()
			if ctx.Err() != nil {
				return nil, exit.Unavailablef("interrupted while checking target %s at %s", name, t.BaseURL)
			}
			return nil, exit.Unavailablef("target %s at %s is unreachable: %v", name, t.BaseURL, rootCause(err))
		}
		t.Control = ok
	}
	return s, nil
}

// answers checks that something answers HTTP at base: any status will do.
func answers(ctx context.Context, hc *http.Client, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// rootCause strips net/http's "Get \"url\": " prefix; the message names the URL already.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Close stops the embedded mocks.
func (s *Set) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Close(ctx)
	}
}
