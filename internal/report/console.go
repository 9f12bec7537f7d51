package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/featureset"
)

// TargetLine describes where a provider's requests went, for the summary.
type TargetLine struct {
	Provider string `json:"provider"`
	BaseURL  string `json:"base_url"`
	Embedded bool   `json:"embedded"`         // an embedded mock of this process
	Control  bool   `json:"control"`          // the target offers the mock control API
	Limits   string `json:"limits,omitempty"` // what paced its requests ("10 requests/s, 8 at once"); "" for none
}

// Summary is what the console report prints after godog's own output.
type Summary struct {
	Scenarios []Scenario
	Coverage  []ProviderCoverage
	Targets   []TargetLine
	Elapsed   time.Duration
	Seed      int64 // random order seed, 0 for file order
	// ExpiredWaivers describes each waiver past its date ("KYC-11 expired on 2026-10-31: reason").
	ExpiredWaivers []string
	// StaleWaivers describes each waiver in force that matched no failure.
	StaleWaivers []string
}

func idsOf(tags []string) []string {
	var out []string
	for _, t := range tags {
		if m := featureset.IDTag.FindStringSubmatch(t); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

func label(s Scenario) string {
	ids := idsOf(s.Tags)
	where := s.Feature
	if s.Line > 0 {
		where = fmt.Sprintf("%s:%d", s.Feature, s.Line)
	}
	if len(ids) == 0 {
		return fmt.Sprintf("%s (%s)", s.Name, where)
	}
	return fmt.Sprintf("[%s] %s (%s)", strings.Join(ids, " "), s.Name, where)
}

// Write prints the summary: counts, targets, failures with their catalogue IDs and messages, skipped
// scenarios with their reasons, coverage per provider and the documentation findings.
func (s Summary) Write(w io.Writer) {
	t := CountTotals(s.Scenarios)
	waived := ""
	if t.Waived > 0 {
		waived = fmt.Sprintf(", %d waived", t.Waived)
	}
	if t.NotJudged > 0 {
		waived += fmt.Sprintf(", %d not judged", t.NotJudged)
	}
	fmt.Fprintf(w, "\n== conformance: %d scenarios: %d passed, %d failed, %d skipped, %d undefined%s (%s)\n",
		t.Scenarios, t.Passed, t.Failed, t.Skipped, t.Undefined, waived, s.Elapsed.Round(time.Millisecond))
	if len(s.ExpiredWaivers) > 0 {
		fmt.Fprintln(w, "Expired waivers (each fails the run until it is renewed or removed):")
		for _, e := range s.ExpiredWaivers {
			fmt.Fprintf(w, "  - %s\n", e)
		}
	}
	if len(s.StaleWaivers) > 0 {
		fmt.Fprintln(w, "Stale waivers (in force, but nothing they excuse failed; they do not fail the run):")
		for _, e := range s.StaleWaivers {
			fmt.Fprintf(w, "  - %s\n", e)
		}
	}
	if s.Seed != 0 {
		fmt.Fprintf(w, "Random order: --random %d repeats it\n", s.Seed)
	}
	width := 0 // of the longest provider name, so that columns line up
	for _, t := range s.Targets {
		width = max(width, len(t.Provider))
	}
	for _, pc := range s.Coverage {
		width = max(width, len(pc.Provider))
	}
	indent := strings.Repeat(" ", width+3)
	fmt.Fprintln(w, "Targets:")
	for _, t := range s.Targets {
		kind, ctl := "embedded mock", "control API"
		if !t.Embedded {
			kind = "external"
		}
		if !t.Control {
			ctl = "no control API"
		}
		limits := ""
		if t.Limits != "" {
			limits = "; " + t.Limits
		}
		fmt.Fprintf(w, "  %-*s %s (%s, %s%s)\n", width, t.Provider, t.BaseURL, kind, ctl, limits)
	}
	section := func(title string, st Status) {
		first := true
		for _, sc := range s.Scenarios {
			if sc.Status != st {
				continue
			}
			if first {
				fmt.Fprintf(w, "%s:\n", title)
				first = false
			}
			fmt.Fprintf(w, "  - %s\n", label(sc))
			if sc.Message != "" {
				fmt.Fprintf(w, "      %s\n", sc.Message)
			}
		}
	}
	section("Failed", Failed)
	notJudged(w, s.Scenarios)
	drift := map[string]int{}
	var order []string
	for _, sc := range s.Scenarios {
		for _, d := range sc.Drift {
			if drift[d] == 0 {
				order = append(order, d)
			}
			drift[d]++
		}
	}
	if len(order) > 0 {
		sort.Strings(order)
		fmt.Fprintln(w, "Drift (answers beyond the provider's documents; warnings, which --strict-drift makes failures):")
		for _, d := range order {
			fmt.Fprintf(w, "  - %s (%d %s)\n", d, drift[d], map[bool]string{true: "scenario", false: "scenarios"}[drift[d] == 1])
		}
	}
	section("Undefined steps (the suite is broken, not the provider)", Undefined)
	section("Waived (known deviations, listed in the waivers file)", Waived)
	section("Skipped", Skipped)
	fmt.Fprintln(w, "Coverage of the catalogue:")
	for _, pc := range s.Coverage {
		fmt.Fprintf(w, "  %-*s %d/%d IDs proven (%s)\n", width, pc.Provider, pc.Proven, pc.Required, pc.Title)
		byState := map[string][]string{}
		for _, c := range pc.IDs {
			id := c.ID
			if c.State == Planned {
				id = fmt.Sprintf("%s (issue %d)", c.ID, c.Issue)
			}
			byState[c.State] = append(byState[c.State], id)
		}
		for _, st := range []string{Broken, NotJudgedID, WaivedID, Missing, NotRun, Planned} {
			if ids := byState[st]; len(ids) > 0 {
				fmt.Fprintf(w, "%s%s: %s\n", indent, st, strings.Join(ids, ", "))
			}
		}
	}
	first := true
	for _, pc := range s.Coverage {
		for _, f := range pc.Findings {
			if first {
				fmt.Fprintln(w, "Documentation findings (contradictions in the provider's documents; the harness follows the seed):")
				first = false
			}
			fmt.Fprintf(w, "  %-6s %s [%s]\n", f.ID, f.Text, Held(f))
			for _, n := range f.Notes {
				fmt.Fprintf(w, "         found: %s\n", n)
			}
		}
	}
}

// notJudged lists the scenarios that got no judgeable answer as one line per provider and reason, with
// a count: a target that died mid-run is one line, not hundreds.
func notJudged(w io.Writer, all []Scenario) {
	type group struct {
		why   string
		count int
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, sc := range all {
		if sc.Status != NotJudged {
			continue
		}
		g := byKey[sc.Message]
		if g == nil {
			g = &group{why: sc.Message}
			byKey[sc.Message] = g
			groups = append(groups, g)
		}
		g.count++
	}
	if len(groups) == 0 {
		return
	}
	fmt.Fprintln(w, "Not judged (no answer to judge: infrastructure, not conformance; no catalogue ID counts them):")
	for _, g := range groups {
		fmt.Fprintf(w, "  - %s: %d %s\n", g.why, g.count, map[bool]string{true: "scenario", false: "scenarios"}[g.count == 1])
	}
}
