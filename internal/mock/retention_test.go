package mock

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRetentionEvictsOldestFirstAndSparesBusyOnes(t *testing.T) {
	store := map[string]bool{}
	busy := map[string]bool{"0": true, "1": true}
	r := Retention{Max: 5}
	for i := 0; i < 20; i++ {
		id := strconv.Itoa(i)
		store[id] = true
		r.Add(id)
		r.Trim(func(id string) bool { return busy[id] }, func(id string) { delete(store, id) })
	}
	assert.Len(t, store, 5)
	assert.True(t, store["0"] && store["1"], "busy items stay")
	assert.True(t, store["19"] && store["18"] && store["17"], "the newest stay")
	assert.False(t, store["2"], "the oldest idle one went first")

	// Once the busy ones are done, they go too, a few per Trim, without a pass over the store.
	busy = map[string]bool{}
	for i := 20; i < 23; i++ {
		id := strconv.Itoa(i)
		store[id] = true
		r.Add(id)
		r.Trim(func(id string) bool { return busy[id] }, func(id string) { delete(store, id) })
	}
	assert.Len(t, store, 5)
	assert.False(t, store["0"] || store["1"])
}

func TestRetentionOfBusyItemsCostsLittlePerCall(t *testing.T) {
	r := Retention{Max: 10}
	looked := 0
	for i := 0; i < 10000; i++ {
		r.Add(strconv.Itoa(i))
		r.Trim(func(string) bool { looked++; return true }, func(string) {})
	}
	assert.LessOrEqual(t, looked, 4*10000, "at most trimSteps looks per call, not a pass over the store")
	assert.Equal(t, 20, r.Len(), "busy items are kept up to twice the limit, and no further")
}

func TestTrimLogKeepsTheNewest(t *testing.T) {
	var log []int
	for i := 0; i < 1000; i++ {
		log = TrimLog(append(log, i), 100)
		assert.Less(t, len(log), 200)
	}
	assert.GreaterOrEqual(t, len(log), 100)
	assert.Equal(t, 999, log[len(log)-1])
}

func TestNewestFirstPagesByInstantThenID(t *testing.T) {
	type item struct{ at, id string }
	list := []item{{"1", "a"}, {"2", "c"}, {"2", "b"}, {"3", "d"}, {"3", "e"}}
	at := func(i item) string { return i.at }
	id := func(i item) string { return i.id }
	var ids []string
	for _, i := range NewestFirst(list, at, id, 0, 10) {
		ids = append(ids, i.id)
	}
	assert.Equal(t, []string{"d", "e", "b", "c", "a"}, ids, "newest instant first, one instant in id order")
	page := NewestFirst(list, at, id, 2, 2)
	assert.Equal(t, []item{{"2", "b"}, {"2", "c"}}, page)
	assert.Empty(t, NewestFirst(list, at, id, 5, 2))
}
