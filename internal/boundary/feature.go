package boundary

import (
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
)

// Tag marks every boundary scenario.
const Tag = "@boundary"

// Step texts the generated scenarios use; the steps package defines them.
const (
	SendStep   = `the boundary case "%s" is sent`
	AcceptStep = "the provider accepts it"
	RefuseStep = "the provider refuses it in its documented error shape"
)

// Features writes the cases as Gherkin, one feature per operation (and body form), laid out as the
// suite is: <provider>/<operation>.boundary.feature. Each scenario is one case, tagged with its
// catalogue IDs (and @destructive for an operation that deletes data).
func (s *Set) Features() fs.FS {
	files := map[string]*strings.Builder{}
	var order []string
	for _, c := range s.Cases {
		name := c.Provider + "/" + c.Operation
		if c.Variant != "" {
			name += "." + c.Variant
		}
		name += ".boundary.feature"
		sb := files[name]
		if sb == nil {
			sb = &strings.Builder{}
			files[name] = sb
			order = append(order, name)
			form := ""
			if c.Variant != "" {
				form = ", the " + c.Variant + " body"
			}
			fmt.Fprintf(sb, "@%s %s\nFeature: boundary cases of %s %s (%s %s%s), seed %d\n", c.Provider, Tag, c.Provider, c.Operation, c.Method, c.Path, form, s.Seed)
			fmt.Fprintf(sb, "  Derived from openapi/%s.openapi.json: each case changes one thing in the smallest valid request.\n", c.Provider)
		}
		tags := make([]string, 0, len(c.IDs)+1)
		for _, id := range c.IDs {
			tags = append(tags, "@"+id)
		}
		if c.Destructive {
			tags = append(tags, "@destructive")
		}
		then := RefuseStep
		if c.Accept {
			then = AcceptStep
		}
		fmt.Fprintf(sb, "\n  %s\n  Scenario: %s\n    When %s\n    Then %s\n", strings.Join(tags, " "), oneLine(c.Title()), fmt.Sprintf(SendStep, c.Key), then)
	}
	out := fstest.MapFS{}
	for _, name := range order {
		out[name] = &fstest.MapFile{Data: []byte(files[name].String()), Mode: 0o644}
	}
	return out
}

// Title is the case in words: "metadata, 10241 bytes of compact JSON, one past (x-max-bytes 10240): refused".
func (c *Case) Title() string {
	return fmt.Sprintf("%s, %s (%s): %s", c.Where(), c.Change, c.Rule, c.Expect())
}

func oneLine(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
