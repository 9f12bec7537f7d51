// Package pacttest starts the Pact mock provider for a consumer test. Only the clients' tests import it,
// so pact-go's consumer side stays out of the conformance binary.
package pacttest

import (
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/log"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/providers"
)

// New returns a V4 Pact mock provider on 127.0.0.1 for the harness provider named provider, with the
// consumer and provider names the harness gives its contracts, writing into dir.
func New(t *testing.T, provider, dir string) *consumer.V4HTTPMockProvider {
	t.Helper()
	p, err := providers.Lookup(provider)
	require.NoError(t, err)
	_ = log.SetLogLevel("ERROR")
	mp, err := consumer.NewV4Pact(consumer.MockHTTPProviderConfig{
		Consumer: p.PactConsumer, Provider: p.PactProvider,
		Host: "127.0.0.1", PactDir: dir, LogDir: dir,
	})
	require.NoError(t, err)
	return mp
}

// FileName is the pact file the consumer tests of provider write: "<consumer>-<provider>.json".
func FileName(provider string) string {
	p, err := providers.Lookup(provider)
	if err != nil {
		panic(err) // a test names a provider the harness does not have
	}
	return p.PactConsumer + "-" + p.PactProvider + ".json"
}
