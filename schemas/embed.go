// Package schemas holds the JSON Schemas of every provider, one folder per provider, embedded in the
// binary. Each folder has an index.json that maps an operation (method and path) to the schema of its
// request body and of its response body per status. internal/schema compiles them.
package schemas

import "embed"

// FS holds <provider>/*.json. A new provider's folder is picked up without code changes.
//
//go:embed */*.json
var FS embed.FS
