package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name       string        `xml:"name,attr"`
	Classname  string        `xml:"classname,attr"`
	Time       string        `xml:"time,attr"`
	Properties *junitProps   `xml:"properties,omitempty"`
	Failure    *junitFailure `xml:"failure,omitempty"`
	Error      *junitFailure `xml:"error,omitempty"`
	Skipped    *junitSkipped `xml:"skipped,omitempty"`
	SystemOut  string        `xml:"system-out,omitempty"` // drift warnings, a line each
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnitFile writes results as JUnit XML, one testsuite per feature file (or per group), each
// testcase named with its catalogue IDs, skip reasons included. The file is written beside and renamed,
// so a reader never sees half of it.
func WriteJUnitFile(path, name string, results []Scenario, elapsed time.Duration) error {
	return WriteJUnit(path, nil, name, results, elapsed)
}

// WriteJUnit is WriteJUnitFile that writes to stdout when path is "-".
func WriteJUnit(path string, stdout io.Writer, name string, results []Scenario, elapsed time.Duration) error {
	doc := junitSuites{Name: name, Time: secs(elapsed)}
	bySuite := map[string]*junitSuite{}
	// A suite's time is the wall time from its first scenario's start to its last one's end (scenarios
	// run side by side); without start times, the sum of theirs.
	type span struct {
		from, to time.Time
		sum      time.Duration
	}
	spans := map[string]span{}
	var order []string
	for _, r := range results {
		key := r.Feature
		if key == "" {
			key = r.Provider
		}
		s, ok := bySuite[key]
		if !ok {
			s = &junitSuite{Name: key}
			bySuite[key] = s
			order = append(order, key)
		}
		// The name is stable across runs (IDs and scenario name): test history survives a line that moves,
		// and the location goes in a property.
		c := junitCase{Name: stableName(r), Classname: strings.TrimSuffix(key, ".feature"), Time: secs(r.Duration)}
		var props []junitProp
		if ids := idsOf(r.Tags); len(ids) > 0 {
			props = append(props, junitProp{Name: "catalogue_ids", Value: strings.Join(ids, ",")})
		}
		if r.Line > 0 {
			props = append(props, junitProp{Name: "location", Value: fmt.Sprintf("%s:%d", r.Feature, r.Line)})
		}
		if len(props) > 0 {
			c.Properties = &junitProps{Props: props}
		}
		span := spans[key]
		if !r.Started.IsZero() {
			if span.from.IsZero() || r.Started.Before(span.from) {
				span.from = r.Started
			}
			if end := r.Started.Add(r.Duration); end.After(span.to) {
				span.to = end
			}
		}
		span.sum += r.Duration
		spans[key] = span
		if len(r.Drift) > 0 {
			c.SystemOut = "drift: " + strings.Join(r.Drift, "\ndrift: ")
		}
		s.Tests++
		doc.Tests++
		switch r.Status {
		case Failed:
			c.Failure = &junitFailure{Message: firstLine(r.Message), Type: "conformance", Text: r.Message}
			s.Failures++
			doc.Failures++
		case Undefined:
			c.Error = &junitFailure{Message: firstLine(r.Message), Type: "undefined-step", Text: r.Message}
			s.Errors++
			doc.Errors++
		case NotJudged:
			c.Error = &junitFailure{Message: "not judged: " + firstLine(r.Message), Type: "not-judged", Text: r.Message}
			s.Errors++
			doc.Errors++
		case Skipped, Waived:
			msg := r.Message
			if r.Status == Waived {
				msg = "waived: " + msg
			}
			c.Skipped = &junitSkipped{Message: msg}
			s.Skipped++
			doc.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	sort.Strings(order)
	for _, k := range order {
		sp := spans[k]
		t := sp.sum
		if !sp.from.IsZero() {
			t = sp.to.Sub(sp.from)
		}
		bySuite[k].Time = secs(t)
		doc.Suites = append(doc.Suites, *bySuite[k])
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	data := append([]byte(xml.Header), append(out, '\n')...)
	if path == "-" && stdout != nil { // godog's "-f junit": the report on the standard output
		_, err := stdout.Write(data)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return WriteAtomic(path, data, 0o644)
}

// stableName is a testcase's name: its catalogue IDs and the scenario's name, no location.
func stableName(s Scenario) string {
	if ids := idsOf(s.Tags); len(ids) > 0 {
		return fmt.Sprintf("[%s] %s", strings.Join(ids, " "), s.Name)
	}
	return s.Name
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// WriteAtomic writes data to a temporary file in path's folder, with mode, and renames it over path:
// a reader never sees half of it, and an interrupted write leaves what was there.
func WriteAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { // the report's folder, as a user expects
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
