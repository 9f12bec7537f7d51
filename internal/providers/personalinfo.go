package providers

import (
	"context"
	"net/http"
	"strings"

	"github.com/latam-conformance/conformance/internal/mock"
	mockpi "github.com/latam-conformance/conformance/internal/mock/personalinfo"
)

// StatePIToken is the Pact provider state of the natural-person contract: the token given as the
// parameter "token" is a valid integration token.
const StatePIToken = "an integration token is valid"

func personalinfo() Provider {
	return Provider{
		Name:         "personalinfo",
		Title:        "Natural-person onboarding API (personal informations)",
		PactConsumer: "conformance-personalinfo-client",
		PactProvider: "personalinfo",
		NewMock:      func(cfg mock.Config) (http.Handler, error) { return mockpi.New(cfg) },
		Credentials:  []Setting{{Name: "token", Doc: "the integration token, the whole Authorization header (PI-01)", Mock: mockpi.Token}},
		States: map[string]StateFunc{
			StatePIToken: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				tok, err := param(p, "token")
				if err != nil {
					return err
				}
				return mock.ControlCall(ctx, hc, http.MethodPost, strings.TrimSuffix(base, "/")+mock.ControlPrefix+"/tokens",
					map[string]any{"token": tok}, nil)
			},
		},
	}
}
