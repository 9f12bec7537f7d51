package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"sync"
)

//go:embed html.tmpl
var htmlTemplate string

// htmlPage is the page template, parsed the first time a page is written: every command of the
// binary would otherwise parse it at start-up, most of them for nothing.
var htmlPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"stateClass": func(s string) string { return "st-" + strings.ReplaceAll(s, " ", "-") },
		"where": func(feature string, line int) string {
			if line > 0 {
				return fmt.Sprintf("%s:%d", feature, line)
			}
			return feature
		},
		"headers": func(h map[string]string) string {
			var b strings.Builder
			for _, k := range slices.Sorted(maps.Keys(h)) {
				fmt.Fprintf(&b, "%s: %s\n", k, h[k])
			}
			return b.String()
		},
		"ms": func(ms int64) string { return fmt.Sprintf("%.2f s", float64(ms)/1000) },
	}).Parse(htmlTemplate))
})

// htmlView is what the page template reads.
type htmlView struct {
	*Document
	Summary   []providerSummary
	Failures  []ScenarioDoc // failed and undefined scenarios, with their exchanges
	NotJudged []notJudgedGroup
	Waived    []ScenarioDoc
	Drifted   []ScenarioDoc
	Skipped   []ScenarioDoc
}

// providerSummary is one provider's line in the summary at the top of the page: its IDs by state.
type providerSummary struct {
	Provider, Title                             string
	Required, Proven                            int
	Percent                                     float64
	Failed, NotJudged, Waived, Skipped, Missing int
}

// notJudgedGroup is the scenarios left not judged for one cause: a target that died leaves dozens with
// one message, shown once.
type notJudgedGroup struct {
	Cause     string
	Scenarios []ScenarioDoc
}

// HTML renders d as one self-contained page: styles inline, no script, nothing loaded from anywhere.
// Failures are only what failed (or is undefined); what was not judged is grouped by its cause, and
// what was waived is listed apart, so the page counts as every other report does.
func HTML(d *Document) ([]byte, error) {
	v := htmlView{Document: d}
	for _, p := range d.Providers {
		ps := providerSummary{Provider: p.Provider, Title: p.Title, Required: p.Required, Proven: p.Proven, Percent: p.Percent}
		for _, id := range p.IDs {
			switch id.State {
			case Broken:
				ps.Failed++
			case NotJudgedID:
				ps.NotJudged++
			case WaivedID:
				ps.Waived++
			case NotRun:
				ps.Skipped++
			case Missing:
				ps.Missing++
			}
		}
		v.Summary = append(v.Summary, ps)
	}
	groups := map[string]int{}
	for _, s := range d.Scenarios {
		switch s.Status {
		case Failed, Undefined:
			v.Failures = append(v.Failures, s)
		case NotJudged:
			i, ok := groups[s.Message]
			if !ok {
				i = len(v.NotJudged)
				groups[s.Message] = i
				v.NotJudged = append(v.NotJudged, notJudgedGroup{Cause: s.Message})
			}
			v.NotJudged[i].Scenarios = append(v.NotJudged[i].Scenarios, s)
		case Waived:
			v.Waived = append(v.Waived, s)
		case Skipped:
			v.Skipped = append(v.Skipped, s)
		}
		if len(s.Drift) > 0 {
			v.Drifted = append(v.Drifted, s)
		}
	}
	var buf bytes.Buffer
	if err := htmlPage().Execute(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteHTMLFile writes the HTML report of d to path, whole or not at all.
func WriteHTMLFile(path string, d *Document) error {
	b, err := HTML(d)
	if err != nil {
		return err
	}
	return WriteAtomic(path, b, 0o644)
}
