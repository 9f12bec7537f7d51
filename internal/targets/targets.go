// Package targets decides where each provider's requests go: an embedded mock started on loopback (the
// default) or a URL given with --base-url, and checks each one answers before anything runs.
package targets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
)

// Target is one provider's endpoint.
type Target struct {
	Provider providers.Provider
	BaseURL  string
	Embedded bool // an in-process mock this package started
	Control  bool // the control API answers
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
func Start(ctx context.Context, names []string, baseURLs map[string]string, cfg mock.Config) (*Set, error) {
	s := &Set{ByName: map[string]*Target{}}
	for name := range baseURLs {
		if !contains(names, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		p, err := providers.Lookup(name)
		if err != nil {
			s.Close()
			return nil, exit.Usagef("%v", err)
		}
		t := &Target{Provider: p}
		if u, ok := baseURLs[name]; ok {
			t.BaseURL = u
		} else {
			h, err := p.NewMock(cfg)
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
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, name := range names {
		t := s.ByName[name]
		ok, err := mock.HasControl(ctx, hc, t.BaseURL)
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
