package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/record"
	"github.com/latam-conformance/conformance/internal/redact"
	"github.com/latam-conformance/conformance/internal/report"
	"github.com/latam-conformance/conformance/internal/targets"
	"github.com/latam-conformance/conformance/internal/transport"
	"github.com/latam-conformance/conformance/steps"
)

// execution is what the scenarios run with: the console, the transport and its pool, the steps'
// dependencies, the recording and the cucumber JSON's file.
type execution struct {
	o         Options
	located   *lineWriter
	out       *redact.Writer
	transport *http.Transport
	pool      connectionPool
	atOnce    int // scenarios at once
	deps      *steps.Deps
	rec       *record.Writer
	sink      *cucumberSink
	// cucumberTmp is the cucumber JSON's temporary file, moved into place with the reports.
	cucumberTmp string
}

// prepare sets up what the scenarios run with. Every request goes through the guard: production
// hosts refused before a byte is sent, checked again on the dialled address.
func (o Options) prepare(ctx context.Context, set *targets.Set, sc schedule) (*execution, error) {
	ex := &execution{o: o, atOnce: sc.atOnce}
	// Pretty output names the step functions; godog's own totals are left out, the harness's summary
	// counts what godog cannot (waived, not judged), and two summaries must never disagree.
	ex.located = &lineWriter{w: o.Out, edit: steps.LocateLine, drop: godogTotals()}
	ex.out = o.Redactor.Writer(ex.located)
	// One transport for the run, its idle connections closed before the mocks stop: net/http's graceful
	// shutdown waits five seconds for a connection the client dialed and never used.
	ex.transport = o.Guard.Transport()
	ex.pool.prepare(ex.transport, sc.atOnce, sc.perHost())
	guarded := ex.pool.counting(o.Guard.RoundTripper(ex.transport))
	ex.deps = &steps.Deps{Targets: map[string]steps.Target{}, Schemas: o.Schemas, Timeout: o.Timeout,
		Results: &report.Collector{}, Transport: guarded, Redactor: o.Redactor, StrictDrift: o.StrictDrift,
		Prompt: o.Prompt, Stopped: func() string { return stopReason(ctx, o.RunTimeout) }, Boundary: o.Boundary}
	if o.Record != "" {
		rec, err := record.Create(o.Record, o.Redactor, o.ShowPII)
		if err != nil {
			ex.close()
			return nil, exit.Usagef("--record %s: %v", o.Record, err)
		}
		ex.rec, ex.deps.Record = rec, rec.Add
	}
	for name, t := range set.ByName {
		p := o.policy(name, t)
		st := steps.Target{BaseURL: t.BaseURL, Control: t.Control, Sandbox: t.Sandbox, Production: t.Production, Embedded: t.Embedded,
			Secrets: o.Secrets[name], Settings: o.Settings[name], Timeout: p.Timeout, Transport: transport.New(guarded, p)}
		st.Scenarios = sc.slots[name]
		ex.deps.Targets[name] = st
	}
	ex.deps.StartReceivers()
	if o.CucumberJSON != "" {
		if err := os.MkdirAll(filepath.Dir(o.CucumberJSON), 0o755); err != nil {
			ex.close()
			return nil, exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
		f, err := os.CreateTemp(filepath.Dir(o.CucumberJSON), ".cucumber-*.json")
		if err != nil {
			ex.close()
			return nil, exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
		ex.cucumberTmp, ex.sink = f.Name(), openCucumberSink(f)
	}
	return ex, nil
}

// execute runs the scheduled scenarios through godog and returns its status, once godog's output and
// the cucumber JSON are written.
func (ex *execution) execute(ctx context.Context, sc schedule) (int, error) {
	o := ex.o
	format, suiteName := o.Format, "conformance"
	if ex.sink != nil {
		format += "," + cucumberFormat
		suiteName = ex.sink.suite
	}
	suite := godog.TestSuite{
		Name:                suiteName,
		ScenarioInitializer: func(sc *godog.ScenarioContext) { steps.Initialize(sc, ex.deps) },
		Options: &godog.Options{
			Format:        format,
			Paths:         sc.paths,
			FS:            o.Features,
			Tags:          o.Tags,
			Concurrency:   sc.atOnce,
			Randomize:     o.Random,
			Strict:        true,
			StopOnFailure: o.StopOnFailure,
			NoColors:      true,
			Output:        ex.out,
			// Ctrl-C cancels requests in flight instead of waiting for the whole suite.
			DefaultContext: ctx,
		},
	}
	status := suite.Run()
	if ex.sink != nil {
		if err := ex.sink.finish(); err != nil {
			return status, exit.Usagef("--cucumber-json %s: %v", o.CucumberJSON, err)
		}
	}
	ex.deps.Close()
	_ = ex.out.Flush() // godog's output first, then whatever the caller prints
	_ = ex.located.Flush()
	return status, nil
}

// close releases what the execution holds, in the reverse order of prepare: a run that fails before
// its reports leaves no half recording and no temporary file (both no-ops once the reports moved them).
func (ex *execution) close() {
	if ex.sink != nil {
		ex.sink.close()
	}
	if ex.cucumberTmp != "" {
		_ = os.Remove(ex.cucumberTmp)
	}
	if ex.rec != nil {
		ex.rec.Abort()
	}
	ex.transport.CloseIdleConnections()
	_ = ex.out.Flush()
	_ = ex.located.Flush()
}

// stopReason says why the run is stopping, or "" while ctx is live.
func stopReason(ctx context.Context, runTimeout time.Duration) string {
	if ctx.Err() == nil {
		return ""
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Sprintf("the run hit its time limit (--run-timeout %s)", runTimeout)
	}
	var e *exit.Error
	if errors.As(cause, &e) {
		return "the run was " + e.Error()
	}
	return "the run was interrupted"
}

// stopError is the error an interrupted or timed-out run ends with: exit 3 for the time limit, 128 + the
// signal's number for a signal.
func stopError(ctx context.Context, runTimeout time.Duration, finished int) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return exit.Unavailablef("run stopped by its time limit (--run-timeout %s) after %d scenarios; the reports hold them, the rest marked not judged", runTimeout, finished)
	}
	code := exit.Signal("a signal", 2)
	var e *exit.Error
	if errors.As(cause, &e) {
		code = e
	}
	return &exit.Error{Code: exit.CodeOf(code), Err: fmt.Errorf("run %v after %d scenarios; the reports hold them, the rest marked not judged", code, finished)}
}

// lineWriter passes whole lines to w, each through edit.
type lineWriter struct {
	w    io.Writer
	edit func(string) string
	drop func(string) bool // nil: every line is written
	buf  []byte
}

// godogTotals recognises godog's own closing lines: "N scenarios (…)", "N steps (…)" and the run's
// duration after them.
func godogTotals() func(string) bool {
	totals := regexp.MustCompile(`^\d+ (scenarios?|steps?) \(`)
	duration := regexp.MustCompile(`^[0-9.]+(ns|µs|us|ms|s|m[0-9.]+s|h[0-9.m]+s)$`)
	afterSteps := false
	return func(line string) bool {
		switch {
		case totals.MatchString(line):
			afterSteps = strings.HasPrefix(strings.SplitN(line, " ", 3)[1], "step")
			return true
		case afterSteps && duration.MatchString(line):
			afterSteps = false
			return true
		}
		afterSteps = false
		return false
	}
}

func (l *lineWriter) keep(line string) bool { return l.drop == nil || !l.drop(line) }

func (l *lineWriter) Write(p []byte) (int, error) {
	if l.w == nil {
		return len(p), nil
	}
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := string(l.buf[:i]); l.keep(line) {
			if _, err := io.WriteString(l.w, l.edit(line)+"\n"); err != nil {
				return 0, err
			}
		}
		l.buf = l.buf[i+1:]
	}
}

// Flush writes a last line without its newline.
func (l *lineWriter) Flush() error {
	if len(l.buf) == 0 || l.w == nil {
		return nil
	}
	line := string(l.buf)
	l.buf = nil
	if !l.keep(line) {
		return nil
	}
	_, err := io.WriteString(l.w, l.edit(line))
	return err
}
