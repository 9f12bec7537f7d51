package providers

import (
	"context"
	"net/http"
	"strings"

	"github.com/latam-conformance/conformance/internal/mock"
	mockgu1 "github.com/latam-conformance/conformance/internal/mock/gu1"
)

// Pact provider states of the gu1 contract (exact texts of the consumer tests' Given). Each one builds
// on the one before: an organisation, then an entity in it, then a validation of that entity.
const (
	StateGu1Org        = "an organisation with the KYC integration has an API key"
	StateGu1OrgNoKYC   = "an organisation without the KYC integration has an API key"
	StateGu1Entity     = "an entity exists"
	StateGu1Validation = "a validation exists"
)

func gu1() Provider {
	ctl := func(ctx context.Context, hc *http.Client, base, path string, in any) error {
		return mock.ControlCall(ctx, hc, http.MethodPost, strings.TrimSuffix(base, "/")+mock.ControlPrefix+path, in, nil)
	}
	org := func(kyc bool) StateFunc {
		return func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
			key, err := param(p, "api_key")
			if err != nil {
				return err
			}
			return ctl(ctx, hc, base, "/organizations", map[string]any{"api_key": key, "kyc_configured": kyc})
		}
	}
	// with copies the named parameters into a control body under the given keys.
	with := func(p map[string]any, names map[string]string) (map[string]any, error) {
		in := map[string]any{}
		for state, body := range names {
			v, err := param(p, state)
			if err != nil {
				return nil, err
			}
			in[body] = v
		}
		return in, nil
	}
	return Provider{
		Name:         "gu1",
		Title:        "gu1 KYC validations",
		PactConsumer: "conformance-gu1-client",
		PactProvider: "gu1",
		NewMock:      func(cfg mock.Config) (http.Handler, error) { return mockgu1.New(cfg) },
		Credentials: []Setting{
			{Name: "api_key", Doc: "the organisation's API key, sent as a bearer token (GU1-01)", Mock: mockgu1.APIKey},
			{Name: "api_key_no_kyc", Doc: "the API key of an organisation without the KYC integration (GU1-09); its scenario is skipped without it", Mock: mockgu1.APIKeyNoKYC, Optional: true},
			{Name: "webhook_secret", Doc: "the organisation's webhook signing secret (GU1-13)", Mock: mockgu1.WebhookSecret, Optional: true},
		},
		States: map[string]StateFunc{
			StateGu1Org:      org(true),
			StateGu1OrgNoKYC: org(false),
			StateGu1Entity: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				in, err := with(p, map[string]string{"api_key": "api_key", "entity_id": "id", "type": "type", "name": "name"})
				if err != nil {
					return err
				}
				return ctl(ctx, hc, base, "/entities", in)
			},
			StateGu1Validation: func(ctx context.Context, hc *http.Client, base string, p map[string]any) error {
				in, err := with(p, map[string]string{"api_key": "api_key", "entity_id": "entity_id", "validation_id": "id", "status": "status"})
				if err != nil {
					return err
				}
				return ctl(ctx, hc, base, "/validations", in)
			},
		},
	}
}
