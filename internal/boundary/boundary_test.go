package boundary

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// doc is a small contract: one operation whose body has a required limited string, an optional enum
// and a nested object.
const doc = `{"paths": {"/things": {"post": {"operationId": "create", "x-catalogue-ids": ["GU1-01"],
  "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}}}}},
 "components": {"schemas": {"thing": {"type": "object", "additionalProperties": false, "required": ["name", "inner"],
  "properties": {
    "name": {"type": "string", "maxLength": 3, "x-catalogue-ids": ["GU1-02"]},
    "kind": {"type": "string", "enum": ["a", "b"]},
    "code": {"type": "string", "pattern": "^[0-9]{2}-[a-z]$"},
    "inner": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 9}}}}}}}}`

func derive(t *testing.T, seed int64) *Set {
	t.Helper()
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &d))
	s, err := Derive(map[string]map[string]any{"gu1": d}, seed)
	require.NoError(t, err)
	return s
}

func TestEveryConstraintGivesItsCases(t *testing.T) {
	s := derive(t, 1)
	want := map[string]bool{ // key -> accept
		"gu1/create/name/required/left-out":                                                                 false,
		"gu1/create/name/maxlength-3/3-characters-at-the-limit":                                             true,
		"gu1/create/name/maxlength-3/4-characters-one-past":                                                 false,
		"gu1/create/name/type-string/null":                                                                  false,
		"gu1/create/kind/enum-a-b/a-in-the-enum":                                                            true,
		"gu1/create/kind/enum-a-b/b-in-the-enum":                                                            true,
		"gu1/create/kind/enum-a-b/a-not-in-the-enum":                                                        false,
		"gu1/create/boundary_unknown_member/additionalproperties-false/a-member-the-contract-does-not-name": false,
		"gu1/create/inner.n/minimum-1/1-at-the-limit":                                                       true,
		"gu1/create/inner.n/minimum-1/0-one-past":                                                           false,
		"gu1/create/inner.n/maximum-9/10-one-past":                                                          false,
		"gu1/create/body/the-smallest-valid-body/the-required-members-only":                                 true,
	}
	for key, accept := range want {
		c, ok := s.Lookup(key)
		if assert.True(t, ok, key) {
			assert.Equal(t, accept, c.Accept, key)
		}
	}
	c, _ := s.Lookup("gu1/create/name/maxlength-3/3-characters-at-the-limit")
	assert.Equal(t, []string{"GU1-02"}, c.IDs, "the member's own ID")
	c, _ = s.Lookup("gu1/create/inner.n/minimum-1/0-one-past")
	assert.Equal(t, []string{"GU1-01"}, c.IDs, "the operation's, where the member names none")
	// 14 constraints: required name and inner, additionalProperties, name's type and maxLength, kind's
	// type and enum, code's type and pattern, inner's type and its required n, n's type, minimum, maximum.
	assert.Equal(t, 14, s.Constraints["gu1"])
}

func TestAPatternsCasesMatchAndMissIt(t *testing.T) {
	re := regexp.MustCompile(`^[0-9]{2}-[a-z]$`)
	for seed := int64(1); seed < 20; seed++ {
		s := derive(t, seed)
		for _, c := range s.Cases {
			if c.Rule != "pattern ^[0-9]{2}-[a-z]$" {
				continue
			}
			assert.Equal(t, c.Accept, re.MatchString(c.Value.(string)), "seed %d: %s", seed, c.Key)
		}
	}
}

func TestApplyLeavesTheSmallestBodyWithTheChange(t *testing.T) {
	s := derive(t, 1)
	example := func() map[string]any {
		return map[string]any{"name": "abc", "kind": "a", "code": "12-x", "inner": map[string]any{"n": 5.0, "extra": true}}
	}
	c, _ := s.Lookup("gu1/create/body/the-smallest-valid-body/the-required-members-only")
	body, err := c.Apply(example())
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"name": "abc", "inner": map[string]any{"n": 5.0}}, body, "every optional member goes, at every depth")
	c, _ = s.Lookup("gu1/create/kind/enum-a-b/a-not-in-the-enum")
	body, err = c.Apply(example())
	require.NoError(t, err)
	assert.Equal(t, "A", body["kind"])
	assert.NotContains(t, body, "code")
	c, _ = s.Lookup("gu1/create/inner.n/maximum-9/10-one-past")
	body, err = c.Apply(map[string]any{"name": "abc"})
	require.NoError(t, err)
	assert.Equal(t, 10.0, body["inner"].(map[string]any)["n"], "a missing object is made valid on the way")
}
