package mock

import (
	"slices"
	"strings"
	"time"
)

// Store limits of a long-running mock: what each mock keeps at most of each kind of thing it stores.
const (
	// DefaultMaxItems bounds each store of a mock (sessions, validations, entities, records, tokens,
	// SMS, delivery logs): past it the oldest are evicted.
	DefaultMaxItems = 10000
	// DefaultActiveFor is how long an unfinished item (a pending session or validation, an unexpired
	// token) is kept past the limit after it last changed: a running scenario may still need it.
	DefaultActiveFor = 30 * time.Minute
)

// Retention is the eviction order of one store: ids oldest first. Trim evicts the oldest once the
// store holds more than Max, except those still busy (an unfinished item that changed within the
// active window), which go to the back and are looked at again later. Busy items may hold the store
// above Max, but never above twice Max: past that the oldest goes whatever its state, so memory stays
// bounded even when every item is left unfinished (to lose an item a running scenario needs, 2×Max
// newer ones would have to be made while it runs). Not safe for concurrent use: the mock's lock guards
// it.
type Retention struct {
	Max     int // 0: DefaultMaxItems
	ids     []string
	head    int
	queued  map[string]int // how many places each id has in ids: one made again is judged at its newest
	evicted int64          // items Trim dropped
	forced  int64          // of those, busy ones dropped past the hard ceiling
}

// StoreStats is what GET /__control/health says of one store: how full it is and what it evicted. An
// operator of a shared mock watches EvictedUnfinished: a running scenario may have needed one of those.
type StoreStats struct {
	Items             int   `json:"items"`
	Max               int   `json:"max_items"`
	Evicted           int64 `json:"evicted"`
	EvictedUnfinished int64 `json:"evicted_unfinished"`
}

// Stats describes the store this Retention orders, which holds items items.
func (r *Retention) Stats(items int) StoreStats {
	return StoreStats{Items: items, Max: r.limit(), Evicted: r.evicted, EvictedUnfinished: r.forced}
}

func (r *Retention) limit() int {
	if r.Max <= 0 {
		return DefaultMaxItems
	}
	return r.Max
}

// Add records id as the newest item. An id added again (the control API may reuse one) takes its
// newest place: its older place is passed over, never a reason to evict the item made since.
func (r *Retention) Add(id string) {
	if r.queued == nil {
		r.queued = map[string]int{}
	}
	r.queued[id]++
	r.ids = append(r.ids, id)
}

// Len is how many ids are kept (ids already removed from the store count until Trim passes them).
func (r *Retention) Len() int { return len(r.ids) - r.head }

// Reset forgets every id; what was evicted before stays counted.
func (r *Retention) Reset() { r.ids, r.head, r.queued = nil, 0, nil }

// trimSteps is how many of the oldest ids one Trim looks at: more than the one id an Add brings, so
// that a store over its limit shrinks back, and few enough that a store of busy items costs O(1) per
// call, not a pass over every item.
const trimSteps = 4

// Trim evicts oldest first while more than Max ids are kept, looking at no more than trimSteps of
// them. busy(id) keeps an item (it moves to the back); drop(id) removes it from the store and reports
// whether the store held it (an id removed some other way is not counted as evicted).
func (r *Retention) Trim(busy func(id string) bool, drop func(id string) bool) {
	limit := r.limit()
	for tries := min(r.Len(), trimSteps); r.Len() > limit && tries > 0; tries-- {
		id := r.ids[r.head]
		r.ids[r.head] = ""
		r.head++
		if r.queued[id] > 1 { // added again since: its newer place decides
			r.queued[id]--
			continue
		}
		isBusy := busy != nil && busy(id)
		if isBusy && r.Len() < 2*limit {
			r.ids = append(r.ids, id)
			continue
		}
		delete(r.queued, id)
		if drop(id) {
			r.evicted++
			if isBusy {
				r.forced++
			}
		}
	}
	if r.head > 1024 && r.head > len(r.ids)/2 { // reclaim the evicted front
		r.ids = append([]string(nil), r.ids[r.head:]...)
		r.head = 0
	}
}

// Remove is Trim's drop for a store kept as a map by id: it deletes id and says whether it was there.
func Remove[V any](store map[string]V) func(id string) bool {
	return func(id string) bool {
		_, ok := store[id]
		delete(store, id)
		return ok
	}
}

// Limits returns the store limits of cfg with defaults filled in.
func (cfg Config) StoreLimits() (maxItems int, activeFor time.Duration) {
	maxItems, activeFor = cfg.MaxItems, cfg.ActiveFor
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	if activeFor <= 0 {
		activeFor = DefaultActiveFor
	}
	return maxItems, activeFor
}

// TrimLog bounds a log: once it holds 2×max entries it keeps the newest max (copying then, so that
// appending stays amortised O(1)). It holds at least the newest max entries and never 2×max.
func TrimLog[T any](log []T, max int) []T {
	if max <= 0 {
		max = DefaultMaxItems
	}
	if len(log) >= 2*max {
		return append([]T(nil), log[len(log)-max:]...)
	}
	return log
}

// NewestFirst returns the items skip to skip+limit of list read newest first. list is oldest first by
// the instant each item was made (as a store appends them); items of one instant are read in id order.
// It costs the page and its offset, not the whole list.
func NewestFirst[T any](list []T, instant, id func(T) string, skip, limit int) []T {
	var out []T
	for end := len(list); end > 0 && len(out) < limit; {
		start := end - 1
		for start > 0 && instant(list[start-1]) == instant(list[end-1]) {
			start--
		}
		group := slices.Clone(list[start:end])
		slices.SortStableFunc(group, func(a, b T) int { return strings.Compare(id(a), id(b)) })
		for _, v := range group {
			switch {
			case skip > 0:
				skip--
			case len(out) < limit:
				out = append(out, v)
			}
		}
		end = start
	}
	return out
}
