package providers

import (
	"context"
	clientbaas "github.com/latam-conformance/conformance/clients/baas"
	"net/http"
	"strings"

	"github.com/latam-conformance/conformance/internal/mock"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
)

// Pact provider states of the BaaS contract (exact texts of the consumer tests' Given).
const (
	StateBaaSKnownAdmin   = "an administrator is a known contact"
	StateBaaSUnknownAdmin = "an administrator is not a known contact"
	StateBaaSToken        = "a person holds an SMS token"
	StateBaaSExpiredToken = "a person holds an expired SMS token"
)

func baas() Provider {
	ctl := func(hc *http.Client, base string) *mockbaas.Control { return mockbaas.NewControl(base, hc) }
	return Provider{
		Name:         "baas",
		Title:        "QI Tech BaaS person creation",
		PactConsumer: "conformance-baas-client",
		PactProvider: "qitech-baas",
		NewMock:      func(cfg mock.Config) (http.Handler, error) { return mockbaas.New(cfg) },
		Credentials: []Setting{
			{Name: "api_client_key", Doc: "the API-CLIENT-KEY QI Tech issued (BAAS-16)", Mock: mockbaas.APIClientKey},
			{Name: "private_key", Doc: "the client's P-521 private key in PEM, which signs the AUTHORIZATION JWT (BAAS-16)", Mock: mockbaas.FixturePrivateKeyPEM,
				Check: func(v string) error { _, err := clientbaas.ParsePrivateKey([]byte(v)); return err }},
			{Name: "qi_public_key", Doc: "QI's P-521 public key in PEM, which checks the answers of the string_to_sign scheme (BAAS-17)",
				Mock: mockbaas.ProviderPublicKeyPEM, Optional: true,
				Check: func(v string) error { _, err := clientbaas.ParsePublicKey([]byte(v)); return err }},
		},
		Options: []Setting{
			{Name: "sms_token_command", Doc: "a shell command that prints the SMS token sent for a person (env CONFORMANCE_DOCUMENT_NUMBER, CONFORMANCE_PHONE)"},
			{Name: "sms_token_file", Doc: "a file where the SMS token is written once it arrives"},
			{Name: "token_ttl", Doc: "how long the target's SMS tokens live (e.g. 5m): without the control API, BAAS-12 waits that long, up to 10m, for a token to expire"},
			{Name: "signing", Doc: "the request-signing schemes to try, in order: claims (BAAS-16), qit (BAAS-17's string_to_sign), or claims,qit; the first signs every scenario, and the run reports which the target accepts (DOC-17). Default: claims,qit against a mock with the control API, claims otherwise"},
		},
		Signer: func(secrets map[string]string) (RequestSigner, error) {
			s, err := clientbaas.NewSigner(secrets["api_client_key"], []byte(secrets["private_key"]))
			if err != nil {
				return nil, err
			}
			q := &clientbaas.QITSigner{APIClientKey: s.APIClientKey, Key: s.Key}
			// Each request is signed afresh in the scheme the contract shows: BAAS-17's QIT, or BAAS-16.
			return func(req *http.Request, body []byte) error {
				if strings.HasPrefix(req.Header.Get("Authorization"), "QIT ") {
					return q.Resign(req, body)
				}
				return s.Sign(req, body)
			}, nil
		},
		States: map[string]StateFunc{
			StateBaaSKnownAdmin: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				cpf, err := param(p, "document_number")
				if err != nil {
					return err
				}
				return ctl(hc, base).AddContact(ctx, cpf)
			},
			StateBaaSUnknownAdmin: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				cpf, err := param(p, "document_number")
				if err != nil {
					return err
				}
				return ctl(hc, base).RemoveContact(ctx, cpf)
			},
			StateBaaSToken: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				return issue(ctx, ctl(hc, base), p, false)
			},
			StateBaaSExpiredToken: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				return issue(ctx, ctl(hc, base), p, true)
			},
		},
	}
}

func issue(ctx context.Context, c *mockbaas.Control, p map[string]any, expired bool) error {
	doc, err := param(p, "document_number")
	if err != nil {
		return err
	}
	tok, err := param(p, "token")
	if err != nil {
		return err
	}
	return c.IssueToken(ctx, doc, tok, expired)
}
