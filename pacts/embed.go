// Package pacts holds the Pact contracts the consumer tests generate (clients/*/pact_test.go), committed
// and embedded so that 'conformance verify' works from the binary alone. Regenerate with 'make pacts'.
package pacts

import "embed"

// FS holds *.json.
//
//go:embed *.json
var FS embed.FS
