package yamlpos

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"
)

// TestSyntaxErrorsAreNamedWhereTheyAre: each broken file is placed at the line (and column) a person
// must edit, where the decoder alone names the line its construct began on, counted from zero.
func TestSyntaxErrorsAreNamedWhereTheyAre(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
	}{
		{"an unclosed flow mapping", "target: sandbox\nproviders:\n  baas:\n    base_url: http://127.0.0.1:1\n    credentials: {api_client_key: x\n  gu1:\n    base_url: y\n", 6},
		{"a misindented key", "target: sandbox\nproviders:\n  baas:\n    base_url: http://127.0.0.1:1\n   bad_indent: 1\n", 5},
		{"an unclosed quote", "waivers:\n  - id: KYC-11\n    reason: \"x\n    expires: 2099-01-01\n", 3},
		{"a tab for indentation", "target: sandbox\nproviders:\n\tbaas: {}\n", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc yaml.Node
			err := yaml.NewDecoder(bytes.NewReader([]byte(tc.text))).Decode(&doc)
			require.Error(t, err, "the decoder refuses it")
			got := Locate([]byte(tc.text), err)
			assert.Equal(t, tc.line, got.Line, "%+v (the decoder said %v)", got, err)
			assert.Positive(t, got.Column)
			assert.NotEmpty(t, got.Message)
		})
	}
}
