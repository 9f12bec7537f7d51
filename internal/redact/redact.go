// Package redact keeps a run's secrets out of everything it writes. The run registers each secret it
// holds or meets (credentials, access tokens, signatures, Authorization headers) and every artefact -
// console, JUnit, cucumber JSON, recording - passes through a Redactor that writes [REDACTED] in their
// place: the secret as it is and in every encoding a report or a provider's echo may give it (JSON,
// XML/HTML, URL query and path, base64 at any alignment, Bearer and Basic headers). Artefacts mask the
// values before they encode them; the encoded forms are masked too, for text that arrives encoded.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// secretHeaders carry credentials (a bearer token, BAAS-16's key and JWT, a webhook's signature):
// every artefact masks their values whole.
var secretHeaders = map[string]bool{"Authorization": true, "Api-Client-Key": true, "X-Api-Key": true,
	"Cookie": true, "Set-Cookie": true, "X-Signature": true, "X-Webhook-Signature": true}

// SecretHeader tells whether the header named name (any case) carries a credential.
func SecretHeader(name string) bool { return secretHeaders[http.CanonicalHeaderKey(name)] }

// Mask is what a secret is replaced with.
const Mask = "[REDACTED]"

// MinLength is the shortest value treated as a secret: shorter ones (a six-digit SMS token aside, which
// is no credential) would mask ordinary words and numbers in the reports.
const MinLength = 8

// Redactor holds the secrets of one run. It is safe for concurrent use; the zero value is ready.
//
// Patterns (every form of every secret) are kept in generations: a new batch is compiled on its own,
// and generations are merged when a newer one grows to half the size of the one before, so the cost of
// registering n secrets over a run is O(n log n), not O(n²). Masking applies the newest generation
// first: a later secret that contains an earlier one (Bearer + token) is masked whole.
type Redactor struct {
	mu         sync.Mutex
	known      map[string]bool // every pattern registered
	uncompiled []string        // patterns not compiled yet
	gens       []*generation   // oldest first
	first      [256]bool       // bytes a pattern starts with
	maxLen     int
}

type generation struct {
	sorted  []string // for prefix look-ups by the Writer
	replace *strings.Replacer
}

func newGeneration(patterns []string) *generation {
	sorted := append([]string(nil), patterns...)
	sort.Strings(sorted)
	byLength := append([]string(nil), patterns...)
	sort.SliceStable(byLength, func(i, j int) bool { return len(byLength[i]) > len(byLength[j]) })
	pairs := make([]string, 0, 2*len(byLength))
	for _, p := range byLength {
		pairs = append(pairs, p, Mask)
	}
	return &generation{sorted: sorted, replace: strings.NewReplacer(pairs...)}
}

// Add registers secrets; values shorter than MinLength are ignored. A "Bearer x" or "Basic x" value
// registers x too (and, for Basic, the password it carries); a PEM key registers each of its lines.
func (r *Redactor) Add(values ...string) {
	if r == nil {
		return
	}
	var secrets []string
	for _, v := range values {
		v = strings.TrimSpace(v)
		secrets = append(secrets, v)
		for _, scheme := range []string{"Bearer ", "Basic ", "QIT "} {
			if rest, ok := strings.CutPrefix(v, scheme); ok {
				secrets = append(secrets, strings.TrimSpace(rest))
				if key, tok, ok := strings.Cut(rest, ":"); ok && scheme == "QIT " { // QIT <key>:<JWT> (BAAS-17)
					secrets = append(secrets, strings.TrimSpace(key), strings.TrimSpace(tok))
				}
				if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest)); scheme == "Basic " && err == nil {
					if _, pass, ok := strings.Cut(string(dec), ":"); ok {
						secrets = append(secrets, pass)
					}
				}
			}
		}
		// A PEM key is also written line by line in some messages: each long line is a secret too.
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				secrets = append(secrets, line)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known == nil {
		r.known = map[string]bool{}
	}
	for _, s := range secrets {
		if len(s) < MinLength || r.known[s] {
			continue
		}
		for _, f := range Forms(s) {
			if len(f) < MinLength || r.known[f] {
				continue
			}
			r.known[f] = true
			r.uncompiled = append(r.uncompiled, f)
			r.first[f[0]] = true
			r.maxLen = max(r.maxLen, len(f))
		}
	}
}

// compile turns pending patterns into a generation and merges generations that have grown alike.
// r.mu must be held.
func (r *Redactor) compile() {
	if len(r.uncompiled) == 0 {
		return
	}
	batch := r.uncompiled
	r.uncompiled = nil
	keep := len(r.gens)
	for keep > 0 && len(r.gens[keep-1].sorted) <= 2*len(batch) {
		batch = append(append([]string(nil), r.gens[keep-1].sorted...), batch...)
		keep--
	}
	// A new slice: readers may still hold the old one (String copies it under the lock, then reads).
	r.gens = append(append(make([]*generation, 0, keep+1), r.gens[:keep]...), newGeneration(batch))
}

// String masks every registered secret, in every form, in s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.Lock()
	r.compile()
	gens := r.gens
	r.mu.Unlock()
	for i := len(gens) - 1; i >= 0; i-- {
		s = gens[i].replace.Replace(s)
	}
	return s
}

// Bytes masks every registered secret in b.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// Value masks every string (keys included) of a decoded JSON value, before it is encoded again.
func (r *Redactor) Value(v any) any {
	switch t := v.(type) {
	case string:
		return r.String(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[r.String(k)] = r.Value(x)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = r.Value(x)
		}
		return t
	}
	return v
}

var lowerEscapes = regexp.MustCompile(`%[0-9A-F]{2}`)

// Forms lists s as it may appear in an artefact or an echo: as it is; JSON-escaped (with and without
// HTML escaping, and with "\/"); XML and HTML escaped; URL-encoded for a query and for a path (upper and
// lower case hex); base64 in the standard and URL alphabets, padded or not, whole and as it reads
// inside a longer base64 text at each of the three byte alignments. And nested, as an echo wraps what
// it received, three deep: its URL and JSON forms URL-encoded again (URL inside URL, JSON-escaped inside
// URL), and base64 of either, of those and of the twice-wrapped ones. A secret whose URL and JSON forms
// are itself (a JWT, a plain key) has no nested forms.
func Forms(s string) []string {
	out := forms(s)
	seen := map[string]bool{}
	for _, f := range out {
		seen[f] = true
	}
	add := func(f string) bool {
		if f == "" || seen[f] {
			return false
		}
		seen[f] = true
		out = append(out, f)
		return true
	}
	for _, f := range uniq(append(urlForms(s), jsonForms(s)...), s) {
		for _, g := range urlForms(f) { // URL inside URL, JSON-escaped inside URL
			add(g)
			for _, b := range base64Inside(g) { // base64 of those
				add(b)
			}
		}
		for _, b := range base64Inside(f) { // base64 of a URL or JSON form
			add(b)
		}
	}
	return out
}

// urlForms is f URL-encoded for a query and for a path, each with upper and lower case hex.
func urlForms(f string) []string {
	var out []string
	for _, e := range []string{url.QueryEscape(f), url.PathEscape(f)} {
		out = append(out, e, lowerEscapes.ReplaceAllStringFunc(e, strings.ToLower))
	}
	return out
}

// jsonForms is f JSON-escaped with and without HTML escaping.
func jsonForms(f string) []string {
	var out []string
	if b, err := json.Marshal(f); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(f) == nil {
		j := strings.TrimSuffix(buf.String(), "\n")
		out = append(out, j[1:len(j)-1])
	}
	return out
}

// base64Inside is what f reads as inside a longer base64 text, standard or URL alphabet, at each byte
// alignment: the characters that depend on f's bits alone.
func base64Inside(f string) []string {
	var out []string
	for _, e := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := 0; k < 3; k++ {
			full := e.EncodeToString(append(make([]byte, k), f...))
			if from, to := (8*k+5)/6, 8*(k+len(f))/6; to > from {
				out = append(out, full[from:to])
			}
		}
	}
	return out
}

// uniq is list without repeats and without except.
func uniq(list []string, except string) []string {
	var out []string
	for _, f := range list {
		if f != except && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// forms is Forms' first level: s and each single encoding of it.
func forms(s string) []string {
	out := []string{s}
	add := func(f string) {
		for _, o := range out {
			if o == f {
				return
			}
		}
		out = append(out, f)
	}
	if b, err := json.Marshal(s); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) == nil {
		j := strings.TrimSuffix(buf.String(), "\n")
		j = j[1 : len(j)-1]
		add(j)
		add(strings.ReplaceAll(j, "/", `\/`))
	}
	add(html.EscapeString(s))
	add(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s))
	buf.Reset()
	if xml.EscapeText(&buf, []byte(s)) == nil {
		add(buf.String())
	}
	for _, e := range []string{url.QueryEscape(s), url.PathEscape(s)} {
		add(e)
		add(lowerEscapes.ReplaceAllStringFunc(e, strings.ToLower))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add(enc.EncodeToString([]byte(s)))
		raw := enc.WithPadding(base64.NoPadding)
		for k := 0; k < 3; k++ {
			// s at byte offset k of a longer text: the characters that depend on s's bits alone.
			e := raw.EncodeToString(append(make([]byte, k), s...))
			from, to := (8*k+5)/6, 8*(k+len(s))/6
			if to > from {
				add(e[from:to])
			}
		}
	}
	return out
}

// pending is the length of the longest end of data that could be the start of a secret.
func (r *Redactor) pending(data []byte) int {
	r.mu.Lock()
	r.compile()
	gens, first, maxLen := r.gens, r.first, r.maxLen
	r.mu.Unlock()
	for i := max(0, len(data)-maxLen+1); i < len(data); i++ {
		if !first[data[i]] {
			continue
		}
		tail := string(data[i:])
		for _, g := range gens {
			j := sort.SearchStrings(g.sorted, tail)
			if j < len(g.sorted) && strings.HasPrefix(g.sorted[j], tail) {
				return len(data) - i
			}
		}
	}
	return 0
}

// Writer returns a writer that masks secrets on their way to w. It holds back the last bytes of what it
// was given, so that a secret split across two writes is still masked; Flush writes them.
func (r *Redactor) Writer(w io.Writer) *Writer { return &Writer{r: r, w: w} }

// Writer is a redacting io.Writer. Call Flush when done.
type Writer struct {
	r   *Redactor
	w   io.Writer
	mu  sync.Mutex
	buf bytes.Buffer
}

func (x *Writer) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.buf.Write(p)
	// Hold back only an end that could still grow into a secret; everything before it is masked now.
	data := x.buf.Bytes()
	cut := len(data) - x.r.pending(data)
	if cut <= 0 {
		return len(p), nil
	}
	out := x.r.String(string(data[:cut]))
	rest := append([]byte(nil), data[cut:]...)
	x.buf.Reset()
	x.buf.Write(rest)
	if _, err := io.WriteString(x.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what was held back.
func (x *Writer) Flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := x.r.String(x.buf.String())
	x.buf.Reset()
	_, err := io.WriteString(x.w, out)
	return err
}
