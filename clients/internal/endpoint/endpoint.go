// Package endpoint is what the provider clients share about where they send requests: the base URL
// check, joining it with an escaped path, the limit on error bodies and the header of a file part.
package endpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// MaxErrorBody is how much of an error body a client reads: 1 MiB.
const MaxErrorBody = 1 << 20

// Parse checks that raw is http(s)://host[:port][/prefix] and drops a trailing slash from the prefix.
// Errors start with pkg, the client's package name.
func Parse(pkg, base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("%s: base URL %q: %w", pkg, base, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q: want http(s)://host[:port][/prefix]", pkg, base)
	}
	raw := strings.TrimSuffix(u.EscapedPath(), "/")
	if p, err := url.PathUnescape(raw); err == nil {
		u.Path, u.RawPath = p, raw
	}
	return u, nil
}

// Join returns base followed by an already escaped path (ids escaped segment by segment, so an id
// holding "/" cannot change the route), without a query.
func Join(base *url.URL, escapedPath string) *url.URL {
	u := *base
	raw := base.EscapedPath() + escapedPath
	p, err := url.PathUnescape(raw)
	if err != nil {
		p = raw
	}
	u.Path, u.RawPath = p, raw
	return &u
}

// SameOrigin is the CheckRedirect of every client: a redirect is followed only within the origin
// (scheme, host and port) of the request that drew it, so no credential is carried anywhere else. A
// redirect elsewhere is handed to the caller as the answer.
func SameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if !strings.EqualFold(req.URL.Scheme, first.Scheme) || !strings.EqualFold(req.URL.Host, first.Host) {
		return http.ErrUseLastResponse
	}
	return nil
}

// HTTPClient is hc, or a client with timeout when hc is nil, that follows no redirect to another origin
// (SameOrigin, unless hc has a CheckRedirect of its own).
func HTTPClient(hc *http.Client, timeout time.Duration) *http.Client {
	if hc == nil {
		return &http.Client{Timeout: timeout, CheckRedirect: SameOrigin}
	}
	c := *hc
	if c.CheckRedirect == nil {
		c.CheckRedirect = SameOrigin
	}
	return &c
}

// Truncate shortens s to n bytes for an error message.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

// FilePart is the MIME header of a multipart/form-data file part. The names are escaped the way
// mime/multipart escapes them (backslash and double quote only), so a non-ASCII file name is sent as
// UTF-8 rather than as a Go-quoted \u escape.
func FilePart(field, filename, contentType string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(field), quoteEscaper.Replace(filename)))
	h.Set("Content-Type", contentType)
	return h
}

// Answer reads and closes an answer. A non-2xx one becomes apiErr(status, body, header), the body read
// up to MaxErrorBody; a 2xx one is decoded as JSON into out, or drained when out is nil. Unknown members
// are ignored: a provider may add some at any time. what names the call in a decode error
// ("gu1: GET /api/kyc/validations/x").
func Answer(resp *http.Response, what string, out any, apiErr func(status int, body []byte, h http.Header) error) error {
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
		return apiErr(resp.StatusCode, b, resp.Header)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: decode %d body: %w", what, resp.StatusCode, err)
	}
	return nil
}
