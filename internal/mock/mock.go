// Package mock holds what every embedded mock provider shares: the reserved control-API prefix, body
// reading with a size limit, a small method-aware router that answers unknown routes in the provider's
// own error shape, panic containment, and serving a handler on loopback.
package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"
	"golang.org/x/sync/semaphore"

	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/schema"
)

// ControlPrefix is the reserved path prefix of the control API that sets provider states (reset, expire
// a token, read the SMS the mock "sent"). Real sandboxes do not have it.
const ControlPrefix = "/__control"

// TenantHeader names the tenant a control-API call acts for: each credential of a mock is a tenant
// (Pomelo's OAuth client id, BaaS's API-CLIENT-KEY, gu1's organisation API key, the natural-person
// API's integration token), and the control API acts for one at a time, the fixture credential's when
// the header names none.
const TenantHeader = "Conformance-Tenant"

// ControlTenant is the tenant a control-API call acts for: the one TenantHeader names, or fixture when
// it names none. ok is false for a call of the provider's own API, whose credential names its tenant.
func ControlTenant(r *http.Request, fixture string) (tenant string, ok bool) {
	if !strings.HasPrefix(r.URL.Path, ControlPrefix) {
		return "", false
	}
	if t := r.Header.Get(TenantHeader); t != "" {
		return t, true
	}
	return fixture, true
}

// HealthPath answers 200 on every mock, with a Health; a target without it has no control API.
const HealthPath = ControlPrefix + "/health"

// Health is what GET HealthPath answers while a mock serves: which provider, that the control API is
// there, how full each bounded store is and what it evicted, and the webhook deliveries waiting. It is
// for whoever runs a shared mock: a store's evicted_unfinished above 0 says a running scenario may have
// lost an item (raise --max-items), webhooks.refused that a receiver fell too far behind.
type Health struct {
	Provider string                `json:"provider"`
	Control  bool                  `json:"control"`
	Stores   map[string]StoreStats `json:"stores"`
	Webhooks *OutboxStats          `json:"webhooks,omitempty"`
}

// MaxBody is the largest request body a mock reads.
const MaxBody = 1 << 20

// Harness error codes: answers of the mocks for which the provider documents no code. They are named so
// that nobody mistakes them for a provider's own.
const (
	CodeMalformedJSON        = "HARNESS_MALFORMED_JSON"
	CodeSchemaViolation      = "HARNESS_SCHEMA_VIOLATION"
	CodeNotFound             = "HARNESS_NOT_FOUND"
	CodeMethodNotAllowed     = "HARNESS_METHOD_NOT_ALLOWED"
	CodeBodyTooLarge         = "HARNESS_BODY_TOO_LARGE"
	CodeUnsupportedMediaType = "HARNESS_UNSUPPORTED_MEDIA_TYPE"
	CodeInternal             = "HARNESS_INTERNAL_ERROR"
	CodeBusy                 = "HARNESS_BUSY"
)

// Config is what the runner hands every mock constructor.
type Config struct {
	Schemas  *schema.Registry // nil: the embedded schemas (schema.Embedded)
	Now      func() time.Time // nil: time.Now
	TokenTTL time.Duration    // lifetime of provider-issued tokens (BaaS SMS tokens); 0: the mock's default
	// BaaSSigning lists the request-signing schemes the BaaS mock accepts besides BAAS-16's claims, which
	// it always does: "qit" adds QI's string_to_sign scheme (BAAS-17).
	BaaSSigning []string
	// SMSFile, when set, is where the BaaS mock (the SMS gateway) also writes the latest SMS of each
	// person, a line each: "CPF TOKEN PHONE".
	SMSFile string
	// PomeloWebhookURL, when set, is the webhook URL of the Pomelo mock's fixture flows, as a provider's
	// flows name the URL its clients configured (a sandbox rehearsal's receiver).
	PomeloWebhookURL string
	// MaxItems bounds each store of a mock, oldest evicted first (DefaultMaxItems when 0); ActiveFor is
	// how long an unfinished item is kept past it after its last change (DefaultActiveFor when 0).
	MaxItems  int
	ActiveFor time.Duration
	// Faults are the faults the mock injects (FaultInjector for calls, Outbox for webhooks); nil: none.
	Faults *Faults
	// ControlToken, when set, is what a call of the control API must carry (ControlGuard); without one
	// the control API answers loopback peers only.
	ControlToken string
	// Journal, when set, is where the mock's webhook deliveries are journalled (Journal.Delivered).
	Journal *Journal
	// EitherReading makes a mock accept a client that follows either reading of a documentation
	// contradiction (the catalogue's DOC rows), noting it, where it otherwise holds the harness's
	// reading: what 'conformance gate' judges a team's client by.
	EitherReading bool
}

// ProblemWriter is a mock that writes a Problem in its provider's documented error shape.
type ProblemWriter interface {
	WriteProblem(w http.ResponseWriter, r *http.Request, p Problem)
}

// WebhookClient is the http.Client every mock delivers its webhooks with: loopback addresses only (a
// URL elsewhere is recorded as not delivered, never resolved or dialled), no redirect followed.
func WebhookClient() *http.Client {
	return (&netguard.Policy{LoopbackOnly: true}).Client(5 * time.Second)
}

// Clock returns cfg.Now or time.Now.
func (cfg Config) Clock() func() time.Time {
	if cfg.Now != nil {
		return cfg.Now
	}
	return time.Now
}

// Registry returns cfg.Schemas, or the embedded schemas when it is nil, after checking that it holds
// the operations of provider.
func (cfg Config) Registry(provider string) (*schema.Registry, error) {
	reg := cfg.Schemas
	if reg == nil {
		var err error
		if reg, err = schema.Embedded(); err != nil {
			return nil, fmt.Errorf("%s mock: %w", provider, err)
		}
	}
	if len(reg.Operations(provider)) == 0 {
		return nil, fmt.Errorf("%s mock: the schema registry has no %s operations", provider, provider)
	}
	return reg, nil
}

// Problem is an answer in a provider's error shape; each mock renders it its own way.
type Problem struct {
	Status      int
	Code        string
	Title       string
	Message     string
	Translation string // the provider's second-language wording, where it has one
	Data        map[string]any
	// IDs and Rule are set (Broke) when the request broke a documented request-side rule: the catalogue
	// IDs and what the rule wants. Teach sends them as headers; a shape with room carries them too.
	IDs  []string
	Rule string
}

// ErrorWriter writes a Problem in a provider's documented error shape.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, p Problem)

// Router maps "METHOD /path" to handlers, where a path segment written {name} matches any one
// segment (read it with r.PathValue(name)). Everything else is answered through the provider's
// ErrorWriter: 404 for an unknown path, 405 (with Allow) for a known path and another method.
type Router struct {
	routes []*route
	errw   ErrorWriter
	ops    []*schema.Operation // the provider's documented operations, for the nearest one to a wrong call
}

// Documented tells the router the provider's documented operations: a call to a path or with a method
// they do not document is then answered as a broken rule, naming the nearest documented operation and
// its catalogue IDs.
func (rt *Router) Documented(ops []*schema.Operation) { rt.ops = ops }

type route struct {
	segs    []string
	methods map[string]http.HandlerFunc
}

// NewRouter returns an empty router that reports unknown routes with errw.
func NewRouter(errw ErrorWriter) *Router {
	return &Router{errw: errw}
}

// Handle registers h for method and path. Exact routes win over templated ones.
func (rt *Router) Handle(method, path string, h http.HandlerFunc) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, r := range rt.routes {
		if strings.Join(r.segs, "/") == strings.Join(segs, "/") {
			r.methods[method] = h
			return
		}
	}
	rt.routes = append(rt.routes, &route{segs: segs, methods: map[string]http.HandlerFunc{method: h}})
	sort.SliceStable(rt.routes, func(i, j int) bool { return params(rt.routes[i].segs) < params(rt.routes[j].segs) })
}

func params(segs []string) int {
	n := 0
	for _, s := range segs {
		if strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

// match returns the route for the request path and the values of its {params}.
func (rt *Router) match(r *http.Request) (*route, map[string]string) {
	raw := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for _, rte := range rt.routes {
		if len(rte.segs) != len(raw) {
			continue
		}
		vals := map[string]string{}
		ok := true
		for i, s := range rte.segs {
			seg, err := url.PathUnescape(raw[i])
			if err != nil {
				ok = false
				break
			}
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				if seg == "" {
					ok = false
					break
				}
				vals[s[1:len(s)-1]] = seg
			} else if s != seg {
				ok = false
				break
			}
		}
		if ok {
			return rte, vals
		}
	}
	return nil, nil
}

// ServeHTTP dispatches, containing any panic as a 500 in the provider's shape.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			rt.errw(w, r, Problem{Status: http.StatusInternalServerError, Code: CodeInternal,
				Title: "Internal Server Error", Message: fmt.Sprintf("conformance mock: internal error: %v", v)})
		}
	}()
	rte, vals := rt.match(r)
	if rte == nil {
		p := Problem{Status: http.StatusNotFound, Code: CodeNotFound, Title: "Not Found",
			Message: fmt.Sprintf("conformance mock: no route %s", r.URL.Path)}
		if op := Nearest(rt.ops, r.Method, r.URL.EscapedPath()); op != nil && !strings.HasPrefix(r.URL.Path, ControlPrefix) {
			p.Message += fmt.Sprintf("; the nearest documented operation is %s", op.Name())
			p.Broke(fmt.Sprintf("%s %s is not a documented path; the nearest documented operation is %s", r.Method, r.URL.Path, op.Name()), op.PrimaryID())
		}
		rt.errw(w, r, p)
		return
	}
	h, ok := rte.methods[r.Method]
	if !ok {
		allow := make([]string, 0, len(rte.methods))
		for m := range rte.methods {
			allow = append(allow, m)
		}
		sort.Strings(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p := Problem{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed, Title: "Method Not Allowed",
			Message: fmt.Sprintf("conformance mock: %s does not take %s (allowed: %s)", r.URL.Path, r.Method, strings.Join(allow, ", "))}
		if op := Nearest(rt.ops, r.Method, r.URL.EscapedPath()); op != nil && !strings.HasPrefix(r.URL.Path, ControlPrefix) {
			p.Broke(fmt.Sprintf("%s takes %s, not %s", r.URL.Path, strings.Join(allow, ", "), r.Method), op.PrimaryID())
		}
		rt.errw(w, r, p)
		return
	}
	for k, v := range vals {
		r.SetPathValue(k, v)
	}
	l := &ledger{}
	defer l.settle() // the body budget the handler took, given back even if it panicked
	h(w, r.WithContext(context.WithValue(r.Context(), ledgerKey{}, l)))
}

// ReadBody reads at most MaxBody bytes; a larger body is a Problem (413), as is a read failure (400).
// The bodies every mock of the process holds at once share BodyBudget bytes: a request waits up to
// BodyWait for its share (its declared length, or MaxBody), kept until its Router handler returns (or
// the read ends, outside a Router), and is answered 429 past it. So a flood of large bodies costs at
// most the budget, not connections × MaxBody.
func ReadBody(r *http.Request) ([]byte, *Problem) {
	if r.ContentLength > MaxBody {
		return nil, tooLarge()
	}
	share := int64(MaxBody + 1)
	if r.ContentLength >= 0 {
		share = r.ContentLength + 1
	}
	ctx, cancel := context.WithTimeout(r.Context(), bodyWait)
	defer cancel()
	if bodies.Acquire(ctx, share) != nil {
		return nil, &Problem{Status: http.StatusTooManyRequests, Code: CodeBusy, Title: "Too Many Requests",
			Message: fmt.Sprintf("conformance mock: %d MiB of request bodies are being read; send it again in a second", BodyBudget>>20)}
	}
	release := func() { bodies.Release(share) }
	if l, ok := r.Context().Value(ledgerKey{}).(*ledger); ok {
		l.add(release)
	} else {
		defer release()
	}
	b, err := ReadSized(io.LimitReader(r.Body, MaxBody+1), r.ContentLength)
	if err != nil {
		return nil, &Problem{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Title: "Bad Request",
			Message: "conformance mock: could not read the request body: " + err.Error()}
	}
	if len(b) > MaxBody {
		return nil, tooLarge()
	}
	return b, nil
}

// BodyBudget is the bytes of request bodies the mocks of one process hold at once (ReadBody), and
// BodyWait how long a request waits for its share.
const (
	BodyBudget = 32 << 20
	BodyWait   = 10 * time.Second
)

var (
	bodies   = semaphore.NewWeighted(BodyBudget)
	bodyWait = BodyWait // shorter in tests
)

// A ledger holds what a request took from the body budget until its handler returns.
type ledger struct {
	mu       sync.Mutex
	releases []func()
}

type ledgerKey struct{}

func (l *ledger) add(f func()) {
	l.mu.Lock()
	l.releases = append(l.releases, f)
	l.mu.Unlock()
}

func (l *ledger) settle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.releases {
		f()
	}
	l.releases = nil
}

func tooLarge() *Problem {
	return &Problem{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Title: "Payload Too Large",
		Message: fmt.Sprintf("conformance mock: request body over %d bytes", MaxBody)}
}

// ReadSized reads r whole into one buffer of the declared size when it is declared (io.ReadAll would
// grow it through copies), growing only for a body longer than it said.
func ReadSized(r io.Reader, size int64) ([]byte, error) {
	if size < 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// DecodeObject reads the body as one JSON object into a generic map (to inspect fields before the schema
// check) and returns the raw bytes too. The call must say it sends JSON: Content-Type application/json
// (any case, any parameters) or a +json type; anything else is 415, a JSON server reads no such body.
// Its problems carry the rule the call broke, for the caller to name the operation's catalogue ID.
func DecodeObject(r *http.Request) (map[string]any, []byte, *Problem) {
	if p := jsonMediaType(r); p != nil {
		return nil, nil, p
	}
	raw, p := ReadBody(r)
	if p != nil {
		return nil, nil, p
	}
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		msg := "body is not a JSON object"
		if err != nil {
			msg = "body is not valid JSON: " + err.Error()
		}
		return nil, nil, &Problem{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Title: "Bad Request",
			Message: "conformance mock: " + msg, Rule: "the body must be one JSON object"}
	}
	if dec.More() {
		return nil, nil, &Problem{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Title: "Bad Request",
			Message: "conformance mock: body has data after the JSON object", Rule: "the body must be one JSON object"}
	}
	return obj, raw, nil
}

// jsonMediaType refuses a call whose Content-Type is not JSON's: what the documents show, read
// tolerantly (application/json; charset=utf-8, Application/JSON and application/vnd.x+json are JSON).
func jsonMediaType(r *http.Request) *Problem {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	if ct == "" {
		ct = "none"
	}
	return &Problem{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType, Title: "Unsupported Media Type",
		Message: fmt.Sprintf("conformance mock: the body is JSON, so Content-Type must be application/json, not %s", ct),
		Rule:    fmt.Sprintf("a JSON body is sent with Content-Type: application/json (sent: %s)", ct)}
}

// DecodeStrict reads a control-API body into v, refusing unknown fields: a read problem is ReadBody's,
// a body that does not decode is 400 CodeMalformedJSON with the decoder's complaint.
func DecodeStrict(r *http.Request, v any) *Problem {
	raw, p := ReadBody(r)
	if p != nil {
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &Problem{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Title: "Bad Request",
			Message: "conformance mock control API: " + err.Error()}
	}
	return nil
}

// SchemaProblem turns violations into a 400 Problem that lists each one with its JSON pointer and rule.
func SchemaProblem(op *schema.Operation, vs []schema.Violation) *Problem {
	list := make([]any, 0, len(vs))
	msgs := make([]string, 0, len(vs))
	p := &Problem{Status: http.StatusBadRequest, Code: CodeSchemaViolation, Title: "Bad Request"}
	for _, v := range vs {
		ids := v.IDs
		if len(ids) == 0 {
			ids = op.CatalogueIDs
		}
		list = append(list, map[string]any{"pointer": v.Pointer, "rule": v.Rule, "message": v.Message, "catalogue_ids": SortedIDs(ids)})
		msgs = append(msgs, v.String())
		p.Broke(v.String(), ids...)
	}
	p.Message = fmt.Sprintf("conformance mock: %s body breaks the documented schema: %s", op.Name(), strings.Join(msgs, "; "))
	p.Data = map[string]any{"violations": list}
	return p
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Server is a handler served on a loopback listener.
type Server struct {
	URL string
	srv *http.Server
	ln  net.Listener
}

// Limits bound what one connection may hold of a mock: a client that sends its headers or its body
// slowly, or keeps an idle connection, is closed after them, so that slow or stalled clients cannot
// exhaust a long-running mock. The zero value is DefaultLimits.
type Limits struct {
	ReadHeader time.Duration // to read a request's headers
	Read       time.Duration // to read a whole request, body included
	Write      time.Duration // to write an answer
	Idle       time.Duration // an idle keep-alive connection
	HeaderSize int           // bytes of request headers
	// MaxConns bounds the connections one server holds at once; more wait in the kernel's backlog until
	// one closes, so a flood on one provider cannot take the descriptors the others need.
	MaxConns int
}

// handlerBackstop bounds a whole exchange, the handler's own time included: only a handler that hangs
// (a fault asked for) reaches it.
const handlerBackstop = 5 * time.Minute

// clientDeadlines times the client, not the mock: l.Read for the request's body, from when the handler
// starts until the body is read to its end, and l.Write for the answer, from its first byte. net/http's
// ReadTimeout and WriteTimeout count from the request's headers, the handler's time included, so a mock
// slowed down by a busy machine closed connections mid-answer and the client saw EOF.
func clientDeadlines(h http.Handler, l Limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(time.Now().Add(l.Read))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		h.ServeHTTP(&answerDeadline{ResponseWriter: w, rc: rc, d: l.Write}, r)
	})
}

// deadlineBody lifts the read deadline once the body is read to its end: net/http then reads the
// connection in the background, under the same deadline, while the handler runs.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// answerDeadline starts the write deadline at the answer's first byte.
type answerDeadline struct {
	http.ResponseWriter
	rc      *http.ResponseController
	d       time.Duration
	started bool
}

func (a *answerDeadline) start() {
	if !a.started {
		a.started = true
		_ = a.rc.SetWriteDeadline(time.Now().Add(a.d))
	}
}

func (a *answerDeadline) WriteHeader(code int) {
	a.start()
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerDeadline) Write(p []byte) (int, error) {
	a.start()
	return a.ResponseWriter.Write(p)
}

// Flush and Unwrap keep what the wrapped writer can do.
func (a *answerDeadline) Flush() {
	a.start()
	_ = a.rc.Flush()
}

func (a *answerDeadline) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// DefaultLimits are the limits of every mock server unless told otherwise.
var DefaultLimits = Limits{ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second,
	Idle: 60 * time.Second, HeaderSize: 64 << 10, MaxConns: 200}

// Start serves h on addr ("127.0.0.1:0" for a random port) with DefaultLimits and returns once it is
// accepting.
func Start(addr string, h http.Handler) (*Server, error) { return StartWith(addr, h, DefaultLimits) }

// StartWith is Start with other limits; a zero field takes the default's.
func StartWith(addr string, h http.Handler, l Limits) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	d := DefaultLimits
	if l.ReadHeader <= 0 {
		l.ReadHeader = d.ReadHeader
	}
	if l.Read <= 0 {
		l.Read = d.Read
	}
	if l.Write <= 0 {
		l.Write = d.Write
	}
	if l.Idle <= 0 {
		l.Idle = d.Idle
	}
	if l.HeaderSize <= 0 {
		l.HeaderSize = d.HeaderSize
	}
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	ln = netutil.LimitListener(ln, l.MaxConns)
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln,
		srv: &http.Server{Handler: clientDeadlines(h, l), ReadHeaderTimeout: l.ReadHeader, WriteTimeout: handlerBackstop,
			IdleTimeout: l.Idle, MaxHeaderBytes: l.HeaderSize}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server, letting requests in flight finish for up to the context's deadline.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return s.srv.Close()
	}
	return err
}
