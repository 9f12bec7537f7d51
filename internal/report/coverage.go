package report

import (
	"slices"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/featureset"
)

// ID states in a coverage report.
const (
	Proven   = "proven"  // at least one scenario ran and every scenario that ran passed
	Broken   = "failed"  // a scenario tagged with it failed
	NotRun   = "skipped" // its scenarios were skipped or filtered out by --tags
	Missing  = "missing" // required, but no scenario names it
	Planned  = "planned" // owned by a later issue
	WaivedID = "waived"  // its scenarios failed under a waiver in force
	// NotJudgedID: a scenario of it got no answer to judge (a target down, an interrupted run).
	NotJudgedID = "not judged"
)

// IDCoverage is one catalogue entry's state in a run.
type IDCoverage struct {
	ID    string
	State string
	Issue int // for planned entries
}

// ProviderCoverage is the coverage of one provider.
type ProviderCoverage struct {
	Provider string
	Title    string
	Required int // entries in scope
	Proven   int
	IDs      []IDCoverage
	Findings []FindingCoverage
}

// FindingCoverage is a documentation finding with the scenarios of the run that exercise the harness's
// reading of it.
type FindingCoverage struct {
	catalogue.Finding
	Passed, Failed int
	Notes          []string // what the scenarios found out (which signing schemes the target accepts, DOC-17)
}

// Coverage computes, per provider of the run, the state of each catalogue entry from the scenarios that
// exist (parsed) and those that ran (results).
func Coverage(cat *catalogue.Catalogue, parsed []featureset.Scenario, results []Scenario, providers []string) []ProviderCoverage {
	exists := map[string]bool{}
	for _, s := range parsed {
		for _, id := range s.IDs {
			exists[id] = true
		}
	}
	type tally struct {
		passed, failed, waived, notJudged int
		notes                             []string
	}
	ran := map[string]*tally{}
	for _, r := range results {
		for _, t := range r.Tags {
			m := featureset.IDTag.FindStringSubmatch(t)
			if m == nil {
				continue
			}
			if ran[m[1]] == nil {
				ran[m[1]] = &tally{}
			}
			for _, n := range r.Notes {
				if !slices.Contains(ran[m[1]].notes, n) {
					ran[m[1]].notes = append(ran[m[1]].notes, n)
				}
			}
			switch r.Status {
			case Passed:
				ran[m[1]].passed++
			case Failed, Undefined:
				ran[m[1]].failed++
			case Waived:
				ran[m[1]].waived++
			case NotJudged:
				ran[m[1]].notJudged++
			}
		}
	}
	var out []ProviderCoverage
	for _, p := range providers {
		pc := ProviderCoverage{Provider: p, Title: cat.Providers[p].Title}
		for _, f := range cat.FindingsFor(p) {
			fc := FindingCoverage{Finding: f}
			if t := ran[f.ID]; t != nil {
				fc.Passed, fc.Failed, fc.Notes = t.passed, t.failed, t.notes
			}
			pc.Findings = append(pc.Findings, fc)
		}
		for _, e := range cat.ForProvider(p) {
			c := IDCoverage{ID: e.ID}
			t := ran[e.ID]
			switch {
			case e.Scope == "planned" && !exists[e.ID]:
				c.State, c.Issue = Planned, e.Issue
			case !exists[e.ID]:
				c.State = Missing
			case t != nil && t.failed > 0:
				c.State = Broken
			case t != nil && t.notJudged > 0:
				c.State = NotJudgedID
			case t != nil && t.waived > 0:
				c.State = WaivedID
			case t != nil && t.passed > 0:
				c.State = Proven
			default:
				c.State = NotRun
			}
			if e.Scope == "required" {
				pc.Required++
				if c.State == Proven {
					pc.Proven++
				}
			}
			pc.IDs = append(pc.IDs, c)
		}
		out = append(out, pc)
	}
	return out
}
