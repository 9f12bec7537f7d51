package personalinfo_test

import (
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

	"github.com/latam-conformance/conformance/clients/personalinfo"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/pactfile"
	"github.com/latam-conformance/conformance/internal/pacttest"
	"github.com/latam-conformance/conformance/internal/providers"
)

// See clients/baas/pact_test.go: fresh folder, then compared with (or, with PACT_UPDATE=1, copied to)
// the committed pacts/ file.
var pactDir string

var pactName = pacttest.FileName("personalinfo")

type obj = map[string]any

var pactRan bool

func TestMain(m *testing.M) {
	os.Exit(pactfile.ConsumerMain(m, filepath.Join("..", "..", "pacts"), pactName,
		func(dir string) { pactDir = dir }, func() bool { return pactRan }))
}

const (
	pactToken = "pi-pact-token"
	// boundary is fixed in the contract so that the file does not change on every run; the client picks a
	// random one, and the Pact mock server compares the parts, not the boundary.
	boundary  = "conformance-pact-boundary"
	timeRE    = `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`
	requestID = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
)

var tokenState = models.ProviderState{Name: providers.StatePIToken, Parameters: map[string]any{"token": pactToken}}

func newPact(t *testing.T) *consumer.V4HTTPMockProvider {
	t.Helper()
	return pacttest.New(t, "personalinfo", pactDir)
}

// securityHeaders expects PI-05 on a response: every documented header with its exact value, and an
// X-Request-Id (a UUID, as Rails makes it).
func securityHeaders(b *consumer.V4ResponseBuilder) {
	for _, kv := range [][2]string{
		{"X-Frame-Options", "SAMEORIGIN"}, {"X-XSS-Protection", "1; mode=block"}, {"X-Content-Type-Options", "nosniff"},
		{"X-Download-Options", "noopen"}, {"X-Permitted-Cross-Domain-Policies", "none"},
		{"Referrer-Policy", "strict-origin-when-cross-origin"}, {"Content-Type", "application/json; charset=utf-8"},
	} {
		b.Header(kv[0], matchers.S(kv[1]))
	}
	b.Header("X-Request-Id", matchers.Regex("7f998c2e-8798-437c-8891-5455da1ec7c7", requestID))
}

// multipartBody puts the form into the contract: the whole multipart document, with a Content-Type
// whose boundary is matched by a pattern.
func multipartBody(t *testing.T, fields [][2]string, photos []personalinfo.NamedPhoto) func(*consumer.V4RequestBuilder) {
	body, ct, err := personalinfo.MultipartForm(fields, photos, boundary)
	require.NoError(t, err)
	return func(b *consumer.V4RequestBuilder) {
		b.Header("Content-Type", matchers.Regex(ct, `^multipart/form-data;\s*boundary=\S+$`))
		b.Body(ct, body.Bytes())
	}
}

func record(birthday string) obj {
	return obj{"data": obj{
		"id":                  matchers.Integer(35),
		"first_name":          "Juan",
		"last_name":           "Fernandez",
		"nationality":         "Argentino",
		"gender":              "Hombre",
		"marital_status":      "divorcee",
		"politically_exposed": false,
		"birthday":            birthday,
		"client_id":           matchers.Integer(7777),
		"created_at":          matchers.Regex("2023-04-19T17:15:40.536Z", timeRE),
		"updated_at":          matchers.Regex("2023-04-19T17:15:40.539Z", timeRE),
		"document_type":       "cuil",
		"document_number":     "9999999",
		"state":               "checking",
	}}
}

func errorsOn(fields ...string) obj {
	errs := obj{}
	for _, f := range fields {
		errs[f] = matchers.EachLike("is invalid", 1)
	}
	return obj{"errors": errs}
}

type interaction struct {
	desc    string
	token   bool
	request func(*consumer.V4RequestBuilder)
	status  int
	answer  any
	call    func(t *testing.T, c *personalinfo.Client) error
	fields  []string // with a 4xx: the fields the client's APIError must name
}

func (in interaction) run(t *testing.T) {
	t.Helper()
	i := newPact(t).AddInteraction()
	if in.token {
		i = i.GivenWithParameter(tokenState)
	}
	err := i.UponReceiving(in.desc).
		WithRequest(consumer.Method("POST"), personalinfo.PathPersonalInformations, func(b *consumer.V4RequestBuilder) {
			if in.token {
				b.Header("Authorization", matchers.S(pactToken))
			}
			in.request(b)
		}).
		WillRespondWith(in.status, func(b *consumer.V4ResponseBuilder) {
			securityHeaders(b)
			b.JSONBody(in.answer)
		}).
		ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
			var opts []personalinfo.Option
			if in.token {
				opts = append(opts, personalinfo.WithToken(pactToken))
			}
			c, err := personalinfo.NewClient(fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port), opts...)
			require.NoError(t, err)
			err = in.call(t, c)
			if in.status >= 400 {
				var apiErr *personalinfo.APIError
				require.True(t, errors.As(err, &apiErr), "want *personalinfo.APIError, got %v", err)
				assert.Equal(t, in.status, apiErr.StatusCode)
				for _, f := range in.fields {
					assert.NotEmpty(t, apiErr.Fields[f], "errors.%s", f)
				}
				assert.NotEmpty(t, apiErr.RequestID)
				return nil
			}
			return err
		})
	require.NoError(t, err)
}

func TestPactPersonalInformations(t *testing.T) {
	ctx := context.Background()
	seed := fixtures.PIRequest()
	with := func(field, value string) [][2]string {
		var out [][2]string
		for _, f := range seed.Fields() {
			if f[0] == field {
				f[1] = value
			}
			out = append(out, f)
		}
		return out
	}
	sendForm := func(fields [][2]string) func(*testing.T, *personalinfo.Client) error {
		return func(t *testing.T, c *personalinfo.Client) error {
			body, ct, err := personalinfo.MultipartForm(fields, seed.Photos(), "")
			require.NoError(t, err)
			_, _, err = c.CreateRaw(ctx, body.Bytes(), ct)
			return err
		}
	}
	cases := []interaction{
		{desc: "PI-01 PI-02 PI-04 PI-05 DOC-10 DOC-11: the seed's person with three photos uploaded", token: true,
			request: multipartBody(t, seed.Fields(), seed.Photos()),
			status:  200, answer: record("1990-08-10"),
			call: func(t *testing.T, c *personalinfo.Client) error {
				rec, _, err := c.Create(ctx, fixtures.PIRequest())
				if err == nil {
					assert.Equal(t, "checking", rec.State)
					assert.Positive(t, rec.ID)
				}
				return err
			}},
		{desc: "PI-06 DOC-09: a birthday written YYYY/MM/DD is answered YYYY-MM-DD", token: true,
			request: multipartBody(t, with("birthday", "1990/08/10"), seed.Photos()),
			status:  200, answer: record("1990-08-10"),
			call: func(t *testing.T, c *personalinfo.Client) error {
				r := fixtures.PIRequest()
				r.Birthday = "1990/08/10"
				rec, _, err := c.Create(ctx, r)
				if err == nil {
					assert.Equal(t, "1990-08-10", rec.Birthday)
				}
				return err
			}},
		{desc: "PI-01 PI-05: a request without the integration token",
			request: multipartBody(t, seed.Fields(), seed.Photos()),
			status:  401, answer: errorsOn("authorization"), fields: []string{"authorization"},
			call: func(t *testing.T, c *personalinfo.Client) error {
				_, _, err := c.Create(ctx, fixtures.PIRequest())
				return err
			}},
		{desc: "PI-03 PI-05: a marital status outside the list", token: true,
			request: multipartBody(t, with("marital_status", "complicated"), seed.Photos()),
			status:  422, answer: errorsOn("marital_status"), fields: []string{"marital_status"},
			call: sendForm(with("marital_status", "complicated"))},
		{desc: "PI-02: politically exposed that is not a boolean", token: true,
			request: multipartBody(t, with("politically_exposed", "maybe"), seed.Photos()),
			status:  422, answer: errorsOn("politically_exposed"), fields: []string{"politically_exposed"},
			call: sendForm(with("politically_exposed", "maybe"))},
		{desc: "DOC-11: the seed's documented JSON body, whose photos are not uploads", token: true,
			request: func(b *consumer.V4RequestBuilder) {
				b.Header("Content-Type", matchers.S("application/json"))
				b.Body("application/json", []byte(fixtures.PIDocumentedJSON))
			},
			status: 422, answer: errorsOn("front_document", "back_document", "dni_selfie"),
			fields: []string{"front_document", "back_document", "dni_selfie"},
			call: func(t *testing.T, c *personalinfo.Client) error {
				_, _, err := c.CreateRaw(ctx, []byte(fixtures.PIDocumentedJSON), "application/json")
				return err
			}},
	}
	for _, in := range cases {
		t.Run(in.desc, func(t *testing.T) { in.run(t) })
	}
	pactRan = !t.Failed()
}
