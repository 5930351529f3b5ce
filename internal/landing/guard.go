// Package landing orders the landings of chained sources inside one process.
//
// A chained source (Kafka offsets, an API's "since" mark) lands partition P
// from where the latest committed partition before P ended. That is exact
// when landings happen one after another, but two partitions landed at the
// same time (a Backfill with parallelism) would both start from the same
// committed partition and land the same records twice. A Guard prevents it:
// landings of one source run one at a time, and a landing first waits until
// every partition this process read earlier has committed, so it plans its
// range from up-to-date committed state.
//
// A partition that was read but never commits (its run failed after the
// read, for example on a quality check) is waited for at most Wait; the
// landing that gave up returns an error and forgets the partition, so a retry
// proceeds from the committed state.
package landing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Guard serializes the landings of one source and tracks, per dataset, the
// partitions read but not yet seen committed. The zero value is not usable:
// set Compare. A Guard is safe for concurrent use.
type Guard[P comparable] struct {
	// Compare orders partitions (for stable error messages).
	Compare func(a, b P) int
	// Wait bounds how long a landing waits for an earlier read to commit
	// (default 30s).
	Wait time.Duration
	// Poll is the interval between commit checks (default 20ms).
	Poll time.Duration

	once    sync.Once
	turn    chan struct{}
	mu      sync.Mutex
	pending map[string]map[P]time.Time
}

func (g *Guard[P]) init() {
	g.once.Do(func() {
		g.turn = make(chan struct{}, 1)
		g.pending = map[string]map[P]time.Time{}
	})
}

// Begin waits for this source's turn to land partition p of dataset key,
// then for every other partition of key this process read and has not seen
// committed; committed reports whether a partition has committed. It returns
// a function to call when the landing's read is over: with read true when
// p's data was read (its commit is now pending), false when the read failed.
func (g *Guard[P]) Begin(ctx context.Context, key string, p P, committed func(P) (bool, error)) (end func(read bool), err error) {
	g.init()
	select {
	case g.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-g.turn }
	if err := g.settle(ctx, key, p, committed); err != nil {
		release()
		return nil, err
	}
	return func(read bool) {
		g.mu.Lock()
		if read {
			if g.pending[key] == nil {
				g.pending[key] = map[P]time.Time{}
			}
			g.pending[key][p] = time.Now()
		} else {
			delete(g.pending[key], p)
		}
		g.mu.Unlock()
		release()
	}, nil
}

// settle waits until the other pending partitions of key have committed.
func (g *Guard[P]) settle(ctx context.Context, key string, p P, committed func(P) (bool, error)) error {
	wait, poll := g.Wait, g.Poll
	if wait <= 0 {
		wait = 30 * time.Second
	}
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	g.mu.Lock()
	var others []P
	for e := range g.pending[key] {
		if e != p {
			others = append(others, e)
		}
	}
	g.mu.Unlock()
	slices.SortFunc(others, g.Compare)
	for _, e := range others {
		deadline := time.Now().Add(wait)
		for {
			ok, err := committed(e)
			if err != nil {
				return err
			}
			if ok {
				g.forget(key, e)
				break
			}
			if time.Now().After(deadline) {
				g.forget(key, e)
				return fmt.Errorf("partition %v was read by this process but has not committed after %s (its run failed, or its commit is still running); landing %v now could land its records twice: retry once it has committed or failed", e, wait, p)
			}
			t := time.NewTimer(poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	return nil
}

func (g *Guard[P]) forget(key string, p P) {
	g.mu.Lock()
	delete(g.pending[key], p)
	g.mu.Unlock()
}
