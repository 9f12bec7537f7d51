// Package features embeds the Gherkin suite: one folder per provider (features/<provider>/*.feature),
// each scenario tagged with the catalogue IDs it proves.
package features

import "embed"

// FS holds <provider>/*.feature.
//
//go:embed */*.feature
var FS embed.FS
