package steps

import (
	"context"
	"net/http"
	"time"

	"github.com/latam-conformance/conformance/clients/gu1"
	"github.com/latam-conformance/conformance/clients/pomelo"
)

// cleanUp cancels, on a sandbox, what the scenario created where the API allows it: Pomelo sessions and
// gu1 validations. Its calls are neither recorded nor checked; a refusal (a session already finished)
// is expected and ignored. Mocks are left alone: their state is the scenario's own.
func (w *World) cleanUp() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quiet := func(provider string) *http.Client { return w.quietClient(provider, nil) }
	live := func(provider string) bool { return w.deps.health.reason(provider) == "" } // a dead target is left alone
	if p := w.pomelo; p != nil && w.deps.Targets["pomelo"].Sandbox && len(p.created) > 0 && live("pomelo") {
		c, err := pomelo.NewClient(w.deps.Targets["pomelo"].BaseURL, pomelo.WithHTTPClient(quiet("pomelo")),
			pomelo.WithCredentials(w.pomeloCredentials()))
		if err == nil {
			for _, id := range p.created {
				_, _, _ = c.CancelSession(ctx, id)
			}
		}
	}
	if g := w.gu1; g != nil && w.deps.Targets["gu1"].Sandbox && len(g.validations) > 0 && live("gu1") {
		c, err := gu1.NewClient(g.base, gu1.WithHTTPClient(quiet("gu1")), gu1.WithAPIKey(w.secret("gu1", "api_key")))
		if err == nil {
			for _, v := range g.validations {
				_, _, _ = c.CancelValidation(ctx, v.ID)
			}
		}
	}
}
