// Package pomelo is the embedded, stateful mock of Pomelo Identity (seeds 000 and 001).
//
// It issues OAuth2 client-credentials tokens and refuses every identity call without a valid bearer
// (KYC-16, KYB-01); creates KYC and KYB sessions from validation flows; takes multipart uploads per
// country and document type (KYC-03, KYC-04, KYB-09) and moves a session to VALIDATED once every
// required document is in; cancels (KYC-06); reports (KYC-07); searches with the exact filter, date
// range, sort and page syntax and refuses anything else (KYC-08..12); cleans validations (KYC-13); and
// POSTs a signed notification on every status change, again on a non-2xx (KYC-14, KYC-15).
//
// Where the seeds are silent the mock decides, and says so here: flows are configured in the mock (a
// fixture per country, more through the control API), each with its own webhook target, so that
// concurrent scenarios do not see each other's notifications; a page holds 1 to 100 sessions (default
// 20); a VALIDATED user cannot start a new session until its validations are cleaned.
package pomelo

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	client "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/randid"
	"github.com/latam-conformance/conformance/internal/schema"
)

// Fixture credentials of the mock (KYC-16) and its webhook signing pair (KYC-15).
const (
	ClientID      = "conformance-client"
	ClientSecret  = "conformance-secret"
	WebhookAPIKey = "conformance-webhook-key"
	// WebhookSecret is base64, as Pomelo hands out api-secrets.
	WebhookSecret = "Y29uZm9ybWFuY2Utd2ViaG9vay1zZWNyZXQtMzItYnl0ZXMh"
)

// DefaultTokenTTL is how long an access token lives when the config does not say.
const DefaultTokenTTL = 5 * time.Minute

// Page sizes of the search.
const (
	DefaultPageSize = client.DefaultPageSize
	MaxPageSize     = client.MaxPageSize
)

// MaxUpload is the largest upload the mock takes.
const MaxUpload = 10 << 20

type flow struct {
	ID         string `json:"flow_id"`
	Country    string `json:"country"`
	WebhookURL string `json:"webhook_url,omitempty"`
	tenant     string // who configured it; "" for the fixture flows, which every tenant may use
}

// flowFor is the flow id names when tenant may use it (its own or a fixture flow), or nil. m.mu must be
// held.
func (m *Mock) flowFor(tenant, id string) *flow {
	if f := m.flows[id]; f != nil && (f.tenant == "" || f.tenant == tenant) {
		return f
	}
	return nil
}

type session struct {
	client.Session
	tenant   string // the OAuth client that made it: only that client sees or changes it
	kyb      *client.KYBSession
	entities map[string]bool // ids documents may be uploaded for
	changed  time.Time       // when it was made or its status last changed (Retention's active window)
	// createdKey is created_at as the search sorts it (normTime), computed once when it is stored.
	createdKey string
}

// Delivery is one attempt to deliver a notification.
type Delivery struct {
	SessionID string    `json:"session_id"`
	Status    string    `json:"status"`
	URL       string    `json:"url"`
	Attempt   int       `json:"attempt"`
	Answer    int       `json:"answer"` // HTTP status the receiver answered; 0 when it could not be reached
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
	tenant    string    // the session's tenant: only it reads the delivery
}

// Mock is the Pomelo Identity mock. Build it with New.
type Mock struct {
	schemas *schema.Registry
	now     func() time.Time
	ttl     time.Duration
	router  *mock.Router
	hc      *http.Client
	retries []time.Duration // waits before each re-delivery
	journal *mock.Journal   // where deliveries are journalled (mock.Config.Journal); nil: nowhere

	mu          sync.Mutex
	tokens      map[string]issued // access token -> its expiry and client (the tenant)
	clients     map[string]string // OAuth2 client id -> secret; each client is a tenant
	fixtureHook string            // the webhook URL of the fixture flows (mock.Config.PomeloWebhookURL)
	flows       map[string]*flow
	sessions    map[string]*session
	byUser      map[string][]*session // userKey -> its sessions, oldest first (KYC-13, search by user_id)
	byCreated   map[string][]*session // tenant -> its sessions in the search's default order, created_at then id
	userDocs    map[string]string     // userKey -> document number (set through the control API)
	deliveries  []Delivery
	outbox      mock.Outbox // notifications: per webhook target, in the order of the changes

	// Bounded state for a long-running mock (mock.Config.MaxItems, ActiveFor).
	maxItems     int
	activeFor    time.Duration
	sessionOrder mock.Retention
	tokenOrder   mock.Retention
}

// New builds the mock. cfg.Schemas, when set, must hold the pomelo schemas.
func New(cfg mock.Config) (*Mock, error) {
	reg, err := cfg.Registry("pomelo")
	if err != nil {
		return nil, err
	}
	m := &Mock{schemas: reg, now: cfg.Clock(), ttl: cfg.TokenTTL, fixtureHook: cfg.PomeloWebhookURL,
		hc:      mock.WebhookClient(),
		retries: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}}
	if m.ttl <= 0 {
		m.ttl = DefaultTokenTTL
	}
	m.maxItems, m.activeFor = cfg.StoreLimits()
	m.sessionOrder.Max, m.tokenOrder.Max = m.maxItems, m.maxItems
	m.outbox.Faults, m.journal = cfg.Faults, cfg.Journal
	m.reset()
	rt := mock.NewRouter(m.WriteProblem)
	rt.Documented(reg.Operations("pomelo"))
	rt.Handle(http.MethodPost, client.PathToken, m.token)
	m.identityRoutes(rt)
	rt.Handle(http.MethodGet, mock.HealthPath, m.health)
	m.controlRoutes(rt)
	m.router = rt
	return m, nil
}

// ServeHTTP implements http.Handler.
func (m *Mock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.router.ServeHTTP(w, r) }

// Wait blocks until every notification in flight has been delivered or given up.
func (m *Mock) Wait() { m.outbox.Wait() }

// fixture flows, one per supported country (KYC-02); the first is the public client's example id.
var fixtureFlows = []flow{
	{ID: "flo-3ijPOgbwKFkmUjEnE4vM9IMea78", Country: "ARG"},
	{ID: "flo-BRA", Country: "BRA"}, {ID: "flo-MEX", Country: "MEX"}, {ID: "flo-COL", Country: "COL"},
	{ID: "flo-PER", Country: "PER"}, {ID: "flo-CHL", Country: "CHL"},
}

// FixtureFlows is "COUNTRY:flow-id,…" for the fixture flows, as providers.pomelo.options.flows takes
// them: a sandbox rehearsal of the mock uses them without the control API.
func FixtureFlows() string {
	parts := make([]string, 0, len(fixtureFlows))
	for _, f := range fixtureFlows {
		parts = append(parts, f.Country+":"+f.ID)
	}
	return strings.Join(parts, ",")
}

// health answers GET /__control/health: how full the session and token stores are, and the
// notifications waiting.
func (m *Mock) health(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	h := mock.Health{Provider: "pomelo", Control: true, Stores: map[string]mock.StoreStats{
		"sessions": m.sessionOrder.Stats(len(m.sessions)),
		"tokens":   m.tokenOrder.Stats(len(m.tokens)),
	}}
	m.mu.Unlock()
	webhooks := m.outbox.Stats()
	h.Webhooks = &webhooks
	mock.WriteJSON(w, http.StatusOK, h)
}

func (m *Mock) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = map[string]issued{}
	m.clients = map[string]string{ClientID: ClientSecret}
	m.flows = map[string]*flow{}
	for _, f := range fixtureFlows {
		f := f
		f.WebhookURL = m.fixtureHook
		m.flows[f.ID] = &f
	}
	m.sessions = map[string]*session{}
	m.byUser = map[string][]*session{}
	m.byCreated = map[string][]*session{}
	m.userDocs = map[string]string{}
	m.deliveries = nil
	m.sessionOrder.Reset()
	m.tokenOrder.Reset()
}

// resetTenant forgets one tenant's sessions, users, tokens and deliveries, and puts the fixture flows
// back: another tenant's data stays as it is.
func (m *Mock) resetTenant(tenant string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range slices.Clone(m.byCreated[tenant]) {
		m.removeSession(s.ID)
	}
	for k := range m.userDocs {
		if strings.HasPrefix(k, tenant+"\x00") {
			delete(m.userDocs, k)
		}
	}
	for tok, t := range m.tokens {
		if t.client == tenant {
			delete(m.tokens, tok)
		}
	}
	m.deliveries = slices.DeleteFunc(m.deliveries, func(d Delivery) bool { return d.tenant == tenant })
	for _, f := range fixtureFlows {
		f.WebhookURL = m.fixtureHook
		m.flows[f.ID] = &f
	}
}

// addSession stores s and evicts the oldest sessions past the limit: finished ones, and unfinished
// ones idle for longer than the active window. m.mu must be held.
func (m *Mock) addSession(s *session) {
	s.changed, s.createdKey = m.now(), normTime(s.CreatedAt)
	m.sessions[s.ID] = s
	k := userKey(s.tenant, s.UserID)
	m.byUser[k] = append(m.byUser[k], s)
	i := m.createdIndex(s) // at the end but for a back-dated session (the control API)
	m.byCreated[s.tenant] = slices.Insert(m.byCreated[s.tenant], i, s)
	m.sessionOrder.Add(s.ID)
	m.sessionOrder.Trim(func(id string) bool {
		old := m.sessions[id]
		return old != nil && old.Status == client.StatusInProgress && m.now().Sub(old.changed) < m.activeFor
	}, m.removeSession)
}

// removeSession forgets a session (evicted or cleaned) and reports whether it held it; an id it does
// not hold is ignored. m.mu must be held.
func (m *Mock) removeSession(id string) bool {
	s := m.sessions[id]
	if s == nil {
		return false
	}
	delete(m.sessions, id)
	created := m.byCreated[s.tenant]
	for i := m.createdIndex(s); i < len(created); i++ {
		if created[i] == s {
			created = slices.Delete(created, i, i+1)
			break
		}
	}
	if len(created) == 0 {
		delete(m.byCreated, s.tenant)
	} else {
		m.byCreated[s.tenant] = created
	}
	k := userKey(s.tenant, s.UserID)
	list := m.byUser[k]
	if i := slices.Index(list, s); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(m.byUser, k)
	} else {
		m.byUser[k] = list
	}
	return true
}

// userKey keys a tenant's user: two OAuth clients may each have a user usr-1, and neither sees the
// other's.
func userKey(tenant, user string) string { return tenant + "\x00" + user }

// createdIndex is where s belongs in its tenant's byCreated: the first session not before it. m.mu must
// be held.
func (m *Mock) createdIndex(s *session) int {
	created := m.byCreated[s.tenant]
	return sort.Search(len(created), func(i int) bool {
		o := created[i]
		return o.createdKey > s.createdKey || (o.createdKey == s.createdKey && o.ID >= s.ID)
	})
}

// issued is an access token's expiry and the OAuth client it was issued to.
type issued struct {
	exp    time.Time
	client string
}

// addToken stores an access token of client and evicts the oldest expired ones past the limit. m.mu
// must be held.
func (m *Mock) addToken(tok string, exp time.Time, client string) {
	m.tokens[tok] = issued{exp, client}
	m.tokenOrder.Add(tok)
	m.tokenOrder.Trim(func(t string) bool {
		e, ok := m.tokens[t]
		return ok && m.now().Before(e.exp)
	}, mock.Remove(m.tokens))
}

// TenantOf is the OAuth client a call acts for (mock.Tenancy).
func (m *Mock) TenantOf(r *http.Request) string { return m.tenant(r) }

// tenant is the OAuth client a call acts for: the one its bearer token was issued to, or, on the
// control API, the one mock.TenantHeader names (the fixture client when it names none).
func (m *Mock) tenant(r *http.Request) string {
	if t, ok := mock.ControlTenant(r, ClientID); ok {
		return t
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokens[tok].client
}

// ---- errors ----

// Error codes of the mock. The seeds document none for Pomelo Identity.
const (
	CodeUnauthorized     = "UNAUTHORIZED"
	CodeInvalidRequest   = "INVALID_REQUEST"
	CodeInvalidParameter = "INVALID_PARAMETER"
	CodeSessionNotFound  = "SESSION_NOT_FOUND"
	CodeFlowNotFound     = "FLOW_NOT_FOUND"
	CodeEntityNotFound   = "ENTITY_NOT_FOUND"
	CodeInvalidDocType   = "INVALID_DOCUMENT_TYPE"
	CodeInvalidFile      = "INVALID_FILE"
	CodeSessionClosed    = "SESSION_CLOSED"
	CodeAlreadyValidated = "USER_ALREADY_VALIDATED"
)

// WriteProblem writes p in Pomelo's error shape.
func (m *Mock) WriteProblem(w http.ResponseWriter, r *http.Request, p mock.Problem) {
	writeProblem(w, &p)
}

// ExpireCredential makes the bearer token r carries expire now (the expire-token fault): the call, and
// every later one with it, is refused as any expired token is, and the client needs a new one.
func (m *Mock) ExpireCredential(r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, known := m.tokens[tok]; known {
		t.exp = m.now().Add(-time.Second)
		m.tokens[tok] = t
	}
}

// writeProblem answers {"error": {code, message, details}}; a broken rule is taught in the headers and,
// where the problem lists no details of its own, as the one detail.
func writeProblem(w http.ResponseWriter, p *mock.Problem) {
	e := map[string]any{"code": p.Code, "message": p.Message}
	if d, ok := p.Data["details"]; ok {
		e["details"] = d
	} else if p.Breach() {
		e["details"] = []any{p.Teaching()}
	}
	mock.Teach(w, p)
	w.Header().Set("X-Request-Id", newID("req"))
	mock.WriteJSON(w, p.Status, map[string]any{"error": e})
}

func problem(status int, code, format string, a ...any) *mock.Problem {
	return &mock.Problem{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// schemaProblem is mock.SchemaProblem in Pomelo's shape: the violations go to error.details.
func schemaProblem(op *schema.Operation, vs []schema.Violation) *mock.Problem {
	p := mock.SchemaProblem(op, vs)
	p.Code = CodeInvalidRequest
	p.Data = map[string]any{"details": p.Data["violations"]}
	return p
}

// ---- OAuth (KYC-16) ----

func (m *Mock) token(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(status int, code, desc string) {
		mock.Teach(w, (&mock.Problem{}).Broke(desc, "KYC-16")) // every refusal here is a client's mistake
		mock.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
	}
	raw, p := mock.ReadBody(r)
	if p != nil {
		oauthErr(http.StatusBadRequest, "invalid_request", p.Message)
		return
	}
	params := map[string]string{}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" { // any case, any parameters
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			oauthErr(http.StatusBadRequest, "invalid_request", "body is not valid JSON")
			return
		}
		for k, v := range obj {
			if s, ok := v.(string); ok {
				params[k] = s
			}
		}
	} else {
		vals, err := parseForm(string(raw))
		if err != nil {
			oauthErr(http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		params = vals
	}
	if id, secret, ok := r.BasicAuth(); ok {
		params["client_id"], params["client_secret"] = id, secret
	}
	if m.knownClient(params["client_id"], params["client_secret"]) {
		mock.CallTenant(r, params["client_id"]) // the journal keeps the call its client's
	}
	switch {
	case params["grant_type"] != "client_credentials":
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
	case params["audience"] == "":
		oauthErr(http.StatusBadRequest, "invalid_request", "audience is required")
	case !m.knownClient(params["client_id"], params["client_secret"]):
		oauthErr(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
	default:
		tok := newID("tok")
		m.mu.Lock()
		m.addToken(tok, m.now().Add(m.ttl), params["client_id"])
		m.mu.Unlock()
		mock.WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(m.ttl.Seconds())})
	}
}

// knownClient tells whether id is a registered client whose secret is secret.
func (m *Mock) knownClient(id, secret string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	want, ok := m.clients[id]
	return ok && id != "" && secret == want
}

// authorized checks the bearer token of an identity call (KYC-16, KYB-01).
func (m *Mock) authorized(r *http.Request) *mock.Problem {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return problem(http.StatusUnauthorized, CodeUnauthorized, "the Authorization header must be Bearer <token> from POST /oauth/token").
			Broke("every identity call carries Authorization: Bearer <token> from POST /oauth/token", authIDs(r)...)
	}
	m.mu.Lock()
	t, known := m.tokens[tok]
	m.mu.Unlock()
	exp := t.exp
	if !known {
		return problem(http.StatusUnauthorized, CodeUnauthorized, "the bearer token is unknown or expired").
			Broke("the bearer token must be one POST /oauth/token issued", authIDs(r)...)
	}
	if !m.now().Before(exp) { // a token that ran out is the provider's outcome; using it is the client's to mend
		return problem(http.StatusUnauthorized, CodeUnauthorized, "the bearer token is unknown or expired")
	}
	return nil
}

// authIDs are the catalogue IDs of the bearer-token rule for a call: KYC-16, and KYB-01 for a session's
// creation.
func authIDs(r *http.Request) []string {
	if r.Method == http.MethodPost && r.URL.Path == client.PathCreateSession {
		return []string{"KYB-01", "KYC-16"}
	}
	return []string{"KYC-16"}
}

// ---- helpers ----

// newID returns prefix-<27 random characters>, the shape of Pomelo ids.
func newID(prefix string) string { return randid.Prefixed(prefix, 27) }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
