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

// Load reads and checks the file: every entry needs a catalogue ID, a reason and an expiry date; each
// problem is named with its line.
func Load(path string, cat *catalogue.Catalogue) (*Set, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Waivers []struct {
			ID       string `yaml:"id"`
			Provider string `yaml:"provider"`
			Reason   string `yaml:"reason"`
			Expires  string `yaml:"expires"`
			Line     int    `yaml:"-"`
		} `yaml:"waivers"`
	}
	var node yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&node); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: not valid YAML: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if node.Kind != 0 {
		if err := decodeStrict(&node, &doc); err != nil {
			return nil, fmt.Errorf("%s: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	lines := entryLines(&node)
	set := &Set{Path: path}
	var problems []string
	seen := map[string]int{}
	for i, e := range doc.Waivers {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		where := fmt.Sprintf("%s:%d: waiver %d", path, line, i+1)
		entry, known := cat.Lookup(e.ID)
		switch {
		case e.ID == "":
			problems = append(problems, where+": needs an id (a catalogue ID such as KYC-11)")
			continue
		case !known:
			problems = append(problems, fmt.Sprintf("%s: %q is not a catalogue ID", where, e.ID))
			continue
		case e.Provider != "" && e.Provider != entry.Provider:
			problems = append(problems, fmt.Sprintf("%s: %s belongs to %s, not %s", where, e.ID, entry.Provider, e.Provider))
		}
		if strings.TrimSpace(e.Reason) == "" {
			problems = append(problems, fmt.Sprintf("%s (%s): needs a reason", where, e.ID))
		}
		exp, err := time.Parse("2006-01-02", e.Expires)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s (%s): expires %q: want a date, YYYY-MM-DD", where, e.ID, e.Expires))
		}
		if prev, dup := seen[e.ID]; dup {
			problems = append(problems, fmt.Sprintf("%s: %s is waived already at line %d", where, e.ID, prev))
		}
		seen[e.ID] = line
		set.List = append(set.List, Waiver{ID: e.ID, Reason: strings.TrimSpace(e.Reason), Expires: exp, Line: line})
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return set, nil
}

func decodeStrict(n *yaml.Node, v any) error {
	// yaml.v3 checks unknown keys only through a Decoder; re-encode the node for one.
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// entryLines is the line of each entry of the waivers list.
func entryLines(doc *yaml.Node) []int {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "waivers" {
			var out []int
			for _, e := range root.Content[i+1].Content {
				out = append(out, e.Line)
			}
			return out
		}
	}
	return nil
}
