package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latam-conformance/conformance/internal/netguard"
	"github.com/latam-conformance/conformance/internal/schema"
)

// verdictError is what the harness concludes from an exchange on its own, before any step judges it: a
// redirect nobody documents, an answer over the reading limit, JSON declared as something else, a
// request to another origin. It fails the scenario; it is never mistaken for a target that stopped
// answering.
type verdictError struct{ msg string }

func (e *verdictError) Error() string { return e.msg }

func verdictf(format string, a ...any) error { return &verdictError{msg: fmt.Sprintf(format, a...)} }

// isVerdict tells whether err is the harness's judgement of an answer (or a refusal to send) rather than
// a transport failure.
func isVerdict(err error) bool {
	var v *verdictError
	return errors.As(err, &v) || netguard.IsRefused(err)
}

// headersTooLarge is net/http's refusal of an answer whose headers pass its limit: an answer arrived,
// and it cannot be judged.
func headersTooLarge(err error) bool {
	return err != nil && strings.Contains(err.Error(), "server response headers exceeded")
}

// isTransport tells whether err means no judgeable answer arrived: refused, reset, cut short, timed out.
func isTransport(err error) bool {
	if err == nil || isVerdict(err) || headersTooLarge(err) {
		return false
	}
	// net/http wraps whatever a RoundTripper returns in a *url.Error, itself a net.Error: judge what it
	// wraps (a decoding failure below the client is no transport failure).
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
		if isVerdict(err) {
			return false
		}
	}
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.As(err, &ne), errors.As(err, &op),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	}
	// Some callers flatten the chain (%v); their text still says what happened.
	msg := err.Error()
	for _, s := range []string{"connection refused", "connection reset", "i/o timeout", "Client.Timeout exceeded",
		"context deadline exceeded", "context canceled", "server closed idle connection", "unexpected EOF", ": EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// sameOrigin tells whether u has the scheme and host (with port) of base.
func sameOrigin(u, base *url.URL) bool {
	return u != nil && base != nil && strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// judgeAnswer is the harness's own verdict on an answer before a step sees it: a redirect the documents
// do not show (the harness never follows one), and JSON documented but another media type declared.
func (w *World) judgeAnswer(ex *Exchange) error {
	schemaFile, statusDocumented := "", false
	if op, ok := w.deps.Schemas.Match(ex.Provider, ex.Method, ex.Path); ok {
		schemaFile, statusDocumented = op.Responses[fmt.Sprint(ex.Status)]
	}
	if ex.Status >= 300 && ex.Status < 400 && !statusDocumented {
		loc := "(no Location)"
		if raw := ex.Header.Get("Location"); raw != "" {
			loc = netguard.ShowURL(raw)
		}
		return verdictf("%s answered %d, a redirect to %s, which its documents do not show; the harness never follows a redirect",
			ex.Name(), ex.Status, w.deps.Redactor.String(loc))
	}
	if schemaFile != "" && len(ex.RespBody) > 0 {
		if declared := ex.Header.Get("Content-Type"); !schema.IsJSON(declared) {
			if declared == "" {
				declared = "no Content-Type"
			}
			return verdictf("%s answered %d with %q; its documents describe a JSON answer (application/json)",
				ex.Name(), ex.Status, declared)
		}
	}
	if d, dup := schema.FindDuplicate(ex.RespBody); dup && schema.IsJSON(ex.Header.Get("Content-Type")) {
		// Go keeps the last value, many readers the first: two clients would act on two answers.
		return verdictf("%s answered %d with the member %s twice (%s, then %s): a client that reads the first value and one that reads the last read two different answers",
			ex.Name(), ex.Status, d.Pointer, snippet(w.deps.Redactor.Bytes([]byte(d.First))), snippet(w.deps.Redactor.Bytes([]byte(d.Second))))
	}
	return nil
}

// readAnswer reads at most schema.MaxAnswerBody bytes of body; more is a verdict naming the limit.
func readAnswer(ex *Exchange, body io.Reader) ([]byte, error) {
	b, over, err := schema.ReadAnswer(body)
	if err != nil {
		return b, err
	}
	if over {
		return b, verdictf("%s answered %d with a body over the %d MiB the harness reads (after decompression); an answer it cannot read whole is not judged on a part",
			ex.Name(), ex.Status, schema.MaxAnswerBody>>20)
	}
	return b, nil
}

// targetHealth remembers, per provider, whether its target stopped answering during the run: the
// scenarios after that are not judged, rather than failed one by one against their catalogue IDs.
type targetHealth struct {
	mu   sync.Mutex
	down map[string]string // provider -> why
	once map[string]*sync.Once
}

func (h *targetHealth) reason(provider string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down[provider]
}

// suspect is called on a transport error with provider's target: one probe decides whether the target
// still answers at all. Only one probe runs per provider.
func (h *targetHealth) suspect(provider string, t Target, hc *http.Client, cause error) {
	h.mu.Lock()
	if h.once == nil {
		h.once, h.down = map[string]*sync.Once{}, map[string]string{}
	}
	o := h.once[provider]
	if o == nil {
		o = &sync.Once{}
		h.once[provider] = o
	}
	h.mu.Unlock()
	o.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.BaseURL+"/", nil)
		if err == nil {
			var resp *http.Response
			if resp, err = hc.Do(req); err == nil {
				_ = resp.Body.Close()
				// It answers: this error was one request's; later scenarios still run.
				h.mu.Lock()
				delete(h.once, provider)
				h.mu.Unlock()
				return
			}
		}
		h.mu.Lock()
		h.down[provider] = rootCause(cause)
		h.mu.Unlock()
	})
}

// rootCause is the innermost message of a transport error: "connection refused", "i/o timeout".
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		msg = msg[i+2:]
	}
	return msg
}
