// Package catalogue is the project's machine-readable copy of ../shared/spec/catalogue.md: every
// documented behaviour with its stable ID, which provider it belongs to, and whether this project must
// prove it now ("required") or a later issue owns it ("planned"); plus the documentation findings (DOC-xx).
package catalogue

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/latam-conformance/conformance/internal/featureset"
)

//go:embed catalogue.json
var raw []byte

// Entry is one documented behaviour.
type Entry struct {
	ID        string `json:"id"`
	Provider  string `json:"provider"`
	Behaviour string `json:"behaviour"`
	Source    string `json:"source"`
	Scope     string `json:"scope"` // required | planned
	Issue     int    `json:"issue,omitempty"`
}

// Finding is a documentation contradiction the harness reports.
type Finding struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Text     string `json:"text"`
}

// ProviderInfo names a provider and its seed.
type ProviderInfo struct {
	Title string `json:"title"`
	Seed  string `json:"seed"`
}

// Catalogue is the whole catalogue.
type Catalogue struct {
	Providers map[string]ProviderInfo `json:"providers"`
	Entries   []Entry                 `json:"entries"`
	Findings  []Finding               `json:"findings"`
	byID      map[string]Entry
}

// Load parses the embedded catalogue and checks it is consistent.
func Load() (*Catalogue, error) { return parse(raw) }

func parse(b []byte) (*Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("catalogue.json: %w", err)
	}
	c.byID = map[string]Entry{}
	for _, e := range c.Entries {
		if _, dup := c.byID[e.ID]; dup {
			return nil, fmt.Errorf("catalogue.json: %s listed twice", e.ID)
		}
		if _, ok := c.Providers[e.Provider]; !ok {
			return nil, fmt.Errorf("catalogue.json: %s names unknown provider %q", e.ID, e.Provider)
		}
		if e.Scope != "required" && e.Scope != "planned" {
			return nil, fmt.Errorf("catalogue.json: %s has scope %q (want required or planned)", e.ID, e.Scope)
		}
		c.byID[e.ID] = e
	}
	return &c, nil
}

// Known reports whether id is an entry or a finding.
func (c *Catalogue) Known(id string) bool {
	if _, ok := c.byID[id]; ok {
		return true
	}
	for _, f := range c.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// ForProvider lists a provider's entries in catalogue order.
func (c *Catalogue) ForProvider(p string) []Entry {
	var out []Entry
	for _, e := range c.Entries {
		if e.Provider == p {
			out = append(out, e)
		}
	}
	return out
}

// FindingsFor lists a provider's documentation findings.
func (c *Catalogue) FindingsFor(p string) []Finding {
	var out []Finding
	for _, f := range c.Findings {
		if f.Provider == p {
			out = append(out, f)
		}
	}
	return out
}

// Gaps checks a feature set against the catalogue: every required entry of the given providers must be
// named by a scenario, and every ID a scenario names must exist. It returns one line per problem.
func (c *Catalogue) Gaps(scenarios []featureset.Scenario, providers []string) []string {
	named := map[string]bool{}
	var problems []string
	for _, s := range scenarios {
		for _, id := range s.IDs {
			named[id] = true
			if !c.Known(id) {
				problems = append(problems, fmt.Sprintf("%s: tag @%s is not in the catalogue", s.Where(), id))
			}
		}
	}
	for _, p := range providers {
		for _, e := range c.ForProvider(p) {
			if e.Scope == "required" && !named[e.ID] {
				problems = append(problems, fmt.Sprintf("%s (%s) has no scenario tagged @%s", e.ID, p, e.ID))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// IDsIn lists the IDs mentioned in a catalogue.md text (its table rows), to compare copies.
func IDsIn(markdown string) []string {
	var out []string
	for _, line := range strings.Split(markdown, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cell := strings.TrimSpace(strings.SplitN(strings.TrimPrefix(line, "| "), "|", 2)[0])
		if featureset.IDTag.MatchString("@" + cell) {
			out = append(out, cell)
		}
	}
	sort.Strings(out)
	return out
}

// Lookup finds an entry by ID.
func (c *Catalogue) Lookup(id string) (Entry, bool) {
	e, ok := c.byID[id]
	return e, ok
}
