// Package gu1 is the embedded, stateful mock of gu1's KYC validations (seed 002).
//
// Organisations are keyed by API key (GU1-01): a fixture with the KYC integration and one without
// (GU1-09), more through the control API so that concurrent scenarios each have their own entities and
// webhook target. Entities are persons or companies (GU1-10); a validation needs a person (GU1-08) that
// exists in the organisation (GU1-07). metadata may hold at most 10240 bytes of compact JSON (GU1-04).
// A new validation becomes the entity's current one (GU1-12). Every status change is POSTed, signed with
// X-Webhook-Signature, to the validation's webhookUrl or the organisation's default (GU1-13).
package gu1

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	client "github.com/latam-conformance/conformance/clients/gu1"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/randid"
	"github.com/latam-conformance/conformance/internal/schema"
)

// Fixture API keys and the webhook secret of the fixture organisations.
const (
	APIKey        = "gu1-conformance-key"       // organisation with the KYC integration
	APIKeyNoKYC   = "gu1-conformance-nokyc-key" // organisation without it
	WebhookSecret = "gu1-conformance-webhook-secret"
)

// Statuses a control call may move a validation to (GU1-06 and the public docs' in_review, cancelled).
var Statuses = []string{"pending", "in_progress", "approved", "rejected", "expired", "abandoned", "in_review", "cancelled"}

// Harness error codes (seed 002 documents only ENTITY_NOT_FOUND, INVALID_ENTITY_TYPE, KYC_NOT_CONFIGURED).
const (
	CodeUnauthorized       = "UNAUTHORIZED"
	CodeInvalidRequest     = "INVALID_REQUEST"
	CodeMetadataTooLarge   = "METADATA_TOO_LARGE"
	CodeValidationNotFound = "VALIDATION_NOT_FOUND"
	CodeNotCancellable     = "VALIDATION_NOT_CANCELLABLE"
)

type org struct {
	ID            string `json:"organization_id"`
	APIKey        string `json:"api_key"`
	KYCConfigured bool   `json:"kyc_configured"`
	WebhookURL    string `json:"webhook_url,omitempty"`
}

type validation struct {
	client.Validation
	webhookURL string
	changed    time.Time // when it was made or its status last changed (Retention's active window)
}

// Delivery is one webhook POST the mock made.
type Delivery struct {
	ValidationID string `json:"validation_id"`
	Event        string `json:"event"`
	URL          string `json:"url"`
	Answer       int    `json:"answer"`
	Error        string `json:"error,omitempty"`
}

// Mock is the gu1 mock. Build it with New.
type Mock struct {
	schemas *schema.Registry
	now     func() time.Time
	router  *mock.Router
	hc      *http.Client

	mu          sync.Mutex
	orgs        map[string]*org                     // api key -> organisation
	entities    map[string]map[string]client.Entity // org id -> entity id -> entity
	validations map[string]*validation              // id -> validation
	deliveries  []Delivery
	outbox      mock.Outbox   // webhook deliveries: per target, in the order of the changes
	journal     *mock.Journal // where deliveries are journalled (mock.Config.Journal); nil: nowhere

	// Indices, so that no call scans every validation: an entity's validations (oldest first) and its
	// current one, keyed by organisation and entity id.
	byEntity map[string][]*validation
	current  map[string]*validation

	// Bounded state for a long-running mock (mock.Config.MaxItems, ActiveFor).
	maxItems        int
	activeFor       time.Duration
	validationOrder mock.Retention
	entityOrder     mock.Retention // "org\x00entity"
}

// New builds the mock. cfg.Schemas, when set, must hold the gu1 schemas.
func New(cfg mock.Config) (*Mock, error) {
	reg, err := cfg.Registry("gu1")
	if err != nil {
		return nil, err
	}
	for _, id := range []string{"create_entity", "create_validation"} {
		if !slices.ContainsFunc(reg.Operations("gu1"), func(op *schema.Operation) bool { return op.ID == id }) {
			return nil, fmt.Errorf("gu1 mock: schema index has no operation %q", id)
		}
	}
	m := &Mock{schemas: reg, now: cfg.Clock(), hc: mock.WebhookClient()}
	m.maxItems, m.activeFor = cfg.StoreLimits()
	m.validationOrder.Max, m.entityOrder.Max = m.maxItems, m.maxItems
	m.reset()
	m.outbox.Faults, m.journal = cfg.Faults, cfg.Journal
	rt := mock.NewRouter(m.WriteProblem)
	rt.Documented(reg.Operations("gu1"))
	auth := func(h func(http.ResponseWriter, *http.Request, *org)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			key, ok := bearer(r)
			m.mu.Lock()
			o := m.orgs[key]
			m.mu.Unlock()
			if !ok || o == nil {
				writeProblem(w, problem(http.StatusUnauthorized, CodeUnauthorized, "Authorization must be Bearer <api key> of an organisation").
					Broke("every call carries Authorization: Bearer <api key> of an organisation", "GU1-01"))
				return
			}
			h(w, r, o)
		}
	}
	rt.Handle(http.MethodPost, client.PathEntities, auth(m.createEntity))
	rt.Handle(http.MethodGet, client.PathEntities+"/{id}", auth(m.getEntity))
	rt.Handle(http.MethodPost, client.PathValidations, auth(m.createValidation))
	rt.Handle(http.MethodGet, client.PathValidations+"/{id}", auth(m.getValidation))
	rt.Handle(http.MethodPost, client.PathValidations+"/{id}/cancel", auth(m.cancelValidation))
	rt.Handle(http.MethodGet, "/api/kyc/entities/{entityId}/validations", auth(m.listValidations))
	c := mock.ControlPrefix
	rt.Handle(http.MethodGet, mock.HealthPath, m.health)
	rt.Handle(http.MethodPost, c+"/reset", m.ctlReset)
	rt.Handle(http.MethodPost, c+"/organizations", m.ctlOrg)
	rt.Handle(http.MethodPost, c+"/entities", m.ctlEntity)
	rt.Handle(http.MethodPost, c+"/validations", m.ctlValidation)
	rt.Handle(http.MethodPost, c+"/validations/{id}/status", m.ctlStatus)
	rt.Handle(http.MethodGet, c+"/deliveries", m.ctlDeliveries)
	m.router = rt
	return m, nil
}

// ServeHTTP implements http.Handler.
func (m *Mock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.router.ServeHTTP(w, r) }

// Wait blocks until every webhook in flight has been delivered or given up.
func (m *Mock) Wait() { m.outbox.Wait() }

// health answers GET /__control/health: how full the validation and entity stores are, and the
// webhook deliveries waiting.
func (m *Mock) health(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	entities := 0
	for _, es := range m.entities {
		entities += len(es)
	}
	h := mock.Health{Provider: "gu1", Control: true, Stores: map[string]mock.StoreStats{
		"validations": m.validationOrder.Stats(len(m.validations)),
		"entities":    m.entityOrder.Stats(entities),
	}}
	m.mu.Unlock()
	webhooks := m.outbox.Stats()
	h.Webhooks = &webhooks
	mock.WriteJSON(w, http.StatusOK, h)
}

func (m *Mock) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orgs = map[string]*org{
		APIKey:      {ID: "org_conformance", APIKey: APIKey, KYCConfigured: true},
		APIKeyNoKYC: {ID: "org_nokyc", APIKey: APIKeyNoKYC},
	}
	m.entities = map[string]map[string]client.Entity{}
	m.validations = map[string]*validation{}
	m.deliveries = nil
	m.byEntity = map[string][]*validation{}
	m.current = map[string]*validation{}
	m.validationOrder.Reset()
	m.entityOrder.Reset()
}

func entityKey(org, entity string) string { return org + "\x00" + entity }

// ctlReset forgets the acting organisation's entities, validations and deliveries; another
// organisation's stay.
func (m *Mock) ctlReset(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	if o := m.orgs[tenantKey(r)]; o != nil {
		delete(m.entities, o.ID)
		gone := map[string]bool{}
		for id, v := range m.validations {
			if v.OrganizationID == o.ID {
				gone[id] = true
				delete(m.validations, id)
				delete(m.byEntity, entityKey(o.ID, v.EntityID))
				delete(m.current, entityKey(o.ID, v.EntityID))
			}
		}
		m.deliveries = slices.DeleteFunc(m.deliveries, func(d Delivery) bool { return gone[d.ValidationID] })
	}
	m.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TenantOf is the organisation a call acts for, by its API key (mock.Tenancy): the bearer key of a
// call of the API, the one mock.TenantHeader names on the control API. "" for a key the mock does not
// know.
func (m *Mock) TenantOf(r *http.Request) string {
	key, control := mock.ControlTenant(r, APIKey)
	if !control {
		key, _ = bearer(r)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.orgs[key] == nil {
		return ""
	}
	return key
}

// tenantKey is the API key of the organisation a control-API call acts for (mock.TenantHeader), the
// fixture organisation's when it names none: each organisation is a tenant.
func tenantKey(r *http.Request) string {
	key, _ := mock.ControlTenant(r, APIKey)
	return key
}

// finished tells a validation that can no longer change by itself.
func finished(status string) bool {
	switch status {
	case "approved", "rejected", "expired", "abandoned", "cancelled":
		return true
	}
	return false
}

// busy tells a validation a running scenario may still need: its entity's current one, unfinished,
// changed within the active window. m.mu must be held.
func (m *Mock) busy(v *validation) bool {
	return v != nil && v.IsCurrent && !finished(v.Status) && m.now().Sub(v.changed) < m.activeFor
}

// addEntity stores an entity and evicts the oldest entities past the limit, but for those whose
// current validation is busy. m.mu must be held.
func (m *Mock) addEntity(orgID string, e client.Entity) {
	if m.entities[orgID] == nil {
		m.entities[orgID] = map[string]client.Entity{}
	}
	if _, again := m.entities[orgID][e.ID]; !again {
		m.entityOrder.Add(entityKey(orgID, e.ID))
	}
	m.entities[orgID][e.ID] = e
	m.entityOrder.Trim(func(k string) bool { return m.busy(m.current[k]) }, func(k string) bool {
		org, id, _ := strings.Cut(k, "\x00")
		if _, ok := m.entities[org][id]; !ok {
			return false
		}
		delete(m.entities[org], id)
		if len(m.entities[org]) == 0 {
			delete(m.entities, org)
		}
		return true
	})
}

// addValidation stores v as its entity's current validation (the one before is current no more) and
// evicts the oldest validations past the limit: finished or superseded ones, and unfinished ones idle
// for longer than the active window. m.mu must be held.
func (m *Mock) addValidation(v *validation) {
	k := entityKey(v.OrganizationID, v.EntityID)
	if prev := m.current[k]; prev != nil {
		prev.IsCurrent, prev.UpdatedAt = false, stamp(m.now())
	}
	v.IsCurrent, v.changed = true, m.now()
	if old := m.validations[v.ID]; old != nil { // the control API may reuse an id
		m.removeValidation(v.ID)
	}
	m.validations[v.ID] = v
	m.current[k] = v
	m.byEntity[k] = append(m.byEntity[k], v)
	m.validationOrder.Add(v.ID)
	m.validationOrder.Trim(func(id string) bool { return m.busy(m.validations[id]) }, m.removeValidation)
}

// removeValidation forgets a validation and reports whether it held it; an id it does not hold is
// ignored. m.mu must be held.
func (m *Mock) removeValidation(id string) bool {
	v := m.validations[id]
	if v == nil {
		return false
	}
	delete(m.validations, id)
	k := entityKey(v.OrganizationID, v.EntityID)
	list := m.byEntity[k]
	if i := slices.Index(list, v); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(m.byEntity, k)
	} else {
		m.byEntity[k] = list
	}
	if m.current[k] == v {
		delete(m.current, k)
	}
	return true
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && h[:7] == "Bearer " {
		return h[7:], true
	}
	return "", false
}

// WriteProblem writes p in gu1's error shape.
func (m *Mock) WriteProblem(w http.ResponseWriter, r *http.Request, p mock.Problem) {
	writeProblem(w, &p)
}

// writeProblem answers {"error": CODE, "message": TEXT}; a broken rule is taught in the headers and,
// where the problem lists no details of its own, as the one detail.
func writeProblem(w http.ResponseWriter, p *mock.Problem) {
	w.Header().Set("X-Request-Id", randid.UUID())
	body := map[string]any{"error": p.Code, "message": p.Message}
	if d, ok := p.Data["details"]; ok {
		body["details"] = d
	} else if p.Breach() {
		body["details"] = []any{p.Teaching()}
	}
	mock.Teach(w, p)
	mock.WriteJSON(w, p.Status, body)
}

func problem(status int, code, format string, a ...any) *mock.Problem {
	return &mock.Problem{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// The documented errors of seed 002, word for word (GU1-07, GU1-08, GU1-09; DOC-08 for the mixed
// languages of the last one).
var (
	errEntityNotFound = problem(http.StatusNotFound, client.CodeEntityNotFound, "Entity not found")
	errInvalidType    = problem(http.StatusBadRequest, client.CodeInvalidEntityType, "KYC validation is only available for person entities")
	errNotConfigured  = problem(http.StatusBadRequest, client.CodeKYCNotConfigured, "La integración KYC no está configurada for this organization. Please contact your administrator.")
)

func (m *Mock) readValid(w http.ResponseWriter, r *http.Request, opID string) (map[string]json.RawMessage, []byte, bool) {
	i := slices.IndexFunc(m.schemas.Operations("gu1"), func(op *schema.Operation) bool { return op.ID == opID })
	op := m.schemas.Operations("gu1")[i] // New checked that the operations it reads are in the index
	_, raw, p := mock.DecodeObject(r)
	if p != nil {
		p.Code = CodeInvalidRequest
		writeProblem(w, p.Broke("", op.PrimaryID()))
		return nil, nil, false
	}
	if vs := m.schemas.ValidateRequest(op, raw); len(vs) > 0 {
		sp := mock.SchemaProblem(op, vs)
		sp.Code = CodeInvalidRequest
		sp.Data = map[string]any{"details": sp.Data["violations"]}
		writeProblem(w, sp)
		return nil, nil, false
	}
	var members map[string]json.RawMessage
	_ = json.Unmarshal(raw, &members)
	return members, raw, true
}

func (m *Mock) createEntity(w http.ResponseWriter, r *http.Request, o *org) {
	_, raw, ok := m.readValid(w, r, "create_entity")
	if !ok {
		return
	}
	var e client.Entity
	_ = json.Unmarshal(raw, &e)
	e.ID = randid.UUID()
	m.mu.Lock()
	m.addEntity(o.ID, e)
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, e)
}

func (m *Mock) getEntity(w http.ResponseWriter, r *http.Request, o *org) {
	m.mu.Lock()
	e, found := m.entities[o.ID][r.PathValue("id")]
	m.mu.Unlock()
	if !found {
		writeProblem(w, errEntityNotFound)
		return
	}
	mock.WriteJSON(w, http.StatusOK, e)
}

// MetadataSize is how GU1-04's 10KB is counted: the bytes of metadata's compact JSON text.
func MetadataSize(raw json.RawMessage) (int, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return 0, err
	}
	return buf.Len(), nil
}

// createValidation: GU1-02..05, GU1-07..09, GU1-12.
func (m *Mock) createValidation(w http.ResponseWriter, r *http.Request, o *org) {
	members, raw, ok := m.readValid(w, r, "create_validation")
	if !ok {
		return
	}
	if meta, ok := members["metadata"]; ok {
		n, err := MetadataSize(meta)
		if err != nil || n > client.MaxMetadata {
			writeProblem(w, problem(http.StatusBadRequest, CodeMetadataTooLarge,
				"metadata is %d bytes of compact JSON; the limit is %d (10KB)", n, client.MaxMetadata).
				Broke(fmt.Sprintf("metadata is at most %d bytes (10KB)", client.MaxMetadata), "GU1-04"))
			return
		}
	}
	var req client.ValidationRequest
	_ = json.Unmarshal(raw, &req)
	if req.WebhookURL != "" {
		if err := mock.CheckWebhookURL(req.WebhookURL); err != nil {
			writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "conformance mock: %v", err))
			return
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !o.KYCConfigured {
		writeProblem(w, errNotConfigured)
		return
	}
	e, found := m.entities[o.ID][req.EntityID]
	if !found {
		writeProblem(w, errEntityNotFound)
		return
	}
	if e.Type != "person" {
		writeProblem(w, errInvalidType)
		return
	}
	now := stamp(m.now())
	session := "session_" + randid.Hex(8)
	v := &validation{Validation: client.Validation{ID: randid.UUID(), EntityID: req.EntityID, OrganizationID: o.ID,
		SessionID: session, Status: "pending", Provider: "kyc_provider",
		ProviderSessionURL: "https://verify.example.com/" + session, IsCurrent: true, Metadata: req.Metadata,
		CreatedAt: now, UpdatedAt: now}, webhookURL: req.WebhookURL}
	m.addValidation(v)
	m.notify(o, v, "kyc.validation_created")
	mock.WriteJSON(w, http.StatusCreated, v.Validation)
}

func (m *Mock) find(w http.ResponseWriter, r *http.Request, o *org) *validation {
	id := r.PathValue("id")
	m.mu.Lock()
	v := m.validations[id]
	m.mu.Unlock()
	if v == nil || v.OrganizationID != o.ID {
		writeProblem(w, problem(http.StatusNotFound, CodeValidationNotFound, "Validation not found"))
		return nil
	}
	return v
}

// getValidation: GU1-11.
func (m *Mock) getValidation(w http.ResponseWriter, r *http.Request, o *org) {
	if v := m.find(w, r, o); v != nil {
		m.mu.Lock()
		out := v.Validation
		m.mu.Unlock()
		mock.WriteJSON(w, http.StatusOK, out)
	}
}

func (m *Mock) cancelValidation(w http.ResponseWriter, r *http.Request, o *org) {
	v := m.find(w, r, o)
	if v == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v.Status != "pending" && v.Status != "in_progress" {
		writeProblem(w, problem(http.StatusConflict, CodeNotCancellable, "a validation that is %s can no longer be cancelled", v.Status))
		return
	}
	m.setStatus(o, v, "cancelled")
	mock.WriteJSON(w, http.StatusOK, v.Validation)
}

// listValidations: an entity's validations, newest first, paged (public docs: page from 1, limit ≤ 100).
func (m *Mock) listValidations(w http.ResponseWriter, r *http.Request, o *org) {
	page, limit := 1, 100
	for name, dst := range map[string]*int{"page": &page, "limit": &limit} {
		if s := r.URL.Query().Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || (name == "limit" && n > 100) {
				writeProblem(w, problem(http.StatusBadRequest, CodeInvalidRequest, "%s=%q: want a whole number from 1%s", name, s,
					map[bool]string{true: " to 100", false: ""}[name == "limit"]))
				return
			}
			*dst = n
		}
	}
	entity := r.PathValue("entityId")
	m.mu.Lock()
	_, known := m.entities[o.ID][entity]
	list := m.byEntity[entityKey(o.ID, entity)]
	total := len(list)
	// Newest first, validations made at the same instant in id order: the list is in creation order, so
	// a page costs its own size (and its offset), not the entity's whole history.
	out := []client.Validation{}
	for _, v := range mock.NewestFirst(list, func(v *validation) string { return v.CreatedAt },
		func(v *validation) string { return v.ID }, (page-1)*limit, limit) {
		out = append(out, v.Validation)
	}
	m.mu.Unlock()
	if !known {
		writeProblem(w, errEntityNotFound)
		return
	}
	mock.WriteJSON(w, http.StatusOK, client.ValidationList{Validations: out, Total: total, Page: page, Limit: limit})
}

// setStatus moves v and notifies. m.mu must be held.
func (m *Mock) setStatus(o *org, v *validation, status string) {
	if v.Status == status {
		return
	}
	v.Status, v.UpdatedAt, v.changed = status, stamp(m.now()), m.now()
	m.notify(o, v, "kyc.validation_"+status)
}

// notify POSTs the event, signed, to the validation's webhookUrl or the organisation's default.
// m.mu must be held.
func (m *Mock) notify(o *org, v *validation, event string) {
	target := v.webhookURL
	if target == "" {
		target = o.WebhookURL
	}
	if target == "" {
		return
	}
	body, _ := json.Marshal(client.Event{Event: event, Timestamp: stamp(m.now()), OrganizationID: o.ID,
		Payload: client.EventPayload{ValidationID: v.ID, EntityID: v.EntityID, Status: v.Status}})
	// Deliveries to one target go out one after the other, in the order of the changes: a receiver
	// sees kyc.validation_created before kyc.validation_approved. Another target's never wait for them.
	queued := m.outbox.GoFor(o.APIKey, target, func() {
		d := Delivery{ValidationID: v.ID, Event: event, URL: target}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(client.HeaderSignature, client.Sign(WebhookSecret, body))
			var resp *http.Response
			if resp, err = m.hc.Do(req); err == nil {
				d.Answer = resp.StatusCode
				_ = resp.Body.Close()
			}
		}
		if err != nil {
			d.Error = err.Error()
		}
		m.mu.Lock()
		m.logDelivery(d)
		m.mu.Unlock()
		m.journal.Delivered(o.APIKey, target, event, d.Answer, d.Error, true) // gu1 documents no acknowledgement: recorded, not judged
	})
	if !queued {
		m.logDelivery(Delivery{ValidationID: v.ID, Event: event, URL: target,
			Error: "not queued: the target already has the most deliveries waiting that the mock keeps for one target"})
	}
}

// logDelivery records one delivery for the control API. m.mu must be held.
func (m *Mock) logDelivery(d Delivery) {
	m.deliveries = mock.TrimLog(append(m.deliveries, d), m.maxItems)
}

// ---- control API ----

func (m *Mock) ctlOrg(w http.ResponseWriter, r *http.Request) {
	var o org
	p := mock.DecodeStrict(r, &o)
	if (p == nil && o.APIKey == "") || (p != nil && p.Code == mock.CodeMalformedJSON) {
		p = problem(http.StatusBadRequest, CodeInvalidRequest, "control API: want {api_key, kyc_configured, webhook_url}")
	}
	if p == nil && o.WebhookURL != "" {
		if err := mock.CheckWebhookURL(o.WebhookURL); err != nil {
			p = problem(http.StatusBadRequest, CodeInvalidRequest, "control API: %v", err)
		}
	}
	if p != nil {
		writeProblem(w, p)
		return
	}
	if o.ID == "" {
		o.ID = "org_" + randid.Hex(6)
	}
	m.mu.Lock()
	m.orgs[o.APIKey] = &o
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, o)
}

// ctlOrgOf is the organisation of key, or nil after answering 404. m.mu must be held.
func (m *Mock) ctlOrgOf(w http.ResponseWriter, key string) *org {
	o := m.orgs[key]
	if o == nil {
		writeProblem(w, problem(http.StatusNotFound, CodeInvalidRequest, "control API: no organisation has the api_key %q", key))
	}
	return o
}

// ctlEntity puts an entity with a given id into the organisation of api_key (Pact provider states).
func (m *Mock) ctlEntity(w http.ResponseWriter, r *http.Request) {
	var in struct {
		APIKey string `json:"api_key"`
		client.Entity
	}
	p := mock.DecodeStrict(r, &in)
	if p == nil && (in.APIKey == "" || in.ID == "" || (in.Type != "person" && in.Type != "company")) {
		p = problem(http.StatusBadRequest, CodeInvalidRequest, "control API: want {api_key, id, type: person|company, name}")
	}
	if p != nil {
		writeProblem(w, p)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.ctlOrgOf(w, in.APIKey)
	if o == nil {
		return
	}
	m.addEntity(o.ID, in.Entity)
	mock.WriteJSON(w, http.StatusCreated, in.Entity)
}

// ctlValidation puts a validation with a given id and status on an existing entity (Pact provider
// states). It becomes the entity's current validation; no webhook is sent.
func (m *Mock) ctlValidation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		APIKey   string `json:"api_key"`
		ID       string `json:"id"`
		EntityID string `json:"entity_id"`
		Status   string `json:"status"`
	}
	p := mock.DecodeStrict(r, &in)
	if p == nil && (in.APIKey == "" || in.ID == "" || in.EntityID == "" || !slices.Contains(Statuses, in.Status)) {
		p = problem(http.StatusBadRequest, CodeInvalidRequest, "control API: want {api_key, id, entity_id, status} with status one of %v", Statuses)
	}
	if p != nil {
		writeProblem(w, p)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.ctlOrgOf(w, in.APIKey)
	if o == nil {
		return
	}
	if _, ok := m.entities[o.ID][in.EntityID]; !ok {
		writeProblem(w, errEntityNotFound)
		return
	}
	now := stamp(m.now())
	session := "session_" + randid.Hex(8)
	v := &validation{Validation: client.Validation{ID: in.ID, EntityID: in.EntityID, OrganizationID: o.ID,
		SessionID: session, Status: in.Status, Provider: "kyc_provider",
		ProviderSessionURL: "https://verify.example.com/" + session, IsCurrent: true, CreatedAt: now, UpdatedAt: now}}
	m.addValidation(v)
	mock.WriteJSON(w, http.StatusCreated, v.Validation)
}

func (m *Mock) ctlStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status string `json:"status"`
	}
	raw, p := mock.ReadBody(r)
	if p == nil && (json.Unmarshal(raw, &in) != nil || !slices.Contains(Statuses, in.Status)) {
		p = problem(http.StatusBadRequest, CodeInvalidRequest, "control API: status must be one of %v", Statuses)
	}
	if p != nil {
		writeProblem(w, p)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.orgs[tenantKey(r)]
	v := m.validations[r.PathValue("id")]
	if v == nil || o == nil || v.OrganizationID != o.ID { // another organisation's is not found
		writeProblem(w, problem(http.StatusNotFound, CodeValidationNotFound, "Validation not found"))
		return
	}
	m.setStatus(o, v, in.Status)
	mock.WriteJSON(w, http.StatusOK, v.Validation)
}

func (m *Mock) ctlDeliveries(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("validation_id")
	m.mu.Lock()
	out := []Delivery{}
	v, o := m.validations[id], m.orgs[tenantKey(r)]
	for _, d := range m.deliveries {
		if d.ValidationID == id && v != nil && o != nil && v.OrganizationID == o.ID {
			out = append(out, d)
		}
	}
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
