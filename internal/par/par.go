// Package par runs data-parallel work over fixed chunks so that results never
// depend on the number of threads: the chunking is chosen from the data size
// alone, each chunk's partial result goes to its own slot, and callers
// combine the slots in chunk order.
package par

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// ChunkRows is kiln's default chunk size for row-parallel kernels. It is part
// of the determinism contract of any kernel whose floating-point results
// depend on how partial sums are grouped: changing it changes those results.
const ChunkRows = 1 << 16

// Ranges splits [0, n) into consecutive [lo, hi) ranges of size rows (the
// last may be shorter). It depends only on n and size.
func Ranges(n, size int) [][2]int {
	if size <= 0 {
		size = ChunkRows
	}
	out := make([][2]int, 0, (n+size-1)/size)
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}

// Do calls fn(i) for every i in [0, n) using up to GOMAXPROCS goroutines and
// returns the error of the lowest index that failed (so the reported error is
// deterministic too). fn must write its result to a slot of its own. Do stops
// handing out new indexes once ctx is done or a call failed.
func Do(ctx context.Context, n int, fn func(i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
				if err := fn(i); err != nil {
					errs[i] = err
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
