package kernels

import (
	"context"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/par"
)

// InOrder reports whether idx is non-negative and never decreases: rows
// taken in input order, as a selection keeps them or a join repeats them.
func InOrder(idx []int32) bool {
	prev := int32(0)
	for _, j := range idx {
		if j < prev {
			return false
		}
		prev = j
	}
	return true
}

// TakeInOrderDropping takes the rows idx, which must be InOrder, of
// every column, like TakeAllDropping, but works through each column's
// chunks in order, a group of at least par.ChunkRows rows at a time: the
// rows of a group that idx selects become one output chunk, and the
// group's input chunks are cleared from cols[i].Chunks as soon as they are
// copied. A caller holding the only references to the columns thus frees
// the input while the output grows, holding about one group of each
// column in flight instead of whole columns. The output chunking depends
// only on the column's chunking and idx.
func TakeInOrderDropping(ctx context.Context, mem memory.Allocator, cols []Col, idx []int32) ([]*arrow.Chunked, error) {
	out := make([]*arrow.Chunked, len(cols))
	err := par.Do(ctx, len(cols), func(i int) error {
		c, err := takeInOrder(ctx, mem, cols[i], idx)
		cols[i] = Col{}
		out[i] = c
		return err
	})
	if err != nil {
		for _, c := range out {
			if c != nil {
				c.Release()
			}
		}
		return nil, err
	}
	return out, nil
}

// takeInOrder is TakeInOrderDropping for one column.
func takeInOrder(ctx context.Context, mem memory.Allocator, c Col, idx []int32) (*arrow.Chunked, error) {
	var out []arrow.Array
	defer func() {
		for _, a := range out {
			a.Release()
		}
	}()
	var rel []int32 // idx of the current group, relative to its first row
	lo := 0         // first entry of idx in the current group
	for g := 0; g < len(c.Chunks); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := g + 1
		for h < len(c.Chunks) && c.Starts[h]-c.Starts[g] < par.ChunkRows {
			h++
		}
		first, end := int32(c.Starts[g]), int32(c.Starts[h])
		hi := lo + sort.Search(len(idx)-lo, func(k int) bool { return idx[lo+k] >= end })
		if hi > lo {
			rel = rel[:0]
			for _, j := range idx[lo:hi] {
				rel = append(rel, j-first)
			}
			a, err := Take(mem, ColOf(c.Type, c.Chunks[g:h]...), rel)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		clear(c.Chunks[g:h]) // the caller's view shares these slots
		lo, g = hi, h
	}
	return arrow.NewChunked(c.Type, out), nil
}
