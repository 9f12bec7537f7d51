package mock

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/schema"
)

// JournalPath is where a mock serves its journal: GET JournalPath?since=SEQ answers the entries after
// SEQ (a Page).
const JournalPath = ControlPrefix + "/journal"

// JournalBody is how much of a request's or an answer's body an entry keeps; the rest is cut, as a
// report shows it.
const JournalBody = 4096

// journalBudget bounds the bytes a journal's entries hold (bodies and headers) besides their count.
const journalBudget = 32 << 20

// Breach is a documented request-side rule a call broke, as the mock taught it (IDsHeader, RuleHeader).
type Breach struct {
	IDs  []string `json:"catalogue_ids"`
	Rule string   `json:"rule"`
}

// Half is a request or an answer as an entry keeps it: secret headers masked, the body cut at
// JournalBody bytes.
type Half struct {
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	Size    int64             `json:"size"` // the body's whole length in bytes
}

// Entry is one call a client made to a mock, judged: which documented operation it called, the rules
// it followed (an accepted call follows every request-side rule of its operation), the one it broke,
// and the leniencies granted (NoteHeader).
type Entry struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Provider  string    `json:"provider"`
	Tenant    string    `json:"tenant,omitempty"` // the credential's tenant; "" for a call that named none the mock knows
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query,omitempty"`
	Operation string    `json:"operation,omitempty"` // "POST /baas/token_request"; "" for an undocumented call
	Status    int       `json:"status"`              // 0: no answer (a reset connection, a receiver not reached)
	// Webhook marks a notification the mock delivered to the client's receiver (Path is its URL),
	// judged by the receiver's acknowledgement, rather than a call the client made.
	Webhook  bool     `json:"webhook,omitempty"`
	Fault    string   `json:"fault,omitempty"` // the fault injected instead of the mock's answer, if any
	Followed []string `json:"followed,omitempty"`
	Broken   *Breach  `json:"broken,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	Request  Half     `json:"request"`
	Answer   Half     `json:"answer"`
}

// Page is what GET JournalPath answers: the entries after the asked seq, the seq to ask from next,
// and how many entries the journal let go to stay within its bounds (an entry asked for and gone is
// counted there, never silently skipped).
type Page struct {
	Entries []Entry `json:"entries"`
	Next    int64   `json:"next"`
	Evicted int64   `json:"evicted"`
	// Oldest is the seq of the oldest entry the journal still holds, of any tenant (Next+1 when it holds
	// none): entries after a reader's mark and before Oldest were let go unread.
	Oldest int64 `json:"oldest"`
}

// Journal keeps the calls clients made to one mock, judged, newest last: at most Max entries and
// journalBudget bytes, the oldest going first. The zero value keeps DefaultMaxItems entries.
type Journal struct {
	Max int
	// TenantOf names the tenant a call acts for (its credential's; on the control API, the one
	// TenantHeader names): entries are kept by it, and GET JournalPath answers a tenant its own, and
	// those of calls that named no credential the mock knows. Nil: one tenant.
	TenantOf func(*http.Request) string
	mu       sync.Mutex
	entries  []Entry
	bytes    int
	next     int64
	evicted  int64
	provider string
	ops      []*schema.Operation
	reg      *schema.Registry
}

// NewJournal returns a journal for provider, judging calls against reg's operations.
func NewJournal(provider string, reg *schema.Registry, max int) *Journal {
	if max <= 0 {
		max = DefaultMaxItems
	}
	return &Journal{Max: max, provider: provider, reg: reg, ops: reg.Operations(provider)}
}

// Since returns the entries after seq.
func (j *Journal) Since(seq int64) Page { return j.SinceFor(seq, "", true) }

// SinceFor returns the entries after seq that tenant may read: its own and those of calls that named
// no credential the mock knows; every entry when all.
func (j *Journal) SinceFor(seq int64, tenant string, all bool) Page {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := Page{Entries: []Entry{}, Next: j.next, Evicted: j.evicted, Oldest: j.next + 1}
	if len(j.entries) > 0 {
		p.Oldest = j.entries[0].Seq
	}
	for _, e := range j.entries {
		if e.Seq > seq && (all || e.Tenant == "" || e.Tenant == tenant) {
			p.Entries = append(p.Entries, e)
		}
	}
	return p
}

func (j *Journal) add(e Entry) {
	size := entrySize(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	e.Seq = j.next
	j.entries = append(j.entries, e)
	j.bytes += size
	for len(j.entries) > j.Max || (j.bytes > journalBudget && len(j.entries) > 1) {
		j.bytes -= entrySize(j.entries[0])
		j.entries[0] = Entry{}
		j.entries = j.entries[1:]
		j.evicted++
	}
}

// entrySize is what an entry counts against journalBudget: its bodies and request headers, and a
// little for the rest.
func entrySize(e Entry) int {
	size := len(e.Request.Body) + len(e.Answer.Body) + 256
	for _, v := range e.Request.Headers {
		size += len(v)
	}
	return size
}

// Wrap journals every call h serves except the control API's, and serves GET JournalPath.
func (j *Journal) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == JournalPath && r.Method == http.MethodGet {
			since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
			WriteJSON(w, http.StatusOK, j.SinceFor(since, j.tenant(r), j.TenantOf == nil))
			return
		}
		if strings.HasPrefix(r.URL.Path, ControlPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		req := &capture{}
		if r.Body != nil {
			r.Body = &teeBody{ReadCloser: r.Body, c: req}
		}
		c := &call{}
		r = r.WithContext(context.WithValue(r.Context(), callKey{}, c))
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if r.Body != nil && req.buf.Len() < JournalBody && rec.status != 0 && rec.header.Get("Connection") != "close" {
			// A call refused before its body was read still shows its body: the start of it, which the
			// server would read and discard anyway to keep the connection (a mock that closes the
			// connection instead, or a reset one with no answer, never waits for a body here).
			_, _ = io.CopyN(io.Discard, r.Body, int64(JournalBody-req.buf.Len()))
		}
		j.add(j.judge(r, start, req, rec, c))
	})
}

// judge makes the entry of one call from what the mock answered.
func (j *Journal) judge(r *http.Request, start time.Time, req *capture, rec *recorder, c *call) Entry {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	e := Entry{Time: start.UTC(), Provider: j.provider, Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Status:  status,
		Request: Half{Headers: maskedHeaders(r.Header), Body: req.buf.String(), Size: req.n},
		Answer:  Half{Headers: maskedHeaders(rec.header), Body: rec.buf.String(), Size: rec.n}}
	c.mu.Lock()
	alias := c.op
	e.Fault = c.fault
	c.mu.Unlock()
	if e.Fault == FaultReset {
		e.Status = 0
	}
	op, ok := j.reg.Match(j.provider, r.Method, r.URL.Path)
	if !ok && alias != nil {
		op, ok = alias, true
	}
	if ok {
		e.Operation = op.Name()
		if status < 300 && (e.Fault == "" || e.Fault == FaultSlow) {
			e.Followed = SortedIDs(c.followed(op.CatalogueIDs))
		}
	}
	if ids := rec.header.Get(IDsHeader); ids != "" {
		e.Broken = &Breach{IDs: strings.Split(ids, ", "), Rule: rec.header.Get(RuleHeader)}
	}
	e.Notes = rec.header.Values(NoteHeader)
	e.Tenant = j.tenant(r)
	c.mu.Lock()
	if c.tenant != "" {
		e.Tenant = c.tenant
	}
	c.mu.Unlock()
	e.Request.Body = maskBodySecrets(e.Request.Body)
	return e
}

// bodySecrets finds an OAuth client secret in a form or JSON body (KYC-16's token request).
var bodySecrets = regexp.MustCompile(`((?:^|&)client_secret=)[^&]*|("client_secret"\s*:\s*")(?:[^"\\]|\\.)*`)

// maskBodySecrets masks the client secrets a body carries, as the headers' credentials are.
func maskBodySecrets(body string) string {
	return bodySecrets.ReplaceAllString(body, "${1}${2}[MASKED]")
}

func (j *Journal) tenant(r *http.Request) string {
	if j.TenantOf == nil {
		return ""
	}
	return j.TenantOf(r)
}

// Delivered journals one attempt to deliver a notification to a client's receiver at target, for
// tenant. An acknowledgement (2xx) follows ids; when the receiver did not acknowledge, a last attempt
// breaks them and an earlier one is noted (the notification is sent again). Without ids (a provider
// that documents no acknowledgement) the attempt is only recorded.
func (j *Journal) Delivered(tenant, target, event string, status int, failure string, last bool, ids ...string) {
	if j == nil {
		return
	}
	e := Entry{Time: time.Now().UTC(), Provider: j.provider, Tenant: tenant, Method: http.MethodPost, Path: target,
		Operation: "webhook " + event, Status: status, Webhook: true}
	acked := status >= 200 && status < 300
	what := fmt.Sprintf("the receiver answered %d", status)
	if status == 0 {
		what = "the receiver could not be reached: " + failure
	}
	switch {
	case len(ids) == 0:
		if !acked {
			e.Notes = []string{what}
		}
	case acked:
		e.Followed = SortedIDs(ids)
	case last:
		e.Broken = &Breach{IDs: SortedIDs(ids), Rule: what + ", and no attempt was acknowledged with a 2xx"}
	default:
		e.Notes = []string{strings.Join(SortedIDs(ids), ", ") + ": " + what + "; the notification is sent again"}
	}
	j.add(e)
}

// Tenancy is a mock whose credentials are tenants: TenantOf names the one a call acts for.
type Tenancy interface {
	TenantOf(r *http.Request) string
}

type callKey struct{}

// call is what a mock says of one call besides its answer: the documented rules it followed in place of
// ones its operation names (BAAS-17's signing instead of BAAS-16's).
type call struct {
	tenant  string // the tenant the handler found the call acts for (CallTenant), "" if it said none
	mu      sync.Mutex
	instead map[string]string
	fault   string
	op      *schema.Operation // the documented operation a call on an undocumented alias served
}

// CallTenant says which tenant the call r acts for when its credential is not in its headers (an
// OAuth token request names its client in the body). Without a journal it does nothing.
func CallTenant(r *http.Request, tenant string) {
	if c, ok := r.Context().Value(callKey{}).(*call); ok {
		c.mu.Lock()
		c.tenant = tenant
		c.mu.Unlock()
	}
}

// ServedAs says that the call r, on a path the index does not list, was served as op: the seed's other
// reading of a path (DOC-01's singular session path). Without a journal it does nothing.
func ServedAs(r *http.Request, op *schema.Operation) {
	if c, ok := r.Context().Value(callKey{}).(*call); ok {
		c.mu.Lock()
		c.op = op
		c.mu.Unlock()
	}
}

// Faulted says that the call r got the fault kind instead of the mock's own answer. Without a journal
// it does nothing.
func Faulted(r *http.Request, kind string) {
	if c, ok := r.Context().Value(callKey{}).(*call); ok {
		c.mu.Lock()
		c.fault = kind
		c.mu.Unlock()
	}
}

// FollowedInstead says that the call r followed the rule followed where its operation names the rule
// named: a QIT-signed call follows BAAS-17, not BAAS-16. Without a journal it does nothing.
func FollowedInstead(r *http.Request, named, followed string) {
	c, ok := r.Context().Value(callKey{}).(*call)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.instead == nil {
		c.instead = map[string]string{}
	}
	c.instead[named] = followed
}

func (c *call) followed(ids []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if alt, ok := c.instead[id]; ok {
			out[i] = alt
		}
	}
	return out
}

// maskedHeaders is h as an entry keeps it: one value a header, a secret one masked but for its scheme
// ("Bearer [MASKED]", "QIT [MASKED]"), which a verdict reads.
func maskedHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		k = http.CanonicalHeaderKey(k)
		val := strings.Join(v, ", ")
		if redact.SecretHeader(k) {
			scheme, _, found := strings.Cut(val, " ")
			val = "[MASKED]"
			if found && len(scheme) < 16 {
				val = scheme + " [MASKED]"
			}
		}
		out[k] = val
	}
	return out
}

// capture keeps the first JournalBody bytes written to it and counts them all.
type capture struct {
	buf bytes.Buffer
	n   int64
}

func (c *capture) keep(p []byte) {
	c.n += int64(len(p))
	if room := JournalBody - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
}

type teeBody struct {
	io.ReadCloser
	c *capture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.c.keep(p[:n])
	return n, err
}

// recorder passes an answer through, keeping its status, its headers as sent and the start of its body.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	capture
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
		rw.header = rw.ResponseWriter.Header().Clone()
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	rw.keep(p)
	return rw.ResponseWriter.Write(p)
}

// Flush and Unwrap keep what http.ResponseController finds beneath: a slow answer still flushes.
func (rw *recorder) Flush() {
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
