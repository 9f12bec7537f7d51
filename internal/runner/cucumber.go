package runner

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cucumber/godog"
	"github.com/cucumber/godog/formatters"

	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/steps"
)

// cucumberFormat is godog's cucumber formatter writing through a buffer. godog's own "cucumber:FILE"
// passes the file through its colour filter, which writes one rune per write(2): a million system
// calls for the whole suite's report, 2–3 times the run itself, paid after --run-timeout has fired.
// Here the formatter writes into a bufio.Writer on the run's temporary file instead.
const cucumberFormat = "conformance-cucumber"

// cucumberSinks holds each running suite's buffered file by the suite's name, which is the only thing
// godog hands a formatter besides the writer it chose.
var (
	cucumberSinks sync.Map // suite name -> *cucumberSink
	cucumberSeq   atomic.Uint64
)

func init() {
	godog.Format(cucumberFormat, "cucumber JSON, buffered (the harness's --cucumber-json)",
		func(suite string, out io.Writer) formatters.Formatter {
			if s, ok := cucumberSinks.Load(suite); ok {
				out = s.(*cucumberSink).buf
			}
			return formatters.FindFmt("cucumber")(suite, out)
		})
}

type cucumberSink struct {
	suite string
	file  *os.File
	buf   *bufio.Writer
}

// openCucumberSink gives the run a suite name of its own and registers its buffered file under it.
func openCucumberSink(f *os.File) *cucumberSink {
	s := &cucumberSink{suite: "conformance-" + strconv.FormatUint(cucumberSeq.Add(1), 10), file: f,
		buf: bufio.NewWriterSize(f, 256<<10)}
	cucumberSinks.Store(s.suite, s)
	return s
}

// finish flushes and closes the file once godog has written its summary.
func (s *cucumberSink) finish() error {
	err := s.buf.Flush()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// close forgets the sink; a no-op on a closed file.
func (s *cucumberSink) close() {
	cucumberSinks.Delete(s.suite)
	_ = s.file.Close()
}

// The cucumber JSON godog writes, as far as the harness edits it; the rest passes through unread.
type (
	cukeFeature struct {
		URI         string          `json:"uri"`
		ID          string          `json:"id"`
		Keyword     string          `json:"keyword"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Line        int             `json:"line"`
		Comments    json.RawMessage `json:"comments,omitempty"`
		Tags        json.RawMessage `json:"tags,omitempty"`
		Elements    []*cukeElement  `json:"elements,omitempty"`
	}
	cukeElement struct {
		ID          string          `json:"id"`
		Keyword     string          `json:"keyword"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Line        int             `json:"line"`
		Type        string          `json:"type"`
		Tags        json.RawMessage `json:"tags,omitempty"`
		Steps       []*cukeStep     `json:"steps,omitempty"`
	}
	cukeStep struct {
		Keyword    string          `json:"keyword"`
		Name       string          `json:"name"`
		Line       int             `json:"line"`
		DocString  json.RawMessage `json:"doc_string,omitempty"`
		Match      cukeMatch       `json:"match"`
		Result     cukeResult      `json:"result"`
		Rows       json.RawMessage `json:"rows,omitempty"`
		Embeddings json.RawMessage `json:"embeddings,omitempty"`
	}
	cukeMatch struct {
		Location string `json:"location"`
	}
	cukeResult struct {
		Status   string `json:"status"`
		Error    string `json:"error_message,omitempty"`
		Duration *int64 `json:"duration,omitempty"`
	}
)

// finishCucumber completes godog's cucumber JSON at path (before it is renamed into place): feature
// entries of one file joined, the reason of each skipped, waived or not judged scenario, each step
// pointed at its step function, and the encoded text masked last of all. The redactor knows each
// secret's JSON-escaped forms (with and without HTML escaping), so masking the text finds what masking
// each decoded string would.
func finishCucumber(path string, r *redact.Redactor, results []report.Scenario) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc []*cukeFeature
	if err := json.Unmarshal(raw, &doc); err != nil {
		if err := os.WriteFile(path, r.Bytes(raw), 0o644); err != nil { // not what godog writes; masked as text
			return err
		}
		return os.Chmod(path, 0o644)
	}
	doc = joinFeatures(doc)
	withReasons(doc, results)
	locateSteps(doc)
	out, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, r.Bytes(out), 0o644); err != nil {
		return err
	}
	return os.Chmod(path, 0o644) // made by os.CreateTemp (0600): readable as every other report is
}

// joinFeatures undoes what a path:LINE selection (a shard) does to godog's cucumber JSON: one feature
// entry per selected line, its uri ending in ":LINE". Entries of one file become one, in order.
func joinFeatures(doc []*cukeFeature) []*cukeFeature {
	var out []*cukeFeature
	byURI := map[string]*cukeFeature{}
	for _, f := range doc {
		if f == nil {
			continue
		}
		f.URI = featurePath(f.URI)
		if prev := byURI[f.URI]; prev != nil {
			prev.Elements = append(prev.Elements, f.Elements...)
			continue
		}
		byURI[f.URI] = f
		out = append(out, f)
	}
	return out
}

// withReasons writes into godog's cucumber JSON why each skipped, waived or not judged scenario did not
// run or did not count (godog only marks its steps skipped): the scenario's description becomes the
// reason, matched by feature file and name. A waived or not judged scenario's failed steps become
// skipped, so that a report reader counts it as the run does: never failed.
func withReasons(doc []*cukeFeature, results []report.Scenario) {
	reasons, status := map[string]string{}, map[string]report.Status{}
	for _, s := range results {
		key := s.Feature + "\x00" + s.Name
		if (s.Status == report.Skipped || s.Status == report.Waived || s.Status == report.NotJudged) && s.Message != "" {
			reasons[key] = string(s.Status) + ": " + s.Message
		}
		status[key] = s.Status
	}
	for _, f := range doc {
		for _, el := range f.Elements {
			if el == nil {
				continue
			}
			key := path.Clean(f.URI) + "\x00" + el.Name
			if why, ok := reasons[key]; ok {
				el.Description = why
			}
			if st := status[key]; st == report.Waived || st == report.NotJudged {
				unfail(el, string(st))
			}
		}
	}
}

// unfail marks a scenario's failed steps skipped, their error kept behind why the run did not count it.
func unfail(el *cukeElement, why string) {
	for _, st := range el.Steps {
		if st != nil && st.Result.Status == "failed" {
			st.Result.Status = "skipped"
			if st.Result.Error != "" {
				st.Result.Error = why + ": " + st.Result.Error
			}
		}
	}
}

// locateSteps points each step of godog's cucumber JSON at its step function ("common.go:52") rather
// than at the line that registers every step.
func locateSteps(doc []*cukeFeature) {
	for _, f := range doc {
		for _, el := range f.Elements {
			if el == nil {
				continue
			}
			for _, st := range el.Steps {
				if st == nil {
					continue
				}
				if loc := steps.LocationOf(st.Name); loc != "" {
					st.Match.Location = loc
				}
			}
		}
	}
}
