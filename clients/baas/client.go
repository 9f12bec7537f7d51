// Package baas is a thin, typed client for QI Tech's BaaS person-creation API: the SMS token request and
// the movement validation that creates the person (seed 004; catalogue BAAS-01 to BAAS-15).
package baas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// Paths of the documented operations.
const (
	PathTokenRequest       = "/baas/token_request"
	PathMovementValidation = "/baas/movement_validation"
)

// Client calls one BaaS environment. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	userAgent string
	signer    *Signer // nil: requests go unsigned (the embedded mock's default)
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient sets the http.Client (and so the transport, where retries and recording belong).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("baas: WithHTTPClient: nil client")
		}
		c.http = endpoint.HTTPClient(hc, 0)
		return nil
	}
}

// WithTimeout sets the timeout of each call. It replaces the http.Client's own timeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("baas: WithTimeout: %s is not positive", d)
		}
		hc := *c.http
		hc.Timeout = d
		c.http = &hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("baas: WithUserAgent: empty user agent")
		}
		c.userAgent = ua
		return nil
	}
}

// NewClient returns a client for the environment at baseURL (scheme and host, optionally a path prefix).
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := endpoint.Parse("baas", baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, http: endpoint.HTTPClient(nil, 30*time.Second), userAgent: "conformance-baas-client/1"}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// BaseURL is the environment the client calls.
func (c *Client) BaseURL() string { return c.base.String() }

// Post sends body (marshalled to JSON; a json.RawMessage or []byte is sent as it is) to path and decodes
// a 2xx answer into out (when out is not nil). Any other status returns an *APIError. The typed methods
// are built on it; it is exported so that a caller can send a body the types cannot express, such as a
// deliberately malformed one in a negative test.
func (c *Client) Post(ctx context.Context, path string, body, out any) (*http.Response, error) {
	var raw []byte
	switch b := body.(type) {
	case json.RawMessage:
		raw = b
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("baas: encode %s body: %w", path, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.Join(c.base, path).String(), bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("baas: POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.signer != nil {
		if err := c.signer.Sign(req, raw); err != nil {
			return nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("baas: POST %s: %w", path, err)
	}
	// Unknown fields are ignored on purpose: the provider may add fields at any time (BAAS-14).
	return resp, endpoint.Answer(resp, "baas: POST "+path, out, apiError)
}
