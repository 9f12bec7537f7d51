package pomelo

import (
	"net/http"
	"slices"
	"time"

	client "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/mock"
)

// Control API (provider states; not part of Pomelo's API), under mock.ControlPrefix.
func (m *Mock) controlRoutes(rt *mock.Router) {
	c := mock.ControlPrefix
	rt.Handle(http.MethodPost, c+"/reset", func(w http.ResponseWriter, r *http.Request) {
		m.resetTenant(m.tenant(r))
		w.WriteHeader(http.StatusNoContent)
	})
	rt.Handle(http.MethodPost, c+"/flows", m.ctlFlow)
	rt.Handle(http.MethodPost, c+"/users", m.ctlUser)
	rt.Handle(http.MethodPost, c+"/sessions", m.ctlSession)
	rt.Handle(http.MethodPost, c+"/sessions/{session_id}/status", m.ctlStatus)
	rt.Handle(http.MethodGet, c+"/deliveries", m.ctlDeliveries)
	rt.Handle(http.MethodPost, c+"/tokens", m.ctlToken)
	rt.Handle(http.MethodPost, c+"/clients", m.ctlClient)
	rt.Handle(http.MethodPost, c+"/tokens/revoke", m.ctlRevoke)
}

// ctlRevoke revokes the access token named in {"token": T}, or every token without a body: a
// scenario revokes its own client's token, so that runs sharing the mock never revoke each other's.
func (m *Mock) ctlRevoke(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if r.ContentLength != 0 && !decodeCtl(w, r, &in) {
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	n := 0
	for tok, t := range m.tokens {
		if t.client == tenant && (in.Token == "" || in.Token == tok) { // the tenant's own tokens only
			delete(m.tokens, tok)
			n++
		}
	}
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, map[string]any{"revoked": n})
}

// decodeCtl reads a control body strictly into v.
func decodeCtl(w http.ResponseWriter, r *http.Request, v any) bool {
	p := mock.DecodeStrict(r, v)
	if p == nil {
		return true
	}
	if p.Code == mock.CodeMalformedJSON {
		p.Code = CodeInvalidRequest
	}
	writeProblem(w, p)
	return false
}

// ctlFlow configures a validation flow: its country and where its notifications go.
func (m *Mock) ctlFlow(w http.ResponseWriter, r *http.Request) {
	var f flow
	if !decodeCtl(w, r, &f) {
		return
	}
	if !slices.Contains(client.Countries, f.Country) {
		writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "control API: country %q is not one of %v", f.Country, client.Countries))
		return
	}
	if f.WebhookURL != "" {
		if err := mock.CheckWebhookURL(f.WebhookURL); err != nil {
			writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "control API: %v", err))
			return
		}
	}
	if f.ID == "" {
		f.ID = newID("flo")
	}
	f.tenant = m.tenant(r)
	m.mu.Lock()
	if old := m.flows[f.ID]; old != nil && old.tenant != f.tenant {
		m.mu.Unlock()
		writeProblem(w, problem(http.StatusConflict, CodeInvalidRequest, "control API: flow %s is not this tenant's to change", f.ID))
		return
	}
	m.flows[f.ID] = &f
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, f)
}

// ctlUser records a user's document number, which /clean_validations can name.
func (m *Mock) ctlUser(w http.ResponseWriter, r *http.Request) {
	var u struct {
		UserID         string `json:"user_id"`
		DocumentNumber string `json:"document_number"`
	}
	if !decodeCtl(w, r, &u) {
		return
	}
	if u.UserID == "" || u.DocumentNumber == "" {
		writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "control API: user_id and document_number are required"))
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	m.userDocs[userKey(tenant, u.UserID)] = u.DocumentNumber
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, u)
}

// ctlSession puts a KYC session in place with the given status and times, so that searches have many
// sessions across dates to filter, sort and page.
func (m *Mock) ctlSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID         string `json:"id"`
		UserID     string `json:"user_id"`
		FlowID     string `json:"flow_id"`
		ExternalID string `json:"external_id"`
		Status     string `json:"status"`
		CreatedAt  string `json:"created_at"`
		UpdatedAt  string `json:"updated_at"`
	}
	if !decodeCtl(w, r, &in) {
		return
	}
	created, err1 := time.Parse(time.RFC3339, in.CreatedAt)
	updated, err2 := time.Parse(time.RFC3339, in.UpdatedAt)
	if in.UpdatedAt == "" {
		updated, err2 = created, nil
	}
	if err1 != nil || err2 != nil || !slices.Contains([]string{client.StatusInProgress, client.StatusValidated, client.StatusRejected, client.StatusCancelled}, in.Status) {
		writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "control API: want user_id, flow_id, a known status and RFC 3339 created_at (and updated_at)"))
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	f := m.flowFor(tenant, in.FlowID)
	if f == nil {
		m.mu.Unlock()
		writeProblem(w, problem(http.StatusBadRequest, CodeFlowNotFound, "control API: flow %s is not configured", in.FlowID))
		return
	}
	if old := m.sessions[in.ID]; old != nil && old.tenant != tenant {
		m.mu.Unlock()
		writeProblem(w, problem(http.StatusConflict, CodeInvalidRequest, "control API: session %s is another tenant's", in.ID))
		return
	}
	s := &session{entities: map[string]bool{in.UserID: true}, tenant: tenant}
	if in.ID == "" {
		in.ID = newID("ses")
	}
	s.Session = client.Session{ID: in.ID, Status: in.Status, Kind: "kyc", UserID: in.UserID, FlowID: in.FlowID,
		Country: f.Country, IntegrationMethod: "API", ExternalID: in.ExternalID, CreatedAt: stamp(created), UpdatedAt: stamp(updated)}
	m.removeSession(s.ID) // a control-API session that takes an existing id replaces it
	m.addSession(s)
	out := s.Session
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, map[string]any{"data": out})
}

// ctlStatus forces a session's outcome (and so a notification).
func (m *Mock) ctlStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status string `json:"status"`
	}
	if !decodeCtl(w, r, &in) {
		return
	}
	if !slices.Contains([]string{client.StatusInProgress, client.StatusValidated, client.StatusRejected, client.StatusCancelled}, in.Status) {
		writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "control API: unknown status %q", in.Status))
		return
	}
	s := m.find(w, r)
	if s == nil {
		return
	}
	m.mu.Lock()
	m.setStatus(s, in.Status)
	out := s.Session
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, map[string]any{"data": out})
}

// ctlDeliveries lists the notification attempts for ?session_id=, oldest first.
func (m *Mock) ctlDeliveries(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("session_id")
	tenant := m.tenant(r)
	m.mu.Lock()
	out := []Delivery{}
	for _, d := range m.deliveries {
		if d.SessionID == id && d.tenant == tenant {
			out = append(out, d)
		}
	}
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}

// ctlToken makes a given access token valid for the mock's token lifetime (Pact provider states name
// the token the contract sends).
func (m *Mock) ctlToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if !decodeCtl(w, r, &in) {
		return
	}
	if in.Token == "" {
		writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "control API: token is required"))
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	if old, ok := m.tokens[in.Token]; ok && old.client != tenant {
		m.mu.Unlock()
		writeProblem(w, problem(http.StatusConflict, CodeInvalidRequest, "control API: that token is another tenant's"))
		return
	}
	m.addToken(in.Token, m.now().Add(m.ttl), tenant)
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, in)
}

// ctlClient registers another OAuth2 client (its id and secret) beside the fixture one (KYC-16).
func (m *Mock) ctlClient(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if !decodeCtl(w, r, &in) {
		return
	}
	if in.ClientID == "" || in.ClientSecret == "" {
		writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "control API: client_id and client_secret are required"))
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	if _, exists := m.clients[in.ClientID]; exists && in.ClientID != tenant {
		m.mu.Unlock()
		writeProblem(w, problem(http.StatusConflict, CodeInvalidRequest, "control API: client %s is another tenant: only it may change its secret", in.ClientID))
		return
	}
	m.clients[in.ClientID] = in.ClientSecret
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, map[string]string{"client_id": in.ClientID})
}
