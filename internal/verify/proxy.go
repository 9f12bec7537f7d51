package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/schema"
)

// proxy stands between the Pact verifier and every target, on loopback:
//   - requests leave through the run's guard (production hosts refused before a byte is sent), and the
//     proxy follows no redirect: a 3xx is judged here and answered 502, so the verifier cannot follow
//     it anywhere either;
//   - requests a contract shows signed are signed afresh (BaaS, BAAS-16): a contract holds the signature
//     of the day it was written, which a provider refuses as stale (pact-go's request filters do this
//     with a proxy too; the FFI verifier alone cannot);
//   - every answer is judged against the provider's schemas, as 'conformance run' judges it, so a body
//     that Pact matches loosely (an expected {} matches any object) cannot hide a wrong answer.
type proxy struct {
	url  *url.URL
	srv  *http.Server
	done chan struct{}

	mu        sync.Mutex
	exchanges []judged
}

// judged is one replayed request and what the schemas said of its answer.
type judged struct {
	Method, Path string
	Problems     []string
	// QITRefused: the request was signed QI's string_to_sign way (BAAS-17) and the target answered
	// GDF000014: it does not accept that scheme (DOC-17), which is no failure of the contract's body.
	QITRefused bool
}

type proxyConfig struct {
	target   *url.URL
	provider string
	sign     providers.RequestSigner // nil: requests go as recorded
	schemas  *schema.Registry        // nil: answers are not judged
	strict   bool                    // drift (an unlisted member or enum value) fails too (embedded mocks)
	guard    *netguard.Policy
	seen     func(values ...string) // told every Authorization sent or received; may be nil
}

func startProxy(c proxyConfig) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{url: &url.URL{Scheme: "http", Host: ln.Addr().String()}, done: make(chan struct{})}
	prefix := strings.TrimSuffix(c.target.Path, "/")
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = c.target.Scheme, c.target.Host, c.target.Host
			r.Out.Header.Del("Accept-Encoding") // the transport asks for gzip itself and decompresses, within the limit
		},
		Transport: c.guard.RoundTripper(c.guard.Transport()),
		ModifyResponse: func(resp *http.Response) error {
			if c.seen != nil {
				c.seen(resp.Request.Header.Get("Authorization"), resp.Header.Get("Authorization"))
			}
			body, problems := p.judge(c, prefix, resp)
			p.mu.Lock()
			p.exchanges = append(p.exchanges, judged{Method: resp.Request.Method, Path: resp.Request.URL.Path, Problems: problems,
				QITRefused: qitRefused(resp, body)})
			p.mu.Unlock()
			if resp.StatusCode >= 300 && resp.StatusCode < 400 {
				// Never handed on: the verifier would follow it.
				resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
				resp.Header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
				body = []byte("conformance verify: " + strings.Join(problems, "; "))
			}
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			resp.Header.Del("Content-Encoding")
			resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "conformance verify: the target did not answer: "+err.Error(), http.StatusBadGateway)
		},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		// Only what the contract shows signed is signed again: an interaction about a missing signature
		// stays unsigned.
		if err == nil && c.sign != nil && r.Header.Get("Authorization") != "" {
			err = c.sign(r, body) // the path is the one forwarded, so the uri claim holds
		}
		if err != nil {
			http.Error(w, "conformance verify: could not sign the request: "+err.Error(), http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	})
	p.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln) // ErrServerClosed once close is called; the verifier reports what it could not reach
	}()
	return p, nil
}

// judge reads the answer (at most schema.MaxAnswerBody bytes) and checks it as a run would: no redirect, a
// documented status, JSON where JSON is documented, the status's schema.
func (p *proxy) judge(c proxyConfig, prefix string, resp *http.Response) ([]byte, []string) {
	req := resp.Request
	path := strings.TrimPrefix(req.URL.Path, prefix)
	name := req.Method + " " + path
	body, over, err := schema.ReadAnswer(resp.Body)
	_ = resp.Body.Close()
	switch {
	case err != nil:
		return body, []string{fmt.Sprintf("%s: the answer could not be read: %v", name, err)}
	case over:
		return body, []string{fmt.Sprintf("%s answered %d with a body over the %d MiB the harness reads", name, resp.StatusCode, schema.MaxAnswerBody>>20)}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return body, []string{fmt.Sprintf("%s answered %d, a redirect to %s, which its documents do not show; the harness never follows a redirect",
			name, resp.StatusCode, netguard.ShowURL(resp.Header.Get("Location")))}
	case c.schemas == nil:
		return body, nil
	}
	judged := body
	if plain, ok := baas.EncodedPayload(body); ok && strings.HasPrefix(req.Header.Get("Authorization"), "QIT ") {
		judged = plain // BAAS-17: the answer's body is what its encoded_body carries
	}
	op, ok := c.schemas.Match(c.provider, req.Method, path)
	if !ok {
		return body, []string{fmt.Sprintf("%s is not a documented operation of %s", name, c.provider)}
	}
	schemaFile, documented := op.Responses[fmt.Sprint(resp.StatusCode)]
	if documented && len(body) > 0 && !schema.IsJSON(resp.Header.Get("Content-Type")) {
		return body, []string{fmt.Sprintf("%s answered %d with %q; its documents describe a JSON answer", name, resp.StatusCode, resp.Header.Get("Content-Type"))}
	}
	vs, err := c.schemas.ValidateResponse(op, resp.StatusCode, judged)
	if err != nil {
		return body, []string{err.Error()}
	}
	if c.strict {
		vs = append(vs, c.schemas.UnknownFields(op, resp.StatusCode, judged)...)
	}
	var problems []string
	for _, v := range vs {
		if v.Rule == "enum" && !c.strict {
			continue // drift from an external target, as a run reports it: not a failure here
		}
		problems = append(problems, fmt.Sprintf("%s: response %d breaks schemas/%s/%s: %s", name, resp.StatusCode, c.provider, schemaFile, v))
	}
	return body, problems
}

// taken returns, in order, the requests replayed through the proxy and what was found in their answers.
func (p *proxy) taken() []judged {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]judged(nil), p.exchanges...)
}

func (p *proxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	<-p.done
}

// qitRefused tells whether resp refuses a string_to_sign request for its signature (GDF000014).
func qitRefused(resp *http.Response, body []byte) bool {
	if !strings.HasPrefix(resp.Request.Header.Get("Authorization"), "QIT ") || resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	var e struct {
		Code string `json:"code"`
	}
	return json.Unmarshal(body, &e) == nil && e.Code == baas.CodeInvalidSignature
}
