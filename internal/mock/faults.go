package mock

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latam-conformance/conformance/internal/schema"
)

// FaultsPath is where a mock takes the faults it injects: GET lists them with how often each was
// injected, PUT (or POST) {"faults": [...]} replaces them, DELETE clears them.
const FaultsPath = ControlPrefix + "/faults"

// The faults a mock injects, to exercise a client's resilience (issue 13). The HTTP ones answer a
// client's call instead of the mock; the webhook ones change how a notification is delivered.
const (
	FaultTooMany      = "429"               // 429 with Retry-After (Delay, 1 s by default), in the provider's error shape
	FaultServerError  = "500"               // 500 in the provider's error shape
	FaultUnavailable  = "503"               // 503 with Retry-After, in the provider's error shape
	FaultSlow         = "slow"              // the answer comes after Delay (2 s by default)
	FaultReset        = "reset"             // the connection is reset, no answer at all
	FaultExpireToken  = "expire-token"      // the OAuth token the call carries expires now: 401, and a new one is needed
	FaultDuplicate    = "webhook-duplicate" // the notification is delivered twice
	FaultLate         = "webhook-late"      // the notification is delivered after Delay (2 s by default)
	FaultOutOfOrder   = "webhook-reorder"   // the notification is held and delivered after the next one to its target
	defaultFaultDelay = 2 * time.Second
)

// FaultKinds lists every kind a Fault may have.
var FaultKinds = []string{FaultTooMany, FaultServerError, FaultUnavailable, FaultSlow, FaultReset, FaultExpireToken,
	FaultDuplicate, FaultLate, FaultOutOfOrder}

// Fault is one fault and the calls (or notifications) it applies to: every Nth, the first N, or a
// percentage drawn from a seeded source, so that a run can be repeated; every one when none is given.
type Fault struct {
	Kind      string   `json:"kind"`
	Every     int      `json:"every,omitempty"`
	First     int      `json:"first,omitempty"`
	Percent   float64  `json:"percent,omitempty"`
	Seed      int64    `json:"seed,omitempty"`
	Delay     Duration `json:"delay,omitempty"`     // slow, late; Retry-After of 429 and 503
	Operation string   `json:"operation,omitempty"` // an operation id (create_session) or "METHOD /path"; "" for every call
	Injected  int64    `json:"injected"`            // how often it was injected, as GET answers
	seen      int64
	rng       *rand.Rand
}

// Duration is a time.Duration written as Go writes it ("1.5s") in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"2s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: want a positive duration such as 2s", s)
	}
	*d = Duration(v)
	return nil
}

func (f *Fault) webhook() bool { return strings.HasPrefix(f.Kind, "webhook-") }

func (f *Fault) delay(def time.Duration) time.Duration {
	if f.Delay > 0 {
		return time.Duration(f.Delay)
	}
	return def
}

// Check tells what is wrong with f, or nil; provider names the mock it is for.
func (f *Fault) Check(provider string) error {
	if !slices.Contains(FaultKinds, f.Kind) {
		return fmt.Errorf("fault %q: want one of %s", f.Kind, strings.Join(FaultKinds, ", "))
	}
	if f.Every < 0 || f.First < 0 || f.Percent < 0 || f.Percent > 100 {
		return fmt.Errorf("fault %s: every and first are whole numbers from 1, percent from 0 to 100", f.Kind)
	}
	if n := btoi(f.Every > 0) + btoi(f.First > 0) + btoi(f.Percent > 0); n > 1 {
		return fmt.Errorf("fault %s: choose one of every, first and percent", f.Kind)
	}
	if f.Kind == FaultExpireToken && provider != "pomelo" {
		return fmt.Errorf("fault %s: only Pomelo's calls carry an OAuth token (KYC-16)", f.Kind)
	}
	if f.webhook() && provider != "pomelo" && provider != "gu1" {
		return fmt.Errorf("fault %s: %s sends no webhooks (Pomelo and gu1 do)", f.Kind, provider)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ParseFault reads a fault as the flags write it: KIND[:every=N|first=N|percent=P][:seed=S][:delay=D][:op=OPERATION],
// e.g. "429:first=2", "slow:delay=3s:every=4", "500:percent=10:seed=42", "webhook-duplicate:first=1".
func ParseFault(s string) (Fault, error) {
	parts := strings.Split(s, ":")
	f := Fault{Kind: parts[0]}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return f, fmt.Errorf("fault %q: %q is not NAME=VALUE", s, p)
		}
		var err error
		switch k {
		case "every":
			f.Every, err = strconv.Atoi(v)
		case "first":
			f.First, err = strconv.Atoi(v)
		case "percent":
			f.Percent, err = strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		case "seed":
			f.Seed, err = strconv.ParseInt(v, 10, 64)
		case "delay":
			var d time.Duration
			d, err = time.ParseDuration(v)
			f.Delay = Duration(d)
		case "op":
			f.Operation = v
		default:
			return f, fmt.Errorf("fault %q: unknown %q (want every, first, percent, seed, delay or op)", s, k)
		}
		if err != nil {
			return f, fmt.Errorf("fault %q: %s=%s: %v", s, k, v, err)
		}
	}
	return f, nil
}

// Faults are the faults one mock injects: those set for every tenant (conformance mock --fault) and
// those each tenant set for its own calls and notifications through the control API, so that one team's
// faults never reach another's run on a shared mock. It is safe for concurrent use; the zero value
// injects none.
type Faults struct {
	mu       sync.Mutex
	list     []*Fault            // every tenant's
	byTenant map[string][]*Fault // one tenant's
}

// Set replaces the faults of every tenant; each must pass Check for provider.
func (fs *Faults) Set(provider string, list []Fault) error { return fs.SetFor(provider, "", list) }

// SetFor replaces tenant's own faults ("" for every tenant's); each must pass Check for provider.
func (fs *Faults) SetFor(provider, tenant string, list []Fault) error {
	out := make([]*Fault, 0, len(list))
	for i := range list {
		f := list[i]
		if err := f.Check(provider); err != nil {
			return err
		}
		f.Injected, f.seen = 0, 0
		f.rng = rand.New(rand.NewSource(f.Seed))
		out = append(out, &f)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if tenant == "" {
		fs.list = out
		return nil
	}
	if fs.byTenant == nil {
		fs.byTenant = map[string][]*Fault{}
	}
	fs.byTenant[tenant] = out
	if len(out) == 0 {
		delete(fs.byTenant, tenant)
	}
	return nil
}

// List returns every tenant's faults with how often each was injected.
func (fs *Faults) List() []Fault { return fs.ListFor("") }

// ListFor returns tenant's own faults ("" for every tenant's) with how often each was injected.
func (fs *Faults) ListFor(tenant string) []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	list := fs.list
	if tenant != "" {
		list = fs.byTenant[tenant]
	}
	out := make([]Fault, 0, len(list))
	for _, f := range list {
		c := *f
		c.rng = nil
		out = append(out, c)
	}
	return out
}

// pick returns the fault to inject into this call or notification of tenant, if any: the first of the
// tenant's own, then of every tenant's, that applies and whose selection picks this one. Every matching
// fault counts the call.
func (fs *Faults) pick(webhook bool, op *schema.Operation, tenant string) *Fault {
	if fs == nil {
		return nil
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var chosen *Fault
	var own []*Fault
	if tenant != "" {
		own = fs.byTenant[tenant]
	}
	for _, f := range slices.Concat(own, fs.list) {
		if f.webhook() != webhook || !f.governs(op) {
			continue
		}
		f.seen++
		hit := false
		switch {
		case f.First > 0:
			hit = f.seen <= int64(f.First)
		case f.Every > 0:
			hit = f.seen%int64(f.Every) == 0
		case f.Percent > 0:
			hit = f.rng.Float64()*100 < f.Percent
		default:
			hit = true
		}
		if hit && chosen == nil {
			f.Injected++
			chosen = f
		}
	}
	return chosen
}

func (f *Fault) governs(op *schema.Operation) bool {
	if f.Operation == "" || f.webhook() {
		return true
	}
	return op != nil && (f.Operation == op.ID || f.Operation == op.Name())
}

// CredentialExpirer is a mock whose calls carry a credential that can expire (Pomelo's OAuth tokens):
// the expire-token fault makes the call's own credential expire.
type CredentialExpirer interface {
	ExpireCredential(r *http.Request)
}

// FaultInjector serves a mock's faults: the control API at FaultsPath, and the HTTP faults on the
// client's calls. errw answers in the provider's error shape.
type FaultInjector struct {
	Provider string
	Faults   *Faults
	Schemas  *schema.Registry
	Errors   ErrorWriter
	Expirer  CredentialExpirer // nil: the provider has no expiring credential
	// TenantOf names the tenant a call acts for (Tenancy.TenantOf); nil: one tenant.
	TenantOf func(*http.Request) string
}

func (fi *FaultInjector) tenant(r *http.Request) string {
	if fi.TenantOf == nil {
		return ""
	}
	return fi.TenantOf(r)
}

// Wrap injects the faults into the calls h serves (never into the control API's).
func (fi *FaultInjector) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == FaultsPath {
			fi.control(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, ControlPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		op, _ := fi.Schemas.Match(fi.Provider, r.Method, r.URL.Path)
		f := fi.Faults.pick(false, op, fi.tenant(r))
		if f == nil {
			h.ServeHTTP(w, r)
			return
		}
		Faulted(r, f.Kind)
		fi.inject(f, w, r, h)
	})
}

func (fi *FaultInjector) inject(f *Fault, w http.ResponseWriter, r *http.Request, h http.Handler) {
	switch f.Kind {
	case FaultTooMany, FaultUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(f.delay(time.Second).Round(time.Second)/time.Second))))
		status, title := http.StatusTooManyRequests, "Too Many Requests"
		if f.Kind == FaultUnavailable {
			status, title = http.StatusServiceUnavailable, "Service Unavailable"
		}
		fi.Errors(w, r, Problem{Status: status, Code: "HARNESS_FAULT_" + f.Kind, Title: title,
			Message: fmt.Sprintf("conformance mock: fault injected (%s)", f.Kind)})
	case FaultServerError:
		fi.Errors(w, r, Problem{Status: http.StatusInternalServerError, Code: "HARNESS_FAULT_500", Title: "Internal Server Error",
			Message: "conformance mock: fault injected (500)"})
	case FaultSlow:
		t := time.NewTimer(f.delay(defaultFaultDelay))
		defer t.Stop()
		select {
		case <-t.C:
			h.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case FaultReset:
		reset(w)
	case FaultExpireToken:
		if fi.Expirer != nil {
			fi.Expirer.ExpireCredential(r)
		}
		h.ServeHTTP(w, r) // the mock now refuses the expired token itself, as it would any
	}
}

// reset closes the call's connection with a TCP reset, no answer written.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // no connection to reset (HTTP/2, a recorder): abort the answer
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (fi *FaultInjector) control(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut, http.MethodPost:
		var in struct {
			Faults []Fault `json:"faults"`
		}
		if p := DecodeStrict(r, &in); p != nil {
			WriteJSON(w, p.Status, map[string]any{"error": p.Message})
			return
		}
		if err := fi.Faults.SetFor(fi.Provider, fi.tenant(r), in.Faults); err != nil {
			WriteJSON(w, http.StatusBadRequest, map[string]any{"error": "conformance mock control API: " + err.Error()})
			return
		}
	case http.MethodDelete:
		_ = fi.Faults.SetFor(fi.Provider, fi.tenant(r), nil)
	default:
		w.Header().Set("Allow", "GET, PUT, POST, DELETE")
		WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "faults are read with GET, set with PUT or POST, cleared with DELETE"})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"faults": fi.Faults.ListFor(fi.tenant(r))})
}

// webhookFault is what the outbox does with one notification of tenant.
func (fs *Faults) webhookFault(tenant string) *Fault { return fs.pick(true, nil, tenant) }
