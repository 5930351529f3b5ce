package kernels

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runsByGroup is SortedRuns' answer computed by hashing.
func runsByGroup(t *testing.T, c Col, last bool) []int32 {
	g, err := Group([]Col{c})
	require.NoError(t, err)
	if g.N == c.Len {
		return nil
	}
	if !last {
		return g.First
	}
	lastRow := make([]int32, g.N)
	for i, id := range g.IDs {
		lastRow[id] = int32(i)
	}
	slices.Sort(lastRow)
	return lastRow
}

func TestSortedRunsMatchesGroup(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 1000, 70_000} {
		for _, dupRate := range []float64{0, 0.01, 0.5} {
			vals := make([]int64, n)
			v := int64(-5)
			for i := range vals {
				if i > 0 && r.Float64() >= dupRate {
					v += 1 + r.Int64N(3)
				}
				vals[i] = v
			}
			for _, chunk := range []int{1, 3, 1 << 16} {
				c := int64Col(vals, nil, chunk)
				for _, last := range []bool{false, true} {
					rows, ok := SortedRuns(c, last)
					require.True(t, ok)
					assert.Equal(t, runsByGroup(t, c, last), rows, "n=%d dup=%v chunk=%d last=%v", n, dupRate, chunk, last)
				}
			}
		}
	}
}

func TestSortedRunsDeclines(t *testing.T) {
	_, ok := SortedRuns(int64Col([]int64{1, 2, 2, 1}, nil, 2), false)
	assert.False(t, ok, "a decrease")
	_, ok = SortedRuns(int64Col([]int64{1, 2, 3}, []bool{true, false, true}, 2), false)
	assert.False(t, ok, "a null")
	_, ok = SortedRuns(stringCol([]string{"a", "b"}, nil, 2), false)
	assert.False(t, ok, "not an integer column")
	_, ok = SortedRuns(float64Col([]float64{1, 2}, nil, 2), false)
	assert.False(t, ok, "not an integer column")
}

func TestSortedRunsLateTail(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{9, 1000, 70_000} {
		for _, tailFrac := range []float64{0.01, 0.1} {
			vals := make([]int64, n)
			v := int64(100)
			for i := range vals {
				if i > 0 && r.Float64() >= 0.05 {
					v += 1 + r.Int64N(3)
				}
				vals[i] = v
			}
			// Replays: a tail of old keys (some repeated, some new).
			tail := max(1, int(float64(n)*tailFrac))
			for i := n - tail; i < n; i++ {
				switch r.IntN(3) {
				case 0:
					vals[i] = vals[r.IntN(n-tail)]
				case 1:
					vals[i] = -r.Int64N(5) // new keys, repeated within the tail
				default:
					vals[i] = vals[n-tail+r.IntN(i-(n-tail)+1)]
				}
			}
			if vals[n-tail] >= vals[n-tail-1] {
				vals[n-tail] = vals[n-tail-1] - 1_000 // make the tail start with a decrease
			}
			for _, chunk := range []int{1, 3, 1 << 16} {
				c := int64Col(vals, nil, chunk)
				for _, last := range []bool{false, true} {
					rows, ok := SortedRuns(c, last)
					require.True(t, ok, "n=%d tail=%d", n, tail)
					assert.Equal(t, runsByGroup(t, c, last), rows, "n=%d tail=%v chunk=%d last=%v", n, tail, chunk, last)
				}
			}
		}
	}
	// A tail longer than an eighth is left to hashing.
	_, ok := SortedRuns(int64Col([]int64{1, 2, 3, 4, 5, 6, 7, 0, 0}, nil, 4), false)
	assert.False(t, ok)
}

// SortedRunsAt over some rows answers as SortedRuns over those rows
// gathered, whatever the chunking, with and without a late tail.
func TestSortedRunsAtMatchesGathered(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 50, 70_000} {
		for _, tail := range []bool{false, true} {
			vals := make([]int64, n)
			v := int64(0)
			for i := range vals {
				if r.Float64() >= 0.1 {
					v += 1 + r.Int64N(2)
				}
				vals[i] = v
			}
			if tail && n > 16 {
				for i := n - n/16; i < n; i++ {
					vals[i] = vals[r.IntN(n-n/16)]
				}
			}
			for _, keepRate := range []float64{1, 0.9, 0.3} {
				var at []int32
				for i := range n {
					if r.Float64() < keepRate {
						at = append(at, int32(i))
					}
				}
				if len(at) == 0 {
					continue
				}
				for _, chunk := range []int{1, 7, 1 << 16} {
					c := int64Col(vals, nil, chunk)
					gathered, err := Take(mem, c, at)
					require.NoError(t, err)
					g := ColOf(gathered.DataType(), gathered)
					for _, last := range []bool{false, true} {
						want, wantOK := SortedRuns(g, last)
						got, ok := SortedRunsAt(c, at, last)
						require.Equal(t, wantOK, ok, "n=%d tail=%v keep=%v chunk=%d last=%v", n, tail, keepRate, chunk, last)
						assert.Equal(t, want, got, "n=%d tail=%v keep=%v chunk=%d last=%v", n, tail, keepRate, chunk, last)
					}
				}
			}
		}
	}
}

func TestTakeAllDropping(t *testing.T) {
	mk := func() []Col {
		return []Col{int64Col([]int64{1, 2, 3, 4}, nil, 3), stringCol([]string{"a", "b", "c", "d"}, nil, 2)}
	}
	idx := []int32{3, 0, 2}
	want, err := TakeAll(context.Background(), memory.DefaultAllocator, mk(), idx)
	require.NoError(t, err)
	cols := mk()
	got, err := TakeAllDropping(context.Background(), memory.DefaultAllocator, cols, idx)
	require.NoError(t, err)
	for i := range want {
		assert.True(t, array.Equal(want[i], got[i]), "column %d", i)
		assert.Nil(t, cols[i].Chunks, "column %d still referenced", i)
	}
}
