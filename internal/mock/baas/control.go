package baas

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/latam-conformance/conformance/internal/mock"
)

// Control drives the BaaS mock's control API over HTTP (the mock may run in another process).
type Control struct {
	base string
	hc   *http.Client
}

// NewControl returns a control client for the mock at baseURL.
func NewControl(baseURL string, hc *http.Client) *Control {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Control{base: strings.TrimSuffix(baseURL, "/") + mock.ControlPrefix, hc: hc}
}

// Reset forgets every token and SMS and restores the fixture contacts.
func (c *Control) Reset(ctx context.Context) error {
	return mock.ControlCall(ctx, c.hc, http.MethodPost, c.base+"/reset", nil, nil)
}

// AddContact makes cpf a known account administrator.
func (c *Control) AddContact(ctx context.Context, cpf string) error {
	return mock.ControlCall(ctx, c.hc, http.MethodPost, c.base+"/contacts", map[string]any{"document_number": cpf}, nil)
}

// RemoveContact makes cpf an unknown administrator.
func (c *Control) RemoveContact(ctx context.Context, cpf string) error {
	return mock.ControlCall(ctx, c.hc, http.MethodPost, c.base+"/contacts/remove", map[string]any{"document_number": cpf}, nil)
}

// IssueToken puts token in place for the person documentNumber, already expired when expired is true.
func (c *Control) IssueToken(ctx context.Context, documentNumber, token string, expired bool) error {
	return mock.ControlCall(ctx, c.hc, http.MethodPost, c.base+"/tokens",
		map[string]any{"document_number": documentNumber, "token": token, "expired": expired}, nil)
}

// ExpireToken makes the person's current token expired.
func (c *Control) ExpireToken(ctx context.Context, documentNumber string) error {
	return mock.ControlCall(ctx, c.hc, http.MethodPost, c.base+"/tokens/expire", map[string]any{"document_number": documentNumber}, nil)
}

// LastSMS returns the last SMS the mock sent for the person documentNumber.
func (c *Control) LastSMS(ctx context.Context, documentNumber string) (*SMS, error) {
	var s SMS
	err := mock.ControlCall(ctx, c.hc, http.MethodGet, c.base+"/sms?document_number="+url.QueryEscape(documentNumber), nil, &s)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// AddClient registers an API client with its P-521 public key (PEM) and, when schemes is not nil, the
// signing schemes it alone may use.
func (c *Control) AddClient(ctx context.Context, apiClientKey, publicKeyPEM string, schemes []string) error {
	in := map[string]any{"api_client_key": apiClientKey, "public_key_pem": publicKeyPEM}
	if schemes != nil {
		in["schemes"] = schemes
	}
	return mock.ControlCall(ctx, c.hc, http.MethodPost, c.base+"/clients", in, nil)
}
