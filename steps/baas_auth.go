package steps

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	"github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/transport"
)

// badSignatures are the ways BAAS-16 can be broken, each applied to a request the client signed
// correctly with the configured credentials.
var badSignatures = map[string]func(s *baas.Signer, req *http.Request, body []byte) error{
	"without API-CLIENT-KEY": func(_ *baas.Signer, req *http.Request, _ []byte) error {
		req.Header.Del(baas.HeaderAPIClientKey)
		return nil
	},
	"with an unknown API-CLIENT-KEY": func(_ *baas.Signer, req *http.Request, _ []byte) error {
		req.Header.Set(baas.HeaderAPIClientKey, "conformance-unknown-client")
		return nil
	},
	"without AUTHORIZATION": func(_ *baas.Signer, req *http.Request, _ []byte) error {
		req.Header.Del(baas.HeaderAuthorization)
		return nil
	},
	"signed with another key": func(s *baas.Signer, req *http.Request, body []byte) error {
		k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		if err != nil {
			return err
		}
		return resign(&baas.Signer{APIClientKey: s.APIClientKey, Key: k}, req, req.Method, req.URL.EscapedPath(), body)
	},
	"signed for another body": func(s *baas.Signer, req *http.Request, _ []byte) error {
		return resign(s, req, req.Method, req.URL.EscapedPath(), []byte(`{}`))
	},
	"signed for another path": func(s *baas.Signer, req *http.Request, body []byte) error {
		return resign(s, req, req.Method, baas.PathMovementValidation, body)
	},
	"signed six minutes ago": func(s *baas.Signer, req *http.Request, body []byte) error {
		old := *s
		old.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
		return resign(&old, req, req.Method, req.URL.EscapedPath(), body)
	},
}

func resign(s *baas.Signer, req *http.Request, method, uri string, body []byte) error {
	tok, err := s.Token(method, uri, body)
	if err != nil {
		return err
	}
	req.Header.Set(baas.HeaderAuthorization, tok)
	return nil
}

// requestTokenBadlySigned sends the scenario's token request with its BAAS-16 authentication broken
// the named way.
func requestTokenBadlySigned(ctx context.Context, how string) error {
	w, b, err := baasOf(ctx)
	if err != nil {
		return err
	}
	breakIt, ok := badSignatures[how]
	if !ok {
		return fmt.Errorf("no way to break the signature called %q", how)
	}
	hc := w.httpClient("baas")
	next := hc.Transport
	body := w.body.raw()
	hc.Transport = transport.Func(func(req *http.Request) (*http.Response, error) {
		if err := breakIt(b.signer, req, body); err != nil {
			return nil, err
		}
		return next.RoundTrip(req)
	})
	c, err := baas.NewClient(w.deps.Targets["baas"].BaseURL, baas.WithHTTPClient(hc), baas.WithSigner(b.signer))
	if err != nil {
		return err
	}
	w.alter()
	_, err = c.Post(ctx, baas.PathTokenRequest, body, nil)
	return transportOnly(err)
}
