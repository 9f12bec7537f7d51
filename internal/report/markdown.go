package report

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Markdown is d as a GitHub job summary: the verdict, totals, coverage per provider and the failures
// grouped by catalogue ID.
func Markdown(d *Document) string {
	var b strings.Builder
	icon := "✅"
	if d.Exit != 0 {
		icon = "❌"
	}
	title := "Conformance"
	if d.Shard != "" {
		title += " (shard " + d.Shard + ")"
	}
	fmt.Fprintf(&b, "## %s %s: exit %d, %s\n\n", icon, title, d.Exit, mdText(d.Verdict))
	t := d.Totals
	fmt.Fprintf(&b, "| scenarios | passed | failed | skipped | undefined | waived | not judged | time |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %.1f s |\n\n", t.Scenarios, t.Passed, t.Failed, t.Skipped, t.Undefined, t.Waived, t.NotJudged, float64(d.ElapsedMS)/1000)
	if len(d.Gates) > 0 {
		b.WriteString("**Gates not met**\n\n")
		for _, g := range d.Gates {
			fmt.Fprintf(&b, "- %s\n", mdText(g))
		}
		b.WriteString("\n")
	}
	b.WriteString("| provider | required IDs proven | coverage | not proven |\n|---|---:|---:|---|\n")
	for _, p := range d.Providers {
		var open []string
		for _, id := range p.IDs {
			if id.Scope == "required" && id.State != Proven {
				open = append(open, fmt.Sprintf("%s (%s)", id.ID, id.State))
			}
		}
		fmt.Fprintf(&b, "| %s | %d / %d | %.1f%% | %s |\n", mdText(p.Title), p.Proven, p.Required, p.Percent, mdText(strings.Join(open, ", ")))
	}
	b.WriteString("\n")
	byID := map[string][]ScenarioDoc{}
	for _, s := range d.Scenarios {
		if s.Status != Failed && s.Status != Undefined {
			continue
		}
		ids := s.IDs
		if len(ids) == 0 {
			ids = []string{"(no ID)"}
		}
		for _, id := range ids {
			byID[id] = append(byID[id], s)
		}
	}
	if len(byID) > 0 {
		b.WriteString("### Failures by catalogue ID\n\n")
		for _, id := range slices.Sorted(maps.Keys(byID)) {
			fmt.Fprintf(&b, "- **%s**\n", id)
			for _, s := range byID[id] {
				fmt.Fprintf(&b, "  - %s (`%s:%d`): %s\n", mdText(s.Name), s.Feature, s.Line, mdText(cutText(s.Message, 300)))
			}
		}
		b.WriteString("\n")
	}
	if len(d.Waivers.Stale) > 0 || len(d.Waivers.Expired) > 0 {
		b.WriteString("### Waivers\n\n")
		for _, w := range d.Waivers.Expired {
			fmt.Fprintf(&b, "- expired: %s\n", mdText(w))
		}
		for _, w := range d.Waivers.Stale {
			fmt.Fprintf(&b, "- stale: %s\n", mdText(w))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// AppendMarkdown appends d's summary to the file at path (GITHUB_STEP_SUMMARY), creating it if need be.
func AppendMarkdown(path string, d *Document) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(Markdown(d)); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// mdText keeps a text on one table cell or list line and stops it from opening Markdown or HTML.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return runePrefix(s, n) + "…"
}
