// Package report holds the results of a run and writes them for people (console summary with catalogue
// coverage and documentation findings) and for CI (JUnit XML).
package report

import (
	"fmt"
	"sort"
	"sync"
	"time"
	"unicode/utf8"
)

// Status of a scenario or a verified interaction.
type Status string

// Statuses.
const (
	Passed    Status = "passed"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
	Undefined Status = "undefined" // a step without a definition, or pending: a broken suite, not a broken provider
	Waived    Status = "waived"    // failed, but a waiver in force names one of its IDs: reported, not gating
	// NotJudged: no judgeable answer came (the target stopped answering, the run was interrupted or hit
	// its time limit). Infrastructure, not conformance: it counts against no catalogue ID.
	NotJudged Status = "not judged"
)

// Scenario is the outcome of one scenario.
type Scenario struct {
	Name     string
	Feature  string // feature file, relative to the feature root
	Line     int
	Provider string
	Tags     []string
	Status   Status
	Message  string // why it failed, or why it was skipped
	Duration time.Duration
	Started  time.Time // when the scenario began; zero where unknown (a verified interaction)
	Drift    []string  // warnings: answers beyond the provider's documents (an external target, without --strict-drift)
	Notes    []string  // what the scenario found out about the target, for the findings it is tagged with
	// Exchange is the last request of a failed scenario and its answer, masked as the recording masks
	// them (secrets, then personal data) and cut to MaxExchangeBody per body; nil otherwise.
	Exchange *Exchange
}

// Exchange is one request and its answer, as a report shows them.
type Exchange struct {
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	Query           string            `json:"query,omitempty"`
	RequestHeaders  map[string]string `json:"request_headers,omitempty"`
	RequestBody     string            `json:"request_body,omitempty"`
	Status          int               `json:"status,omitempty"` // 0: no answer came
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
	ResponseBody    string            `json:"response_body,omitempty"`
	Error           string            `json:"error,omitempty"`
}

// MaxExchangeBody is how much of a body a report shows; the rest is cut, saying how much there was.
const MaxExchangeBody = 4096

// CutBody is b cut to MaxExchangeBody bytes (on a character boundary), saying how long it was.
func CutBody(b string) string {
	if len(b) <= MaxExchangeBody {
		return b
	}
	return fmt.Sprintf("%s\n… (cut: %d bytes in all)", runePrefix(b, MaxExchangeBody), len(b))
}

// runePrefix is at most the first n bytes of s, ending on a character boundary.
func runePrefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Collector gathers scenario results from concurrent scenarios.
type Collector struct {
	mu  sync.Mutex
	all []Scenario
}

// Add records one result.
func (c *Collector) Add(s Scenario) {
	c.mu.Lock()
	c.all = append(c.all, s)
	c.mu.Unlock()
}

// Results returns every result, ordered by feature and line so reports are stable under --concurrency
// and --random.
func (c *Collector) Results() []Scenario {
	c.mu.Lock()
	out := append([]Scenario(nil), c.all...)
	c.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Feature != out[j].Feature {
			return out[i].Feature < out[j].Feature
		}
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Name < out[j].Name
	})
	return out
}
