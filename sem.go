package kiln

import (
	"container/heap"
	"context"
	"sync"
)

// prioSem is a counting semaphore that grants free slots to the waiter with
// the smallest key, so a backfill finishes early partitions first and frees
// their memory, whatever order goroutines happen to arrive in.
type prioSem struct {
	mu      sync.Mutex
	free    int
	waiters waitHeap
	seq     int
}

type semKey struct{ owner, node, seq int }

func (a semKey) less(b semKey) bool {
	if a.owner != b.owner {
		return a.owner < b.owner
	}
	if a.node != b.node {
		return a.node < b.node
	}
	return a.seq < b.seq
}

type waiter struct {
	key   semKey
	ready chan struct{}
	index int
}

type waitHeap []*waiter

func (h waitHeap) Len() int           { return len(h) }
func (h waitHeap) Less(i, j int) bool { return h[i].key.less(h[j].key) }
func (h waitHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waitHeap) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waitHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	w.index = -1
	return w
}

func newPrioSem(n int) *prioSem {
	if n < 1 {
		n = 1
	}
	return &prioSem{free: n}
}

// acquire waits for a slot. It fails only when ctx is done.
func (s *prioSem) acquire(ctx context.Context, owner, node int) error {
	s.mu.Lock()
	if s.free > 0 && len(s.waiters) == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	s.seq++
	w := &waiter{key: semKey{owner, node, s.seq}, ready: make(chan struct{})}
	heap.Push(&s.waiters, w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		if w.index >= 0 {
			heap.Remove(&s.waiters, w.index)
			s.mu.Unlock()
			return ctx.Err()
		}
		s.mu.Unlock()
		// The slot was granted as we gave up: pass it on.
		s.release()
		return ctx.Err()
	}
}

// release frees a slot, handing it to the best waiter.
func (s *prioSem) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiters) > 0 {
		w := heap.Pop(&s.waiters).(*waiter)
		close(w.ready)
		return
	}
	s.free++
}
