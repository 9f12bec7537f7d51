package mock

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestOutboxRunsEachKeyInQueueOrder(t *testing.T) {
	var o Outbox
	var mu sync.Mutex
	got := map[string][]int{}
	for i := 0; i < 50; i++ {
		for _, k := range []string{"a", "b"} {
			o.Go(k, func() {
				if i%7 == 0 {
					time.Sleep(time.Millisecond) // a slow one does not let the next overtake it
				}
				mu.Lock()
				got[k] = append(got[k], i)
				mu.Unlock()
			})
		}
	}
	o.Wait()
	want := make([]int, 50)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, got["a"])
	assert.Equal(t, want, got["b"])
}

func TestOutboxKeysDoNotWaitForEachOther(t *testing.T) {
	var o Outbox
	stuck := make(chan struct{})
	o.Go("dead", func() { <-stuck })
	o.Go("dead", func() {})
	done := make(chan struct{})
	o.Go("alive", func() { close(done) })
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a key waited for another key's stuck delivery")
	}
	close(stuck)
	o.Wait()
}

func TestOutboxBoundsAQueue(t *testing.T) {
	o := Outbox{MaxPending: 3}
	stuck := make(chan struct{})
	assert.True(t, o.Go("k", func() { <-stuck })) // running: taken off the queue at once, or still queued
	n := 0
	for i := 0; i < 10; i++ {
		if o.Go("k", func() {}) {
			n++
		}
	}
	assert.LessOrEqual(t, n, 3, "at most MaxPending wait")
	assert.GreaterOrEqual(t, n, 2)
	st := o.Stats()
	assert.Equal(t, 1, st.Targets)
	assert.Contains(t, []int{n, n + 1}, st.Waiting, "the queue holds what was accepted (and the first, if not yet started)")
	assert.Equal(t, int64(10-n), st.Refused, "what did not fit is counted")
	close(stuck)
	o.Wait()
	assert.Equal(t, OutboxStats{Refused: int64(10 - n)}, o.Stats(), "drained: nothing waits, the count stays")
}
