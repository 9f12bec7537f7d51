package providers

import (
	"context"
	"net/http"
	"strings"

	"github.com/latam-conformance/conformance/internal/mock"
	mockpomelo "github.com/latam-conformance/conformance/internal/mock/pomelo"
)

// Pact provider states of the Pomelo contract (exact texts of the consumer tests' Given).
const (
	StatePomeloToken     = "an access token is valid"
	StatePomeloSession   = "a KYC session exists"
	StatePomeloValidated = "a user has a validated session"
)

func pomelo() Provider {
	ctl := func(ctx context.Context, hc *http.Client, base, path string, in any) error {
		return mock.ControlCall(ctx, hc, http.MethodPost, strings.TrimSuffix(base, "/")+mock.ControlPrefix+path, in, nil)
	}
	session := func(status string) StateFunc {
		return func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
			in := map[string]any{"status": status, "created_at": "2024-01-02T03:04:05Z"}
			for _, k := range []string{"session_id", "user_id", "flow_id"} {
				v, err := param(p, k)
				if err != nil && k != "session_id" {
					return err
				}
				in[strings.TrimPrefix(k, "session_")] = v
			}
			return ctl(ctx, hc, base, "/sessions", in)
		}
	}
	return Provider{
		Name:         "pomelo",
		Title:        "Pomelo Identity (KYC and KYB sessions)",
		PactConsumer: "conformance-pomelo-client",
		PactProvider: "pomelo-identity",
		NewMock:      func(cfg mock.Config) (http.Handler, error) { return mockpomelo.New(cfg) },
		Credentials: []Setting{
			{Name: "client_id", Doc: "OAuth2 client id (KYC-16)", Mock: mockpomelo.ClientID},
			{Name: "client_secret", Doc: "OAuth2 client secret (KYC-16)", Mock: mockpomelo.ClientSecret},
			{Name: "webhook_api_key", Doc: "the X-Api-Key of webhook notifications (KYC-15)", Mock: mockpomelo.WebhookAPIKey, Optional: true},
			{Name: "webhook_secret", Doc: "the base64 webhook signing secret (KYC-15)", Mock: mockpomelo.WebhookSecret, Optional: true},
		},
		Options: []Setting{{Name: "audience", Doc: "the OAuth2 audience of the token request (KYC-16)", Mock: "https://api.pomelo.la"},
			{Name: "flows", Doc: "the validation flows configured in the provider, COUNTRY:flow-id,… (ARG:flo-…,BRA:flo-…): a target without the control API creates sessions from them"},
			{Name: "webhook_url", Doc: "the webhook URL the flows configured in the provider notify (KYC-14 on a target without the control API; what a tunnel forwards to webhook_listen)"},
			{Name: "webhook_listen", Doc: "HOST:PORT where the run receives the notifications sent to webhook_url"}},
		States: map[string]StateFunc{
			StatePomeloToken: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				tok, err := param(p, "token")
				if err != nil {
					return err
				}
				return ctl(ctx, hc, base, "/tokens", map[string]any{"token": tok})
			},
			StatePomeloSession:   session("IN_PROGRESS"),
			StatePomeloValidated: session("VALIDATED"),
		},
	}
}
