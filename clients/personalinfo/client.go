// Package personalinfo is a thin, typed client of the natural-person onboarding API (seed 003): one
// call, POST /internal/v1/clients/personal_informations, authenticated with the bare integration token
// in the Authorization header (PI-01, no "Bearer").
//
// The seed documents the request as a JSON body whose photos are serialised Ruby upload objects
// (`"tempfile":"#<File:0x…>"`, DOC-11): that is the request spec's view of a Rack upload, not something
// a client can send. This client sends what a Rails controller really receives from a client: one
// multipart/form-data body with the fields of PI-02 as text parts and the three photos as file parts.
package personalinfo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// PathPersonalInformations is the only documented operation (PI-01).
const PathPersonalInformations = "/internal/v1/clients/personal_informations"

// Client calls one environment of the API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	token     string
	userAgent string
}

// Option configures a Client.
type Option func(*Client) error

// WithToken sets the integration token sent as `Authorization: <token>` (PI-01).
func WithToken(token string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("personalinfo: WithToken: empty token")
		}
		c.token = token
		return nil
	}
}

// WithHTTPClient sets the http.Client (and so the transport, where retries and recording belong).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("personalinfo: WithHTTPClient: nil client")
		}
		c.http = endpoint.HTTPClient(hc, 0)
		return nil
	}
}

// NewClient returns a client for the environment at baseURL. Without WithToken it sends no
// Authorization header.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := endpoint.Parse("personalinfo", baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, http: endpoint.HTTPClient(nil, 60*time.Second), userAgent: "conformance-personalinfo-client/1"}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// APIError is any non-2xx answer. The API answers Rails-style: {"errors": {"field": ["message", …]}}.
// Callers look at Fields with errors.As; the messages are the provider's words and may change.
type APIError struct {
	StatusCode int
	Fields     map[string][]string
	RequestID  string
	Body       []byte
}

func (e *APIError) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("personalinfo: HTTP %d: %s", e.StatusCode, endpoint.Truncate(string(e.Body), 200))
	}
	return fmt.Sprintf("personalinfo: HTTP %d: %s", e.StatusCode, endpoint.Truncate(FormatErrors(e.Fields), 300))
}

// FormatErrors writes Rails field errors the way Rails' full_messages does: "marital_status is not
// included in the list; birthday is not a valid date", in field order.
func FormatErrors(fields map[string][]string) string {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	slices.Sort(names)
	var parts []string
	for _, f := range names {
		for _, m := range fields[f] {
			parts = append(parts, f+" "+m)
		}
	}
	return strings.Join(parts, "; ")
}

// send sends one request with an already encoded body and decodes a 2xx answer into out.
func (c *Client) send(ctx context.Context, method, escapedPath string, body io.Reader, contentType string, out any) (*http.Response, error) {
	u := endpoint.Join(c.base, escapedPath)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("personalinfo: %s %s: %w", method, escapedPath, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", c.token) // PI-01: the bare token, no scheme
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("personalinfo: %s %s: %w", method, escapedPath, err)
	}
	return resp, endpoint.Answer(resp, "personalinfo: "+method+" "+escapedPath, out, func(status int, raw []byte, h http.Header) error {
		apiErr := &APIError{StatusCode: status, RequestID: h.Get("X-Request-Id"), Body: raw}
		var shape struct {
			Errors map[string][]string `json:"errors"`
		}
		if json.Unmarshal(raw, &shape) == nil {
			apiErr.Fields = shape.Errors
		}
		return apiErr
	})
}
