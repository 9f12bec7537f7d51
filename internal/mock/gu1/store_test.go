package gu1

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	client "github.com/latam-conformance/conformance/clients/gu1"
	"github.com/latam-conformance/conformance/internal/mock"
)

func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// A soak of the load: validations created again and again on one entity, then on many. Each
// new one supersedes the last, which the store may then evict: it stays at its limit, an entity's list
// and the heap with it, and the entity's current validation is never the one evicted.
func TestValidationsStayWithinTheLimitUnderASoak(t *testing.T) {
	clock := mock.NewManualClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	m, err := New(mock.Config{Schemas: registry, Now: clock.Now, MaxItems: 1000, ActiveFor: time.Minute})
	require.NoError(t, err)
	one := entity(t, m, APIKey, "person")
	var at5k float64
	var last string
	for i := 0; i < 20000; i++ {
		clock.Add(time.Second)
		target := one
		if i%2 == 1 {
			target = entity(t, m, APIKey, "person")
		}
		status, v := call(t, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+target+`"}`)
		require.Equal(t, 201, status, "%v", v)
		if target == one {
			last = v["id"].(string)
		}
		if i == 5000 {
			at5k = heapMB()
		}
	}
	at20k := heapMB()
	m.mu.Lock()
	nv, ne, onList := len(m.validations), len(m.entities[m.orgs[APIKey].ID]), len(m.byEntity[entityKey(m.orgs[APIKey].ID, one)])
	cur := m.current[entityKey(m.orgs[APIKey].ID, one)]
	m.mu.Unlock()
	assert.LessOrEqual(t, nv, 1000, "validations kept")
	assert.LessOrEqual(t, ne, 1000, "entities kept")
	assert.LessOrEqual(t, onList, 1000, "one entity's list")
	require.NotNil(t, cur)
	assert.Equal(t, last, cur.ID, "the entity's current validation is the last one made")
	assert.Less(t, at20k, at5k+8, "the heap does not grow with the validations made (%.1f MB at 5k, %.1f MB at 20k)", at5k, at20k)
	t.Logf("heap %.1f MB after 5,000 validations, %.1f MB after 20,000 (limit 1,000)", at5k, at20k)
	status, list := call(t, m, APIKey, "GET", "/api/kyc/entities/"+one+"/validations?limit=1", "")
	require.Equal(t, 200, status)
	assert.Equal(t, last, list["validations"].([]any)[0].(map[string]any)["id"], "newest first")
}

// BenchmarkStore: one validation created on an entity and one list of it, with 1k, 10k and 100k
// validations stored (on other entities; and on the same entity, the load).
func BenchmarkStore(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		m, err := New(mock.Config{Schemas: registry, MaxItems: 2 * n})
		require.NoError(b, err)
		busy := entity(b, m, APIKey, "person")
		for i := 0; i < n; i++ {
			target := busy
			if i%2 == 1 {
				target = entity(b, m, APIKey, "person")
			}
			status, _ := call(b, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+target+`"}`)
			require.Equal(b, 201, status)
		}
		fresh := entity(b, m, APIKey, "person")
		b.Run(fmt.Sprintf("create/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				call(b, m, APIKey, "POST", client.PathValidations, `{"entityId":"`+fresh+`"}`)
			}
		})
		b.Run(fmt.Sprintf("list/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				call(b, m, APIKey, "GET", "/api/kyc/entities/"+fresh+"/validations?limit=10", "")
			}
		})
	}
}
