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
	Failures []ScenarioDoc // failed, undefined and waived scenarios, with their exchanges
	Drifted  []ScenarioDoc
	Skipped  []ScenarioDoc
}

// HTML renders d as one self-contained page: styles inline, no script, nothing loaded from anywhere.
func HTML(d *Document) ([]byte, error) {
	v := htmlView{Document: d}
	for _, s := range d.Scenarios {
		switch s.Status {
		case Failed, Undefined, Waived, NotJudged:
			v.Failures = append(v.Failures, s)
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
