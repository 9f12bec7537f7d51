package verify

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/latam-conformance/conformance/internal/providers"
)

// signingProxy stands between the Pact verifier and a provider whose requests are signed one by one
// (BaaS, BAAS-16): a contract holds the signature of the day it was written, which a provider refuses
// as stale, so each replayed request is signed afresh on its way through. pact-go's request filters do
// the same with a proxy; the FFI verifier alone cannot.
type signingProxy struct {
	url  *url.URL
	srv  *http.Server
	done chan struct{}
}

func startSigningProxy(target *url.URL, sign providers.RequestSigner) (*signingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = target.Scheme, target.Host, target.Host
	}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		// Only what the contract shows signed is signed again: an interaction about a missing signature
		// stays unsigned.
		if err == nil && r.Header.Get("Authorization") != "" {
			err = sign(r, body) // the path is the one forwarded, so the uri claim holds
		}
		if err != nil {
			http.Error(w, "conformance verify: could not sign the request: "+err.Error(), http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	})
	p := &signingProxy{url: &url.URL{Scheme: "http", Host: ln.Addr().String()}, done: make(chan struct{}),
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln) // ErrServerClosed once close is called; the verifier reports what it could not reach
	}()
	return p, nil
}

func (p *signingProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	<-p.done
}
