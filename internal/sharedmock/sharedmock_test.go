// Package sharedmock_test runs whole suites side by side against one set of mocks, as a team and its
// CI share one long-running 'conformance mock' or one sandbox: every scenario makes its own users,
// documents, sessions and tokens, so no run judges another's data, at once or after one was stopped.
package sharedmock_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/cli"
	"github.com/latam-conformance/conformance/internal/exit"
	"github.com/latam-conformance/conformance/internal/mock"
	"github.com/latam-conformance/conformance/internal/providers"
	"github.com/latam-conformance/conformance/internal/schema"
)

// serve starts every provider's mock as 'conformance mock --baas-signing claims,qit' does and returns
// the run flags that point at them.
func serve(t *testing.T) ([]string, map[string]string) {
	t.Helper()
	reg, err := schema.Embedded()
	require.NoError(t, err)
	cfg := mock.Config{Schemas: reg, BaaSSigning: []string{"claims", "qit"}}
	var args []string
	urls := map[string]string{}
	for _, name := range providers.Names() {
		p, err := providers.Lookup(name)
		require.NoError(t, err)
		h, err := p.Mock(cfg)
		require.NoError(t, err)
		srv, err := mock.Start("127.0.0.1:0", h)
		require.NoError(t, err)
		t.Cleanup(func() { _ = srv.Close(context.Background()) })
		args = append(args, "--base-url", name+"="+srv.URL)
		urls[name] = srv.URL
	}
	return args, urls
}

type outcome struct {
	code int
	out  string
}

// suites runs n whole suites at once against the mocks.
func suites(ctx context.Context, n int, args []string) []outcome {
	out := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stdout, stderr bytes.Buffer
			// A generous per-request deadline: four suites at once under -race on a busy runner are slow, not wrong.
			code := cli.Main(ctx, append([]string{"run", "--no-colors", "--timeout", "60s"}, args...), &stdout, &stderr, func(string) string { return "" })
			out[i] = outcome{code, stdout.String() + stderr.String()}
		}()
	}
	wg.Wait()
	return out
}

// calls is how many calls the pomelo mock has journalled.
func calls(t *testing.T, url string) int64 {
	var page mock.Page
	err := mock.ControlCall(context.Background(), http.DefaultClient, http.MethodGet, url+mock.JournalPath+"?since=1000000000", nil, &page)
	require.NoError(t, err)
	return page.Next
}

// TestFourSuitesAtOnceNeverCollide: four whole suites at once against one set of mocks all pass; a
// fifth is then stopped mid-run, leaving its users, sessions and validations behind uncleaned; four
// more at once still all pass.
func TestFourSuitesAtOnceNeverCollide(t *testing.T) {
	args, urls := serve(t)
	for i, o := range suites(context.Background(), 4, args) {
		assert.Equal(t, exit.OK, o.code, "suite %d of the first four:\n%s", i+1, o.out)
	}

	// A suite interrupted mid-run, as a CI job cancelled by a newer push is.
	ctx, cancel := context.WithCancelCause(context.Background())
	before := calls(t, urls["pomelo"])
	done := make(chan []outcome, 1)
	go func() { done <- suites(ctx, 1, args) }()
	deadline := time.Now().Add(2 * time.Minute)
	for calls(t, urls["pomelo"]) < before+60 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel(exit.Signal("SIGINT", 2))
	stopped := <-done
	require.Equal(t, 130, stopped[0].code, "the suite was stopped mid-run:\n%s", stopped[0].out)

	for i, o := range suites(context.Background(), 4, args) {
		assert.Equal(t, exit.OK, o.code, "suite %d of the four after the interrupted one:\n%s", i+1, o.out)
	}
	if t.Failed() {
		t.Log(errors.New(fmt.Sprint("mocks at ", urls)))
	}
}
