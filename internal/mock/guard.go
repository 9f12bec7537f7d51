package mock

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"

	"github.com/latam-conformance/conformance/internal/netguard"
)

// ControlGuard keeps a mock's control API (everything under ControlPrefix: resets, tokens, SMS,
// records, journal, faults, Pact states) to whoever may change the mock: with a Token, only calls that
// carry it (netguard.ControlTokenHeader); without one, only loopback peers. The provider's own API is
// never guarded here.
type ControlGuard struct {
	Token string
}

// Wrap guards h's control API.
func (g ControlGuard) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, ControlPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		switch {
		case g.Token != "":
			got := r.Header.Get(netguard.ControlTokenHeader)
			if subtle.ConstantTimeCompare([]byte(got), []byte(g.Token)) != 1 {
				WriteJSON(w, http.StatusUnauthorized, map[string]any{"error": "conformance mock control API: this mock was started with a control token; send it in " + netguard.ControlTokenHeader + " (CONFORMANCE_CONTROL_TOKEN for run, verify and gate)"})
				return
			}
		case !LoopbackPeer(r):
			WriteJSON(w, http.StatusForbidden, map[string]any{"error": "conformance mock control API: answers loopback peers only; start the mock with --control-token to reach it from elsewhere"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// LoopbackPeer tells whether r came from a loopback address.
func LoopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// CheckWebhookURL refuses a webhook URL a mock would deliver to its own (or another mock's) control
// API: a notification must never reset, expire or reconfigure a mock.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("webhook URL %q does not parse: %v", raw, err)
	}
	p := path.Clean("/" + u.EscapedPath())
	if unescaped, err := url.PathUnescape(p); err == nil {
		p = path.Clean(unescaped)
	}
	if p == ControlPrefix || strings.HasPrefix(p, ControlPrefix+"/") {
		return fmt.Errorf("webhook URL %s points at a mock's control API (%s): a notification never reaches it", raw, ControlPrefix)
	}
	return nil
}
