package runner

import (
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/featureset"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/steps"
)

// plan is what a run will run, worked out before any target starts.
type plan struct {
	scenarios []featureset.Scenario // the whole feature set
	ran       []featureset.Scenario // what the paths and the shard select (before --tags)
	tags      *featureset.Matcher
	paths     []string        // godog's paths
	names     []string        // providers with a scenario to run
	seen      map[string]bool // providers with a scenario in the feature set
}

// plan parses the feature set, checks its catalogue IDs, and selects the scenarios of the run.
func (o Options) plan() (*plan, error) {
	scenarios, err := featureset.Parse(o.Features, ".")
	if err != nil {
		return nil, exit.Usagef("%s%v", o.FeaturesDir, err)
	}
	tags, err := featureset.CompileTags(o.Tags)
	if err != nil {
		return nil, exit.Usagef("%v", err)
	}
	for _, t := range tags.Tags() { // a typo in a catalogue ID (@BAAS-99) selects nothing: a usage error, not "nothing proven"
		if o.Catalogue != nil && featureset.IDTag.MatchString("@"+t) && !o.Catalogue.Known(t) {
			return nil, exit.Usagef("--tags %q: %s is not in the catalogue", o.Tags, t)
		}
	}
	// Every ID a scenario names must be the catalogue's: a typo (@BAAS-99) would prove nothing, silently.
	var unknown []string
	for _, s := range scenarios {
		for _, id := range s.IDs {
			if o.Catalogue != nil && !o.Catalogue.Known(id) {
				unknown = append(unknown, fmt.Sprintf("%s%s: tag @%s is not in the catalogue", o.FeaturesDir, s.Where(), id))
			}
		}
	}
	if len(unknown) > 0 {
		return nil, exit.Usagef("%s", strings.Join(unknown, "; "))
	}
	var names []string
	seen, selected := map[string]bool{}, map[string]bool{}
	for _, s := range scenarios {
		if _, err := providers.Lookup(s.Provider); err != nil {
			return nil, exit.Usagef("%s: features must sit in a folder named after their provider: %v", s.URI, err)
		}
		seen[s.Provider] = true
		if tags.Match(s.Tags) && !selected[s.Provider] {
			selected[s.Provider] = true
			names = append(names, s.Provider) // only providers with a scenario to run get a target
		}
	}
	if len(names) == 0 {
		return nil, exit.NothingProvenf("nothing proven: no scenario of %s matches --tags %q", o.FeaturesName, o.Tags)
	}
	paths, ran, names, err := o.selection(scenarios, tags, names)
	if err != nil {
		return nil, err
	}
	for _, s := range ran {
		if tags.Match(s.Tags) && len(s.IDs) == 0 && o.Out != nil {
			fmt.Fprintf(o.Out, "warning: %s: scenario %q names no catalogue ID: it runs, and proves nothing in the coverage\n", s.Where(), s.Name)
		}
	}
	return &plan{scenarios: scenarios, ran: ran, tags: tags, paths: paths, names: names, seen: seen}, nil
}

// selection picks what the run runs: every scenario the tags select (godog path "."), or, with paths
// (FILE, FILE:LINE, a folder) or a shard, those scenarios as godog paths "uri:line", one per scenario or
// outline. It also narrows the providers to those with a scenario to run.
func (o Options) selection(scenarios []featureset.Scenario, tags *featureset.Matcher, names []string) (paths []string, ran []featureset.Scenario, _ []string, _ error) {
	if o.Shard.Count <= 1 && len(o.Paths) == 0 {
		return []string{"."}, scenarios, names, nil
	}
	inPaths, err := pathFilter(o.Paths, scenarios)
	if err != nil {
		return nil, nil, nil, err
	}
	var selected []featureset.Scenario
	for _, s := range scenarios {
		if tags.Match(s.Tags) && inPaths(s) {
			selected = append(selected, s)
		}
	}
	if len(selected) == 0 {
		return nil, nil, nil, exit.NothingProvenf("nothing proven: no scenario of %s at %s matches --tags %q", o.FeaturesName, strings.Join(o.Paths, " "), o.Tags)
	}
	count, i := max(1, o.Shard.Count), max(0, o.Shard.Index-1)
	all, parts := split(selected, count)
	if len(all[i]) == 0 {
		return nil, nil, nil, exit.Usagef("--shard %s: only %d scenarios to split; use fewer shards", o.Shard, len(selected))
	}
	var mine []string
	for _, s := range parts[i] {
		if !slices.Contains(mine, s.Provider) {
			mine = append(mine, s.Provider)
		}
	}
	var keep []string
	for _, n := range names {
		if slices.Contains(mine, n) {
			keep = append(keep, n)
		}
	}
	return all[i], parts[i], keep, nil
}

// pathFilter reads the run's paths: FILE:LINE selects the scenario (or the whole outline) at that line,
// FILE every scenario of a file, a folder every scenario under it. A path that selects nothing is an
// error: a typo would otherwise run nothing, or everything.
func pathFilter(paths []string, scenarios []featureset.Scenario) (func(featureset.Scenario) bool, error) {
	if len(paths) == 0 {
		return func(featureset.Scenario) bool { return true }, nil
	}
	type key struct {
		uri  string
		line int
	}
	units := map[key]bool{}
	var prefixes []string
	for _, p := range paths {
		p = path.Clean(p)
		uri, line := p, 0
		if i := strings.LastIndexByte(p, ':'); i > 0 {
			if n, err := strconv.Atoi(p[i+1:]); err == nil {
				uri, line = p[:i], n
			}
		}
		found := false
		for _, s := range scenarios {
			switch {
			case line > 0 && s.URI == uri && (s.ScenarioLine == line || s.Line == line):
				units[key{s.URI, s.ScenarioLine}] = true
				found = true
			case line == 0 && (uri == "." || s.URI == uri || strings.HasPrefix(s.URI, uri+"/")):
				found = true
			}
		}
		if !found {
			what := "no feature file or folder " + uri
			if line > 0 {
				what = fmt.Sprintf("no scenario at line %d of %s", line, uri)
			}
			return nil, exit.Usagef("%s: %s in the feature set", p, what)
		}
		if line == 0 {
			prefixes = append(prefixes, uri)
		}
	}
	return func(s featureset.Scenario) bool {
		if units[key{s.URI, s.ScenarioLine}] {
			return true
		}
		for _, p := range prefixes {
			if p == "." || s.URI == p || strings.HasPrefix(s.URI, p+"/") {
				return true
			}
		}
		return false
	}, nil
}

// featurePath is a godog feature URI without the ":LINE" a path selection adds.
func featurePath(uri string) string {
	if i := strings.LastIndexByte(uri, ':'); i > 0 {
		if _, err := strconv.Atoi(uri[i+1:]); err == nil {
			return uri[:i]
		}
	}
	return uri
}

// DryRun prints what Run would run, scenario by scenario, and checks that every step of them has
// exactly one definition, without starting a target or sending anything. The error is an exit.Usage
// error naming each undefined or ambiguous step.
func DryRun(o Options) error {
	pl, err := o.plan()
	if err != nil {
		return err
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	var problems []string
	scenariosN, stepsN := 0, 0
	for _, s := range pl.ran {
		if !pl.tags.Match(s.Tags) {
			continue
		}
		scenariosN++
		ids := ""
		if len(s.IDs) > 0 {
			ids = "[" + strings.Join(s.IDs, " ") + "] "
		}
		fmt.Fprintf(out, "%s  %s%s\n", s.Where(), ids, s.Name)
		for _, st := range s.Steps {
			stepsN++
			switch m := steps.Match(st.Text); len(m) {
			case 1:
			case 0:
				problems = append(problems, fmt.Sprintf("%s:%d: undefined step %q (see 'conformance steps')", s.URI, st.Line, st.Text))
			default:
				var where []string
				for _, d := range m {
					where = append(where, d.Where())
				}
				problems = append(problems, fmt.Sprintf("%s:%d: ambiguous step %q matches %s", s.URI, st.Line, st.Text, strings.Join(where, ", ")))
			}
		}
	}
	fmt.Fprintf(out, "== dry run: %d scenarios of %s would run (%d steps); nothing was sent\n", scenariosN, strings.Join(pl.names, ", "), stepsN)
	if len(problems) > 0 {
		problems = slices.Compact(problems)
		for _, p := range problems {
			fmt.Fprintln(out, p)
		}
		return exit.Usagef("%d undefined or ambiguous steps: the suite is broken, not the provider", len(problems))
	}
	return nil
}
