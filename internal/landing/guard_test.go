package landing

import (
	"cmp"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newGuard(wait time.Duration) *Guard[int] {
	return &Guard[int]{Compare: cmp.Compare[int], Wait: wait, Poll: time.Millisecond}
}

func TestGuardWaitsForEarlierCommit(t *testing.T) {
	g := newGuard(5 * time.Second)
	ctx := context.Background()
	var committed sync.Map
	isCommitted := func(p int) (bool, error) { _, ok := committed.Load(p); return ok, nil }

	end, err := g.Begin(ctx, "ds", 1, isCommitted)
	require.NoError(t, err)
	end(true) // partition 1 read, its commit pending

	var order []string
	var mu sync.Mutex
	log := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	done := make(chan struct{})
	go func() {
		defer close(done)
		end, err := g.Begin(ctx, "ds", 2, isCommitted)
		if !assert.NoError(t, err) {
			return
		}
		log("2 begins")
		end(true)
	}()
	time.Sleep(20 * time.Millisecond)
	log("1 commits")
	committed.Store(1, true)
	<-done
	assert.Equal(t, []string{"1 commits", "2 begins"}, order)

	// Another dataset is independent, and a partition never waits for itself.
	end, err = g.Begin(ctx, "other", 1, func(int) (bool, error) { return false, nil })
	require.NoError(t, err)
	end(true)
	end, err = g.Begin(ctx, "other", 1, func(int) (bool, error) { return false, nil })
	require.NoError(t, err)
	end(false)
}

func TestGuardGivesUpOnAFailedPartition(t *testing.T) {
	g := newGuard(30 * time.Millisecond)
	ctx := context.Background()
	never := func(int) (bool, error) { return false, nil }
	end, err := g.Begin(ctx, "ds", 3, never)
	require.NoError(t, err)
	end(true)

	_, err = g.Begin(ctx, "ds", 4, never)
	require.Error(t, err)
	assert.ErrorContains(t, err, "partition 3 was read by this process but has not committed after 30ms")

	// The partition is forgotten: a retry proceeds.
	end, err = g.Begin(ctx, "ds", 4, never)
	require.NoError(t, err)
	end(false)
}

func TestGuardSerializesAndHonorsCancel(t *testing.T) {
	g := newGuard(time.Second)
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			end, err := g.Begin(context.Background(), "ds", p, func(int) (bool, error) { return true, nil })
			if !assert.NoError(t, err) {
				return
			}
			n := inside.Add(1)
			if n > most.Load() {
				most.Store(n)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			end(true)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, most.Load(), "one landing at a time")

	end, err := g.Begin(context.Background(), "ds", 100, func(int) (bool, error) { return true, nil })
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = g.Begin(ctx, "ds", 101, func(int) (bool, error) { return true, nil })
	assert.ErrorIs(t, err, context.Canceled)
	end(false)
}
