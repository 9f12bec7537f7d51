package pomelo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"
	"github.com/pact-foundation/pact-go/v2/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/pactfile"
	"github.com/latam-conformance/conformance/internal/pacttest"
	"github.com/latam-conformance/conformance/internal/providers"
)

// See clients/baas/pact_test.go: fresh folder, then compared with (or, with PACT_UPDATE=1, copied to)
// the committed pacts/ file.
var pactDir string

var pactName = pacttest.FileName("pomelo")

// obj is a JSON object whose values may be Pact matchers.
type obj = map[string]any

var pactRan bool

func TestMain(m *testing.M) {
	os.Exit(pactfile.ConsumerMain(m, filepath.Join("..", "..", "pacts"), pactName,
		func(dir string) { pactDir = dir }, func() bool { return pactRan }))
}

const (
	pactToken   = "tok-pact-conformance"
	pactSession = "ses-2lWyhVOQarR8I5te2XNXdMleSEu"
	pactUser    = "usr-2lWyhVOQarR8I5te2XNXdMleSEu"
	pactFlow    = "flo-3ijPOgbwKFkmUjEnE4vM9IMea78" // a fixture flow of the mock (ARG)
	missing     = "ses-doesNotExist0000000000000"
)

var (
	tokenState   = models.ProviderState{Name: providers.StatePomeloToken, Parameters: map[string]any{"token": pactToken}}
	sessionState = models.ProviderState{Name: providers.StatePomeloSession, Parameters: map[string]any{
		"session_id": pactSession, "user_id": pactUser, "flow_id": pactFlow}}
)

func newPact(t *testing.T) *consumer.V4HTTPMockProvider {
	t.Helper()
	return pacttest.New(t, "pomelo", pactDir)
}

func client(t *testing.T, cfg consumer.MockServerConfig, auth bool) *pomelo.Client {
	t.Helper()
	var opts []pomelo.Option
	if auth {
		opts = append(opts, pomelo.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: pactToken, TokenType: "Bearer"})))
	}
	c, err := pomelo.NewClient(fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port), opts...)
	require.NoError(t, err)
	return c
}

func sessionBody(status string) obj {
	return obj{"data": obj{
		"id":         matchers.Regex(pactSession, `^ses-[A-Za-z0-9]+$`),
		"status":     status,
		"created_at": matchers.Regex("2024-01-02T03:04:05Z", `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`),
		"updated_at": matchers.Regex("2024-01-02T03:04:05Z", `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`),
	}}
}

func errorBody(code string) obj {
	return obj{"error": obj{"code": code, "message": matchers.Like("a message")}}
}

func jsonHeader(b *consumer.V4ResponseBuilder) {
	b.Header("Content-Type", matchers.Regex("application/json", `^application/json(;.*)?$`))
}

func bearer(b *consumer.V4RequestBuilder) {
	b.Header("Authorization", matchers.S("Bearer "+pactToken))
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr *pomelo.APIError
	require.True(t, errors.As(err, &apiErr), "want *pomelo.APIError, got %v", err)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, code, apiErr.Code)
}

// interaction is one documented call: its states, request, answer and the client call that makes it.
type interaction struct {
	desc    string
	states  []models.ProviderState
	method  string
	path    string
	request func(*consumer.V4RequestBuilder)
	status  int
	body    any
	call    func(t *testing.T, c *pomelo.Client) error
	auth    bool
	code    string // the error code the client must surface, "" for success
}

func (in interaction) run(t *testing.T) {
	t.Helper()
	i := newPact(t).AddInteraction()
	for _, s := range in.states {
		i = i.GivenWithParameter(s)
	}
	err := i.UponReceiving(in.desc).
		WithRequest(consumer.Method(in.method), in.path, func(b *consumer.V4RequestBuilder) {
			if in.auth {
				bearer(b)
			}
			if in.request != nil {
				in.request(b)
			}
		}).
		WillRespondWith(in.status, func(b *consumer.V4ResponseBuilder) {
			jsonHeader(b)
			b.JSONBody(in.body)
		}).
		ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
			err := in.call(t, client(t, cfg, in.auth))
			if in.code == "" {
				require.NoError(t, err)
				return nil
			}
			wantCode(t, err, in.status, in.code)
			return nil
		})
	require.NoError(t, err)
}

func TestPactPomelo(t *testing.T) {
	ctx := context.Background()
	kyb := fixtures.PomeloKYB()
	badKYB := fixtures.PomeloKYB()
	badKYB.Country = "USA"
	withToken := []models.ProviderState{tokenState}
	withSession := []models.ProviderState{tokenState, sessionState}
	get := func(id string) func(*testing.T, *pomelo.Client) error {
		return func(t *testing.T, c *pomelo.Client) error {
			s, _, err := c.GetSession(ctx, id)
			if err == nil {
				assert.Equal(t, pomelo.StatusInProgress, s.Status)
			}
			return err
		}
	}
	cases := []interaction{
		{desc: "KYC-16: a token request with client credentials and an audience", method: "POST", path: pomelo.PathToken,
			request: func(b *consumer.V4RequestBuilder) {
				b.Body("application/x-www-form-urlencoded", []byte("audience=https%3A%2F%2Fapi.pomelo.la&client_id=conformance-client&client_secret=conformance-secret&grant_type=client_credentials"))
			},
			status: 200, body: obj{"access_token": matchers.Like("tok-abc"), "token_type": "Bearer", "expires_in": matchers.Integer(3600)},
			call: func(t *testing.T, c *pomelo.Client) error {
				_, err := c.Raw(ctx, "POST", pomelo.PathToken, nil,
					[]byte("audience=https%3A%2F%2Fapi.pomelo.la&client_id=conformance-client&client_secret=conformance-secret&grant_type=client_credentials"),
					"application/x-www-form-urlencoded", nil)
				return err
			}},
		{desc: "KYC-16 KYB-01: a get session without a bearer token", method: "GET", path: pomelo.PathSessions + "/" + pactSession,
			status: 401, body: errorBody("UNAUTHORIZED"), call: get(pactSession), code: "UNAUTHORIZED"},
		{desc: "KYC-01: a create KYC session from a flow", states: withToken, auth: true, method: "POST", path: pomelo.PathCreateSession,
			request: func(b *consumer.V4RequestBuilder) {
				b.JSONBody(pomelo.KYCSession{UserID: pactUser, FlowID: pactFlow})
			},
			status: 201, body: sessionBody("IN_PROGRESS"),
			call: func(t *testing.T, c *pomelo.Client) error {
				s, _, err := c.CreateKYCSession(ctx, &pomelo.KYCSession{UserID: pactUser, FlowID: pactFlow})
				if err == nil {
					assert.NotEmpty(t, s.ID)
				}
				return err
			}},
		{desc: "KYC-01: a create KYC session from a flow that does not exist", states: withToken, auth: true, method: "POST", path: pomelo.PathCreateSession,
			request: func(b *consumer.V4RequestBuilder) {
				b.JSONBody(pomelo.KYCSession{UserID: pactUser, FlowID: "flo-doesNotExist"})
			},
			status: 400, body: errorBody("FLOW_NOT_FOUND"), code: "FLOW_NOT_FOUND",
			call: func(t *testing.T, c *pomelo.Client) error {
				_, _, err := c.CreateKYCSession(ctx, &pomelo.KYCSession{UserID: pactUser, FlowID: "flo-doesNotExist"})
				return err
			}},
		{desc: "KYB-08: a create KYB session from the seed's example", states: withToken, auth: true, method: "POST", path: pomelo.PathCreateSession,
			request: func(b *consumer.V4RequestBuilder) { b.JSONBody(kyb) },
			status:  201, body: sessionBody("IN_PROGRESS"),
			call: func(t *testing.T, c *pomelo.Client) error {
				_, _, err := c.CreateKYBSession(ctx, kyb)
				return err
			}},
		{desc: "KYB-03: a create KYB session for a country outside the enum", states: withToken, auth: true, method: "POST", path: pomelo.PathCreateSession,
			request: func(b *consumer.V4RequestBuilder) { b.JSONBody(badKYB) },
			status:  400, body: errorBody("INVALID_REQUEST"), code: "INVALID_REQUEST",
			call: func(t *testing.T, c *pomelo.Client) error {
				_, _, err := c.CreateKYBSession(ctx, badKYB)
				return err
			}},
		{desc: "KYC-05: a get session", states: withSession, auth: true, method: "GET", path: pomelo.PathSessions + "/" + pactSession,
			status: 200, body: sessionBody("IN_PROGRESS"), call: get(pactSession)},
		{desc: "KYC-17: a get session that does not exist", states: withToken, auth: true, method: "GET", path: pomelo.PathSessions + "/" + missing,
			status: 404, body: errorBody("SESSION_NOT_FOUND"), call: get(missing), code: "SESSION_NOT_FOUND"},
		{desc: "KYC-06: a cancel session", states: withSession, auth: true, method: "DELETE", path: pomelo.PathSessions + "/" + pactSession,
			status: 200, body: sessionBody("CANCELLED"),
			call: func(t *testing.T, c *pomelo.Client) error {
				s, _, err := c.CancelSession(ctx, pactSession)
				if err == nil {
					assert.Equal(t, pomelo.StatusCancelled, s.Status)
				}
				return err
			}},
		{desc: "KYC-17: a cancel session that does not exist", states: withToken, auth: true, method: "DELETE", path: pomelo.PathSessions + "/" + missing,
			status: 404, body: errorBody("SESSION_NOT_FOUND"), code: "SESSION_NOT_FOUND",
			call: func(t *testing.T, c *pomelo.Client) error {
				_, _, err := c.CancelSession(ctx, missing)
				return err
			}},
		{desc: "KYC-07: a session report", states: withSession, auth: true, method: "GET", path: pomelo.PathSessions + "/" + pactSession + "/report",
			status: 200, body: obj{"data": obj{"session_id": pactSession, "validation_status": matchers.Like("IN_PROGRESS"), "details": matchers.Like(obj{})}},
			call: func(t *testing.T, c *pomelo.Client) error {
				r, _, err := c.SessionReport(ctx, pactSession)
				if err == nil {
					assert.Equal(t, pactSession, r.SessionID)
				}
				return err
			}},
		{desc: "KYC-17: a session report that does not exist", states: withToken, auth: true, method: "GET", path: pomelo.PathSessions + "/" + missing + "/report",
			status: 404, body: errorBody("SESSION_NOT_FOUND"), code: "SESSION_NOT_FOUND",
			call: func(t *testing.T, c *pomelo.Client) error {
				_, _, err := c.SessionReport(ctx, missing)
				return err
			}},
		{desc: "KYC-03 KYC-04: an upload of a selfie", states: withSession, auth: true, method: "POST",
			path: pomelo.PathSessions + "/" + pactSession + "/entities/" + pactUser + "/files/selfie",
			request: func(b *consumer.V4RequestBuilder) {
				b.MultipartBody("image/jpeg", filepath.Join("testdata", "selfie.jpg"), "file")
			},
			status: 201, body: obj{"data": obj{"type": "selfie", "entity_id": pactUser, "uploaded_at": matchers.Like("2024-01-02T03:04:05Z")}},
			call: func(t *testing.T, c *pomelo.Client) error {
				raw, err := os.ReadFile(filepath.Join("testdata", "selfie.jpg"))
				require.NoError(t, err)
				d, _, err := c.UploadFile(ctx, pactSession, pactUser, pomelo.DocSelfie, "selfie.jpg", "image/jpeg", bytes.NewReader(raw))
				if err == nil {
					assert.Equal(t, "selfie", d.Type)
				}
				return err
			}},
		{desc: "KYC-08 KYC-11: a search by status, sorted and paged", states: withSession, auth: true, method: "GET", path: pomelo.PathSessions,
			request: func(b *consumer.V4RequestBuilder) {
				b.Query("filter[user_id]", matchers.S(pactUser)).Query("sort", matchers.S("-created_at")).
					Query("page[size]", matchers.S("10")).Query("page[number]", matchers.S("1"))
			},
			status: 200, body: obj{"data": matchers.EachLike(sessionBody("IN_PROGRESS")["data"], 1),
				"meta": obj{"pagination": obj{"current_page": 1, "page_size": 10, "total_pages": matchers.Integer(1), "total_items": matchers.Integer(1)}}},
			call: func(t *testing.T, c *pomelo.Client) error {
				p, _, err := c.SearchSessions(ctx, pomelo.Query{Filters: map[string]string{"user_id": pactUser},
					Sort: pomelo.ParseSort("-created_at"), PageSize: 10, PageNumber: 1})
				if err == nil {
					assert.NotEmpty(t, p.Data)
				}
				return err
			}},
		{desc: "KYC-12: a search by a field that does not exist", states: withToken, auth: true, method: "GET", path: pomelo.PathSessions,
			request: func(b *consumer.V4RequestBuilder) { b.Query("filter[colour]", matchers.S("red")) },
			status:  400, body: errorBody("INVALID_PARAMETER"), code: "INVALID_PARAMETER",
			call: func(t *testing.T, c *pomelo.Client) error {
				_, _, err := c.SearchSessions(ctx, pomelo.Query{Filters: map[string]string{"colour": "red"}})
				return err
			}},
		{desc: "KYC-13: a clean validations by user id", auth: true, method: "POST", path: pomelo.PathCleanValidations,
			states:  []models.ProviderState{tokenState, {Name: providers.StatePomeloValidated, Parameters: map[string]any{"user_id": pactUser, "flow_id": pactFlow}}},
			request: func(b *consumer.V4RequestBuilder) { b.JSONBody(obj{"user_id": pactUser}) },
			status:  200, body: obj{"data": obj{"cleaned_by": "user_id", "sessions_cleaned": matchers.Integer(1)}},
			call: func(t *testing.T, c *pomelo.Client) error {
				_, err := c.CleanValidations(ctx, pactUser, "")
				return err
			}},
		{desc: "KYC-13: a clean validations naming nobody", states: withToken, auth: true, method: "POST", path: pomelo.PathCleanValidations,
			request: func(b *consumer.V4RequestBuilder) { b.JSONBody(obj{}) },
			status:  400, body: errorBody("INVALID_REQUEST"), code: "INVALID_REQUEST",
			call: func(t *testing.T, c *pomelo.Client) error {
				_, err := c.CleanValidations(ctx, "", "")
				return err
			}},
	}
	for _, in := range cases {
		t.Run(in.desc, func(t *testing.T) { in.run(t) })
	}
	pactRan = !t.Failed()
}
