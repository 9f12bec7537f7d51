package waiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latam-conformance/conformance/internal/catalogue"
	"github.com/latam-conformance/conformance/internal/config"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "waivers.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func TestLoadAndExpiry(t *testing.T) {
	cat, err := catalogue.Load()
	require.NoError(t, err)
	set, err := Load(write(t, "waivers:\n  - id: KYC-11\n    provider: pomelo\n    reason: sandbox ignores '-'\n    expires: 2026-11-30\n"), cat)
	require.NoError(t, err)
	require.Len(t, set.List, 1)
	w, ok := set.For([]string{"DOC-01", "KYC-11"})
	require.True(t, ok)
	assert.Equal(t, 2, w.Line)
	assert.False(t, w.Expired(time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)), "the expiry day itself still holds")
	assert.True(t, w.Expired(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	_, ok = set.For([]string{"KYC-12"})
	assert.False(t, ok)
	var none *Set
	_, ok = none.For([]string{"KYC-11"})
	assert.False(t, ok)

	empty, err := Load(write(t, ""), cat)
	require.NoError(t, err)
	assert.Empty(t, empty.List)
}

func TestLoadNamesEveryProblem(t *testing.T) {
	cat, err := catalogue.Load()
	require.NoError(t, err)
	_, err = Load(write(t, `waivers:
  - id: KYC-99
    expires: someday
  - id: KYC-11
    provider: gu1
    expires: next week
  - reason: no id
    expires: 2027-01-01
  - id: BAAS-12
    reason: r
    expires: 2027-01-01
  - id: BAAS-12
    reason: again
    expires: 2027-01-01
`), cat)
	require.Error(t, err)
	var probs *config.Problems
	require.ErrorAs(t, err, &probs, "problems in the config file's form")
	// An entry with two problems has both reported (issue 18): the bad id does not hide the rest.
	for _, want := range []string{`:2:9: waivers[0].id: "KYC-99" is not a catalogue ID`, ":2:5: waivers[0]: KYC-99: needs a reason",
		`:3:14: waivers[0].expires: KYC-99: expires "someday": want a date, YYYY-MM-DD`,
		":5:15: waivers[1].provider: KYC-11 belongs to pomelo, not gu1",
		":4:5: waivers[1]: KYC-11: needs a reason", `:6:14: waivers[1].expires: KYC-11: expires "next week": want a date, YYYY-MM-DD`, ":7:5: waivers[2]: needs an id",
		":12:5: waivers[4]: BAAS-12 is waived already at line 9"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Contains(t, err.Error(), "8 problem(s):")
	_, err = Load(write(t, "waivers:\n  - id: KYC-11\n    reasn: typo\n"), cat)
	assert.ErrorContains(t, err, ":3:5: waivers[0].reasn: unknown key (known here: id, provider, reason, expires)")
	assert.NotContains(t, err.Error(), "struct", "no Go type")
	_, err = Load(write(t, "waiver:\n  - id: KYC-11\n"), cat)
	assert.ErrorContains(t, err, ":1:1: waiver: unknown key (known here: waivers)")
	_, err = Load(write(t, "waivers: [\n"), cat)
	assert.ErrorContains(t, err, "not valid YAML")
}

func TestEveryKeyIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, k := range Keys {
		assert.Contains(t, string(readme), "`"+k[0]+"`", "README documents the waiver key %s", k[0])
	}
}
