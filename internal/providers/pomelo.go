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
	StatePomeloSession = "a KYC session exists"
)

func pomelo() Provider {
	return Provider{
		Name:         "pomelo",
		Title:        "Pomelo Identity (KYC and KYB sessions)",
		PactConsumer: "conformance-pomelo-client",
		PactProvider: "pomelo-identity",
		NewMock:      func(cfg mock.Config) (http.Handler, error) { return mockpomelo.New(cfg) },
		States: map[string]StateFunc{
			StatePomeloSession: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				user, err := param(p, "user_id")
				if err != nil {
					return err
				}
				flow, err := param(p, "flow_id")
				if err != nil {
					return err
				}
				return mock.ControlCall(ctx, hc, http.MethodPost, strings.TrimSuffix(base, "/")+mock.ControlPrefix+"/sessions",
					map[string]any{"user_id": user, "flow_id": flow, "status": "IN_PROGRESS", "created_at": "2024-01-02T03:04:05Z"}, nil)
			},
		},
	}
}
