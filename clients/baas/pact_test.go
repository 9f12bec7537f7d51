package baas_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"
	"github.com/pact-foundation/pact-go/v2/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/fixtures"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
	"github.com/latam-conformance/conformance/internal/pactfile"
	"github.com/latam-conformance/conformance/internal/pacttest"
	"github.com/latam-conformance/conformance/internal/providers"
)

// The consumer tests write into a fresh folder; TestMain then compares the result with the committed
// pacts/ file (PACT_UPDATE=1 copies it there instead). Pact merges interactions on write, so writing
// straight into pacts/ would keep interactions that no test defines any more.
var pactDir string

// obj is a JSON object whose values may be Pact matchers.
type obj = map[string]any

var pactName = pacttest.FileName("baas")

func TestMain(m *testing.M) {
	os.Exit(pactfile.ConsumerMain(m, filepath.Join("..", "..", "pacts"), pactName,
		func(dir string) { pactDir = dir }, func() bool { return pactRan }))
}

// pactRan is set when every consumer interaction ran, so a -run filter does not trip the drift check.
var pactRan bool

const (
	examplePerson = "68346734500" // seed 004's CPF
	exampleToken  = "076244"      // seed 004's token
	unknownAdmin  = "11122233344"
)

func newPact(t *testing.T) *consumer.V4HTTPMockProvider {
	t.Helper()
	return pacttest.New(t, "baas", pactDir)
}

// client signs as the embedded mock's fixture API client (BAAS-16); 'conformance verify' signs each
// replayed request afresh with the run's credentials, since a recorded signature goes stale.
func client(t *testing.T, cfg consumer.MockServerConfig) *baas.Client {
	t.Helper()
	p, err := providers.Lookup("baas")
	require.NoError(t, err)
	creds := providers.Defaults(p.Credentials)
	s, err := baas.NewSigner(creds["api_client_key"], []byte(creds["private_key"]))
	require.NoError(t, err)
	c, err := baas.NewClient(fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port), baas.WithSigner(s))
	require.NoError(t, err)
	return c
}

// exampleJWT stands for a signature in the contract; any three base64url segments match.
const exampleJWT = "eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9.eyJwYXlsb2FkX21kNSI6IiJ9.c2lnbmF0dXJl"

// signedJSON expects a JSON request authenticated as BAAS-16 describes.
func signedJSON(b *consumer.V4RequestBuilder, body any) {
	b.Header("Content-Type", matchers.S("application/json")).
		Header(baas.HeaderAPIClientKey, matchers.Like("conformance-api-client-key")).
		Header(baas.HeaderAuthorization, matchers.Regex(exampleJWT, `^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)).
		JSONBody(body)
}

func errorBody(title, description, translation, code string) obj {
	return obj{"title": title, "description": description, "translation": translation, "code": code,
		"additional_data": obj{}}
}

func jsonHeader(b *consumer.V4ResponseBuilder) {
	b.Header("Content-Type", matchers.Regex("application/json", `^application/json(;.*)?$`))
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr *baas.APIError
	require.True(t, errors.As(err, &apiErr), "want *baas.APIError, got %v", err)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, code, apiErr.Code)
}

func TestPactTokenRequest(t *testing.T) {
	person := fixtures.BaaSPerson(examplePerson)
	cases := []struct {
		id, description string
		state           *models.ProviderState
		body            *baas.TokenRequestBody
		status          int
		response        any
		wantCode        string
		unsigned        bool
	}{
		{
			id: "BAAS-01", description: "BAAS-01: a token request by SMS for a valid person",
			state:  &models.ProviderState{Name: providers.StateBaaSKnownAdmin, Parameters: map[string]any{"document_number": fixtures.BaaSAgent}},
			body:   fixtures.BaaSTokenRequest(person),
			status: 200, response: obj{},
		},
		{
			id: "BAAS-03", description: "BAAS-03: a token request by email, a contact type that is not allowed",
			body:   &baas.TokenRequestBody{ContactType: "email", PersonCreation: baas.PersonCreation{Person: person}},
			status: 400, wantCode: baas.CodeContactTypeNotAllowed,
			response: errorBody("Bad Request", "Contact type email not allowed", "Forma de contato por email não permitida", "ACC000152"),
		},
		{
			id: "BAAS-04", description: "BAAS-04: a token request by an administrator who is not a known contact",
			state: &models.ProviderState{Name: providers.StateBaaSUnknownAdmin, Parameters: map[string]any{"document_number": unknownAdmin}},
			body: func() *baas.TokenRequestBody {
				b := fixtures.BaaSTokenRequest(person)
				b.AgentDocumentNumber = unknownAdmin
				return b
			}(),
			status: 400, wantCode: baas.CodeContactDoesNotExist,
			response: errorBody("Bad Request", "Contact does not exist", "Contato nao existe", "ACC000135"),
		},
		{
			id: "BAAS-06", description: "BAAS-06: a token request for a phone outside Brazil",
			body: func() *baas.TokenRequestBody {
				p := person
				p.PhoneNumber.CountryCode = "54"
				return &baas.TokenRequestBody{ContactType: baas.ContactTypeSMS, PersonCreation: baas.PersonCreation{Person: p}}
			}(),
			status: 400, wantCode: baas.CodeContactDoesNotExist,
			response: errorBody("Bad Request", "Contact does not exist", "Contato nao existe", "ACC000135"),
		},
		{
			id: "BAAS-16", description: "BAAS-16: a token request that is not signed and names no API client",
			body: fixtures.BaaSTokenRequest(person), unsigned: true,
			status: 400, wantCode: baas.CodeMissingAPIKey,
			// QI's own text, word for word (BAAS-16 as amended).
			response: obj{"title": matchers.Like("Bad Request"), "description": "No API Client Key received",
				"translation": matchers.Like("No API Client Key received"), "code": baas.CodeMissingAPIKey},
		},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			p := newPact(t)
			i := p.AddInteraction()
			if tc.state != nil {
				i = i.GivenWithParameter(*tc.state)
			}
			err := i.UponReceiving(tc.description).
				WithRequest("POST", baas.PathTokenRequest, func(b *consumer.V4RequestBuilder) {
					if tc.unsigned {
						b.Header("Content-Type", matchers.S("application/json")).JSONBody(tc.body)
						return
					}
					signedJSON(b, tc.body)
				}).
				WillRespondWith(tc.status, func(b *consumer.V4ResponseBuilder) {
					jsonHeader(b)
					b.JSONBody(tc.response)
				}).
				ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
					c := client(t, cfg)
					if tc.unsigned {
						var err error
						c, err = baas.NewClient(fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port))
						require.NoError(t, err)
					}
					res, _, err := c.TokenRequest(context.Background(), tc.body)
					if tc.wantCode == "" {
						require.NoError(t, err)
						assert.NotNil(t, res)
						return nil
					}
					wantCode(t, err, tc.status, tc.wantCode)
					return nil
				})
			require.NoError(t, err)
		})
	}
}

func TestPactMovementValidation(t *testing.T) {
	person := fixtures.BaaSPerson(examplePerson)
	tokenState := func(name string) *models.ProviderState {
		return &models.ProviderState{Name: name, Parameters: map[string]any{"document_number": examplePerson, "token": exampleToken}}
	}
	// Every member of seed 004's 200 example: the person sent, echoed, and what QI adds, by type where
	// the value is the provider's own (keys, codes, dates).
	stamp := matchers.Regex("2023-06-14T20:51:32", `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
	enumerated := func(value, path string) obj {
		return obj{"enumerator": value, "translation_path": matchers.Like(path), "created_at": stamp}
	}
	a := person.Address
	created := obj{
		"hash":       matchers.Like("bd707fdcb3f78abcab8b5c5b7459f9aa"),
		"validation": true,
		"return_response": obj{
			"birth_place": person.BirthPlace, "created_at": stamp, "date_of_birth": person.DateOfBirth + "T00:00:00",
			"document_identification_number": person.DocumentIdentificationNumber,
			"email":                          person.Email, "father_name": person.FatherName, "gender": nil, "is_pep": false,
			"kc_key": matchers.UUID(), "marital_status": nil, "mother_name": person.MotherName,
			"nationality": person.Nationality, "profession": person.Profession, "spouse_name": nil, "revenue_amount": nil,
			"natural_revenue_range": obj{"average_amount": nil, "created_at": stamp, "description": matchers.Like("Unavailable"),
				"description_ptbr": matchers.Like("Indisponível"), "enumerator": matchers.Like("0"), "more_than_amount": nil, "up_to_amount": nil},
			"person": obj{
				"person_key":        matchers.UUID(),
				"person_code":       matchers.Like(1681),
				"name":              person.Name,
				"document_number":   person.DocumentNumber,
				"created_at":        stamp,
				"registration_date": matchers.Regex("2023-06-14", `^\d{4}-\d{2}-\d{2}$`),
				"address": obj{"street": a.Street, "state": a.State, "city": a.City, "neighborhood": a.Neighborhood,
					"number": a.Number, "postal_code": a.PostalCode, "complement": a.Complement, "created_at": stamp},
				"person_status": enumerated("pending", "onboarding.PersonStatus.pending"),
				"person_type":   enumerated("natural", "onboarding.PersonType.natural"),
				"phone": matchers.EachLike(obj{
					"country_code": person.PhoneNumber.CountryCode, "area_code": person.PhoneNumber.AreaCode,
					"number": person.PhoneNumber.Number, "phone_key": matchers.UUID(), "phone_type": nil, "created_at": stamp,
				}, 1),
				"domain": obj{"created_at": stamp, "domain_key": matchers.UUID(), "domain_name": matchers.Like("QI SCD Domain"),
					"owner_person_key": matchers.UUID()},
				"category": nil, "category_nick": nil, "person_category": nil, "internal_contact": nil,
				"internal_contact_person_key": nil, "risk": nil,
				"professional_data": []any{}, "qualifications": []any{},
				"special_attention": false, "terms_acknowledgement": false, "valid_cip_beneficiary": false,
			},
		},
	}
	cases := []struct {
		id, description string
		state           *models.ProviderState
		token           string
		status          int
		response        any
		wantCode        string
	}{
		{
			id: "BAAS-11", description: "BAAS-11 BAAS-15: a movement validation with the token from the SMS",
			state: tokenState(providers.StateBaaSToken), token: exampleToken, status: 200, response: created,
		},
		{
			id: "BAAS-12", description: "BAAS-12: a movement validation with an expired token",
			state: tokenState(providers.StateBaaSExpiredToken), token: exampleToken, status: 401, wantCode: baas.CodeExpiredToken,
			response: errorBody("Unauthorized", "Expired token", "Token Expirado", "ACC000134"),
		},
		{
			id: "BAAS-13", description: "BAAS-13: a movement validation with a wrong token",
			state: tokenState(providers.StateBaaSToken), token: "111111", status: 401, wantCode: baas.CodeInvalidToken,
			response: errorBody("Unauthorized", "Invalid token", "Token Inválido", "ACC000133"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			body := &baas.MovementValidationBody{Token: tc.token, PersonCreation: baas.PersonCreation{Person: person}}
			err := newPact(t).AddInteraction().GivenWithParameter(*tc.state).
				UponReceiving(tc.description).
				WithRequest("POST", baas.PathMovementValidation, func(b *consumer.V4RequestBuilder) { signedJSON(b, body) }).
				WillRespondWith(tc.status, func(b *consumer.V4ResponseBuilder) {
					jsonHeader(b)
					b.JSONBody(tc.response)
				}).
				ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
					res, _, err := client(t, cfg).ValidateMovement(context.Background(), body)
					if tc.wantCode == "" {
						require.NoError(t, err)
						assert.True(t, res.Validation)
						assert.Equal(t, "pending", res.ReturnResponse.Person.PersonStatus.Enumerator)
						assert.Equal(t, person.Name, res.ReturnResponse.Person.Name)
						return nil
					}
					wantCode(t, err, tc.status, tc.wantCode)
					return nil
				})
			require.NoError(t, err)
		})
	}
	pactRan = !t.Failed()
}

// TestPactStringToSign is BAAS-17: the token request signed QI's string_to_sign way, its body encoded,
// and the answer encoded and signed with QI's key, the headers and the encoded bodies by shape.
// 'conformance verify' signs the replayed request afresh the same way (the encoded_body's claims are
// the body), against a target that accepts the scheme.
func TestPactStringToSign(t *testing.T) {
	ex := loadQITExample(t)
	const jwtShape = `^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`
	const qitShape = `^QIT [^:]+:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`
	err := newPact(t).AddInteraction().
		GivenWithParameter(models.ProviderState{Name: providers.StateBaaSKnownAdmin, Parameters: map[string]any{"document_number": fixtures.BaaSAgent}}).
		UponReceiving("BAAS-17: a token request signed the string_to_sign way, answered signed").
		WithRequest("POST", baas.PathTokenRequest, func(b *consumer.V4RequestBuilder) {
			b.Header("Content-Type", matchers.S("application/json")).
				Header(baas.HeaderAPIClientKey, matchers.Like("conformance-api-client-key")).
				Header("Authorization", matchers.Regex(ex.RequestAuth, qitShape)).
				JSONBody(obj{baas.EncodedBodyField: matchers.Regex(ex.RequestEncodedBody, jwtShape)})
		}).
		WillRespondWith(200, func(b *consumer.V4ResponseBuilder) {
			jsonHeader(b)
			b.Header("Authorization", matchers.Regex(ex.ResponseAuth, qitShape)).
				JSONBody(obj{baas.EncodedBodyField: matchers.Regex(ex.ResponseEncodedBody, jwtShape)})
		}).
		ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
			key, err := baas.ParsePrivateKey([]byte(mockbaas.FixturePrivateKeyPEM))
			require.NoError(t, err)
			provider, err := baas.ParsePublicKey([]byte(mockbaas.ProviderPublicKeyPEM))
			require.NoError(t, err)
			s := &baas.QITSigner{APIClientKey: mockbaas.APIClientKey, Key: key, ProviderKey: provider}
			c, err := baas.NewClient(fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port),
				baas.WithHTTPClient(&http.Client{Transport: s.Transport(http.DefaultTransport)}))
			require.NoError(t, err)
			res, _, err := c.TokenRequest(context.Background(), fixtures.BaaSTokenRequest(fixtures.BaaSPerson(examplePerson)))
			require.NoError(t, err, "the example answer verifies with the provider's key")
			assert.NotNil(t, res)
			return nil
		})
	require.NoError(t, err)
	pactRan = pactRan && !t.Failed()
}
