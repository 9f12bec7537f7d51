// Package baas is the embedded, stateful mock of QI Tech's BaaS person creation (seed 004).
//
// It keeps known contacts (account administrators), acts as the SMS gateway (every token it "sends" is
// kept in an outbox the control API can read), issues six-digit tokens that expire after a configurable
// TTL, and creates the person on a valid movement validation. Error answers use the documented shape
// (BAAS-14); where the seed documents no code, a HARNESS_ code says so.
package baas

import (
	"crypto/ecdsa"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	client "github.com/latam-conformance/conformance/clients/baas"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/randid"
	"github.com/latam-conformance/conformance/internal/schema"
)

// Fixture administrators (seed 004's examples use both CPFs as agent_document_number).
var fixtureContacts = []string{"99988877765", "99977766654"}

// DefaultTokenTTL is how long an SMS token stays valid when the config does not say.
const DefaultTokenTTL = 5 * time.Minute

type token struct {
	Value   string
	Agent   string
	Expires time.Time
}

// SMS is one message the mock's SMS gateway delivered.
type SMS struct {
	To                  string    `json:"to"`
	Token               string    `json:"token"`
	DocumentNumber      string    `json:"document_number"`
	AgentDocumentNumber string    `json:"agent_document_number,omitempty"`
	SentAt              time.Time `json:"sent_at"`
	client              string    // the API client that asked for it: only it reads it
}

// Mock is the BaaS mock provider. Build it with New.
type Mock struct {
	schemas *schema.Registry
	now     func() time.Time
	ttl     time.Duration
	router  *mock.Router

	mu       sync.Mutex
	clients  map[string]*apiClient // API-CLIENT-KEY -> its key and schemes (BAAS-16, BAAS-17)
	contacts map[string]bool       // administrator CPF -> known
	tokens   map[string]*token     // person document_number -> latest token
	outbox   []SMS                 // every SMS sent, oldest first
	codes    int                   // person_code of the last person created (the seed's example is 1681)
	schemes  map[string]bool       // signing schemes accepted (BAAS-16 claims always; BAAS-17 qit when told)
	initial  map[string]bool       // the schemes the mock was started with, restored by reset
	provider *ecdsa.PrivateKey     // signs answers in the string_to_sign scheme (BAAS-17)
	smsFile  string                // where the SMS gateway also writes what it sends (mock.Config.SMSFile)
	// eitherReading accepts either reading of DOC-12 and DOC-13 (mock.Config.EitherReading).
	eitherReading bool

	// Bounded state for a long-running mock (mock.Config.MaxItems): SMS tokens past the limit go
	// oldest first once used or expired, and the SMS log keeps the newest.
	maxItems   int
	tokenOrder mock.Retention
}

// New builds the mock. cfg.Schemas, when set, must hold the baas schemas.
func New(cfg mock.Config) (*Mock, error) {
	reg, err := cfg.Registry("baas")
	if err != nil {
		return nil, err
	}
	for _, id := range []string{"token_request", "movement_validation"} {
		if !hasOp(reg, id) {
			return nil, fmt.Errorf("baas mock: schema index has no operation %q", id)
		}
	}
	schemes, err := Schemes(cfg.BaaSSigning)
	if err != nil {
		return nil, fmt.Errorf("baas mock: %w", err)
	}
	provider, err := client.ParsePrivateKey([]byte(ProviderPrivateKeyPEM))
	if err != nil {
		return nil, fmt.Errorf("baas mock: provider key: %w", err)
	}
	m := &Mock{schemas: reg, now: cfg.Clock(), ttl: cfg.TokenTTL, initial: schemes, provider: provider, smsFile: cfg.SMSFile,
		eitherReading: cfg.EitherReading}
	m.maxItems, _ = cfg.StoreLimits()
	m.tokenOrder.Max = m.maxItems
	if m.ttl <= 0 {
		m.ttl = DefaultTokenTTL
	}
	m.reset()
	rt := mock.NewRouter(writeProblem(m))
	rt.Documented(reg.Operations("baas"))
	rt.Handle(http.MethodPost, client.PathTokenRequest, m.authenticated(m.tokenRequest))
	rt.Handle(http.MethodPost, client.PathMovementValidation, m.authenticated(m.movementValidation))
	rt.Handle(http.MethodPost, mock.ControlPrefix+"/clients", m.ctlAddClient)
	rt.Handle(http.MethodGet, mock.HealthPath, m.health)
	rt.Handle(http.MethodPost, mock.ControlPrefix+"/reset", m.ctlReset)
	rt.Handle(http.MethodPost, mock.ControlPrefix+"/contacts", m.ctlAddContact)
	rt.Handle(http.MethodPost, mock.ControlPrefix+"/contacts/remove", m.ctlRemoveContact)
	rt.Handle(http.MethodPost, mock.ControlPrefix+"/tokens", m.ctlIssueToken)
	rt.Handle(http.MethodPost, mock.ControlPrefix+"/tokens/expire", m.ctlExpireToken)
	rt.Handle(http.MethodGet, mock.ControlPrefix+"/sms", m.ctlLastSMS)
	rt.Handle(http.MethodPost, mock.ControlPrefix+"/signing", m.ctlSigning)
	rt.Handle(http.MethodGet, mock.ControlPrefix+"/public_key", m.ctlPublicKey)
	m.router = rt
	return m, nil
}

func hasOp(r *schema.Registry, id string) bool {
	for _, op := range r.Operations("baas") {
		if op.ID == id {
			return true
		}
	}
	return false
}

func (m *Mock) op(method, path string) *schema.Operation {
	op, _ := m.schemas.Match("baas", method, path)
	return op
}

// ServeHTTP implements http.Handler.
func (m *Mock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.router.ServeHTTP(w, r) }

func (m *Mock) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clients = fixtureClients()
	m.contacts = map[string]bool{}
	m.tokens = map[string]*token{}
	m.outbox = nil
	m.tokenOrder.Reset()
	m.schemes = maps.Clone(m.initial)
}

// writeSMSFile writes, when the mock was given a file, the latest SMS of each person, newest first, a
// line each: "CPF TOKEN PHONE". A run's sms_token_file reads it as it reads a real gateway's relay, so a
// sandbox rehearsal needs no control API. Written beside and renamed: a reader never sees half of it.
// m.mu must be held.
func (m *Mock) writeSMSFile() {
	if m.smsFile == "" {
		return
	}
	var b strings.Builder
	seen := map[string]bool{}
	for i := len(m.outbox) - 1; i >= 0; i-- {
		s := m.outbox[i]
		if seen[s.DocumentNumber] {
			continue
		}
		seen[s.DocumentNumber] = true
		fmt.Fprintf(&b, "%s %s %s\n", s.DocumentNumber, s.Token, s.To)
	}
	tmp := m.smsFile + ".part"
	if os.WriteFile(tmp, []byte(b.String()), 0o600) == nil {
		_ = os.Rename(tmp, m.smsFile)
	}
}

// writeProblem renders the documented error body (BAAS-14) for the router's own answers.
func writeProblem(m *Mock) mock.ErrorWriter { return m.WriteProblem }

// WriteProblem writes p in the documented error shape (BAAS-14).
func (m *Mock) WriteProblem(w http.ResponseWriter, r *http.Request, p mock.Problem) { m.fail(w, &p) }

// documented errors of seed 004, exactly as written there.

// errContactType is BAAS-03 (ACC000152), with the sent contact type substituted.
func errContactType(ct string) *mock.Problem {
	return &mock.Problem{Status: http.StatusBadRequest, Code: client.CodeContactTypeNotAllowed, Title: "Bad Request",
		Message: fmt.Sprintf("Contact type %s not allowed", ct), Translation: fmt.Sprintf("Forma de contato por %s não permitida", ct),
		IDs: []string{"BAAS-02", "BAAS-03"}, Rule: fmt.Sprintf("contact_type must be sms, not %s", ct)}
}

var (
	// errContact is BAAS-04 and BAAS-06 (ACC000135).
	errContact = &mock.Problem{Status: http.StatusBadRequest, Code: client.CodeContactDoesNotExist, Title: "Bad Request",
		Message: "Contact does not exist", Translation: "Contato nao existe"}
	// errNotBrazilian is errContact for a phone outside Brazil: the client broke BAAS-06.
	errNotBrazilian = &mock.Problem{Status: http.StatusBadRequest, Code: client.CodeContactDoesNotExist, Title: "Bad Request",
		Message: "Contact does not exist", Translation: "Contato nao existe",
		IDs: []string{"BAAS-06"}, Rule: "SMS goes to Brazilian numbers only: phone_number.country_code must be 55"}
	// errExpired is BAAS-12 (ACC000134).
	errExpired = &mock.Problem{Status: http.StatusUnauthorized, Code: client.CodeExpiredToken, Title: "Unauthorized",
		Message: "Expired token", Translation: "Token Expirado"}
	// errInvalid is BAAS-13 (ACC000133).
	errInvalid = &mock.Problem{Status: http.StatusUnauthorized, Code: client.CodeInvalidToken, Title: "Unauthorized",
		Message: "Invalid token", Translation: "Token Inválido"}
)

// fail writes p in the documented error shape (BAAS-14): additional_data is {} unless the problem carries
// data; a harness code, which has no Portuguese wording, repeats the description as its translation. A
// broken rule is taught in the headers, and in additional_data too unless the seed writes the body out
// in full (the ACC codes), which the mock keeps to the letter.
func (m *Mock) fail(w http.ResponseWriter, p *mock.Problem) {
	tr := p.Translation
	if tr == "" {
		tr = p.Message
	}
	data := map[string]any{}
	maps.Copy(data, p.Data)
	mock.Teach(w, p)
	if p.Breach() && !strings.HasPrefix(p.Code, "ACC") {
		maps.Copy(data, p.Teaching())
	}
	m.respond(w, p.Status, map[string]any{"title": p.Title, "description": p.Message, "translation": tr,
		"code": p.Code, "additional_data": data})
}

func (m *Mock) respond(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("X-Request-Id", randid.UUID())
	mock.WriteJSON(w, status, body)
}

// readValid decodes the body and checks it against the operation's request schema.
func (m *Mock) readValid(w http.ResponseWriter, r *http.Request, check func(map[string]any) *mock.Problem) (map[string]any, []byte, *mock.Problem) {
	op := m.op(r.Method, r.URL.Path)
	obj, raw, p := mock.DecodeObject(r)
	if p != nil {
		return nil, nil, p.Broke("", op.PrimaryID())
	}
	if check != nil {
		if p := check(obj); p != nil {
			return nil, nil, p
		}
	}
	vs := m.schemas.ValidateRequest(op, raw)
	if m.eitherReading {
		vs = otherReadings(w, obj, vs)
	}
	if len(vs) > 0 {
		return nil, nil, mock.SchemaProblem(op, vs)
	}
	return obj, raw, nil
}

// otherReadings drops the violations a client gets only by following the seed's other reading of a
// contradiction, each noted (mock.Config.EitherReading): is_pep left out as both request examples do
// (DOC-12), and an area_code of three characters as the example's "888" (DOC-13).
func otherReadings(w http.ResponseWriter, obj map[string]any, vs []schema.Violation) []schema.Violation {
	const person = "/person_creation/person"
	return slices.DeleteFunc(vs, func(v schema.Violation) bool {
		switch {
		case v.Pointer == person+"/is_pep" && v.Rule == "required":
			mock.Note(w, "is_pep left out, as both of the seed's request examples do, was accepted (the table requires it)", "BAAS-07", "DOC-12")
			return true
		case v.Pointer == person+"/phone_number/area_code" && v.Rule == "maxLength" && len([]rune(text(obj, "person_creation", "person", "phone_number", "area_code"))) == 3:
			mock.Note(w, "an area_code of three characters, as the seed's example \"888\", was accepted (the table says at most 2)", "BAAS-10", "DOC-13")
			return true
		}
		return false
	})
}

// text is the string at path in a decoded JSON object, "" where there is none.
func text(obj map[string]any, path ...string) string {
	var cur any = obj
	for _, k := range path {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	s, _ := cur.(string)
	return s
}

// tokenRequest: BAAS-01, BAAS-02, BAAS-03, BAAS-04, BAAS-05, BAAS-06 (and BAAS-07..10 through the schema).
func (m *Mock) tokenRequest(w http.ResponseWriter, r *http.Request) {
	_, raw, p := m.readValid(w, r, func(obj map[string]any) *mock.Problem {
		// BAAS-03 comes before the schema check: any contact_type other than sms is ACC000152.
		if ct, present := obj["contact_type"]; present && ct != client.ContactTypeSMS {
			s, ok := ct.(string)
			if !ok {
				b, _ := json.Marshal(ct)
				s = string(b)
			}
			return errContactType(s)
		}
		return nil
	})
	if p != nil {
		m.fail(w, p)
		return
	}
	var body client.TokenRequestBody
	_ = json.Unmarshal(raw, &body) // the schema accepted it, so it fits the type
	person := body.PersonCreation.Person

	tenant := m.tenant(r)
	m.mu.Lock()
	known := body.AgentDocumentNumber == "" || m.knownContact(tenant, body.AgentDocumentNumber)
	m.mu.Unlock()
	// BAAS-06: SMS reaches Brazilian numbers (+55) only; BAAS-04: an unknown administrator.
	if person.PhoneNumber.CountryCode != "55" {
		m.fail(w, errNotBrazilian)
		return
	}
	if !known {
		m.fail(w, errContact)
		return
	}
	tok := randid.Digits(6)
	now := m.now()
	m.mu.Lock()
	m.addToken(owned(tenant, person.DocumentNumber), &token{Value: tok, Agent: body.AgentDocumentNumber, Expires: now.Add(m.ttl)})
	m.outbox = mock.TrimLog(append(m.outbox, SMS{
		To:    "+" + person.PhoneNumber.CountryCode + " " + person.PhoneNumber.AreaCode + " " + person.PhoneNumber.Number,
		Token: tok, DocumentNumber: person.DocumentNumber, AgentDocumentNumber: body.AgentDocumentNumber, SentAt: now,
		client: tenant}), m.maxItems)
	m.writeSMSFile()
	m.mu.Unlock()
	m.respond(w, http.StatusOK, map[string]any{})
}

// movementValidation: BAAS-11, BAAS-12, BAAS-13, BAAS-15. A token is single-use.
func (m *Mock) movementValidation(w http.ResponseWriter, r *http.Request) {
	_, raw, p := m.readValid(w, r, nil)
	if p != nil {
		m.fail(w, p)
		return
	}
	var body client.MovementValidationBody
	_ = json.Unmarshal(raw, &body)
	person := body.PersonCreation.Person
	now := m.now()

	key := owned(m.tenant(r), person.DocumentNumber)
	m.mu.Lock()
	tok := m.tokens[key]
	switch {
	case tok == nil || tok.Value != body.Token:
		m.mu.Unlock()
		m.fail(w, errInvalid)
		return
	case !now.Before(tok.Expires):
		m.mu.Unlock()
		m.fail(w, errExpired)
		return
	}
	delete(m.tokens, key)
	m.codes++
	created := buildPerson(person, 1680+m.codes, now)
	m.mu.Unlock()

	b, _ := json.Marshal(created)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	m.respond(w, http.StatusOK, out)
}

const localTime = "2006-01-02T15:04:05"

// buildPerson answers BAAS-15: the sent person echoed, with a fresh person_key.
func buildPerson(p client.Person, code int, now time.Time) client.MovementValidation {
	key := randid.UUID()
	created := now.UTC().Format(localTime)
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	sum := md5.Sum([]byte(key + p.DocumentNumber))
	var address *client.RegisteredAddress
	if p.Address != nil {
		address = &client.RegisteredAddress{Address: *p.Address, CreatedAt: created}
	}
	// What the seed's example adds to the person sent, with its example's values where they are the
	// provider's own (the domain, the revenue bracket, the enumerations' dates).
	rp := client.RegisteredPerson{
		PersonKey: key, Name: p.Name, DocumentNumber: p.DocumentNumber, CreatedAt: created,
		RegistrationDate: now.UTC().Format("2006-01-02"), Address: address,
		Phone:        []client.RegisteredPhone{{Phone: p.PhoneNumber, PhoneKey: randid.UUID(), CreatedAt: created}},
		PersonStatus: client.Enumerated{Enumerator: "pending", TranslationPath: "onboarding.PersonStatus.pending", CreatedAt: "2019-02-15T18:28:09"},
		PersonType:   client.Enumerated{Enumerator: p.PersonType, TranslationPath: "onboarding.PersonType." + p.PersonType, CreatedAt: "2019-02-15T18:28:08"},
		PersonCode:   code,
		Domain: &client.Domain{CreatedAt: "2022-06-29T19:35:17", DomainKey: "abc36183-9845-40b9-8a6d-3805b48057e1",
			DomainName: "QI SCD Domain", OwnerPersonKey: "bf623fcf-6e03-42b7-8664-55141c8acddb"},
		ProfessionalData: []any{}, Qualifications: []any{},
	}
	return client.MovementValidation{
		Hash:       hex.EncodeToString(sum[:]),
		Validation: true,
		ReturnResponse: client.ReturnResponse{
			BirthPlace: p.BirthPlace, CreatedAt: created, DateOfBirth: p.DateOfBirth + "T00:00:00",
			DocumentIdentificationNumber: p.DocumentIdentificationNumber, Email: p.Email,
			FatherName: str(p.FatherName), Gender: p.Gender, IsPEP: p.IsPEP, KCKey: key,
			MaritalStatus: p.MaritalStatus, MotherName: p.MotherName, Nationality: p.Nationality,
			Profession: str(p.Profession),
			// The seed's example answers spouse_name null although the request sent one (DOC-16).
			SpouseName: nil,
			NaturalRevenueRange: &client.RevenueRange{CreatedAt: "2021-03-12T13:26:08", Description: "Unavailable",
				DescriptionPTBR: "Indisponível", Enumerator: "0"},
			Person: rp,
		},
	}
}

// ---- control API (provider states; not part of the provider's API) ----

func (m *Mock) health(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	h := mock.Health{Provider: "baas", Control: true, Stores: map[string]mock.StoreStats{
		"sms_tokens": m.tokenOrder.Stats(len(m.tokens)),
	}}
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusOK, h)
}

// ctlReset forgets the acting tenant's SMS tokens, SMS and contacts; another API client's stay.
func (m *Mock) ctlReset(w http.ResponseWriter, r *http.Request) {
	tenant := m.tenant(r)
	m.mu.Lock()
	for k := range m.tokens {
		if strings.HasPrefix(k, tenant+"\x00") {
			delete(m.tokens, k)
		}
	}
	for k := range m.contacts {
		if strings.HasPrefix(k, tenant+"\x00") {
			delete(m.contacts, k)
		}
	}
	m.outbox = slices.DeleteFunc(m.outbox, func(s SMS) bool { return s.client == tenant })
	m.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Tenancy: each API client (API-CLIENT-KEY) is a tenant. Its SMS tokens and SMS are keyed by it and
// the person's CPF, so that another client's token request never voids its token, nor can another
// complete its person creation; its known contacts (account administrators) are its own.

// TenantOf is the API client a call acts for (mock.Tenancy).
func (m *Mock) TenantOf(r *http.Request) string { return m.tenant(r) }

// tenant is the API client a call acts for: its API-CLIENT-KEY, or on the control API the one
// mock.TenantHeader names (the fixture client's when it names none).
func (m *Mock) tenant(r *http.Request) string {
	if t, ok := mock.ControlTenant(r, APIClientKey); ok {
		return t
	}
	return r.Header.Get(client.HeaderAPIClientKey)
}

// owned keys a tenant's item (an SMS token by CPF, a contact).
func owned(tenant, id string) string { return tenant + "\x00" + id }

// knownContact tells whether cpf is one of tenant's account administrators: the fixture contacts are
// every tenant's until it removes them. m.mu must be held.
func (m *Mock) knownContact(tenant, cpf string) bool {
	if known, set := m.contacts[owned(tenant, cpf)]; set {
		return known
	}
	return slices.Contains(fixtureContacts, cpf)
}

type ctlDoc struct {
	DocumentNumber string `json:"document_number"`
	Token          string `json:"token"`
	Expired        bool   `json:"expired"`
}

func (m *Mock) readCtl(w http.ResponseWriter, r *http.Request, needDoc bool) (*ctlDoc, bool) {
	var d ctlDoc
	if p := mock.DecodeStrict(r, &d); p != nil {
		m.fail(w, p)
		return nil, false
	}
	if needDoc && !elevenDigits(d.DocumentNumber) {
		m.fail(w, &mock.Problem{Status: http.StatusBadRequest, Code: mock.CodeSchemaViolation, Title: "Bad Request",
			Message: "conformance mock control API: document_number must be 11 digits"})
		return nil, false
	}
	return &d, true
}

func (m *Mock) ctlAddContact(w http.ResponseWriter, r *http.Request) {
	d, ok := m.readCtl(w, r, true)
	if !ok {
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	m.contacts[owned(tenant, d.DocumentNumber)] = true
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, map[string]any{"document_number": d.DocumentNumber})
}

func (m *Mock) ctlRemoveContact(w http.ResponseWriter, r *http.Request) {
	d, ok := m.readCtl(w, r, true)
	if !ok {
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	m.contacts[owned(tenant, d.DocumentNumber)] = false
	m.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// ctlIssueToken puts a known token in place, as if an SMS had been sent (Pact provider states need a
// token the pact can name).
func (m *Mock) ctlIssueToken(w http.ResponseWriter, r *http.Request) {
	d, ok := m.readCtl(w, r, true)
	if !ok {
		return
	}
	if d.Token == "" {
		d.Token = randid.Digits(6)
	}
	exp := m.now().Add(m.ttl)
	if d.Expired {
		exp = m.now().Add(-time.Second)
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	m.addToken(owned(tenant, d.DocumentNumber), &token{Value: d.Token, Expires: exp})
	m.mu.Unlock()
	mock.WriteJSON(w, http.StatusCreated, map[string]any{"document_number": d.DocumentNumber, "token": d.Token})
}

func (m *Mock) ctlExpireToken(w http.ResponseWriter, r *http.Request) {
	d, ok := m.readCtl(w, r, true)
	if !ok {
		return
	}
	tenant := m.tenant(r)
	m.mu.Lock()
	tok := m.tokens[owned(tenant, d.DocumentNumber)]
	if tok != nil {
		tok.Expires = m.now().Add(-time.Second)
	}
	m.mu.Unlock()
	if tok == nil {
		m.fail(w, &mock.Problem{Status: http.StatusNotFound, Code: mock.CodeNotFound, Title: "Not Found",
			Message: "conformance mock control API: no token issued for " + d.DocumentNumber})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ctlLastSMS returns the last SMS sent for ?document_number= (the mock is the SMS gateway).
func (m *Mock) ctlLastSMS(w http.ResponseWriter, r *http.Request) {
	doc := r.URL.Query().Get("document_number")
	tenant := m.tenant(r)
	m.mu.Lock()
	var found *SMS
	for i := len(m.outbox) - 1; i >= 0; i-- {
		if m.outbox[i].client != tenant {
			continue // another API client's SMS
		}
		if doc == "" || m.outbox[i].DocumentNumber == doc { // no document_number: the tenant's latest SMS
			s := m.outbox[i]
			found = &s
			break
		}
	}
	m.mu.Unlock()
	if found == nil {
		m.fail(w, &mock.Problem{Status: http.StatusNotFound, Code: mock.CodeNotFound, Title: "Not Found",
			Message: "conformance mock control API: no SMS sent for document_number " + doc})
		return
	}
	mock.WriteJSON(w, http.StatusOK, found)
}

func elevenDigits(s string) bool {
	if len(s) != 11 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// addToken stores a person's latest SMS token and evicts the oldest past the limit: a token still
// valid stays. m.mu must be held.
func (m *Mock) addToken(document string, t *token) {
	if _, again := m.tokens[document]; !again {
		m.tokenOrder.Add(document)
	}
	m.tokens[document] = t
	m.tokenOrder.Trim(func(doc string) bool {
		old := m.tokens[doc]
		return old != nil && m.now().Before(old.Expires)
	}, mock.Remove(m.tokens))
}
