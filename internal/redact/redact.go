// Package redact keeps a run's secrets out of everything it writes. The run registers each secret it
// holds or meets (credentials, access tokens, signatures, Authorization headers) and every artefact -
// console, JUnit, cucumber JSON - passes through a Redactor that writes [REDACTED] in their place.
package redact

import (
	"bytes"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Mask is what a secret is replaced with.
const Mask = "[REDACTED]"

// MinLength is the shortest value treated as a secret: shorter ones (a six-digit SMS token aside, which
// is no credential) would mask ordinary words and numbers in the reports.
const MinLength = 8

// Redactor holds the secrets of one run. It is safe for concurrent use; the zero value is ready.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret that contains another is masked whole
	replace *strings.Replacer
}

// Add registers secrets; values shorter than MinLength are ignored. A "Bearer x" value registers x too.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, v := range values {
		for _, s := range []string{strings.TrimSpace(v), strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "Bearer "))} {
			if len(s) < MinLength || slices.Contains(r.secrets, s) {
				continue
			}
			r.secrets = append(r.secrets, s)
			changed = true
			// A PEM key is also written line by line in some messages: each long line is a secret too.
			for _, line := range strings.Split(s, "\n") {
				if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") && !slices.Contains(r.secrets, line) {
					r.secrets = append(r.secrets, line)
				}
			}
		}
	}
	if !changed {
		return
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, Mask)
	}
	r.replace = strings.NewReplacer(pairs...)
}

// String masks every registered secret in s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.replace == nil {
		return s
	}
	return r.replace.Replace(s)
}

// Bytes masks every registered secret in b.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// pending is the length of the longest end of data that could be the start of a secret.
func (r *Redactor) pending(data []byte) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k := 0
	for _, sec := range r.secrets {
		for l := min(len(sec)-1, len(data)); l > k; l-- {
			if bytes.HasSuffix(data, []byte(sec[:l])) {
				k = l
				break
			}
		}
	}
	return k
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
