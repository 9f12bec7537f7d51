package mock

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSequenceRunsInQueueOrder(t *testing.T) {
	var s Sequence
	var mu sync.Mutex
	var got []int
	for i := 0; i < 50; i++ {
		s.Go(func() {
			if i%7 == 0 {
				time.Sleep(time.Millisecond) // a slow one does not let the next overtake it
			}
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
		})
	}
	s.Wait()
	want := make([]int, 50)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, got)
}
