// Package record writes every exchange of a run to a directory (--record DIR), secrets always masked
// and personal data masked unless asked otherwise, and compares two such recordings (conformance diff).
package record

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/schema"
)

// FileName is the recording inside DIR: one JSON exchange per line.
const FileName = "exchanges.jsonl"

// PIIMask replaces a personal value in a recording.
const PIIMask = "[PII]"

// Exchange is one recorded request and its answer.
type Exchange struct {
	Provider  string    `json:"provider"`
	Feature   string    `json:"feature"`
	Scenario  string    `json:"scenario"`
	Seq       int       `json:"seq"`       // order within the scenario, from 1
	Operation string    `json:"operation"` // documented operation ("POST /api/kyc/validations"), or the raw path
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query,omitempty"`
	Request   Message   `json:"request"`
	Response  *Response `json:"response,omitempty"` // nil when no answer came
	Error     string    `json:"error,omitempty"`
	// Interrupted is set only on the last line of a recording whose run stopped early: why. Such a line
	// is no exchange.
	Interrupted string `json:"interrupted,omitempty"`
}

// Message is a recorded request.
type Message struct {
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// Response is a recorded answer.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// Raw is an exchange as the harness saw it, before masking.
type Raw struct {
	Provider, Feature, Scenario, Operation, Method, Path, Query string
	ReqHeader                                                   http.Header
	ReqType                                                     string
	ReqBody                                                     []byte
	Status                                                      int // 0 when no answer came
	RespHeader                                                  http.Header
	RespBody                                                    []byte
	Err                                                         error
}

// Writer collects a run's exchanges into DIR/exchanges.jsonl. It writes to a temporary file and moves it
// into place on Close, so an interrupted run leaves no half-written recording.
type Writer struct {
	dir     string
	red     *redact.Redactor
	showPII bool

	mu     sync.Mutex
	f      *os.File
	buf    *bufio.Writer
	err    error
	closed bool // Close or Abort ran
}

// Create makes DIR (if needed) and starts a recording there.
func Create(dir string, red *redact.Redactor, showPII bool) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".exchanges-*.jsonl")
	if err != nil {
		return nil, err
	}
	if red == nil {
		red = &redact.Redactor{}
	}
	return &Writer{dir: dir, red: red, showPII: showPII, f: f, buf: bufio.NewWriter(f)}, nil
}

// Add records one scenario's exchanges, in order.
func (w *Writer) Add(exchanges []Raw) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, raw := range exchanges {
		ex := w.mask(raw) // masked as values, before JSON encodes them
		ex.Seq = i + 1
		line, err := json.Marshal(ex)
		if err == nil {
			line = w.red.Bytes(line) // a secret anywhere in the line, last of all
			_, err = w.buf.Write(append(line, '\n'))
		}
		if err != nil && w.err == nil {
			w.err = err
		}
	}
}

// Interrupted ends the recording with a line saying why the run stopped early (a signal, its time
// limit); the exchanges before it are those of the scenarios that finished.
func (w *Writer) Interrupted(why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	line, err := json.Marshal(struct {
		Interrupted string `json:"interrupted"`
	}{why})
	if err == nil {
		_, err = w.buf.Write(append(line, '\n'))
	}
	if err != nil && w.err == nil {
		w.err = err
	}
}

// Close finishes the recording: DIR/exchanges.jsonl replaces any earlier one only now.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	err := w.err
	if e := w.buf.Flush(); err == nil {
		err = e
	}
	if e := w.f.Close(); err == nil {
		err = e
	}
	if err == nil {
		err = os.Rename(w.f.Name(), filepath.Join(w.dir, FileName))
	}
	if err != nil {
		_ = os.Remove(w.f.Name())
	}
	return err
}

// Abort drops a recording that was not closed, leaving whatever recording DIR held before (a run that
// fails before its reports are written); after Close it does nothing, so a caller may defer it.
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}

// Mask is raw as a recording would hold it: the run's secrets masked, then personal data (unless
// showPII). Reports use it to show a failed scenario's last exchange.
func Mask(raw Raw, red *redact.Redactor, showPII bool) Exchange {
	if red == nil {
		red = &redact.Redactor{}
	}
	return (&Writer{red: red, showPII: showPII}).mask(raw)
}

// maskSecrets masks the run's secrets in every text of ex: scenario, path, query, error, header values
// and every string of the bodies.
func (w *Writer) maskSecrets(ex Exchange) Exchange {
	ex.Scenario, ex.Path, ex.Query, ex.Error = w.red.String(ex.Scenario), w.red.String(ex.Path), w.red.String(ex.Query), w.red.String(ex.Error)
	for k, v := range ex.Request.Headers {
		ex.Request.Headers[k] = w.red.String(v)
	}
	ex.Request.Body = w.red.Value(ex.Request.Body)
	if ex.Response != nil {
		for k, v := range ex.Response.Headers {
			ex.Response.Headers[k] = w.red.String(v)
		}
		ex.Response.Body = w.red.Value(ex.Response.Body)
	}
	return ex
}

// mask is the recorded form of raw: secrets are masked before personal data, since a personal value
// or a digit run masked inside a secret (an echoed token's signature) would hide the secret from the
// redactor and leave the rest of it in the recording.
func (w *Writer) mask(raw Raw) Exchange {
	return w.maskPersonal(w.maskSecrets(w.exchange(raw)), raw)
}

// exchange is raw as the recording holds it, before any masking but of the secret headers and of the
// bodies' personal members (both replaced whole).
func (w *Writer) exchange(raw Raw) Exchange {
	ex := Exchange{Provider: raw.Provider, Feature: raw.Feature, Scenario: raw.Scenario, Operation: raw.Operation,
		Method: raw.Method, Path: raw.Path, Query: raw.Query}
	ex.Request = Message{Headers: headers(raw.ReqHeader), Body: w.body(raw.ReqType, raw.ReqBody)}
	if raw.Err != nil {
		ex.Error = raw.Err.Error()
	}
	if raw.Status != 0 {
		ex.Response = &Response{Status: raw.Status, Headers: headers(raw.RespHeader), Body: w.body(raw.RespHeader.Get("Content-Type"), raw.RespBody)}
	}
	return ex
}

// maskPersonal masks the digit runs of ex's scenario, path, query and error and, since a provider may
// echo what it was sent under any name or inside a string, the request's personal values wherever they
// appear in the answer.
func (w *Writer) maskPersonal(ex Exchange, raw Raw) Exchange {
	if w.showPII {
		return ex
	}
	ex.Scenario, ex.Path, ex.Query, ex.Error = w.maskPath(ex.Scenario), w.maskPath(ex.Path), w.maskQuery(ex.Query), w.maskPath(ex.Error)
	if ex.Response != nil {
		sent := personalValues(raw.ReqType, raw.ReqBody)
		ex.Response.Body = replaceValues(ex.Response.Body, sent)
		for k, v := range ex.Response.Headers {
			ex.Response.Headers[k] = replaceValues(v, sent).(string)
		}
	}
	return ex
}

// personalValues lists the personal values of a request body (members named like personal data), the
// longest first.
func personalValues(contentType string, b []byte) []string {
	var out []string
	if schema.IsMultipart(contentType) {
		doc, err := schema.FormDocument(contentType, b)
		if err != nil {
			// A form broken on purpose (cut in half): what its text parts say, as far as they go.
			for _, m := range formPart.FindAllSubmatch(b, -1) {
				if len(m[2]) >= 4 && piiMember.Match(m[1]) {
					out = append(out, string(m[2]))
				}
			}
			return out
		}
		b = doc
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				walk(x, k)
			}
		case []any:
			for _, x := range t {
				walk(x, key)
			}
		case string:
			if len(t) >= 4 && piiMember.MatchString(key) {
				out = append(out, t)
			}
		}
	}
	walk(v, "")
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// formPart is a text part of a multipart body: its name and value.
var formPart = regexp.MustCompile(`name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)\r\n`)

// replaceValues writes PIIMask for each of values inside every string of v.
func replaceValues(v any, values []string) any {
	if len(values) == 0 {
		return v
	}
	switch t := v.(type) {
	case string:
		for _, p := range values {
			t = strings.ReplaceAll(t, p, PIIMask)
		}
		return t
	case map[string]any:
		for k, x := range t {
			t[k] = replaceValues(x, values)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = replaceValues(x, values)
		}
		return t
	}
	return v
}

func headers(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range h {
		k = http.CanonicalHeaderKey(k)
		if redact.SecretHeader(k) {
			out[k] = redact.Mask
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// body is the recorded form of a body: JSON as JSON (personal members masked), a multipart form as its
// schema.FormDocument view (never a file's bytes), anything else as text.
func (w *Writer) body(contentType string, b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if schema.IsMultipart(contentType) {
		doc, err := schema.FormDocument(contentType, b)
		if err != nil {
			return fmt.Sprintf("(a malformed multipart body of %d bytes)", len(b))
		}
		b = doc
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		if !w.showPII {
			v = maskPII(v, "")
		}
		return v
	}
	if w.showPII {
		return string(b)
	}
	return fmt.Sprintf("(a %d-byte %s body, not recorded: it may hold personal data; --show-pii records it)", len(b), contentType)
}

// piiMember matches the JSON members (and query parameters) that hold personal data in these APIs:
// names, documents (CPF, CNPJ, DNI), contact details, birth dates, addresses.
var piiMember = regexp.MustCompile(`(?i)^(.*_)?(name|document_number|document|documentnumber|cpf|cnpj|dni|cuil|` +
	`cuit|tax_id|fiscal_id|email|phone|phone_number|number|area_code|birthday|birth_date|date_of_birth|birthdate|` +
	`birth_place|street|street_name|street_number|address|neighborhood|complement|postal_code|zip|zip_code|city|` +
	`document_identification_number|filename|original_filename|externalid|external_id|salary|annual_income)$`)

func maskPII(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = maskPII(x, k)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = maskPII(x, key)
		}
		return t
	case string, float64, bool:
		if key != "" && piiMember.MatchString(key) {
			return PIIMask
		}
	}
	return v
}

// digits masks long digit runs in a path, a query value, a scenario name or an error (a CPF, a CNPJ, a
// document number written out in an outline's example). A UUID is an identifier, not a person: its
// last group may be twelve digits, and it is kept whole, as a report's message beside it prints it.
var digits = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{7,}`)

// maskDigits writes PIIMask for each long digit run of s outside a UUID.
func maskDigits(s string) string {
	return digits.ReplaceAllStringFunc(s, func(m string) string {
		if strings.IndexByte(m, '-') >= 0 {
			return m
		}
		return PIIMask
	})
}

func (w *Writer) maskPath(p string) string {
	if w.showPII {
		return p
	}
	return maskDigits(p)
}

func (w *Writer) maskQuery(q string) string {
	if q == "" || w.showPII {
		return q
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return maskDigits(q)
	}
	for k, vs := range vals {
		name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(k, "filter["), "filter"), "]")
		for i := range vs {
			if piiMember.MatchString(name) || maskDigits(vs[i]) != vs[i] {
				vs[i] = PIIMask
			}
		}
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range vals[k] {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, "&")
}

// Load reads the recording in dir.
func Load(dir string) ([]Exchange, error) {
	f, err := os.Open(filepath.Join(dir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no recording (%s); make one with 'conformance run --record %s'", dir, FileName, dir)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		var ex Exchange
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("%s line %d: not a recorded exchange: %v", filepath.Join(dir, FileName), n, err)
		}
		if ex.Interrupted != "" {
			continue // the mark of an interrupted run, no exchange
		}
		out = append(out, ex)
	}
	return out, sc.Err()
}
