package providers

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	baasc "github.com/latam-conformance/conformance/clients/baas"
	gu1c "github.com/latam-conformance/conformance/clients/gu1"
	pic "github.com/latam-conformance/conformance/clients/personalinfo"
	pomeloc "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/fixtures"
	"github.com/latam-conformance/conformance/internal/mock"
	mockbaas "github.com/latam-conformance/conformance/internal/mock/baas"
	mockgu1 "github.com/latam-conformance/conformance/internal/mock/gu1"
	mockpi "github.com/latam-conformance/conformance/internal/mock/personalinfo"
	mockpomelo "github.com/latam-conformance/conformance/internal/mock/pomelo"
)

// served starts provider's mock as every mock is served and returns its URL.
func served(t *testing.T, provider string) string {
	t.Helper()
	p, err := Lookup(provider)
	require.NoError(t, err)
	h, err := p.Mock(mock.Config{BaaSSigning: []string{"claims"}})
	require.NoError(t, err)
	srv, err := mock.Start("127.0.0.1:0", h)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv.URL
}

// ctl calls the control API acting for tenant and returns the status.
func ctl(t *testing.T, base, tenant, method, path string, in any) int {
	t.Helper()
	err := mock.ControlCallFor(t.Context(), http.DefaultClient, tenant, method, base+mock.ControlPrefix+path, in, nil)
	if err == nil {
		return 200
	}
	for _, code := range []int{400, 401, 403, 404, 409} {
		if strings.Contains(err.Error(), "status "+strconv.Itoa(code)) {
			return code
		}
	}
	t.Fatalf("control %s %s: %v", method, path, err)
	return 0
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// TestPomeloTenantsSeeOnlyTheirOwnSessions: a second OAuth client cannot read, search, upload into,
// cancel, report on or clean the first one's session, nor reach it, reset it, or take its token, its
// secret or a fixture flow through the control API.
func TestPomeloTenantsSeeOnlyTheirOwnSessions(t *testing.T) {
	base := served(t, "pomelo")
	ctx := t.Context()
	require.Equal(t, 200, ctl(t, base, "", http.MethodPost, "/clients", map[string]string{"client_id": "tenant-b", "client_secret": "secret-b"}))
	client := func(id, secret string) *pomeloc.Client {
		c, err := pomeloc.NewClient(base, pomeloc.WithCredentials(pomeloc.Credentials{ClientID: id, ClientSecret: secret, Audience: "https://api.pomelo.la"}))
		require.NoError(t, err)
		return c
	}
	a, b := client(mockpomelo.ClientID, mockpomelo.ClientSecret), client("tenant-b", "secret-b")
	flow := mockpomelo.FixtureFlows()[4:] // "ARG:flo-…,…": the first flow's id
	flow = flow[:bytes.IndexByte([]byte(flow), ',')]
	s, _, err := a.CreateKYCSession(ctx, &pomeloc.KYCSession{UserID: "usr-shared1", FlowID: flow})
	require.NoError(t, err)

	_, resp, _ := b.GetSession(ctx, s.ID)
	assert.Equal(t, 404, status(resp), "read")
	_, resp, _ = b.SessionReport(ctx, s.ID)
	assert.Equal(t, 404, status(resp), "report")
	_, resp, _ = b.UploadFile(ctx, s.ID, "usr-shared1", "selfie", "s.jpg", "image/jpeg", bytes.NewReader([]byte("\xff\xd8\xff\xe0 jpeg")))
	assert.Equal(t, 404, status(resp), "upload")
	_, resp, _ = b.CancelSession(ctx, s.ID)
	assert.Equal(t, 404, status(resp), "cancel")
	page, _, err := b.SearchSessions(ctx, pomeloc.Query{})
	require.NoError(t, err)
	assert.Empty(t, page.Data, "search")
	page, _, err = b.SearchSessions(ctx, pomeloc.Query{Filters: map[string]string{"user_id": "usr-shared1"}})
	require.NoError(t, err)
	assert.Empty(t, page.Data, "search by the other tenant's user")
	_, err = b.CleanValidations(ctx, "usr-shared1", "")
	require.NoError(t, err)
	// B makes a session for a user of the same name: it is B's, and A's stays A's.
	sb, _, err := b.CreateKYCSession(ctx, &pomeloc.KYCSession{UserID: "usr-shared1", FlowID: flow})
	require.NoError(t, err)
	assert.NotEqual(t, s.ID, sb.ID)

	assert.Equal(t, 404, ctl(t, base, "tenant-b", http.MethodPost, "/sessions/"+s.ID+"/status", map[string]string{"status": "VALIDATED"}), "control write")
	assert.Equal(t, 409, ctl(t, base, "tenant-b", http.MethodPost, "/sessions", map[string]string{"id": s.ID, "user_id": "usr-x", "flow_id": flow,
		"status": "IN_PROGRESS", "created_at": time.Now().UTC().Format(time.RFC3339)}), "control overwrite of A's session")
	assert.Equal(t, 409, ctl(t, base, "tenant-b", http.MethodPost, "/clients", map[string]string{"client_id": mockpomelo.ClientID, "client_secret": "mine-now"}), "A's secret")
	assert.Equal(t, 409, ctl(t, base, "tenant-b", http.MethodPost, "/flows", map[string]string{"flow_id": flow, "country": "ARG", "webhook_url": "http://127.0.0.1:9/b"}), "a fixture flow")
	assert.Equal(t, 400, ctl(t, base, "tenant-b", http.MethodPost, "/flows", map[string]string{"country": "ARG", "webhook_url": base + mock.ControlPrefix + "/reset"}), "a webhook into the control API")
	assert.Equal(t, 200, ctl(t, base, "tenant-b", http.MethodPost, "/tokens/revoke", nil), "B revokes its own tokens only")
	assert.Equal(t, 200, ctl(t, base, "tenant-b", http.MethodPost, "/reset", nil), "B resets its own data")

	got, _, err := a.GetSession(ctx, s.ID)
	require.NoError(t, err, "A's session, token and data outlive everything B did")
	assert.Equal(t, pomeloc.StatusInProgress, got.Status)
}

// TestBaaSTenantsHaveTheirOwnSMSTokens: an SMS token is keyed by API client and CPF: another client's
// token request for the same person neither voids the first one's token nor lets it complete the
// person creation with it, and the control API shows each client its own SMS only.
func TestBaaSTenantsHaveTheirOwnSMSTokens(t *testing.T) {
	base := served(t, "baas")
	ctx := t.Context()
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	require.Equal(t, 200, ctl(t, base, "", http.MethodPost, "/clients", map[string]string{"api_client_key": "tenant-b",
		"public_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}))
	signerA, err := baasc.NewSigner(mockbaas.APIClientKey, []byte(mockbaas.FixturePrivateKeyPEM))
	require.NoError(t, err)
	a, err := baasc.NewClient(base, baasc.WithSigner(signerA))
	require.NoError(t, err)
	b, err := baasc.NewClient(base, baasc.WithSigner(&baasc.Signer{APIClientKey: "tenant-b", Key: key}))
	require.NoError(t, err)

	cpf := fixtures.RandomCPF()
	person := fixtures.BaaSPerson(cpf)
	_, _, err = a.TokenRequest(ctx, fixtures.BaaSTokenRequest(person))
	require.NoError(t, err)
	smsA, err := mockbaas.NewControl(base, http.DefaultClient).LastSMS(ctx, cpf)
	require.NoError(t, err)
	_, _, err = b.TokenRequest(ctx, fixtures.BaaSTokenRequest(person)) // B asks for the same person
	require.NoError(t, err)

	_, resp, err := b.ValidateMovement(ctx, &baasc.MovementValidationBody{Token: smsA.Token, PersonCreation: baasc.PersonCreation{Person: person}})
	require.Error(t, err)
	assert.Equal(t, 401, status(resp), "B cannot complete A's person creation with A's token")
	var sms struct{ Token string }
	require.NoError(t, mock.ControlCallFor(ctx, http.DefaultClient, "tenant-b", http.MethodGet, base+mock.ControlPrefix+"/sms?document_number="+cpf, nil, &sms))
	assert.NotEqual(t, smsA.Token, sms.Token, "B's SMS is its own")
	assert.Equal(t, 200, ctl(t, base, "tenant-b", http.MethodPost, "/reset", nil))
	assert.Equal(t, 200, ctl(t, base, "tenant-b", http.MethodPost, "/contacts/remove", map[string]string{"document_number": fixtures.BaaSAgent}))

	done, _, err := a.ValidateMovement(ctx, &baasc.MovementValidationBody{Token: smsA.Token, PersonCreation: baasc.PersonCreation{Person: person}})
	require.NoError(t, err, "A's token survived B's request, B's reset and B's contacts")
	assert.True(t, done.Validation)
}

// TestGu1OrganisationsAreTenantsOfTheControlAPI: another organisation cannot read, move, list the
// deliveries of, or reset an organisation's validation; a webhook URL into the control API is refused.
func TestGu1OrganisationsAreTenantsOfTheControlAPI(t *testing.T) {
	base := served(t, "gu1")
	ctx := t.Context()
	require.Equal(t, 200, ctl(t, base, "", http.MethodPost, "/organizations", map[string]any{"api_key": "org-b-key", "kyc_configured": true}))
	a, err := gu1c.NewClient(base, gu1c.WithAPIKey(mockgu1.APIKey))
	require.NoError(t, err)
	b, err := gu1c.NewClient(base, gu1c.WithAPIKey("org-b-key"))
	require.NoError(t, err)
	e, _, err := a.CreateEntity(ctx, &gu1c.Entity{Type: "person", Name: "Ana"})
	require.NoError(t, err)
	v, _, err := a.CreateValidation(ctx, &gu1c.ValidationRequest{EntityID: e.ID})
	require.NoError(t, err)

	_, resp, _ := b.GetValidation(ctx, v.ID)
	assert.Equal(t, 404, status(resp), "read")
	_, resp, _ = b.CancelValidation(ctx, v.ID)
	assert.Equal(t, 404, status(resp), "cancel")
	assert.Equal(t, 404, ctl(t, base, "org-b-key", http.MethodPost, "/validations/"+v.ID+"/status", map[string]string{"status": "approved"}), "control write")
	var ds struct{ Deliveries []any }
	require.NoError(t, mock.ControlCallFor(ctx, http.DefaultClient, "org-b-key", http.MethodGet, base+mock.ControlPrefix+"/deliveries?validation_id="+v.ID, nil, &ds))
	assert.Empty(t, ds.Deliveries)
	assert.Equal(t, 200, ctl(t, base, "org-b-key", http.MethodPost, "/reset", nil))
	assert.Equal(t, 400, ctl(t, base, "", http.MethodPost, "/organizations", map[string]any{"api_key": "org-c-key", "webhook_url": base + mock.ControlPrefix + "/reset"}))
	_, resp, err = b.CreateValidation(ctx, &gu1c.ValidationRequest{EntityID: e.ID, WebhookURL: base + "/__control/reset"})
	require.Error(t, err)
	assert.Equal(t, 400, status(resp), "a validation's webhookUrl into the control API")

	got, _, err := a.GetValidation(ctx, v.ID)
	require.NoError(t, err, "A's validation outlives B's reset")
	assert.Equal(t, "pending", got.Status)

	// B's faults are B's: its calls get them, A's never do; nor does B's journal hold A's calls.
	assert.Equal(t, 200, ctl(t, base, "org-b-key", http.MethodPut, "/faults", map[string]any{"faults": []map[string]any{{"kind": "500"}}}))
	_, resp, _ = b.GetValidation(ctx, v.ID)
	assert.Equal(t, 500, status(resp))
	_, _, err = a.GetValidation(ctx, v.ID)
	require.NoError(t, err, "A gets none of B's faults")
	var page mock.Page
	require.NoError(t, mock.ControlCallFor(ctx, http.DefaultClient, "org-b-key", http.MethodGet, base+mock.JournalPath+"?since=0", nil, &page))
	for _, e := range page.Entries {
		assert.NotEqual(t, mockgu1.APIKey, e.Tenant, "B's journal holds none of A's calls")
	}
	require.NoError(t, mock.ControlCallFor(ctx, http.DefaultClient, "", http.MethodGet, base+mock.JournalPath+"?since=0", nil, &page))
	assert.NotEmpty(t, page.Entries)
	for _, e := range page.Entries {
		assert.NotEqual(t, "org-b-key", e.Tenant, "A's journal holds none of B's calls")
	}
}

// TestPersonalRecordsAreTheirClientsOnly: the control API reads and resets a client's records only,
// and gives nobody another client's token or id.
func TestPersonalRecordsAreTheirClientsOnly(t *testing.T) {
	base := served(t, "personalinfo")
	ctx := t.Context()
	require.Equal(t, 200, ctl(t, base, "", http.MethodPost, "/tokens", map[string]any{"token": "token-of-b", "client_id": 2}))
	a, err := pic.NewClient(base, pic.WithToken(mockpi.Token))
	require.NoError(t, err)
	rec, _, err := a.Create(ctx, fixtures.PIRequest())
	require.NoError(t, err)
	path := "/records/" + strconv.FormatInt(rec.ID, 10)
	assert.Equal(t, 404, ctl(t, base, "token-of-b", http.MethodGet, path, nil), "read")
	assert.Equal(t, 200, ctl(t, base, "token-of-b", http.MethodPost, "/reset", nil))
	assert.Equal(t, 409, ctl(t, base, "token-of-b", http.MethodPost, "/tokens", map[string]any{"token": "b-steals", "client_id": mockpi.ClientID}), "a token for A's client")
	assert.Equal(t, 409, ctl(t, base, "token-of-b", http.MethodPost, "/tokens", map[string]any{"token": mockpi.Token, "client_id": 2}), "A's token")
	assert.Equal(t, 200, ctl(t, base, "", http.MethodGet, path, nil), "A's record outlives B's reset")
}
