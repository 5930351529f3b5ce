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

func TestAscending(t *testing.T) {
	assert.True(t, Ascending(nil))
	assert.True(t, Ascending([]int32{0, 1, 5}))
	assert.False(t, Ascending([]int32{0, 0}), "a row twice")
	assert.False(t, Ascending([]int32{2, 1}))
	assert.False(t, Ascending([]int32{-1, 3}), "a null row")
}

// TakeAscendingDropping gives TakeAll's values, whatever the chunking and
// selection, and lets go of every input chunk.
func TestTakeAscendingDropping(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	n := 2*par.ChunkRows + 999
	ints, strs := make([]int64, n), make([]string, n)
	nulls := make([]bool, n)
	for i := range n {
		ints[i] = r.Int64N(1000)
		strs[i] = fmt.Sprint("s", r.IntN(50))
		nulls[i] = r.IntN(10) == 0
	}
	selections := map[string]func(i int) bool{
		"none":        func(int) bool { return false },
		"all":         func(int) bool { return true },
		"random":      func(int) bool { return r.IntN(3) > 0 },
		"first rows":  func(i int) bool { return i < 10 },
		"last rows":   func(i int) bool { return i >= n-10 },
		"middle only": func(i int) bool { return i > par.ChunkRows && i < par.ChunkRows+500 },
	}
	for name, keep := range selections {
		var idx []int32
		for i := range n {
			if keep(i) {
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
			got, err := TakeAscendingDropping(context.Background(), memory.DefaultAllocator, cols, idx)
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

func TestTakeAscendingDroppingCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cols := []Col{int64Col([]int64{1, 2, 3}, nil, 2)}
	_, err := TakeAscendingDropping(ctx, memory.DefaultAllocator, cols, []int32{0, 2})
	assert.ErrorIs(t, err, context.Canceled)
}
