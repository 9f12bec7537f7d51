// Package waiver reads the waivers file: known deviations of a target from its documents, each by
// catalogue ID with a reason and an expiry date. A failure of a waived ID is reported as waived, not
// passed and not failed; a waiver past its date fails the run, so a known deviation is looked at again.
//
//	waivers:
//	  - id: KYC-11
//	    provider: pomelo              # optional: the ID names its provider already
//	    reason: the sandbox ignores "-" in sort (PMO-123)
//	    expires: 2027-01-31
package waiver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/config"
)

// Waiver is one known deviation.
type Waiver struct {
	ID      string
	Reason  string
	Expires time.Time // the last day it holds
	Line    int
}

// Expired tells whether the waiver no longer holds on day now.
func (w Waiver) Expired(now time.Time) bool {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).After(w.Expires)
}

// Set is a waivers file.
type Set struct {
	Path string
	List []Waiver
}

// For returns the waiver of the first of ids that has one.
func (s *Set) For(ids []string) (Waiver, bool) {
	if s == nil {
		return Waiver{}, false
	}
	for _, id := range ids {
		for _, w := range s.List {
			if w.ID == id {
				return w, true
			}
		}
	}
	return Waiver{}, false
}

// Keys are the keys of a waiver, each with what it says (README and --help list them).
var Keys = [][2]string{
	{"id", "the catalogue ID whose failures are waived (KYC-11); required"},
	{"provider", "the provider the ID belongs to; optional, checked when given (the ID names its provider already)"},
	{"reason", "why the deviation is known and accepted, with a ticket; required"},
	{"expires", "the last day the waiver holds, YYYY-MM-DD; required. After it the waiver fails the run"},
}

// Load reads and checks the waivers file. Every problem is reported at once, each with its line and
// column, in the form the config file's problems take (*config.Problems).
func Load(path string, cat *catalogue.Catalogue) (*Set, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &checker{probs: &config.Problems{File: path}, cat: cat, seen: map[string]int{}}
	set := &Set{Path: path}
	for i, e := range seqOf(c.list(raw)) {
		if w, ok := c.entry(e, fmt.Sprintf("waivers[%d]", i)); ok {
			set.List = append(set.List, w)
		}
	}
	if len(c.probs.List) > 0 {
		return nil, c.probs
	}
	return set, nil
}

// checker collects the problems of one waivers file.
type checker struct {
	probs *config.Problems
	cat   *catalogue.Catalogue
	seen  map[string]int // id -> line of its first waiver
}

func (c *checker) fail(n *yaml.Node, where, msg string) {
	p := config.Problem{Path: where, Message: msg}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	c.probs.List = append(c.probs.List, p)
}

// list reads the file's YAML and returns its waivers list (nil for an empty file or a problem).
func (c *checker) list(raw []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		c.probs.List = append(c.probs.List, config.SyntaxProblem(raw, err))
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == 0 || (root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		return nil // an empty file waives nothing
	}
	if root.Kind != yaml.MappingNode {
		c.fail(root, "", "want a mapping with one key, waivers")
		return nil
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "waivers" {
			c.fail(k, k.Value, "unknown key (known here: waivers)")
			continue
		}
		list = v
	}
	if list != nil && list.Kind != yaml.SequenceNode && list.Tag != "!!null" {
		c.fail(list, "waivers", "want a list of waivers")
		return nil
	}
	return list
}

// entry checks one waiver; ok is false when it cannot be used at all.
func (c *checker) entry(e *yaml.Node, where string) (Waiver, bool) {
	if e.Kind != yaml.MappingNode {
		c.fail(e, where, "want a waiver: id, reason and expires")
		return Waiver{}, false
	}
	fields := map[string]*yaml.Node{}
	for j := 0; j+1 < len(e.Content); j += 2 {
		k, v := e.Content[j], e.Content[j+1]
		switch {
		case !knownKey(k.Value):
			c.fail(k, where+"."+k.Value, "unknown key (known here: "+keyNames()+")")
		case v.Kind != yaml.ScalarNode:
			c.fail(v, where+"."+k.Value, "want a single value")
		default:
			fields[k.Value] = v
		}
	}
	val := func(k string) string {
		if n := fields[k]; n != nil {
			return strings.TrimSpace(n.Value)
		}
		return ""
	}
	// Every problem of an entry is reported, not only its first: a bad id does not hide a missing
	// reason or a bad date.
	id := val("id")
	entry, known := c.cat.Lookup(id)
	usable := true
	switch {
	case id == "":
		c.fail(e, where, "needs an id (a catalogue ID such as KYC-11)")
		usable = false
	case !known:
		c.fail(fields["id"], where+".id", fmt.Sprintf("%q is not a catalogue ID", id))
		usable = false
	case val("provider") != "" && val("provider") != entry.Provider:
		c.fail(fields["provider"], where+".provider", fmt.Sprintf("%s belongs to %s, not %s", id, entry.Provider, val("provider")))
	}
	if id == "" {
		id = where // the messages below still say which entry
	}
	if val("reason") == "" {
		c.fail(e, where, fmt.Sprintf("%s: needs a reason", id))
	}
	exp, err := time.Parse("2006-01-02", val("expires"))
	if err != nil {
		at := fields["expires"]
		if at == nil {
			at = e
		}
		c.fail(at, where+".expires", fmt.Sprintf("%s: expires %q: want a date, YYYY-MM-DD", id, val("expires")))
	}
	if !usable {
		return Waiver{}, false
	}
	if prev, dup := c.seen[id]; dup {
		c.fail(e, where, fmt.Sprintf("%s is waived already at line %d", id, prev))
	}
	c.seen[id] = e.Line
	return Waiver{ID: id, Reason: val("reason"), Expires: exp, Line: e.Line}, true
}

func seqOf(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func knownKey(k string) bool {
	for _, kv := range Keys {
		if kv[0] == k {
			return true
		}
	}
	return false
}

func keyNames() string {
	names := make([]string, len(Keys))
	for i, kv := range Keys {
		names[i] = kv[0]
	}
	return strings.Join(names, ", ")
}
