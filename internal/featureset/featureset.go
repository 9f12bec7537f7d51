// Package featureset parses Gherkin feature files into the scenarios godog will run (outline rows
// expanded), with their tags and the catalogue IDs those tags name. The runner parses first so that a
// malformed feature is a one-line usage error rather than a run that half happens.
package featureset

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
)

// IDTag matches a tag that names a catalogue entry or a documentation finding: @BAAS-12, @DOC-13.
var IDTag = regexp.MustCompile(`^@((?:BAAS|KYC|KYB|GU1|PI|DOC)-[0-9]{2})$`)

// Scenario is one runnable scenario (an outline contributes one per example row).
type Scenario struct {
	Name string
	URI  string // path of the feature file within the feature set
	Line int    // line of the scenario (or of the example row)
	// ScenarioLine is the line of the Scenario (Outline) keyword: what godog's path:LINE selects, every
	// example row of an outline at once.
	ScenarioLine int
	Steps        []Step // the steps it runs, its Background's first

	Tags     []string
	IDs      []string // catalogue IDs named by tags, sorted
	Provider string   // the first path element of URI: features/<provider>/x.feature
}

// Step is one step of a scenario as it runs.
type Step struct {
	Text string
	Line int
}

// Where is "uri:line".
func (s Scenario) Where() string { return s.URI + ":" + strconv.Itoa(s.Line) }

// Parse reads every *.feature below root in fsys. A file that does not parse is an error naming the file
// and the line.
func Parse(fsys fs.FS, root string) ([]Scenario, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".feature") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .feature files under %s", root)
	}
	sort.Strings(files)
	var out []Scenario
	for _, f := range files {
		sc, err := parseFile(fsys, f)
		if err != nil {
			return nil, err
		}
		out = append(out, sc...)
	}
	return out, nil
}

func parseFile(fsys fs.FS, f string) ([]Scenario, error) {
	raw, err := fs.ReadFile(fsys, f)
	if err != nil {
		return nil, fmt.Errorf("read feature %s: %w", f, err)
	}
	ids := &messages.Incrementing{}
	doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(raw), ids.NewId)
	if err != nil {
		return nil, syntaxError(f, err)
	}
	if doc.Feature == nil {
		return nil, fmt.Errorf("malformed feature file %s: no Feature", f)
	}
	lines := map[string]int{}
	indexLines(doc.Feature.Children, lines)
	var out []Scenario
	for _, p := range gherkin.Pickles(*doc, f, ids.NewId) {
		s := Scenario{Name: p.Name, URI: f, ScenarioLine: lines[p.AstNodeIds[0]]}
		for _, st := range p.Steps {
			s.Steps = append(s.Steps, Step{Text: st.Text, Line: lines[st.AstNodeIds[0]]})
		}
		for _, id := range p.AstNodeIds {
			if l, ok := lines[id]; ok {
				s.Line = l // the last node id of an outline pickle is its example row
			}
		}
		seen := map[string]bool{}
		for _, t := range p.Tags {
			if seen[t.Name] {
				continue
			}
			seen[t.Name] = true
			s.Tags = append(s.Tags, t.Name)
			if m := IDTag.FindStringSubmatch(t.Name); m != nil {
				s.IDs = append(s.IDs, m[1])
			}
		}
		sort.Strings(s.IDs)
		if parts := strings.Split(path.Clean(f), "/"); len(parts) > 1 {
			s.Provider = parts[len(parts)-2]
		}
		out = append(out, s)
	}
	return out, nil
}

// gherkinError is one error of gherkin's "Parser errors:\n(12:3): expected: #EOF, #TableRow, …, got
// '…'" (one line per error).
var gherkinError = regexp.MustCompile(`\((\d+):(\d+)\): (?:expected: (.*), got '(.*)'|(.*))`)

// tokenWords says what gherkin's tokens are, in the words of someone writing a feature file.
var tokenWords = map[string]string{"#EOF": "the end of the file", "#TableRow": "a table row", "#DocStringSeparator": "a doc string",
	"#StepLine": "a step", "#TagLine": "a tag", "#ExamplesLine": "Examples:", "#ScenarioLine": "a Scenario", "#RuleLine": "a Rule",
	"#Comment": "a comment", "#Empty": "a blank line", "#FeatureLine": "Feature:", "#BackgroundLine": "Background:",
	"#Language": "a # language line", "#Other": "free text"}

// syntaxError is a malformed feature file as one short line: "FILE:LINE:COL: Gherkin syntax error: …".
func syntaxError(file string, err error) error {
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(err.Error()), "Parser errors:")), "\n")
	more := ""
	if n := len(lines) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more)", n)
	}
	m := gherkinError.FindStringSubmatch(lines[0])
	if m == nil {
		return fmt.Errorf("%s: Gherkin syntax error: %s%s", file, strings.Join(strings.Fields(lines[0]), " "), more)
	}
	if m[3] == "" {
		return fmt.Errorf("%s:%s:%s: Gherkin syntax error: %s%s", file, m[1], m[2], strings.TrimSpace(m[5]), more)
	}
	var want []string
	for _, t := range strings.Split(m[3], ", ") {
		if w, ok := tokenWords[t]; ok {
			want = append(want, w)
		}
	}
	got := strings.TrimSpace(m[4])
	if len(got) > 60 {
		got = got[:60] + "…"
	}
	return fmt.Errorf("%s:%s:%s: Gherkin syntax error: %q is not %s%s", file, m[1], m[2], got, orList(want), more)
}

func orList(words []string) string {
	switch len(words) {
	case 0:
		return "expected here"
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func indexLines(children []*messages.FeatureChild, lines map[string]int) {
	for _, c := range children {
		if c.Rule != nil {
			for _, rc := range c.Rule.Children {
				indexLines([]*messages.FeatureChild{{Scenario: rc.Scenario, Background: rc.Background}}, lines)
			}
		}
		if c.Background != nil {
			for _, st := range c.Background.Steps {
				lines[st.Id] = int(st.Location.Line)
			}
		}
		if c.Scenario == nil {
			continue
		}
		lines[c.Scenario.Id] = int(c.Scenario.Location.Line)
		for _, st := range c.Scenario.Steps {
			lines[st.Id] = int(st.Location.Line)
		}
		for _, ex := range c.Scenario.Examples {
			for _, row := range ex.TableBody {
				lines[row.Id] = int(row.Location.Line)
			}
		}
	}
}

// Matcher is a compiled --tags expression, read the way godog reads it: "&&" joins groups that must all
// hold, "," joins tags of which one must, "~" negates a tag, and the "@" is optional.
type Matcher struct{ groups [][]string }

// CompileTags checks and compiles a --tags expression; "" matches every scenario. godog itself would
// panic on an empty tag ("@a,,@b"); here it is an error.
func CompileTags(expr string) (*Matcher, error) {
	m := &Matcher{}
	if strings.TrimSpace(expr) == "" {
		return m, nil
	}
	for _, group := range strings.Split(expr, "&&") {
		var terms []string
		for _, term := range strings.Split(group, ",") {
			term = strings.ReplaceAll(strings.TrimSpace(term), "@", "")
			if !tagTerm.MatchString(term) {
				return nil, fmt.Errorf("--tags %q: %q is not a tag: each term is one tag such as @BAAS-12 or ~@control, joined by ',' (or) and '&&' (and), without parentheses", expr, term)
			}
			terms = append(terms, term)
		}
		m.groups = append(m.groups, terms)
	}
	return m, nil
}

// tagTerm is one term of a --tags expression: a tag name (letters, digits, - _ . :), negated with ~.
var tagTerm = regexp.MustCompile(`^~?[A-Za-z0-9_.:-]+$`)

// Tags lists the tags the expression asks for (its terms without ~).
func (m *Matcher) Tags() []string {
	var out []string
	for _, g := range m.groups {
		for _, t := range g {
			out = append(out, strings.TrimPrefix(t, "~"))
		}
	}
	return out
}

// Match tells whether a scenario with these tags runs.
func (m *Matcher) Match(tags []string) bool {
	has := func(name string) bool {
		for _, t := range tags {
			if strings.TrimPrefix(t, "@") == name {
				return true
			}
		}
		return false
	}
	for _, group := range m.groups {
		ok := false
		for _, term := range group {
			if neg, found := strings.CutPrefix(term, "~"); found {
				ok = ok || !has(neg)
			} else {
				ok = ok || has(term)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
