// Package pomelo is a thin, typed client for Pomelo Identity: KYC sessions for individuals and KYB
// sessions for companies (seeds 000 and 001; catalogue KYC-01..17, KYB-01..09).
//
// Authentication is OAuth2 client credentials with an audience (KYC-16): the token is fetched from
// POST /oauth/token, cached until shortly before it expires, and fetched again once when the API answers
// 401. Paths follow the plural "sessions" form (DOC-01) and the v2 create / v1 everything else split
// (DOC-02) of the seed.
package pomelo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/latam-conformance/conformance/clients/internal/endpoint"
)

// Paths of the documented operations.
const (
	PathToken            = "/oauth/token"
	PathCreateSession    = "/identity/v2/sessions"
	PathSessions         = "/identity/v1/sessions"
	PathCleanValidations = "/clean_validations" // no /identity prefix in the seed (DOC-05)
)

// Credentials are the OAuth2 client credentials of KYC-16.
type Credentials struct {
	ClientID     string
	ClientSecret string
	Audience     string
}

// Client calls one Pomelo environment. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client // carries the bearer token
	userAgent string
	creds     *Credentials
	source    oauth2.TokenSource
	inner     *http.Client // transport for the token endpoint and the API (no auth)
	tokens    *tokenCache
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient sets the http.Client whose transport carries every call (token requests included).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("pomelo: WithHTTPClient: nil client")
		}
		c.inner = endpoint.HTTPClient(hc, 0)
		return nil
	}
}

// WithCredentials makes the client authenticate with OAuth2 client credentials.
func WithCredentials(cr Credentials) Option {
	return func(c *Client) error {
		if cr.ClientID == "" || cr.ClientSecret == "" {
			return errors.New("pomelo: WithCredentials: client id and secret are required")
		}
		c.creds = &cr
		return nil
	}
}

// WithTokenSource makes the client take its bearer tokens from src instead of fetching them with
// client credentials (a token the caller manages, or oauth2.StaticTokenSource in tests).
func WithTokenSource(src oauth2.TokenSource) Option {
	return func(c *Client) error {
		if src == nil {
			return errors.New("pomelo: WithTokenSource: nil source")
		}
		c.source = src
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("pomelo: WithUserAgent: empty user agent")
		}
		c.userAgent = ua
		return nil
	}
}

// NewClient returns a client for the environment at baseURL. Without WithCredentials it sends no
// Authorization header (useful to test KYB-01 and KYC-16 themselves).
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := endpoint.Parse("pomelo", baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, inner: endpoint.HTTPClient(nil, 30*time.Second), userAgent: "conformance-pomelo-client/1"}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	c.http = c.inner
	if c.creds != nil && c.source != nil {
		return nil, errors.New("pomelo: WithCredentials and WithTokenSource exclude each other")
	}
	if c.creds != nil {
		cc := &clientcredentials.Config{
			ClientID: c.creds.ClientID, ClientSecret: c.creds.ClientSecret,
			TokenURL:       c.url(PathToken),
			EndpointParams: url.Values{"audience": {c.creds.Audience}},
			AuthStyle:      oauth2.AuthStyleInParams,
		}
		hc := c.inner
		c.tokens = &tokenCache{fetch: func(ctx context.Context) (*oauth2.Token, error) {
			return cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
		}}
	}
	if c.source != nil {
		src := c.source
		c.tokens = &tokenCache{fetch: func(context.Context) (*oauth2.Token, error) { return src.Token() }}
	}
	if c.tokens != nil {
		c.http = &http.Client{Timeout: c.inner.Timeout, Transport: &authTransport{tokens: c.tokens, next: transportOf(c.inner)}, CheckRedirect: c.inner.CheckRedirect}
	}
	return c, nil
}

func transportOf(hc *http.Client) http.RoundTripper {
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}

// url joins the base URL and an already escaped path (ids are escaped segment by segment, so an id
// holding "/" cannot change the route).
func (c *Client) url(escapedPath string) string { return endpoint.Join(c.base, escapedPath).String() }

// BaseURL is the environment the client calls.
func (c *Client) BaseURL() string { return c.base.String() }

// tokenCache holds the current token; it is refreshed shortly before expiry (oauth2's 10 s margin) and
// dropped when the API answers 401.
type tokenCache struct {
	fetch func(context.Context) (*oauth2.Token, error)
	mu    sync.Mutex
	tok   *oauth2.Token
}

func (t *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Valid() {
		return t.tok, nil
	}
	tok, err := t.fetch(ctx)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			return nil, apiErrorFrom(re.Response.StatusCode, re.Body, re.Response.Header)
		}
		return nil, fmt.Errorf("pomelo: POST %s: %w", PathToken, err)
	}
	t.tok = tok
	return tok, nil
}

func (t *tokenCache) drop(old *oauth2.Token) {
	t.mu.Lock()
	if t.tok == old {
		t.tok = nil
	}
	t.mu.Unlock()
}

// authTransport adds the bearer token and, on a 401, fetches a new token and replays the request once.
type authTransport struct {
	tokens *tokenCache
	next   http.RoundTripper
}

func (a *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := a.tokens.token(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := a.next.RoundTrip(withToken(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, endpoint.MaxErrorBody))
	_ = resp.Body.Close()
	a.tokens.drop(tok)
	if tok, err = a.tokens.token(req.Context()); err != nil {
		return nil, err
	}
	retry := withToken(req, tok)
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return a.next.RoundTrip(retry)
}

func withToken(req *http.Request, tok *oauth2.Token) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return r
}

// do sends one request; body is JSON-encoded unless it is an io.Reader (sent as is with contentType).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, contentType string, out any) (*http.Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case json.RawMessage:
		rd, contentType = bytes.NewReader(b), "application/json"
	case *bytes.Buffer:
		rd = bytes.NewReader(b.Bytes())
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("pomelo: encode %s body: %w", path, err)
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	u := c.url(path)
	if len(query) > 0 {
		u += "?" + encodeQuery(query)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("pomelo: %s %s: %w", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return nil, apiErr
		}
		return nil, fmt.Errorf("pomelo: %s %s: %w", method, path, err)
	}
	return resp, endpoint.Answer(resp, "pomelo: "+method+" "+path, out, func(status int, b []byte, h http.Header) error {
		return apiErrorFrom(status, b, h)
	})
}

// encodeQuery writes keys in order with their brackets unescaped, as the seed writes them
// (filter[status]=IN_PROGRESS): url.Values.Encode would send filter%5Bstatus%5D, which a strict server
// may not read back.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		ek := strings.NewReplacer("%5B", "[", "%5D", "]").Replace(url.QueryEscape(k))
		for _, v := range q[k] {
			if sb.Len() > 0 {
				sb.WriteByte('&')
			}
			sb.WriteString(ek)
			sb.WriteByte('=')
			sb.WriteString(strings.ReplaceAll(url.QueryEscape(v), "%2C", ","))
		}
	}
	return sb.String()
}

// Raw sends a request with a body the types cannot express (a negative test's malformed body): body is
// sent as given with contentType; a 2xx answer is decoded into out when out is not nil.
func (c *Client) Raw(ctx context.Context, method, path string, query url.Values, body []byte, contentType string, out any) (*http.Response, error) {
	var b any
	if body != nil {
		b = bytes.NewBuffer(body)
	}
	return c.do(ctx, method, path, query, b, contentType, out)
}
