//go:build nopactffi

package pactffi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestABuildWithoutTheLoaderSaysSoWhateverIsSet: a nopactffi build names its build as the reason,
// never "not found" with advice (set CONFORMANCE_PACT_FFI, install the library) that cannot work for it
// (issue 18). make test runs this package with -tags nopactffi too.
func TestABuildWithoutTheLoaderSaysSoWhateverIsSet(t *testing.T) {
	t.Setenv(EnvLibrary, t.TempDir())
	_, err := load(Candidates())
	assert.ErrorIs(t, err, errNoLoader)
	assert.NotContains(t, err.Error(), "not found")
	assert.NotContains(t, err.Error(), "install-pact-ffi")
	assert.Contains(t, err.Error(), "-tags nopactffi")
}
