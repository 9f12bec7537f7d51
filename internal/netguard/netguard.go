// Package netguard decides, at the transport, where this process may send a request: a production host
// is refused before any byte is sent unless the run allows production, redirects are never followed to
// another origin, and the mocks' webhooks reach loopback addresses only, never resolved or dialled
// elsewhere. The check is made twice: on the request's host name before anything happens, and on the
// address being dialled (net.Dialer.Control sees the resolved IP, so a DNS answer cannot slip past).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// RefusedError is a request the guard did not let out. It is a verdict of the harness, never a target's
// failure to answer.
type RefusedError struct {
	Host string
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: %s", e.Host, e.Why)
}

// Policy says where requests may go.
type Policy struct {
	// ProductionHosts are refused (by host name, or by address when one is an IP literal) unless
	// AllowProduction.
	ProductionHosts []string
	AllowProduction bool
	// LoopbackOnly refuses every host that is not a loopback IP literal or "localhost", before any name
	// is resolved, and every dialled address outside 127.0.0.0/8 and ::1.
	LoopbackOnly bool
	// ControlToken, when set, goes with every call of a mock's control API (ControlTokenHeader on a path
	// under /__control/): a mock started with --control-token answers nothing there without it.
	ControlToken string
}

// ControlTokenHeader carries a mock's control token.
const ControlTokenHeader = "Conformance-Control-Token"

// controlPath tells a mock's control API path (mock.ControlPrefix, which this package cannot import).
func controlPath(p string) bool { return p == "/__control" || strings.HasPrefix(p, "/__control/") }

// IsLoopbackHost tells whether host (no port) is a loopback IP literal or localhost.
func IsLoopbackHost(host string) bool {
	host = normal(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// normal is host as hosts are compared: lower case, no brackets, no trailing dot.
func normal(host string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
}

// Production tells whether host is one of the production hosts, ignoring case, brackets and a trailing
// dot.
func (p *Policy) Production(host string) bool {
	host = normal(host)
	for _, h := range p.ProductionHosts {
		if host == normal(h) {
			return true
		}
	}
	return false
}

// CheckHost refuses a host name (no port) the policy does not let out.
func (p *Policy) CheckHost(host string) error {
	if p == nil {
		return nil
	}
	if p.LoopbackOnly && !IsLoopbackHost(host) {
		return &RefusedError{Host: host, Why: "only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed here"}
	}
	if !p.AllowProduction && p.Production(host) {
		return &RefusedError{Host: host, Why: "a production host; nothing was sent (--allow-production allows it)"}
	}
	return nil
}

// CheckURL refuses a URL whose host the policy does not let out.
func (p *Policy) CheckURL(u *url.URL) error {
	if u == nil {
		return &RefusedError{Host: "(no URL)", Why: "no URL"}
	}
	return p.CheckHost(u.Hostname())
}

// control runs on the resolved address of every connection, before connect(2).
func (p *Policy) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &RefusedError{Host: address, Why: "not an IP address"}
	}
	if p.LoopbackOnly && !ip.Unmap().IsLoopback() {
		return &RefusedError{Host: address, Why: "only loopback addresses (127.0.0.0/8, ::1) are allowed here"}
	}
	if !p.AllowProduction && p.Production(ip.Unmap().String()) {
		return &RefusedError{Host: address, Why: "a production address; nothing was sent (--allow-production allows it)"}
	}
	return nil
}

// DialContext dials like net.Dialer, after checking the host name and, once resolved, the address.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if err := p.CheckHost(host); err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	return d.DialContext(ctx, network, addr)
}

// Transport is a fresh http.Transport (net/http's defaults) whose every connection is guarded. It uses
// no proxy: a proxy would be dialled instead of the host the guard checks, and no target here needs one.
func (p *Policy) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = p.DialContext
	return t
}

// RoundTripper checks each request's URL before handing it to next: a refusal happens before anything,
// even a name lookup.
func (p *Policy) RoundTripper(next http.RoundTripper) http.RoundTripper {
	return roundTripper{p: p, next: next}
}

type roundTripper struct {
	p    *Policy
	next http.RoundTripper
}

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := rt.p.CheckURL(req.URL); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	if rt.p != nil && rt.p.ControlToken != "" && controlPath(req.URL.Path) {
		req = req.Clone(req.Context())
		req.Header.Set(ControlTokenHeader, rt.p.ControlToken)
	}
	return rt.next.RoundTrip(req)
}

// Client is an http.Client through a guarded transport that never follows a redirect: a 3xx is handed
// to the caller, which decides.
func (p *Policy) Client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: p.RoundTripper(p.Transport()), CheckRedirect: NoRedirects}
}

// NoRedirects is an http.Client CheckRedirect that follows nothing: the 3xx is the answer.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// IsRefused tells whether err is (or wraps) a refusal of the guard.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

// ShowURL is a URL as a report shows it: scheme, host and path, never its user info or query (where a
// hostile target puts what it echoes back), cut to a sane length.
func ShowURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("(a Location that is no URL, %d bytes)", len(raw))
	}
	shown := u.Path
	if u.Host != "" {
		shown = u.Scheme + "://" + u.Host + u.Path
	}
	if len(shown) > 200 {
		shown = shown[:200] + "…"
	}
	if u.RawQuery != "" {
		shown += fmt.Sprintf("?… (a query of %d bytes, not shown)", len(u.RawQuery))
	}
	return shown
}
