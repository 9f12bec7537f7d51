package schema

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFindDuplicate(t *testing.T) {
	d, ok := FindDuplicate([]byte(`{"validation": false, "hash": "x", "validation": true}`))
	assert.True(t, ok)
	assert.Equal(t, Duplicate{Pointer: "/validation", First: "false", Second: "true"}, d)
	d, ok = FindDuplicate([]byte(`{"data": [{"id": 1}, {"id": 2, "status": "A", "status": "B"}]}`))
	assert.True(t, ok)
	assert.Equal(t, "/data/1/status", d.Pointer)
	for _, fine := range []string{`{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}`, `[]`, `null`, `not json`, ``, `{"a~b/c": 1, "a": 2}`} {
		_, ok := FindDuplicate([]byte(fine))
		assert.False(t, ok, fine)
	}
	deep := strings.Repeat(`{"a":`, 5000) + `{"x": 1, "x": [1, {"y": 2}]}` + strings.Repeat(`}`, 5000)
	d, ok = FindDuplicate([]byte(deep)) // as deep as the decoder reads, in one pass
	assert.True(t, ok)
	assert.Equal(t, strings.Repeat("/a", 5000)+"/x", d.Pointer)
	assert.Equal(t, `[1, {"y": 2}]`, d.Second)
	d, ok = FindDuplicate([]byte(`{"": "", "e": {"": 1, "": 2}}`))
	assert.True(t, ok, "an empty member name is a name")
	assert.Equal(t, Duplicate{Pointer: "/e/", First: "1", Second: "2"}, d)
	d, ok = FindDuplicate([]byte(`{"list": [{"k": 1}, {"k": 2}], "o": {"k": "a", "k": {"n": null}}}`))
	assert.True(t, ok)
	assert.Equal(t, Duplicate{Pointer: "/o/k", First: `"a"`, Second: `{"n": null}`}, d)
}
