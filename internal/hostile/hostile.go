// Package hostile is a test helper: an HTTP target on loopback that stands in front of a conforming
// mock and does what a hostile or broken provider would - redirect elsewhere, stream endless or
// oversized bodies, send gzip bombs, declare the wrong media type, echo every credential back in bodies,
// headers, redirects and HTML pages, die mid-run or never answer. The control API (/__control/...)
// passes untouched, so the suite still sets its provider states. Tests only; nothing here is in the
// binary.
package hostile

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Answer is the conforming mock's answer to a request, before the behaviour changes it.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Behaviour answers a provider request; forward asks the conforming mock behind (once).
type Behaviour func(s *Server, w http.ResponseWriter, r *http.Request, reqBody []byte, forward func() Answer)

// Server is a hostile target.
type Server struct {
	URL  string
	Hits atomic.Int64 // provider requests (not control-API calls) it received
	srv  *httptest.Server
}

// New starts a hostile target in front of upstream (a mock's base URL) on 127.0.0.1.
func New(t testing.TB, upstream string, b Behaviour) *Server {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatalf("hostile: upstream %q: %v", upstream, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasPrefix(r.URL.Path, "/__control/") {
			proxy.ServeHTTP(w, r)
			return
		}
		s.Hits.Add(1)
		forward := func() Answer {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.Header.Del("Accept-Encoding") // the upstream's answer as plain bytes
			rec := httptest.NewRecorder()
			proxy.ServeHTTP(rec, r)
			return Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
		}
		b(s, w, r, body, forward)
	}))
	s.srv.Start()
	t.Cleanup(s.Close)
	s.URL = s.srv.URL
	return s
}

// Close stops the target and every connection it holds.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Die stops accepting and closes every connection: the target is gone, as a killed process is.
func (s *Server) Die() {
	_ = s.srv.Listener.Close()
	s.srv.CloseClientConnections()
}

// WriteTo sends the answer as the conforming mock gave it.
func (a Answer) WriteTo(w http.ResponseWriter) {
	copyHeader(w, a.Header)
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

func copyHeader(w http.ResponseWriter, h http.Header) {
	for k, vs := range h {
		if strings.EqualFold(k, "Content-Length") {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
}

// Redirect answers every provider request with status and a Location on to, carrying the request's
// credentials and body URL-encoded in its query, under an HTML page that echoes them too.
func Redirect(status int, to string) Behaviour {
	return func(_ *Server, w http.ResponseWriter, r *http.Request, body []byte, _ func() Answer) {
		q := url.Values{"auth": {r.Header.Get("Authorization")}, "key": {r.Header.Get("Api-Client-Key")},
			"api": {r.Header.Get("X-Api-Key")}, "body": {string(body[:min(len(body), 4096)])}}
		w.Header().Set("Location", strings.TrimSuffix(to, "/")+"/steal"+r.URL.Path+"?"+q.Encode())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><body>Moved: %s %s</body></html>", html.EscapeString(r.Header.Get("Authorization")), html.EscapeString(string(body)))
	}
}

// Pad forwards, then sends the conforming answer followed by n bytes of white space: still valid JSON
// to a reader that stops early. With gzipped it is sent gzip-compressed to a client that accepts gzip
// (a gzip bomb: a few kilobytes that expand past any limit). The body stops early if the client goes.
func Pad(n int64, gzipped bool) Behaviour {
	return func(_ *Server, w http.ResponseWriter, r *http.Request, _ []byte, forward func() Answer) {
		accepts := strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
		a := forward()
		copyHeader(w, a.Header)
		var out io.Writer = w
		var zw *gzip.Writer
		if gzipped && accepts {
			w.Header().Set("Content-Encoding", "gzip")
			zw = gzip.NewWriter(w)
			out = zw
		}
		w.WriteHeader(a.Status)
		if _, err := out.Write(a.Body); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for sent := int64(0); sent < n; sent += int64(len(chunk)) {
			if _, err := out.Write(chunk); err != nil {
				return
			}
		}
		if zw != nil {
			_ = zw.Close()
		}
	}
}

// MediaType forwards and declares contentType for the answer.
func MediaType(contentType string) Behaviour {
	return func(_ *Server, w http.ResponseWriter, _ *http.Request, _ []byte, forward func() Answer) {
		a := forward()
		copyHeader(w, a.Header)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	}
}

// Echo forwards, and turns every error answer into one that quotes the request back: every header and
// the body, JSON-escaped in a JSON body (every other answer an HTML page instead), base64 and raw in
// response headers.
func Echo() Behaviour {
	var n atomic.Int64
	return func(_ *Server, w http.ResponseWriter, r *http.Request, body []byte, forward func() Answer) {
		a := forward()
		copyHeader(w, a.Header)
		all := map[string]string{"body": string(body), "query": r.URL.RawQuery}
		var flat []string
		for k, vs := range r.Header {
			all[k] = strings.Join(vs, ", ")
			flat = append(flat, k+": "+strings.Join(vs, ", "))
		}
		w.Header().Set("X-Echo-Authorization", base64.StdEncoding.EncodeToString([]byte(r.Header.Get("Authorization"))))
		w.Header().Set("X-Echo-Key", r.Header.Get("Api-Client-Key"))
		w.Header().Set("X-Echo-Raw-Auth", r.Header.Get("Authorization"))
		// The body once more, nested in the encodings an echo wraps what it got in: a form body (already
		// URL-encoded) URL-encoded again, JSON-escaped then URL-encoded, and base64 of either.
		jsonBody, _ := json.Marshal(string(body))
		w.Header().Set("X-Echo-Body-Query", url.QueryEscape(string(body)))
		w.Header().Set("X-Echo-Body-Json-Query", url.QueryEscape(string(jsonBody)))
		w.Header().Set("X-Echo-Body-Query-B64", base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(string(body)))))
		w.Header().Set("X-Echo-Body-Json-B64", base64.StdEncoding.EncodeToString(jsonBody))
		if a.Status < 400 {
			w.WriteHeader(a.Status)
			_, _ = w.Write(a.Body)
			return
		}
		if n.Add(1)%2 == 0 {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(a.Status)
			fmt.Fprintf(w, "<html><body><h1>Error</h1><pre>%s\n%s</pre></body></html>", html.EscapeString(strings.Join(flat, "\n")), html.EscapeString(string(body)))
			return
		}
		echo, _ := json.Marshal(all) // HTML-escaped: < > & arrive as \u003c \u003e \u0026
		var doc map[string]any
		if json.Unmarshal(a.Body, &doc) != nil || doc == nil {
			doc = map[string]any{}
		}
		doc["echo"] = string(echo)
		doc["message"] = "rejected " + string(echo)
		out, _ := json.Marshal(doc)
		w.WriteHeader(a.Status)
		_, _ = w.Write(out)
	}
}

// DieAfter forwards the first n provider requests faithfully, then dies as a killed process does:
// the connection of request n+1 is dropped unanswered and nothing is accepted afterwards.
func DieAfter(n int64) Behaviour {
	var once sync.Once
	return func(s *Server, w http.ResponseWriter, r *http.Request, _ []byte, forward func() Answer) {
		if s.Hits.Load() <= n {
			forward().WriteTo(w)
			return
		}
		once.Do(func() { go s.Die() })
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
			}
		}
	}
}

// HangAfter forwards the first n provider requests, then never answers: each request is held until the
// client gives up (or max passes, so that the helper always ends).
func HangAfter(n int64, max time.Duration) Behaviour {
	return func(s *Server, w http.ResponseWriter, r *http.Request, _ []byte, forward func() Answer) {
		if s.Hits.Load() <= n {
			forward().WriteTo(w)
			return
		}
		select {
		case <-r.Context().Done():
		case <-time.After(max):
		}
	}
}

// Counter is a server that only counts what reaches it: the stand-in for a production host.
type Counter struct {
	URL  string
	Hits atomic.Int64
	srv  *httptest.Server
}

// NewCounter listens on addr (a loopback address other than the target's, e.g. "127.0.0.2:0").
func NewCounter(t testing.TB, addr string) *Counter {
	t.Helper()
	c := &Counter{}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("hostile: listen on %s: %v", addr, err)
	}
	c.srv.Listener = ln
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	c.URL = c.srv.URL
	return c
}
