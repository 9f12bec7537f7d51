package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/featureset"
)

// DocumentVersion is the version of the JSON report's layout (schemas/report.schema.json).
const DocumentVersion = 1

// Document is a run's facts for machines (--report-json), and what the HTML report, the Markdown job
// summary and `conformance merge` are made from. Every text in it is masked already.
type Document struct {
	Version   int           `json:"version"`
	Tool      Tool          `json:"tool"`
	Started   time.Time     `json:"started"`
	ElapsedMS int64         `json:"elapsed_ms"`
	Seed      int64         `json:"seed,omitempty"`
	Shard     string        `json:"shard,omitempty"` // "I/N" for one shard of a split run
	Stopped   string        `json:"stopped,omitempty"`
	Exit      int           `json:"exit"`
	Verdict   string        `json:"verdict"` // the exit code's reason, one line
	Totals    Totals        `json:"totals"`
	Targets   []TargetLine  `json:"targets"`
	Providers []ProviderDoc `json:"providers"`
	Scenarios []ScenarioDoc `json:"scenarios"`
	// Parsed lists every scenario of the feature set (not only those this run or shard ran), so that
	// merged shards tell an ID no scenario names from one whose scenarios ran elsewhere.
	Parsed  []ParsedDoc `json:"parsed"`
	Waivers WaiversDoc  `json:"waivers"`
	Gates   []string    `json:"gates,omitempty"` // each gate not met (--min-coverage, --fail-on-skipped)
	// Boundary are a boundary run's figures (run --boundary); nil for a suite run.
	Boundary *BoundaryDoc `json:"boundary,omitempty"`
}

// Tool names the harness that wrote the document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
}

// Totals counts scenarios by status.
type Totals struct {
	Scenarios int `json:"scenarios"`
	Passed    int `json:"passed"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
	Undefined int `json:"undefined"`
	Waived    int `json:"waived"`
	NotJudged int `json:"not_judged"`
}

// ProviderDoc is one provider's catalogue coverage: every ID with the scenarios that name it.
type ProviderDoc struct {
	Provider string       `json:"provider"`
	Title    string       `json:"title"`
	Required int          `json:"required"`
	Proven   int          `json:"proven"`
	Percent  float64      `json:"percent"` // proven of required, 0-100
	IDs      []IDDoc      `json:"ids"`
	Findings []FindingDoc `json:"findings"`
}

// IDDoc is one catalogue entry in a run.
type IDDoc struct {
	ID        string        `json:"id"`
	Behaviour string        `json:"behaviour"`
	Scope     string        `json:"scope"`
	State     string        `json:"state"` // proven, failed, skipped, missing, planned, waived, not judged
	Issue     int           `json:"issue,omitempty"`
	Scenarios []ScenarioRef `json:"scenarios"`
}

// ScenarioRef points at a scenario of Document.Scenarios.
type ScenarioRef struct {
	Feature string `json:"feature"`
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Why     string `json:"why,omitempty"` // why it was skipped, waived or not judged
}

// FindingDoc is a documentation finding and which reading held.
type FindingDoc struct {
	ID     string   `json:"id"`
	Text   string   `json:"text"`
	Passed int      `json:"passed"` // scenarios whose reading held
	Failed int      `json:"failed"`
	Held   string   `json:"held"` // in words
	Notes  []string `json:"notes,omitempty"`
}

// ScenarioDoc is one scenario that ran.
type ScenarioDoc struct {
	Feature    string    `json:"feature"`
	Line       int       `json:"line"`
	Name       string    `json:"name"`
	Provider   string    `json:"provider"`
	Tags       []string  `json:"tags"`
	IDs        []string  `json:"ids"`
	Status     Status    `json:"status"`
	Message    string    `json:"message,omitempty"`
	DurationMS float64   `json:"duration_ms"`
	Started    time.Time `json:"started,omitempty"`
	Drift      []string  `json:"drift,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
	Exchange   *Exchange `json:"exchange,omitempty"`
}

// ParsedDoc is a scenario of the feature set.
type ParsedDoc struct {
	Feature  string   `json:"feature"`
	Line     int      `json:"line"`
	Name     string   `json:"name"`
	Provider string   `json:"provider"`
	Tags     []string `json:"tags"`
}

// WaiversDoc is the waiver file of the run and what became of it.
type WaiversDoc struct {
	File    string      `json:"file,omitempty"`
	List    []WaiverDoc `json:"list,omitempty"`
	Expired []string    `json:"expired,omitempty"`
	Stale   []string    `json:"stale,omitempty"`
}

// WaiverDoc is one waiver.
type WaiverDoc struct {
	ID      string `json:"id"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"` // YYYY-MM-DD
	Line    int    `json:"line"`
}

// CountTotals counts scenarios by status.
func CountTotals(scenarios []Scenario) Totals {
	t := Totals{Scenarios: len(scenarios)}
	for _, s := range scenarios {
		switch s.Status {
		case Passed:
			t.Passed++
		case Failed:
			t.Failed++
		case Skipped:
			t.Skipped++
		case Undefined:
			t.Undefined++
		case Waived:
			t.Waived++
		case NotJudged:
			t.NotJudged++
		}
	}
	return t
}

// FillCoverage sets d.Providers from the coverage, the catalogue and d.Scenarios.
func (d *Document) FillCoverage(cat *catalogue.Catalogue, cov []ProviderCoverage) {
	byID := map[string][]ScenarioRef{}
	for _, s := range d.Scenarios {
		for _, id := range s.IDs {
			ref := ScenarioRef{Feature: s.Feature, Line: s.Line, Name: s.Name, Status: s.Status}
			if s.Status == Skipped || s.Status == Waived || s.Status == NotJudged {
				ref.Why = s.Message
			}
			byID[id] = append(byID[id], ref)
		}
	}
	d.Providers = nil
	for _, pc := range cov {
		pd := ProviderDoc{Provider: pc.Provider, Title: pc.Title, Required: pc.Required, Proven: pc.Proven,
			Percent: Percent(pc.Proven, pc.Required), IDs: []IDDoc{}, Findings: []FindingDoc{}}
		for _, c := range pc.IDs {
			e, _ := cat.Lookup(c.ID)
			refs := byID[c.ID]
			if refs == nil {
				refs = []ScenarioRef{}
			}
			pd.IDs = append(pd.IDs, IDDoc{ID: c.ID, Behaviour: e.Behaviour, Scope: e.Scope, State: c.State, Issue: c.Issue, Scenarios: refs})
		}
		for _, f := range pc.Findings {
			pd.Findings = append(pd.Findings, FindingDoc{ID: f.ID, Text: f.Text, Passed: f.Passed, Failed: f.Failed,
				Held: Held(f), Notes: f.Notes})
		}
		d.Providers = append(d.Providers, pd)
	}
}

// Held says in words which reading of a finding held in the run.
func Held(f FindingCoverage) string {
	switch {
	case f.Passed+f.Failed == 0:
		return "no scenario exercises it"
	default:
		return fmt.Sprintf("the harness's reading held in %d of %d scenarios", f.Passed, f.Passed+f.Failed)
	}
}

// Percent is part of whole as a percentage with one decimal; 100 for an empty whole.
func Percent(part, whole int) float64 {
	if whole == 0 {
		return 100
	}
	return float64(int(float64(part)*1000/float64(whole))) / 10
}

// ScenarioDocs turns results into the document's form.
func ScenarioDocs(results []Scenario) []ScenarioDoc {
	out := make([]ScenarioDoc, 0, len(results))
	for _, s := range results {
		ids := idsOf(s.Tags)
		if ids == nil {
			ids = []string{}
		}
		tags := s.Tags
		if tags == nil {
			tags = []string{}
		}
		out = append(out, ScenarioDoc{Feature: s.Feature, Line: s.Line, Name: s.Name, Provider: s.Provider, Tags: tags, IDs: ids,
			Status: s.Status, Message: s.Message, DurationMS: float64(s.Duration.Microseconds()) / 1000, Started: s.Started,
			Drift: s.Drift, Notes: s.Notes, Exchange: s.Exchange})
	}
	return out
}

// Results turns the document's scenarios back into results (conformance merge).
func (d *Document) Results() []Scenario {
	out := make([]Scenario, 0, len(d.Scenarios))
	for _, s := range d.Scenarios {
		out = append(out, Scenario{Name: s.Name, Feature: s.Feature, Line: s.Line, Provider: s.Provider, Tags: s.Tags,
			Status: s.Status, Message: s.Message, Duration: time.Duration(s.DurationMS * float64(time.Millisecond)),
			Started: s.Started, Drift: s.Drift, Notes: s.Notes, Exchange: s.Exchange})
	}
	return out
}

// ParsedScenarios turns the document's feature set back into parsed scenarios.
func (d *Document) ParsedScenarios() []featureset.Scenario {
	out := make([]featureset.Scenario, 0, len(d.Parsed))
	for _, p := range d.Parsed {
		out = append(out, featureset.Scenario{Name: p.Name, URI: p.Feature, Line: p.Line, Tags: p.Tags, IDs: idsOf(p.Tags), Provider: p.Provider})
	}
	return out
}

// ParsedDocs turns the feature set into the document's form.
func ParsedDocs(parsed []featureset.Scenario) []ParsedDoc {
	out := make([]ParsedDoc, 0, len(parsed))
	for _, p := range parsed {
		tags := p.Tags
		if tags == nil {
			tags = []string{}
		}
		out = append(out, ParsedDoc{Feature: p.URI, Line: p.Line, Name: p.Name, Provider: p.Provider, Tags: tags})
	}
	return out
}

// WriteJSONFile writes d to path, whole or not at all.
func WriteJSONFile(path string, d *Document) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return WriteAtomic(path, append(b, '\n'), 0o644)
}

// ReadJSONFile reads a document written by WriteJSONFile.
func ReadJSONFile(path string) (*Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: not a conformance JSON report: %v", path, err)
	}
	if d.Version != DocumentVersion {
		return nil, fmt.Errorf("%s: report version %d, this conformance reads version %d", path, d.Version, DocumentVersion)
	}
	return &d, nil
}

// BoundaryDoc is a boundary run's figures (conformance run --boundary): per provider, the request
// constraints of its contract, the cases derived from them and how they fared.
type BoundaryDoc struct {
	Seed      int64           `json:"seed"`
	Providers []BoundaryCount `json:"providers"`
}

// BoundaryCount is one provider's line of BoundaryDoc.
type BoundaryCount struct {
	Provider    string `json:"provider"`
	Constraints int    `json:"constraints"`
	Cases       int    `json:"cases"`
	Accept      int    `json:"accept"` // cases the contract says the provider accepts
	Refuse      int    `json:"refuse"` // cases it says the provider refuses in its documented error shape
	Passed      int    `json:"passed"`
	Failed      int    `json:"failed"`
	Other       int    `json:"other"` // skipped or not judged
}

// WriteBoundary prints a boundary run's figures, a line per provider.
func WriteBoundary(w io.Writer, b *BoundaryDoc) {
	if b == nil {
		return
	}
	fmt.Fprintf(w, "Boundary cases (seed %d; --seed %d repeats them):\n", b.Seed, b.Seed)
	for _, p := range b.Providers {
		fmt.Fprintf(w, "  %-12s %3d constraints, %3d cases (%d to accept, %d to refuse): %d passed, %d failed", p.Provider, p.Constraints, p.Cases, p.Accept, p.Refuse, p.Passed, p.Failed)
		if p.Other > 0 {
			fmt.Fprintf(w, ", %d skipped or not judged", p.Other)
		}
		fmt.Fprintln(w)
	}
}
