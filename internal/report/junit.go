package report

import (
	"encoding/xml"
	"fmt"
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
	doc := junitSuites{Name: name, Time: secs(elapsed)}
	bySuite := map[string]*junitSuite{}
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
		c := junitCase{Name: label(r), Classname: strings.TrimSuffix(key, ".feature"), Time: secs(r.Duration)}
		if ids := idsOf(r.Tags); len(ids) > 0 {
			c.Properties = &junitProps{Props: []junitProp{{Name: "catalogue_ids", Value: strings.Join(ids, ",")}}}
		}
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
		s.Time = addSecs(s.Time, r.Duration)
		s.Cases = append(s.Cases, c)
	}
	sort.Strings(order)
	for _, k := range order {
		doc.Suites = append(doc.Suites, *bySuite[k])
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return WriteAtomic(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

func addSecs(cur string, d time.Duration) string {
	var f float64
	_, _ = fmt.Sscanf(cur, "%f", &f)
	return fmt.Sprintf("%.3f", f+d.Seconds())
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
