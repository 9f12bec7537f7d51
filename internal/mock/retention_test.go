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
		r.Trim(func(id string) bool { return busy[id] }, Remove(store))
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
		r.Trim(func(id string) bool { return busy[id] }, Remove(store))
	}
	assert.Len(t, store, 5)
	assert.False(t, store["0"] || store["1"])
}

func TestRetentionOfBusyItemsCostsLittlePerCall(t *testing.T) {
	r := Retention{Max: 10}
	looked := 0
	for i := 0; i < 10000; i++ {
		r.Add(strconv.Itoa(i))
		r.Trim(func(string) bool { looked++; return true }, func(string) bool { return true })
	}
	assert.LessOrEqual(t, looked, 4*10000, "at most trimSteps looks per call, not a pass over the store")
	assert.Equal(t, 20, r.Len(), "busy items are kept up to twice the limit, and no further")
	st := r.Stats(20)
	assert.Equal(t, StoreStats{Items: 20, Max: 10, Evicted: 10000 - 20, EvictedUnfinished: 10000 - 20}, st,
		"every item dropped was busy: each one is counted as an unfinished item lost")
}

// An id made again (the control API may reuse one) is judged at its newest place: the older place is
// passed over, and the item made since is not evicted as if it were the oldest.
func TestRetentionJudgesAReusedIDAtItsNewestPlace(t *testing.T) {
	store := map[string]bool{}
	r := Retention{Max: 3}
	for _, id := range []string{"a", "b", "c", "a"} {
		store[id] = true
		r.Add(id)
		r.Trim(nil, Remove(store))
	}
	assert.Equal(t, map[string]bool{"a": true, "b": true, "c": true}, store, "a was made again: its first place is stale")
	store["d"] = true
	r.Add("d")
	r.Trim(nil, Remove(store))
	assert.Equal(t, map[string]bool{"a": true, "c": true, "d": true}, store, "b is now the oldest, and goes")
	assert.Equal(t, int64(1), r.Stats(len(store)).Evicted)
	for _, id := range []string{"e", "f"} {
		store[id] = true
		r.Add(id)
		r.Trim(nil, Remove(store))
	}
	assert.Equal(t, map[string]bool{"d": true, "e": true, "f": true}, store, "then c, then a at its newest place")
}

// The counts the health endpoint shows: items evicted, and of those the unfinished ones lost past the
// hard ceiling; an id the store no longer held (removed some other way) is not an eviction.
func TestRetentionCountsWhatItEvicts(t *testing.T) {
	store := map[string]bool{}
	r := Retention{Max: 3}
	for i := 0; i < 5; i++ {
		id := strconv.Itoa(i)
		store[id] = true
		r.Add(id)
	}
	delete(store, "0") // cleaned through the API before its turn came
	r.Trim(nil, Remove(store))
	assert.Equal(t, StoreStats{Items: 3, Max: 3, Evicted: 1}, r.Stats(len(store)), `"0" was gone already; "1" was evicted`)

	busy := func(string) bool { return true }
	for i := 5; i < 12; i++ {
		id := strconv.Itoa(i)
		store[id] = true
		r.Add(id)
		r.Trim(busy, Remove(store))
	}
	st := r.Stats(len(store))
	assert.Equal(t, 6, st.Items, "busy items held the store at twice its limit")
	assert.Equal(t, int64(5), st.Evicted)
	assert.Equal(t, int64(4), st.EvictedUnfinished, "past the ceiling busy items went, and were counted")
	r.Reset()
	assert.Equal(t, int64(5), r.Stats(0).Evicted, "a reset forgets the order, not the count")
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
