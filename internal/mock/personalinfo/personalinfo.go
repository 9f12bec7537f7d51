// Package personalinfo is the embedded, stateful mock of the natural-person onboarding API (seed 003).
//
// It answers POST /internal/v1/clients/personal_informations for a known integration token (PI-01),
// reads the person and the three photos from a multipart/form-data body (DOC-11), validates them
// against schemas/personalinfo the way a Rails model would (PI-02, PI-03, PI-06), and answers 200 with
// state "checking" (PI-04, DOC-10). Every response, error or not, carries the security headers of PI-05
// and an X-Request-Id. Invalid input is a Rails-style 422 {"errors": {field: [message]}}; a missing
// token 401, a malformed multipart body 400 and a body over 16 MiB 413, in the same shape.
//
// A multipart body is read as it streams, its photos sniffed and counted, never held: an upload costs
// a few KiB however large. A JSON body carries no photo (DOC-11): it may hold MaxJSON bytes (413 past
// them), and is read whole within a budget the requests in flight share (JSONBudget); one that cannot
// have its share within JSONWait is answered 429 with Retry-After.
package personalinfo

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	client "github.com/latam-conformance/conformance/clients/personalinfo"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/randid"
	"github.com/latam-conformance/conformance/internal/schema"
)

// Fixture integration token and the client it belongs to (seed 003's client_id).
const (
	Token    = "pi-conformance-token"
	ClientID = 7777
)

// Limits: a photo may hold 5 MiB (schemas/personalinfo/fields.json); a request body 16 MiB.
const (
	MaxPhoto = 5 << 20
	MaxBody  = 16 << 20
)

// SecurityHeaders are the headers PI-05 lists, with their documented values, sent on every response.
var SecurityHeaders = [][2]string{
	{"X-Frame-Options", "SAMEORIGIN"},
	{"X-XSS-Protection", "1; mode=block"},
	{"X-Content-Type-Options", "nosniff"},
	{"X-Download-Options", "noopen"},
	{"X-Permitted-Cross-Domain-Policies", "none"},
	{"Referrer-Policy", "strict-origin-when-cross-origin"},
}

// ContentType is PI-05's Content-Type of every answer.
const ContentType = "application/json; charset=utf-8"

// stored is a created record with what the mock kept of its photos.
type stored struct {
	Record client.Record              `json:"record"`
	Photos map[string]schema.FormFile `json:"photos"`
}

// Mock is the mock. Build it with New.
type Mock struct {
	schemas *schema.Registry
	op      *schema.Operation
	now     func() time.Time
	handler http.Handler

	mu      sync.Mutex
	tokens  map[string]int64 // integration token -> client id
	records map[int64]*stored
	nextID  int64
	order   mock.Retention      // records, oldest first: past mock.Config.MaxItems the oldest are evicted
	budget  *semaphore.Weighted // bytes of JSON bodies in flight (JSONBudget)
	wait    time.Duration       // how long a JSON body waits for its share (JSONWait)
}

// A JSON body holds at most MaxJSON bytes, as the other mocks' do; the JSON bodies in flight share
// JSONBudget bytes, eight of the largest at once (decoded and checked, each costs several times its
// size). A request waits up to JSONWait for its share.
const (
	MaxJSON    = mock.MaxBody
	JSONBudget = 8 * (MaxJSON + 1)
	JSONWait   = 10 * time.Second
)

// New builds the mock. cfg.Schemas, when set, must hold the personalinfo schemas.
func New(cfg mock.Config) (*Mock, error) {
	reg, err := cfg.Registry("personalinfo")
	if err != nil {
		return nil, err
	}
	m := &Mock{schemas: reg, now: cfg.Clock(), budget: semaphore.NewWeighted(JSONBudget), wait: JSONWait}
	m.order.Max, _ = cfg.StoreLimits()
	for _, op := range reg.Operations("personalinfo") {
		if op.ID == "create_personal_information" {
			m.op = op
		}
	}
	if m.op == nil || m.op.Form == "" || m.op.Request == "" {
		return nil, fmt.Errorf("personalinfo mock: schemas/personalinfo/index.json lacks create_personal_information with its request and form schemas")
	}
	m.reset()
	rt := mock.NewRouter(m.WriteProblem)
	rt.Documented(reg.Operations("personalinfo"))
	rt.Handle(http.MethodPost, client.PathPersonalInformations, m.create)
	c := mock.ControlPrefix
	rt.Handle(http.MethodGet, mock.HealthPath, m.health)
	rt.Handle(http.MethodPost, c+"/reset", m.ctlReset)
	rt.Handle(http.MethodPost, c+"/tokens", m.ctlToken)
	rt.Handle(http.MethodGet, c+"/records/{id}", m.ctlRecord)
	m.handler = headers(rt)
	return m, nil
}

// ServeHTTP implements http.Handler.
func (m *Mock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

// health answers GET /__control/health: how full the record store is.
func (m *Mock) health(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	h := mock.Health{Provider: "personalinfo", Control: true, Stores: map[string]mock.StoreStats{
		"records": m.order.Stats(len(m.records)),
	}}
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, h)
}

func (m *Mock) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = map[string]int64{Token: ClientID}
	m.records = map[int64]*stored{}
	m.nextID = 1
	m.order.Reset()
}

// headers sets PI-05's headers, an X-Request-Id, Rails' Vary and an X-Runtime on every response.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range SecurityHeaders {
			h.Set(kv[0], kv[1])
		}
		h.Set("X-Request-Id", randid.UUID())
		h.Set("Vary", "Origin")
		next.ServeHTTP(&runtimeWriter{ResponseWriter: w, start: time.Now()}, r)
	})
}

type runtimeWriter struct {
	http.ResponseWriter
	start   time.Time
	written bool
}

func (w *runtimeWriter) WriteHeader(status int) {
	if !w.written {
		w.written = true
		w.Header().Set("X-Runtime", strconv.FormatFloat(time.Since(w.start).Seconds(), 'f', 6, 64))
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *runtimeWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// WriteProblem writes p in Rails' shape, {"errors": {field: [message]}}: the router's path and method
// problems, and the faults.
func (m *Mock) WriteProblem(w http.ResponseWriter, r *http.Request, p mock.Problem) {
	field := "base"
	switch p.Status {
	case http.StatusNotFound:
		field = "path"
	case http.StatusMethodNotAllowed:
		field = "method"
	}
	mock.Teach(w, &p)
	writeErrors(w, p.Status, map[string][]string{field: {p.Message}})
}

// writeJSON writes v with PI-05's Content-Type and Rails' ETag and Cache-Control.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	sum := md5.Sum(body)
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("ETag", `W/"`+hex.EncodeToString(sum[:])+`"`)
	h.Set("Cache-Control", "max-age=0, private, must-revalidate")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeErrors(w http.ResponseWriter, status int, fields map[string][]string) {
	writeJSON(w, status, map[string]any{"errors": fields})
}

// create: PI-01..06, DOC-09..11.
func (m *Mock) create(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	clientID, ok := m.tokens[r.Header.Get("Authorization")]
	m.mu.Unlock()
	if !ok {
		mock.Teach(w, (&mock.Problem{}).Broke("Authorization carries the integration token the provider issued", "PI-01"))
		writeErrors(w, http.StatusUnauthorized, map[string][]string{"authorization": {"is missing or is not a valid integration token"}})
		return
	}
	in, release, status, errs := m.body(r)
	defer release()
	if status != 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeErrors(w, status, errs)
		return
	}
	doc, errs, status, ids := m.read(r.Header.Get("Content-Type"), in)
	if status == 0 && len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if status != 0 {
		// Rails' shape has no room for more: the catalogue IDs and the rule go in the headers only.
		mock.Teach(w, (&mock.Problem{}).Broke(railsRule(errs), ids...))
		writeErrors(w, status, errs)
		return
	}
	if strings.Contains(doc.text("birthday"), "/") {
		mock.Note(w, "a birthday written YYYY/MM/DD, as the seed's table says, was accepted (its example writes YYYY-MM-DD)", "PI-06", "DOC-09")
	}
	now := m.now().UTC().Format("2006-01-02T15:04:05.000Z")
	rec := client.Record{
		FirstName: doc.text("first_name"), LastName: doc.text("last_name"), Nationality: doc.text("nationality"),
		Gender: doc.text("gender"), MaritalStatus: doc.text("marital_status"),
		PoliticallyExposed: doc.text("politically_exposed") == "true",
		Birthday:           strings.ReplaceAll(doc.text("birthday"), "/", "-"),
		ClientID:           clientID, CreatedAt: now, UpdatedAt: now,
		DocumentType: doc.text("document_type"), DocumentNumber: doc.text("document_number"), State: "checking",
	}
	photos := map[string]schema.FormFile{}
	for _, f := range []string{client.PhotoFront, client.PhotoBack, client.PhotoSelfie} {
		photos[f] = doc.files[f]
	}
	m.mu.Lock()
	rec.ID = m.nextID
	m.nextID++
	m.records[rec.ID] = &stored{Record: rec, Photos: photos}
	// A record is complete once made (nothing moves it on): the oldest go first, a running scenario's
	// being among the newest.
	m.order.Add(strconv.FormatInt(rec.ID, 10))
	m.order.Trim(nil, func(id string) bool {
		n, _ := strconv.ParseInt(id, 10, 64)
		_, ok := m.records[n]
		delete(m.records, n)
		return ok
	})
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": rec}) // 200, not 201 (DOC-10)
}

// form is a request read into text values and files.
type form struct {
	values map[string]any
	files  map[string]schema.FormFile
}

func (f form) text(name string) string {
	switch v := f.values[name].(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// body is what create reads the request from: the body as it streams for a multipart form, read whole
// within the budget for JSON (release gives its share back), nothing for another media type. A status
// other than 0 is the answer instead: 413 for a body declared over MaxBody, 429 when the budget has no
// room within JSONWait.
func (m *Mock) body(r *http.Request) (in *bodyReader, release func(), status int, errs map[string][]string) {
	release = func() {}
	if r.ContentLength > MaxBody {
		return nil, release, http.StatusRequestEntityTooLarge, tooLarge()
	}
	in = &bodyReader{r: io.LimitReader(r.Body, MaxBody+1), limit: MaxBody}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return in, release, 0, nil
	}
	if r.ContentLength > MaxJSON {
		return nil, release, http.StatusRequestEntityTooLarge, jsonTooLarge()
	}
	in = &bodyReader{r: io.LimitReader(r.Body, MaxJSON+1), limit: MaxJSON}
	share := int64(MaxJSON + 1)
	if r.ContentLength >= 0 {
		share = r.ContentLength + 1
	}
	ctx, cancel := context.WithTimeout(r.Context(), m.wait)
	defer cancel()
	if m.budget.Acquire(ctx, share) != nil {
		return nil, release, http.StatusTooManyRequests, map[string][]string{"body": {
			fmt.Sprintf("could not be read now: other large bodies are being read; send it again in a second (the mock reads %d MiB of JSON at once)", JSONBudget>>20)}}
	}
	in.whole, in.err = mock.ReadSized(in, r.ContentLength)
	return in, func() { m.budget.Release(share) }, 0, nil
}

func tooLarge() map[string][]string {
	return map[string][]string{"body": {fmt.Sprintf("is larger than %d bytes", MaxBody)}}
}

func jsonTooLarge() map[string][]string {
	return map[string][]string{"body": {fmt.Sprintf("is larger than %d bytes, more than a JSON body takes: it carries no photo (DOC-11)", MaxJSON)}}
}

// bodyReader is a request body cut one byte past its limit, counting what was read and keeping the
// first error of the connection (not the end of the body).
type bodyReader struct {
	r     io.Reader
	limit int64
	n     int64
	err   error
	whole []byte // a JSON body, read before the budget is given back
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// over tells whether the body was longer than its limit; the rest of a body a form did not read is read
// (and counted, up to the limit) first.
func (b *bodyReader) over() bool {
	_, _ = io.Copy(io.Discard, b)
	return b.n > b.limit
}

// read turns the body into a form and its Rails errors, with the catalogue IDs of the rules they break.
// A status other than 0 is an answer that is not a validation failure (400 for a body that cannot be
// read or parsed, 413 for one over MaxBody).
func (m *Mock) read(contentType string, in *bodyReader) (form, map[string][]string, int, []string) {
	f := form{values: map[string]any{}, files: map[string]schema.FormFile{}}
	mt, _, _ := mime.ParseMediaType(contentType)
	var key string
	var doc []byte
	var formErr error
	switch {
	case mt == "multipart/form-data":
		doc, formErr = schema.FormDocumentFrom(contentType, in)
		key = m.op.Form
	case mt == "application/json":
		key, doc = m.op.Request, in.whole
	default:
		// Rails reads no parameters from another media type: every field is then blank.
		key, doc = m.op.Form, []byte(`{}`)
	}
	switch {
	case in.over() && mt == "application/json":
		return f, jsonTooLarge(), http.StatusRequestEntityTooLarge, nil
	case in.over():
		return f, tooLarge(), http.StatusRequestEntityTooLarge, nil
	case in.err != nil:
		return f, map[string][]string{"body": {"could not be read: " + in.err.Error()}}, http.StatusBadRequest, nil
	case formErr != nil:
		return f, map[string][]string{"body": {formErr.Error()}}, http.StatusBadRequest, []string{"PI-02"}
	}
	if mt == "application/json" {
		var obj map[string]any
		if err := json.Unmarshal(doc, &obj); err != nil || obj == nil {
			return f, map[string][]string{"body": {"is not a JSON object"}}, http.StatusBadRequest, []string{"PI-02", "DOC-11"}
		}
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(doc, &raw)
	for name, v := range raw {
		var file schema.FormFile
		if mt == "multipart/form-data" && json.Unmarshal(v, &file) == nil && file.Filename != "" {
			f.files[name] = file
			continue
		}
		var val any
		_ = json.Unmarshal(v, &val)
		f.values[name] = val
	}
	vs, _ := m.schemas.ValidateDocument(m.op.Provider+"/"+key, doc)
	errs := railsErrors(vs)
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.IDs...)
	}
	if mt == "application/json" {
		// DOC-11: a JSON body names the photos but cannot carry them.
		for _, p := range []string{client.PhotoFront, client.PhotoBack, client.PhotoSelfie} {
			add(errs, p, "must be an uploaded file: send multipart/form-data, a JSON body cannot carry a photo (DOC-11)")
		}
		ids = append(ids, "PI-02", "DOC-11")
	}
	if b := f.text("birthday"); len(errs["birthday"]) == 0 && b != "" {
		if _, err := time.Parse("2006-01-02", strings.ReplaceAll(b, "/", "-")); err != nil {
			add(errs, "birthday", "is not a valid date")
			ids = append(ids, "PI-06")
		}
	}
	if len(errs) > 0 && len(ids) == 0 {
		ids = m.op.CatalogueIDs
	}
	return f, errs, 0, ids
}

// railsRule is Rails' errors as one line: "birthday is not a valid date; front_document can't be blank".
func railsRule(errs map[string][]string) string {
	var parts []string
	for _, field := range slices.Sorted(maps.Keys(errs)) {
		for _, msg := range errs[field] {
			parts = append(parts, field+" "+msg)
		}
	}
	return strings.Join(parts, "; ")
}

func add(errs map[string][]string, field, msg string) {
	for _, m := range errs[field] {
		if m == msg {
			return
		}
	}
	errs[field] = append(errs[field], msg)
}

// railsErrors words schema violations the way Rails' validations do, per top-level field.
func railsErrors(vs []schema.Violation) map[string][]string {
	errs := map[string][]string{}
	for _, v := range vs {
		segs := strings.Split(strings.TrimPrefix(v.Pointer, "/"), "/")
		field := segs[0]
		if field == "" {
			add(errs, "base", "must be an object of the documented fields")
			continue
		}
		sub := ""
		if len(segs) > 1 {
			sub = segs[1]
		}
		add(errs, field, railsMessage(field, sub, v.Rule))
	}
	return errs
}

func railsMessage(field, sub, rule string) string {
	isPhoto := field == client.PhotoFront || field == client.PhotoBack || field == client.PhotoSelfie
	switch {
	case rule == "required" && sub == "", rule == "minLength" && sub == "":
		return "can't be blank"
	case isPhoto && sub == "content_type":
		return "must be an image"
	case isPhoto && sub == "detected_type":
		return "does not look like an image"
	case isPhoto && sub == "size" && rule == "maximum":
		return fmt.Sprintf("is too large (maximum is %d MB)", MaxPhoto>>20)
	case isPhoto && sub == "size":
		return "is empty"
	case isPhoto && rule == "type":
		return "must be an uploaded file"
	case rule == "enum":
		return "is not included in the list"
	case field == "birthday":
		return "is not a valid date"
	}
	return "is invalid"
}

// ---- control API ----

func (m *Mock) ctlToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		ClientID int64  `json:"client_id"`
	}
	if p := mock.DecodeStrict(r, &in); p != nil || in.Token == "" {
		msg := "control API: want {token, client_id}"
		if p != nil {
			msg = p.Message
		}
		writeErrors(w, http.StatusBadRequest, map[string][]string{"body": {msg}})
		return
	}
	tenant, known := m.tenant(r)
	if in.ClientID == 0 {
		in.ClientID = tenant
	}
	m.mu.Lock()
	old, taken := m.tokens[in.Token]
	inUse := false
	for _, c := range m.tokens {
		inUse = inUse || c == in.ClientID
	}
	ok := (!taken || old == in.ClientID) && (in.ClientID == tenant && known || !inUse)
	if ok {
		m.tokens[in.Token] = in.ClientID
	}
	m.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusConflict, map[string][]string{"token": {"control API: that token or client is another tenant's"}})
		return
	}
	writeJSON(w, http.StatusCreated, in)
}

// TenantOf is the client a call acts for, by its id (mock.Tenancy); "" for a token the mock does not
// know.
func (m *Mock) TenantOf(r *http.Request) string {
	if c, ok := m.tenant(r); ok {
		return strconv.FormatInt(c, 10)
	}
	return ""
}

// tenant is the client a call acts for: the one its integration token belongs to, or on the control
// API the one whose token mock.TenantHeader names (the fixture token's when it names none). known is
// false for a token the mock does not have.
func (m *Mock) tenant(r *http.Request) (int64, bool) {
	tok := r.Header.Get("Authorization")
	if t, ok := mock.ControlTenant(r, Token); ok {
		tok = t
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.tokens[tok]
	return c, ok
}

// ctlReset forgets the acting tenant's records; another client's stay.
func (m *Mock) ctlReset(w http.ResponseWriter, r *http.Request) {
	tenant, _ := m.tenant(r)
	m.mu.Lock()
	for id, s := range m.records {
		if s.Record.ClientID == tenant {
			delete(m.records, id)
		}
	}
	m.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (m *Mock) ctlRecord(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	tenant, known := m.tenant(r)
	m.mu.Lock()
	s := m.records[id]
	m.mu.Unlock()
	if err != nil || s == nil || !known || s.Record.ClientID != tenant { // another client's record is not found
		writeErrors(w, http.StatusNotFound, map[string][]string{"id": {"no record " + r.PathValue("id")}})
		return
	}
	writeJSON(w, http.StatusOK, s)
}
