package providers

import (
	"context"
	clientbaas "github.com/latam-conformance/conformance/clients/baas"
	"net/http"

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
		},
		Options: []Setting{
			{Name: "sms_token_command", Doc: "a shell command that prints the SMS token sent for a person (env CONFORMANCE_DOCUMENT_NUMBER, CONFORMANCE_PHONE)"},
			{Name: "sms_token_file", Doc: "a file where the SMS token is written once it arrives"},
		},
		Signer: func(secrets map[string]string) (RequestSigner, error) {
			s, err := clientbaas.NewSigner(secrets["api_client_key"], []byte(secrets["private_key"]))
			if err != nil {
				return nil, err
			}
			return s.Sign, nil
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
