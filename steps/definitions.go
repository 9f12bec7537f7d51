package steps

import (
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/cucumber/godog"
)

// Definition is one step definition: its expression and the function that implements it.
type Definition struct {
	Expr     string // the anchored regular expression
	Func     string // the Go function, as godog names it ("github.com/…/steps.theProviderAnswers")
	File     string // where the function is, relative to the module root ("steps/common.go")
	Line     int
	Waits    bool // it may wait on purpose (StepThatWaits)
	re       *regexp.Regexp
	shortLoc string // "common.go:52", as godog prints a location
}

// Where is "steps/common.go:52".
func (d Definition) Where() string { return fmt.Sprintf("%s:%d", d.File, d.Line) }

// Matches tells whether a step's text is this definition's.
func (d Definition) Matches(text string) bool { return d.re.MatchString(text) }

func definitionOf(re *regexp.Regexp, fn any) Definition {
	d := Definition{Expr: re.String(), re: re}
	pc := reflect.ValueOf(fn).Pointer()
	if f := runtime.FuncForPC(pc); f != nil {
		d.Func = f.Name()
		file, line := f.FileLine(f.Entry())
		d.File, d.Line = moduleRelative(file), line
		d.shortLoc = fmt.Sprintf("%s:%d", file[strings.LastIndexByte(file, '/')+1:], line)
	}
	return d
}

// moduleRelative cuts a source path to the module's own ("steps/common.go"), with or without -trimpath.
func moduleRelative(file string) string {
	if i := strings.LastIndex(file, "/steps/"); i >= 0 {
		return file[i+1:]
	}
	return file
}

var (
	defsOnce sync.Once
	defs     []Definition
)

// Definitions lists every step definition of the suite, in the order they are registered.
func Definitions() []Definition {
	defsOnce.Do(func() { registerSteps(stepRegistry{list: &defs}) })
	return defs
}

// Match finds the definitions a step's text matches: none is an undefined step, more than one an
// ambiguous one.
func Match(text string) []Definition {
	var out []Definition
	for _, d := range Definitions() {
		if d.Matches(text) {
			out = append(out, d)
		}
	}
	return out
}

// Waits tells whether a scenario with these steps waits on purpose: one of them matches a definition
// registered with StepThatWaits.
func Waits(texts []string) bool {
	for _, text := range texts {
		for _, d := range waiting() {
			if d.Matches(text) {
				return true
			}
		}
	}
	return false
}

var waiting = sync.OnceValue(func() []Definition {
	var out []Definition
	for _, d := range Definitions() {
		if d.Waits {
			out = append(out, d)
		}
	}
	return out
})

// scenarioWaits is Waits for a scenario as godog runs it.
func scenarioWaits(s *godog.Scenario) bool {
	texts := make([]string, len(s.Steps))
	for i, st := range s.Steps {
		texts[i] = st.Text
	}
	return Waits(texts)
}

// godogLocation is how godog's pretty output ends a step line: "# world.go:207 -> …/steps.fn". godog
// records the line that called sc.Step, the same for every step of this suite (stepRegistry.Step).
var godogLocation = regexp.MustCompile(`# \S+\.go:\d+ -> (\S+)\s*$`)

var byFunc = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, d := range Definitions() {
		m[d.Func] = d.shortLoc
	}
	return m
})

// LocateLine rewrites one line of godog's pretty output so that its step points at the step
// function's own file and line.
func LocateLine(line string) string {
	m := godogLocation.FindStringSubmatchIndex(line)
	if m == nil {
		return line
	}
	fn := line[m[2]:m[3]]
	loc, ok := byFunc()[fn]
	if !ok {
		return line
	}
	return line[:m[0]] + "# " + loc + " -> " + line[m[2]:]
}

// LocationOf is the location of the function behind a step's text, as godog writes a location
// ("common.go:52"), or "" when no single definition matches. A cucumber report asks it for every step
// of every scenario, and the same texts come back often: each is matched against the definitions once.
func LocationOf(text string) string {
	if loc, ok := locations.Load(text); ok {
		return loc.(string)
	}
	loc := ""
	if m := Match(text); len(m) == 1 {
		loc = m[0].shortLoc
	}
	locations.Store(text, loc)
	return loc
}

var locations sync.Map // step text -> LocationOf
