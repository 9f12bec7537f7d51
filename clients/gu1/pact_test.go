package gu1_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"
	"github.com/pact-foundation/pact-go/v2/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/clients/gu1"
	"github.com/latam-conformance/conformance/internal/pactfile"
	"github.com/latam-conformance/conformance/internal/pacttest"
	"github.com/latam-conformance/conformance/internal/providers"
)

// See clients/baas/pact_test.go: fresh folder, then compared with (or, with PACT_UPDATE=1, copied to)
// the committed pacts/ file.
var pactDir string

var pactName = pacttest.FileName("gu1")

// obj is a JSON object whose values may be Pact matchers.
type obj = map[string]any

var pactRan bool

func TestMain(m *testing.M) {
	os.Exit(pactfile.ConsumerMain(m, filepath.Join("..", "..", "pacts"), pactName,
		func(dir string) { pactDir = dir }, func() bool { return pactRan }))
}

const (
	pactKey      = "gu1-pact-key"
	pactNoKYCKey = "gu1-pact-nokyc-key"
	personID     = "0b6f4c1e-6f0a-4c55-9a53-6d3e1f7b2a10"
	companyID    = "7c2d9e4a-3b1f-4d8e-a6c5-1f0e9d8c7b6a"
	validationID = "e3a1c2b4-5d6f-4a8b-9c0d-1e2f3a4b5c6d"
	missingID    = "123e4567-e89b-12d3-a456-426614174000" // seed 002's example id, known to nobody
	uuidRE       = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	timeRE       = `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`
)

func state(name string, p obj) models.ProviderState {
	return models.ProviderState{Name: name, Parameters: p}
}

var (
	org      = state(providers.StateGu1Org, obj{"api_key": pactKey})
	orgNoKYC = state(providers.StateGu1OrgNoKYC, obj{"api_key": pactNoKYCKey})
	person   = state(providers.StateGu1Entity, obj{"api_key": pactKey, "entity_id": personID, "type": "person", "name": "Juan Pérez"})
	company  = state(providers.StateGu1Entity, obj{"api_key": pactKey, "entity_id": companyID, "type": "company", "name": "Acme SA"})
	valState = func(status string) models.ProviderState {
		return state(providers.StateGu1Validation, obj{"api_key": pactKey, "entity_id": personID, "validation_id": validationID, "status": status})
	}
)

func newPact(t *testing.T) *consumer.V4HTTPMockProvider {
	t.Helper()
	return pacttest.New(t, "gu1", pactDir)
}

// errorBody is seed 002's error shape; message is matched exactly when given, by type otherwise.
func errorBody(code, message string) obj {
	if message == "" {
		return obj{"error": code, "message": matchers.Like("a message")}
	}
	return obj{"error": code, "message": message}
}

func validationBody(status string, current bool) obj {
	return obj{
		"id":                 matchers.Regex(validationID, uuidRE),
		"entityId":           personID,
		"organizationId":     matchers.Like("org_conformance"),
		"sessionId":          matchers.Like("session_0123abcd"),
		"status":             status,
		"provider":           matchers.Like("kyc_provider"),
		"providerSessionUrl": matchers.Regex("https://verify.example.com/session_0123abcd", `^https?://\S+$`),
		"isCurrent":          current,
		"createdAt":          matchers.Regex("2024-01-02T03:04:05Z", timeRE),
		"updatedAt":          matchers.Regex("2024-01-02T03:04:05Z", timeRE),
	}
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr *gu1.APIError
	require.True(t, errors.As(err, &apiErr), "want *gu1.APIError, got %v", err)
	assert.Equal(t, status, apiErr.StatusCode)
	if code != "" {
		assert.Equal(t, code, apiErr.Code)
	}
}

// interaction is one documented call: its states, request, answer and the client call that makes it.
type interaction struct {
	desc    string
	states  []models.ProviderState
	noKey   bool   // send no Authorization header
	key     string // API key when not pactKey
	method  string
	path    string
	body    any // request body, nil for none
	status  int
	answer  any
	call    func(t *testing.T, c *gu1.Client) error
	errCode string // with status >= 400: the code the client must surface ("" when only the status is documented)
}

func (in interaction) run(t *testing.T) {
	t.Helper()
	key := pactKey
	if in.key != "" {
		key = in.key
	}
	i := newPact(t).AddInteraction()
	for _, s := range in.states {
		i = i.GivenWithParameter(s)
	}
	err := i.UponReceiving(in.desc).
		WithRequest(consumer.Method(in.method), in.path, func(b *consumer.V4RequestBuilder) {
			if !in.noKey {
				b.Header("Authorization", matchers.S("Bearer "+key))
			}
			if in.body != nil {
				b.JSONBody(in.body)
			}
		}).
		WillRespondWith(in.status, func(b *consumer.V4ResponseBuilder) {
			b.Header("Content-Type", matchers.Regex("application/json", `^application/json(;.*)?$`))
			b.JSONBody(in.answer)
		}).
		ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
			var opts []gu1.Option
			if !in.noKey {
				opts = append(opts, gu1.WithAPIKey(key))
			}
			c, err := gu1.NewClient(fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port), opts...)
			require.NoError(t, err)
			err = in.call(t, c)
			if in.status >= 400 {
				wantCode(t, err, in.status, in.errCode)
				return nil
			}
			return err
		})
	require.NoError(t, err)
}

func TestPactGu1(t *testing.T) {
	ctx := context.Background()
	create := func(r *gu1.ValidationRequest) func(*testing.T, *gu1.Client) error {
		return func(t *testing.T, c *gu1.Client) error {
			_, _, err := c.CreateValidation(ctx, r)
			return err
		}
	}
	bigMeta := json.RawMessage(`{"k":"` + strings.Repeat("x", gu1.MaxMetadata+1-8) + `"}`)
	cases := []interaction{
		{desc: "GU1-10: a person entity is created", states: []models.ProviderState{org},
			method: "POST", path: gu1.PathEntities, body: obj{"type": "person", "name": "Juan Pérez", "externalId": "customer-123"},
			status: 201, answer: obj{"id": matchers.Regex(personID, uuidRE), "type": "person", "name": "Juan Pérez", "externalId": "customer-123"},
			call: func(t *testing.T, c *gu1.Client) error {
				e, _, err := c.CreateEntity(ctx, &gu1.Entity{Type: "person", Name: "Juan Pérez", ExternalID: "customer-123"})
				if err == nil {
					assert.Equal(t, "person", e.Type)
					assert.NotEmpty(t, e.ID)
				}
				return err
			}},
		{desc: "GU1-10: an entity is read by id", states: []models.ProviderState{org, person},
			method: "GET", path: gu1.PathEntities + "/" + personID,
			status: 200, answer: obj{"id": personID, "type": "person", "name": "Juan Pérez"},
			call: func(t *testing.T, c *gu1.Client) error {
				e, _, err := c.GetEntity(ctx, personID)
				if err == nil {
					assert.Equal(t, personID, e.ID)
				}
				return err
			}},
		{desc: "GU1-07: an unknown entity is not found", states: []models.ProviderState{org},
			method: "GET", path: gu1.PathEntities + "/" + missingID,
			status: 404, answer: errorBody(gu1.CodeEntityNotFound, "Entity not found"), errCode: gu1.CodeEntityNotFound,
			call: func(t *testing.T, c *gu1.Client) error {
				_, _, err := c.GetEntity(ctx, missingID)
				return err
			}},
		{desc: "GU1-01 GU1-02 GU1-03 GU1-04 GU1-05: a validation is created for a person entity", states: []models.ProviderState{org, person},
			method: "POST", path: gu1.PathValidations, body: obj{"entityId": personID, "metadata": obj{"source": "onboarding"}},
			status: 201, answer: func() obj {
				b := validationBody("pending", true)
				b["metadata"] = obj{"source": "onboarding"}
				return b
			}(),
			call: func(t *testing.T, c *gu1.Client) error {
				v, _, err := c.CreateValidation(ctx, &gu1.ValidationRequest{EntityID: personID, Metadata: json.RawMessage(`{"source":"onboarding"}`)})
				if err == nil {
					assert.Equal(t, "pending", v.Status)
					assert.True(t, v.IsCurrent)
					assert.JSONEq(t, `{"source":"onboarding"}`, string(v.Metadata))
				}
				return err
			}},
		{desc: "GU1-01: a validation without an API key is refused", noKey: true,
			method: "POST", path: gu1.PathValidations, body: obj{"entityId": personID},
			status: 401, answer: obj{"error": matchers.Like("UNAUTHORIZED"), "message": matchers.Like("a message")},
			call: create(&gu1.ValidationRequest{EntityID: personID})},
		{desc: "GU1-02: an entityId that is not a UUID is refused", states: []models.ProviderState{org},
			method: "POST", path: gu1.PathValidations, body: obj{"entityId": "not-a-uuid"},
			status: 400, answer: obj{"error": matchers.Like("INVALID_REQUEST"), "message": matchers.Like("a message")},
			call: create(&gu1.ValidationRequest{EntityID: "not-a-uuid"})},
		{desc: "GU1-04: metadata of 10241 bytes is refused", states: []models.ProviderState{org, person},
			method: "POST", path: gu1.PathValidations, body: obj{"entityId": personID, "metadata": bigMeta},
			status: 400, answer: obj{"error": matchers.Like("METADATA_TOO_LARGE"), "message": matchers.Like("a message")},
			call: create(&gu1.ValidationRequest{EntityID: personID, Metadata: bigMeta})},
		{desc: "GU1-07: a validation for an unknown entity", states: []models.ProviderState{org},
			method: "POST", path: gu1.PathValidations, body: obj{"entityId": missingID},
			status: 404, answer: errorBody(gu1.CodeEntityNotFound, "Entity not found"), errCode: gu1.CodeEntityNotFound,
			call: create(&gu1.ValidationRequest{EntityID: missingID})},
		{desc: "GU1-08: a validation for a company entity", states: []models.ProviderState{org, company},
			method: "POST", path: gu1.PathValidations, body: obj{"entityId": companyID},
			status: 400, answer: errorBody(gu1.CodeInvalidEntityType, "KYC validation is only available for person entities"), errCode: gu1.CodeInvalidEntityType,
			call: create(&gu1.ValidationRequest{EntityID: companyID})},
		{desc: "GU1-09: a validation in an organisation without the KYC integration", states: []models.ProviderState{orgNoKYC}, key: pactNoKYCKey,
			method: "POST", path: gu1.PathValidations, body: obj{"entityId": personID},
			status: 400, answer: errorBody(gu1.CodeKYCNotConfigured, ""), errCode: gu1.CodeKYCNotConfigured,
			call: create(&gu1.ValidationRequest{EntityID: personID})},
		{desc: "GU1-06 GU1-11: a validation is read by id", states: []models.ProviderState{org, person, valState("in_progress")},
			method: "GET", path: gu1.PathValidations + "/" + validationID,
			status: 200, answer: validationBody("in_progress", true),
			call: func(t *testing.T, c *gu1.Client) error {
				v, _, err := c.GetValidation(ctx, validationID)
				if err == nil {
					assert.Equal(t, "in_progress", v.Status)
				}
				return err
			}},
		{desc: "GU1-11: an unknown validation is not found", states: []models.ProviderState{org},
			method: "GET", path: gu1.PathValidations + "/" + missingID,
			status: 404, answer: obj{"error": matchers.Like("VALIDATION_NOT_FOUND"), "message": matchers.Like("a message")},
			call: func(t *testing.T, c *gu1.Client) error {
				_, _, err := c.GetValidation(ctx, missingID)
				return err
			}},
		{desc: "a pending validation is cancelled", states: []models.ProviderState{org, person, valState("pending")},
			method: "POST", path: gu1.PathValidations + "/" + validationID + "/cancel",
			status: 200, answer: validationBody("cancelled", true),
			call: func(t *testing.T, c *gu1.Client) error {
				v, _, err := c.CancelValidation(ctx, validationID)
				if err == nil {
					assert.Equal(t, "cancelled", v.Status)
				}
				return err
			}},
		{desc: "an approved validation cannot be cancelled", states: []models.ProviderState{org, person, valState("approved")},
			method: "POST", path: gu1.PathValidations + "/" + validationID + "/cancel",
			status: 409, answer: obj{"error": matchers.Like("VALIDATION_NOT_CANCELLABLE"), "message": matchers.Like("a message")},
			call: func(t *testing.T, c *gu1.Client) error {
				_, _, err := c.CancelValidation(ctx, validationID)
				return err
			}},
		{desc: "GU1-12: an entity's validations are listed, the current one first", states: []models.ProviderState{org, person, valState("pending")},
			method: "GET", path: "/api/kyc/entities/" + personID + "/validations",
			status: 200, answer: obj{"validations": matchers.EachLike(validationBody("pending", true), 1),
				"total": matchers.Integer(1), "page": 1, "limit": 100},
			call: func(t *testing.T, c *gu1.Client) error {
				l, _, err := c.ListValidations(ctx, personID, 0, 0)
				if err == nil {
					require.NotEmpty(t, l.Validations)
					assert.True(t, l.Validations[0].IsCurrent)
				}
				return err
			}},
		{desc: "GU1-07: the validations of an unknown entity", states: []models.ProviderState{org},
			method: "GET", path: "/api/kyc/entities/" + missingID + "/validations",
			status: 404, answer: errorBody(gu1.CodeEntityNotFound, "Entity not found"), errCode: gu1.CodeEntityNotFound,
			call: func(t *testing.T, c *gu1.Client) error {
				_, _, err := c.ListValidations(ctx, missingID, 0, 0)
				return err
			}},
	}
	for _, in := range cases {
		t.Run(in.desc, func(t *testing.T) { in.run(t) })
	}
	pactRan = !t.Failed()
}
