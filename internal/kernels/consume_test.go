package kernels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/internal/par"
)

func TestInOrder(t *testing.T) {
	assert.True(t, InOrder(nil))
	assert.True(t, InOrder([]int32{0, 1, 5}))
	assert.True(t, InOrder([]int32{0, 0, 3, 3}), "rows repeated, as a join does")
	assert.False(t, InOrder([]int32{2, 1}))
	assert.False(t, InOrder([]int32{-1, 3}), "a null row")
}

// TakeInOrderDropping gives TakeAll's values, whatever the chunking and
// selection, and lets go of every input chunk.
func TestTakeInOrderDropping(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	n := 2*par.ChunkRows + 999
	ints, strs := make([]int64, n), make([]string, n)
	nulls := make([]bool, n)
	for i := range n {
		ints[i] = r.Int64N(1000)
		strs[i] = fmt.Sprint("s", r.IntN(50))
		nulls[i] = r.IntN(10) == 0
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	// Each selection says how many times row i is taken.
	selections := map[string]func(i int) int{
		"none":        func(int) int { return 0 },
		"all":         func(int) int { return 1 },
		"random":      func(int) int { return b2i(r.IntN(3) > 0) },
		"first rows":  func(i int) int { return b2i(i < 10) },
		"last rows":   func(i int) int { return b2i(i >= n-10) },
		"middle only": func(i int) int { return b2i(i > par.ChunkRows && i < par.ChunkRows+500) },
		"repeats":     func(int) int { return r.IntN(3) }, // as a join takes its left rows
	}
	for name, times := range selections {
		var idx []int32
		for i := range n {
			for range times(i) {
				idx = append(idx, int32(i))
			}
		}
		for _, chunk := range []int{1000, 30_000, par.ChunkRows, 70_000, n} {
			mk := func() []Col {
				return []Col{int64Col(ints, nulls, chunk), stringCol(strs, nulls, chunk), int64Col(ints, nil, chunk)}
			}
			want, err := TakeAll(context.Background(), memory.DefaultAllocator, mk(), idx)
			require.NoError(t, err)
			cols := mk()
			views := make([][]arrow.Array, len(cols))
			for i := range cols {
				views[i] = cols[i].Chunks // the caller's own view of the chunks
			}
			got, err := TakeInOrderDropping(context.Background(), memory.DefaultAllocator, cols, idx)
			require.NoError(t, err)
			for i := range want {
				w := arrow.NewChunked(want[i].DataType(), []arrow.Array{want[i]})
				assert.Equal(t, len(idx), got[i].Len(), "%s chunk %d column %d", name, chunk, i)
				assert.True(t, array.ChunkedEqual(w, got[i]), "%s chunk %d column %d", name, chunk, i)
				assert.Nil(t, cols[i].Chunks, "column %d still referenced", i)
				for j, a := range views[i] {
					assert.Nil(t, a, "%s chunk %d column %d: input chunk %d still referenced", name, chunk, i, j)
				}
				for _, c := range got[i].Chunks() {
					assert.Positive(t, c.Len(), "no empty output chunks")
				}
			}
		}
	}
}

func TestTakeInOrderDroppingCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cols := []Col{int64Col([]int64{1, 2, 3}, nil, 2)}
	_, err := TakeInOrderDropping(ctx, memory.DefaultAllocator, cols, []int32{0, 2})
	assert.ErrorIs(t, err, context.Canceled)
}
