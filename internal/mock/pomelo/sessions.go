package pomelo

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

	client "github.com/latam-conformance/conformance/clients/pomelo"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/schema"
)

func (m *Mock) identityRoutes(rt *mock.Router) {
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if p := m.authorized(r); p != nil {
				writeProblem(w, p)
				return
			}
			h(w, r)
		}
	}
	rt.Handle(http.MethodPost, client.PathCreateSession, auth(m.create))
	rt.Handle(http.MethodGet, client.PathSessions, auth(m.search))
	rt.Handle(http.MethodGet, client.PathSessions+"/{session_id}", auth(m.get))
	// DOC-01: the seed also writes the get path in the singular; the mock answers both readings.
	rt.Handle(http.MethodGet, "/identity/v1/session/{session_id}", auth(m.get))
	rt.Handle(http.MethodDelete, client.PathSessions+"/{session_id}", auth(m.cancel))
	rt.Handle(http.MethodGet, client.PathSessions+"/{session_id}/report", auth(m.report))
	rt.Handle(http.MethodPost, client.PathSessions+"/{session_id}/entities/{user_id}/files/{type_document}", auth(m.upload))
	rt.Handle(http.MethodPost, client.PathCleanValidations, auth(m.clean))
}

func (m *Mock) op(id string) *schema.Operation {
	for _, op := range m.schemas.Operations("pomelo") {
		if op.ID == id {
			return op
		}
	}
	panic("pomelo mock: schema index has no operation " + id)
}

// create: KYC-01, KYB-01..08.
func (m *Mock) create(w http.ResponseWriter, r *http.Request) {
	obj, raw, p := mock.DecodeObject(r)
	op := m.op("create_session")
	if p != nil {
		p.Code = CodeInvalidRequest
		writeProblem(w, p.Broke("", op.PrimaryID()))
		return
	}
	if vs := m.schemas.ValidateRequest(op, raw); len(vs) > 0 {
		writeProblem(w, schemaProblem(op, vs))
		return
	}
	now := m.now()
	tenant := m.tenant(r)
	s := &session{entities: map[string]bool{}, tenant: tenant}
	s.ID, s.Status, s.CreatedAt, s.UpdatedAt = newID("ses"), client.StatusInProgress, stamp(now), stamp(now)
	if isKYB(obj) {
		var body client.KYBSession
		_ = json.Unmarshal(raw, &body)
		s.Kind, s.FlowType, s.Country, s.IntegrationMethod, s.kyb = "kyb", body.FlowType, body.Country, body.IntegrationMethod, &body
		s.entities[body.Data.Company.ID] = true
		for _, pt := range body.Data.Partners {
			s.entities[pt.ID] = true
		}
	} else {
		var body client.KYCSession
		_ = json.Unmarshal(raw, &body)
		m.mu.Lock()
		f := m.flowFor(tenant, body.FlowID)
		validated := m.userValidated(tenant, body.UserID)
		m.mu.Unlock()
		if f == nil {
			writeProblem(w, problem(http.StatusBadRequest, CodeFlowNotFound, "flow %s is not configured", body.FlowID))
			return
		}
		if validated {
			writeProblem(w, problem(http.StatusBadRequest, CodeAlreadyValidated,
				"user %s already has a validated session; clean its validations first (POST /clean_validations)", body.UserID))
			return
		}
		s.Kind, s.UserID, s.FlowID, s.ExternalID, s.Country, s.IntegrationMethod = "kyc", body.UserID, body.FlowID, body.ExternalID, f.Country, "API"
		s.entities[body.UserID] = true
	}
	m.mu.Lock()
	m.addSession(s)
	out := s.Session
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, map[string]any{"data": out})
}

// isKYB tells a KYB body by any of its top-level fields, as schemas/pomelo/create.request.json does.
func isKYB(obj map[string]any) bool {
	for _, k := range []string{"flow_type", "country", "integration_method", "data"} {
		if _, ok := obj[k]; ok {
			return true
		}
	}
	return false
}

// userValidated reports whether the tenant's user has a VALIDATED session. m.mu must be held.
func (m *Mock) userValidated(tenant, userID string) bool {
	for _, s := range m.byUser[userKey(tenant, userID)] {
		if s.Status == client.StatusValidated {
			return true
		}
	}
	return false
}

// find is the session the path names, when it is the calling tenant's; another tenant's is not found,
// as one that does not exist.
func (m *Mock) find(w http.ResponseWriter, r *http.Request) *session {
	id := r.PathValue("session_id")
	tenant := m.tenant(r)
	m.mu.Lock()
	s := m.sessions[id]
	m.mu.Unlock()
	if s != nil && s.tenant != tenant {
		s = nil
	}
	if s == nil {
		writeProblem(w, problem(http.StatusNotFound, CodeSessionNotFound, "no session %s (KYC-17)", id))
	}
	return s
}

// get: KYC-05, KYC-17. The seed's text writes the path in the singular (DOC-01): served, and noted.
func (m *Mock) get(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/identity/v1/session/") {
		mock.ServedAs(r, m.op("get_session"))
		mock.Note(w, "the session path in the singular, as the seed's text writes it, was served as get session", "KYC-05", "DOC-01")
	}
	if s := m.find(w, r); s != nil {
		m.mu.Lock()
		out := s.Session
		m.mu.Unlock()
		mock.WriteJSON(w, http.StatusOK, map[string]any{"data": out})
	}
}

// cancel: KYC-06, KYC-17. Only a session still in progress can be cancelled.
func (m *Mock) cancel(w http.ResponseWriter, r *http.Request) {
	s := m.find(w, r)
	if s == nil {
		return
	}
	m.mu.Lock()
	if s.Status != client.StatusInProgress {
		st := s.Status
		m.mu.Unlock()
		writeProblem(w, problem(http.StatusConflict, CodeSessionClosed, "session %s is %s and can no longer be cancelled", s.ID, st))
		return
	}
	m.setStatus(s, client.StatusCancelled)
	out := s.Session
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, map[string]any{"data": out})
}

// report: KYC-07, KYC-17. The details are what the session collected.
func (m *Mock) report(w http.ResponseWriter, r *http.Request) {
	s := m.find(w, r)
	if s == nil {
		return
	}
	m.mu.Lock()
	details := map[string]any{"kind": s.Kind, "country": s.Country, "documents": s.Documents}
	if s.kyb != nil {
		details["company"], details["partners"] = s.kyb.Data.Company, s.kyb.Data.Partners
	}
	if s.ExternalID != "" {
		details["external_id"] = s.ExternalID
	}
	out := client.Report{SessionID: s.ID, UserID: s.UserID, ValidationStatus: s.Status, Details: details}
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, map[string]any{"data": out})
}

// documentTypes are the types a country accepts (KYC-04). Only ARG and BRA are documented (DOC-06): the
// other countries take the ARG set. KYB sessions add company-document (KYB-09).
func documentTypes(country string, kyb bool) []string {
	types := []string{client.DocSelfie, client.DocIdentityCardFront, client.DocIdentityCardBack}
	if country == "BRA" {
		types = append(types, client.DocDriverLicenseFront, client.DocDriverLicenseBack)
	}
	if kyb {
		types = append(types, client.DocCompanyDocument)
	}
	return types
}

// upload: KYC-03, KYC-04, KYC-06, KYC-17, KYB-09.
func (m *Mock) upload(w http.ResponseWriter, r *http.Request) {
	s := m.find(w, r)
	if s == nil {
		return
	}
	entity, docType := r.PathValue("user_id"), r.PathValue("type_document")
	m.mu.Lock()
	status, known, country, kyb := s.Status, s.entities[entity], s.Country, s.kyb != nil
	m.mu.Unlock()
	if status != client.StatusInProgress {
		writeProblem(w, problem(http.StatusConflict, CodeSessionClosed, "session %s is %s and accepts no more uploads", s.ID, status))
		return
	}
	if !known {
		writeProblem(w, problem(http.StatusNotFound, CodeEntityNotFound, "%s is not an entity of session %s", entity, s.ID))
		return
	}
	allowed := documentTypes(country, kyb)
	if !slices.Contains(allowed, docType) {
		ids := []string{"KYC-04"}
		if kyb {
			ids = append(ids, "KYB-09")
		}
		writeProblem(w, problem(http.StatusBadRequest, CodeInvalidDocType, "%s does not accept %q (accepted: %s)", country, docType, strings.Join(allowed, ", ")).
			Broke(fmt.Sprintf("a %s session accepts the document types %s", country, strings.Join(allowed, ", ")), ids...))
		return
	}
	if p := readUpload(r); p != nil {
		writeProblem(w, p)
		return
	}
	now := m.now()
	doc := client.Document{Type: docType, EntityID: entity, UploadedAt: stamp(now)}
	m.mu.Lock()
	if s.Status == client.StatusInProgress {
		s.Documents = append(s.Documents, doc)
		s.UpdatedAt = stamp(now)
		if complete(s) {
			m.setStatus(s, client.StatusValidated)
		}
	}
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, map[string]any{"data": doc})
}

// uploadEnvelope is what a multipart body may hold besides its file: part headers, boundaries and
// small text parts.
const uploadEnvelope = 64 << 10

// readUpload checks the multipart body: one part named "file", non-empty, an image or a PDF.
func readUpload(r *http.Request) *mock.Problem {
	bad := func(format string, a ...any) *mock.Problem {
		p := problem(http.StatusBadRequest, CodeInvalidFile, format, a...)
		return p.Broke(p.Message, "KYC-03")
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return bad("the upload must be multipart/form-data with the file in the field \"file\"")
	}
	// The file may hold MaxUpload bytes; the body around it has part headers and boundaries too.
	mr := multipart.NewReader(io.LimitReader(r.Body, MaxUpload+uploadEnvelope), params["boundary"])
	found := false
	for parts := 0; ; parts++ {
		if parts == schema.MaxFormParts {
			return bad("malformed multipart body: more than %d parts", schema.MaxFormParts)
		}
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bad("malformed multipart body: %v", err)
		}
		if part.FormName() != "file" {
			continue
		}
		ct := part.Header.Get("Content-Type")
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (!strings.HasPrefix(mt, "image/") && mt != "application/pdf") {
			return bad("the file must be an image or a PDF, not %q", ct)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(part, MaxUpload+1))
		if err != nil {
			return bad("malformed multipart body: %v", err)
		}
		if n == 0 {
			return bad("the file is empty")
		}
		if n > MaxUpload {
			return problem(http.StatusBadRequest, CodeInvalidFile, "the file is over %d bytes", MaxUpload)
		}
		found = true
	}
	if !found {
		return bad("no part named \"file\"")
	}
	return nil
}

// complete reports whether every required document is in: KYC, a selfie and both sides of one
// document (an identity card, or in Brazil a driver's license); KYB, that for every partner and a
// company-document for the company. m.mu must be held.
func complete(s *session) bool {
	has := map[string]map[string]bool{}
	for _, d := range s.Documents {
		if has[d.EntityID] == nil {
			has[d.EntityID] = map[string]bool{}
		}
		has[d.EntityID][d.Type] = true
	}
	person := func(id string) bool {
		h := has[id]
		return h[client.DocSelfie] && ((h[client.DocIdentityCardFront] && h[client.DocIdentityCardBack]) ||
			(s.Country == "BRA" && h[client.DocDriverLicenseFront] && h[client.DocDriverLicenseBack]))
	}
	if s.kyb == nil {
		return person(s.UserID)
	}
	if !has[s.kyb.Data.Company.ID][client.DocCompanyDocument] {
		return false
	}
	for _, p := range s.kyb.Data.Partners {
		if !person(p.ID) {
			return false
		}
	}
	return true
}

// clean: KYC-13. The user id wins when both are sent.
func (m *Mock) clean(w http.ResponseWriter, r *http.Request) {
	_, raw, p := mock.DecodeObject(r)
	op := m.op("clean_validations")
	if p != nil {
		p.Code = CodeInvalidRequest
		writeProblem(w, p.Broke("", op.PrimaryID()))
		return
	}
	if vs := m.schemas.ValidateRequest(op, raw); len(vs) > 0 {
		writeProblem(w, schemaProblem(op, vs))
		return
	}
	var body struct {
		UserID         string `json:"user_id"`
		DocumentNumber string `json:"document_number"`
	}
	_ = json.Unmarshal(raw, &body)
	by := "user_id"
	tenant := m.tenant(r)
	m.mu.Lock()
	users := map[string]bool{userKey(tenant, body.UserID): body.UserID != ""}
	if body.UserID == "" {
		by = "document_number"
		users = map[string]bool{}
		for k, d := range m.userDocs {
			if d == body.DocumentNumber && strings.HasPrefix(k, tenant+"\x00") {
				users[k] = true
			}
		}
	}
	n := 0
	for k, ok := range users {
		if !ok {
			continue
		}
		for _, s := range slices.Clone(m.byUser[k]) {
			m.removeSession(s.ID)
			n++
		}
	}
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"cleaned_by": by, "sessions_cleaned": n}})
}

// parseForm reads an application/x-www-form-urlencoded body.
func parseForm(body string) (map[string]string, error) {
	vals, err := url.ParseQuery(body)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range vals {
		out[k] = v[0]
	}
	return out, nil
}
