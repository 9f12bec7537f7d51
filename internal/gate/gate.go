// Package gate turns what a team's own client sent to the mocks (their journals) into a verdict per
// catalogue ID: followed, broken (with the exchange that broke it) or not exercised, and the documented
// operations the client never called. The verdict is a runner.Result, so that it is written as every
// run's reports are (console, JUnit, HTML, JSON, job summary).
package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/runner"
	"github.com/latam-conformance/conformance/internal/schema"
)

// Traffic is what one provider's mock journalled while the team's command ran.
type Traffic struct {
	Provider string
	URL      string
	Entries  []mock.Entry
	// Lost counts entries the journal let go before they were read (a journal over its bounds): the
	// verdict cannot speak for them.
	Lost int64
	// Embedded says the mock is this process's own, started for the command.
	Embedded bool
	// Faults are the faults the mock injected while the command ran, with their counts.
	Faults []mock.Fault
}

// Options are what a verdict needs besides the traffic.
type Options struct {
	Catalogue *catalogue.Catalogue
	Schemas   *schema.Registry
	// Providers are the providers the client is gated on. Empty: those it sent anything to.
	Providers []string
	Redactor  *redact.Redactor // masks the credentials handed to the command in every exchange shown
	Started   time.Time
	Elapsed   time.Duration
	// CommandPassed says the team's command exited 0: with faults injected, the client withstood them.
	CommandPassed bool
}

// Judge is the verdict on the client's traffic.
func Judge(traffic []Traffic, o Options) *runner.Result {
	res := &runner.Result{Started: o.Started, Elapsed: o.Elapsed}
	for _, t := range traffic {
		if !inScope(t, o.Providers) {
			continue
		}
		v := judgeProvider(t, o)
		res.Scenarios = append(res.Scenarios, v.scenarios...)
		res.Parsed = append(res.Parsed, v.parsed...)
		res.Coverage = append(res.Coverage, v.coverage)
		res.TargetLines = append(res.TargetLines, report.TargetLine{Provider: t.Provider, BaseURL: t.URL, Embedded: t.Embedded, Control: true})
	}
	return res
}

func inScope(t Traffic, providers []string) bool {
	if len(providers) > 0 {
		return slices.Contains(providers, t.Provider)
	}
	return len(t.Entries) > 0 || t.Lost > 0
}

// idVerdict gathers, for one catalogue ID, the calls that followed and broke it.
type idVerdict struct {
	followed []*mock.Entry
	broken   []*mock.Entry
	notes    []string
}

type providerVerdict struct {
	scenarios []report.Scenario
	parsed    []featureset.Scenario
	coverage  report.ProviderCoverage
}

// judgeProvider gives each request-side catalogue ID of the provider its verdict, then each documented
// operation the client never called its line.
func judgeProvider(t Traffic, o Options) providerVerdict {
	byID := map[string]*idVerdict{}
	at := func(id string) *idVerdict {
		if byID[id] == nil {
			byID[id] = &idVerdict{}
		}
		return byID[id]
	}
	ops := o.Schemas.Operations(t.Provider)
	var ids []string
	for _, op := range ops {
		ids = append(ids, op.CatalogueIDs...)
	}
	called := map[string]int{}
	for i := range t.Entries {
		e := &t.Entries[i]
		called[e.Operation]++
		for _, id := range e.Followed {
			at(id).followed = append(at(id).followed, e)
			ids = append(ids, id) // a webhook's acknowledgement follows a rule of no operation
		}
		if e.Broken != nil {
			for _, id := range e.Broken.IDs {
				at(id).broken = append(at(id).broken, e)
				ids = append(ids, id)
			}
		}
		for _, n := range e.Notes {
			for _, id := range notedIDs(n) {
				if !slices.Contains(at(id).notes, n) {
					at(id).notes = append(at(id).notes, n)
				}
				ids = append(ids, id)
			}
		}
	}
	ids = mock.SortedIDs(ids)

	v := providerVerdict{coverage: report.ProviderCoverage{Provider: t.Provider, Title: o.Catalogue.Providers[t.Provider].Title}}
	file := "client/" + t.Provider
	line := 0
	add := func(s report.Scenario) {
		line++
		s.Feature, s.Line, s.Provider = file, line, t.Provider
		v.scenarios = append(v.scenarios, s)
		v.parsed = append(v.parsed, featureset.Scenario{Name: s.Name, URI: file, Line: line, ScenarioLine: line,
			Tags: s.Tags, IDs: idsOfTags(s.Tags), Provider: t.Provider})
	}
	for _, id := range ids {
		if strings.HasPrefix(id, "DOC-") {
			continue // a finding: it travels with the rule it touches, as its notes and tags
		}
		iv := at(id)
		s := report.Scenario{Name: id + " " + behaviour(o.Catalogue, id), Tags: []string{"@" + t.Provider, "@" + id}}
		for _, n := range iv.notes {
			s.Notes = append(s.Notes, n)
			s.Tags = appendTags(s.Tags, notedIDs(n))
		}
		switch {
		case len(iv.broken) > 0:
			first := iv.broken[0]
			s.Status = report.Failed
			s.Message = fmt.Sprintf("broken by %d of the client's calls; first: %s %s answered %d: %s",
				len(iv.broken), first.Method, first.Path, first.Status, first.Broken.Rule)
			s.Tags = appendTags(s.Tags, first.Broken.IDs)
			s.Exchange = exchange(first, o.Redactor)
		case len(iv.followed) > 0:
			s.Status = report.Passed
			s.Message = fmt.Sprintf("followed by %d of the client's calls", len(iv.followed))
			if len(iv.notes) > 0 {
				s.Message += "; noted: " + strings.Join(iv.notes, "; ")
			}
		default:
			s.Status = report.Skipped
			s.Message = "not exercised: the client made no call that this rule judges (an accepted call of an operation it governs)"
		}
		add(s)
		v.coverage.IDs = append(v.coverage.IDs, report.IDCoverage{ID: id, State: state(s.Status)})
		v.coverage.Required++
		if s.Status == report.Passed {
			v.coverage.Proven++
		}
	}
	for _, op := range ops {
		if called[op.Name()] > 0 {
			continue
		}
		add(report.Scenario{Name: "operation " + op.Name() + " never called", Tags: []string{"@" + t.Provider},
			Status: report.Skipped, Message: fmt.Sprintf("the client never called %s (%s)", op.Name(), strings.Join(op.CatalogueIDs, ", "))})
	}
	for _, f := range t.Faults {
		add(faultVerdict(f, o.CommandPassed))
	}
	if t.Lost > 0 {
		add(report.Scenario{Name: "calls the journal let go", Tags: []string{"@" + t.Provider}, Status: report.NotJudged,
			Message: fmt.Sprintf("%d of the client's calls were evicted from the mock's journal before they were read: raise the mock's --max-items", t.Lost)})
	}
	for _, f := range o.Catalogue.FindingsFor(t.Provider) {
		// A rule whose calls followed the seeds' other reading (a note names the finding) is one where
		// the harness's reading did not hold for this client; one followed as the harness reads it, one
		// where it did.
		fc := report.FindingCoverage{Finding: f}
		for _, s := range v.scenarios {
			if !slices.Contains(s.Tags, "@"+f.ID) {
				continue
			}
			other := false
			for _, n := range s.Notes {
				if slices.Contains(notedIDs(n), f.ID) {
					fc.Notes, other = append(fc.Notes, n), true
				}
			}
			switch {
			case other || s.Status == report.Failed:
				fc.Failed++
			case s.Status == report.Passed:
				fc.Passed++
			}
		}
		fc.Notes = slices.Compact(fc.Notes)
		v.coverage.Findings = append(v.coverage.Findings, fc)
	}
	return v
}

// faultVerdict is one injected fault's line: injected and withstood (passed), or never injected, or
// injected while the command failed (skipped, saying so: the command's failure is the gate's exit 6).
func faultVerdict(f mock.Fault, commandPassed bool) report.Scenario {
	name := "fault " + f.Kind + faultScope(f)
	s := report.Scenario{Name: name, Tags: []string{"@fault"}}
	switch {
	case f.Injected == 0:
		s.Status, s.Message = report.Skipped, "never injected: no call (or notification) it applies to came"
	case commandPassed:
		s.Status, s.Message = report.Passed, fmt.Sprintf("injected %d times; the command still passed", f.Injected)
	default:
		s.Status, s.Message = report.Skipped, fmt.Sprintf("injected %d times; the command failed", f.Injected)
	}
	return s
}

func faultScope(f mock.Fault) string {
	var parts []string
	switch {
	case f.First > 0:
		parts = append(parts, fmt.Sprintf("first %d", f.First))
	case f.Every > 0:
		parts = append(parts, fmt.Sprintf("every %d", f.Every))
	case f.Percent > 0:
		parts = append(parts, fmt.Sprintf("%g%% (seed %d)", f.Percent, f.Seed))
	default:
		parts = append(parts, "every one")
	}
	if f.Delay > 0 {
		parts = append(parts, "delay "+time.Duration(f.Delay).String())
	}
	if f.Operation != "" {
		parts = append(parts, "of "+f.Operation)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// notedIDs reads the catalogue IDs a mock.Note starts with ("BAAS-17, DOC-12: ...").
func notedIDs(note string) []string {
	head, _, ok := strings.Cut(note, ": ")
	if !ok {
		return nil
	}
	var out []string
	for _, id := range strings.Split(head, ", ") {
		if featureset.IDTag.MatchString("@" + id) {
			out = append(out, id)
		}
	}
	return out
}

func appendTags(tags []string, ids []string) []string {
	for _, id := range ids {
		if !slices.Contains(tags, "@"+id) {
			tags = append(tags, "@"+id)
		}
	}
	return tags
}

func idsOfTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if m := featureset.IDTag.FindStringSubmatch(t); m != nil {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

func behaviour(cat *catalogue.Catalogue, id string) string {
	e, ok := cat.Lookup(id)
	if !ok {
		return ""
	}
	b := strings.Join(strings.Fields(e.Behaviour), " ")
	if r := []rune(b); len(r) > 90 {
		b = string(r[:89]) + "…"
	}
	return b
}

func state(s report.Status) string {
	switch s {
	case report.Passed:
		return report.Proven
	case report.Failed:
		return report.Broken
	}
	return report.NotRun
}

// exchange is an entry as a report shows a failure's exchange, with the command's credentials masked
// (the journal already masked the credential headers).
func exchange(e *mock.Entry, red *redact.Redactor) *report.Exchange {
	mask := func(s string) string {
		if red == nil {
			return s
		}
		return red.String(s)
	}
	maskAll := func(h map[string]string) map[string]string {
		out := make(map[string]string, len(h))
		for k, v := range h {
			out[k] = mask(v)
		}
		return out
	}
	cut := func(h mock.Half) string {
		b := mask(h.Body)
		if h.Size > int64(len(h.Body)) {
			b += fmt.Sprintf("\n… (cut: %d bytes in all)", h.Size)
		}
		return b
	}
	return &report.Exchange{Method: e.Method, Path: mask(e.Path), Query: mask(e.Query),
		RequestHeaders: maskAll(e.Request.Headers), RequestBody: cut(e.Request), Status: e.Status,
		ResponseHeaders: maskAll(e.Answer.Headers), ResponseBody: cut(e.Answer)}
}
