package kernels

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/internal/par"
)

var mem = memory.DefaultAllocator

// split cuts an array into chunks of at most size rows (as slices).
func split(a arrow.Array, size int) Col {
	var chunks []arrow.Array
	for lo := 0; lo < a.Len(); lo += size {
		chunks = append(chunks, array.NewSlice(a, int64(lo), int64(min(lo+size, a.Len()))))
	}
	return ColOf(a.DataType(), chunks...)
}

// colOf builds a column of vals (null where nulls[i]) in chunks.
func colOf[T any, B interface {
	Append(T)
	AppendNull()
	NewArray() arrow.Array
}](b B, vals []T, nulls []bool, chunk int) Col {
	for i, v := range vals {
		if nulls != nil && nulls[i] {
			b.AppendNull()
		} else {
			b.Append(v)
		}
	}
	return split(b.NewArray(), chunk)
}

func int64Col(vals []int64, nulls []bool, chunk int) Col {
	return colOf(array.NewInt64Builder(mem), vals, nulls, chunk)
}

func float64Col(vals []float64, nulls []bool, chunk int) Col {
	return colOf(array.NewFloat64Builder(mem), vals, nulls, chunk)
}

func stringCol(vals []string, nulls []bool, chunk int) Col {
	return colOf(array.NewStringBuilder(mem), vals, nulls, chunk)
}

func TestGroupMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		n    int
		span int64
	}{{"small range", 5000, 40}, {"wide range", 5000, 1 << 50}, {"empty", 0, 10},
		{"wide range, partitioned", 300_000, 1 << 50}, {"few wide values, partitioned", 300_000, 1 << 10}} {
		t.Run(tc.name, func(t *testing.T) {
			a := make([]int64, tc.n)
			s := make([]string, tc.n)
			f := make([]float64, tc.n)
			na, ns := make([]bool, tc.n), make([]bool, tc.n)
			for i := range a {
				a[i] = r.Int64N(tc.span) - tc.span/2
				if tc.span == 1<<10 {
					a[i] <<= 40 // few distinct values over a wide range
				}
				s[i] = fmt.Sprint(r.IntN(7))
				f[i] = []float64{0, math.Copysign(0, -1), math.NaN(), 1.5, -2}[r.IntN(5)]
				na[i] = r.IntN(10) == 0
				ns[i] = r.IntN(10) == 0
			}
			cols := []Col{int64Col(a, na, 333), stringCol(s, ns, 1000), float64Col(f, nil, 77)}
			g, err := Group(cols)
			require.NoError(t, err)
			type key struct {
				a  int64
				s  string
				f  uint64
				na bool
				ns bool
			}
			seen := map[key]int32{}
			var first []int32
			for i := range a {
				k := key{a: a[i], s: s[i], f: canonFloat(f[i]), na: na[i], ns: ns[i]}
				if na[i] {
					k.a = 0
				}
				if ns[i] {
					k.s = ""
				}
				id, ok := seen[k]
				if !ok {
					id = int32(len(seen))
					seen[k] = id
					first = append(first, int32(i))
				}
				require.Equal(t, id, g.IDs[i], "row %d", i)
				if g.NullKey != nil {
					assert.Equal(t, na[i] || ns[i], g.NullKey[i])
				}
			}
			assert.Equal(t, len(seen), g.N)
			assert.Equal(t, first, g.First)
		})
	}
}

func TestGroupPackingOverflow(t *testing.T) {
	// Four wide columns: the product of their code spaces exceeds 2^64.
	r := rand.New(rand.NewPCG(3, 4))
	n := 3000
	cols := make([]Col, 4)
	vals := make([][]int64, 4)
	for c := range cols {
		vals[c] = make([]int64, n)
		for i := range vals[c] {
			vals[c][i] = r.Int64N(1<<40) * int64(r.IntN(2))
		}
		cols[c] = int64Col(vals[c], nil, 512)
	}
	g, err := Group(cols)
	require.NoError(t, err)
	seen := map[[4]int64]int32{}
	for i := range n {
		k := [4]int64{vals[0][i], vals[1][i], vals[2][i], vals[3][i]}
		id, ok := seen[k]
		if !ok {
			id = int32(len(seen))
			seen[k] = id
		}
		require.Equal(t, id, g.IDs[i])
	}
}

func TestSortPermMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 100, 3000} {
		for _, wide := range []bool{false, true} {
			t.Run(fmt.Sprintf("n=%d wide=%t", n, wide), func(t *testing.T) {
				a := make([]int64, n)
				f := make([]float64, n)
				s := make([]string, n)
				na, nf := make([]bool, n), make([]bool, n)
				for i := range n {
					a[i] = r.Int64N(5) - 2
					if wide {
						a[i] = r.Int64() - r.Int64()
					}
					f[i] = []float64{math.Inf(-1), -1, 0, math.Copysign(0, -1), 2.5, math.Inf(1), math.NaN()}[r.IntN(7)]
					s[i] = []string{"", "a", "ab", "b", "\xff"}[r.IntN(5)]
					na[i] = r.IntN(6) == 0
					nf[i] = r.IntN(6) == 0
				}
				keys := []SortKey{
					{Col: int64Col(a, na, 100), Desc: true},
					{Col: float64Col(f, nf, 1000), NullsFirst: true},
					{Col: stringCol(s, nil, 50)},
				}
				perm, err := SortPerm(n, keys)
				require.NoError(t, err)
				want := make([]int32, n)
				for i := range want {
					want[i] = int32(i)
				}
				fcmp := func(x, y float64) int {
					if x == y || (x != x && y != y) {
						return 0
					}
					if x != x {
						return 1
					}
					if y != y {
						return -1
					}
					return cmp.Compare(x, y)
				}
				slices.SortStableFunc(want, func(i, j int32) int {
					// key 0: desc, nulls last
					if na[i] != na[j] {
						if na[i] {
							return 1
						}
						return -1
					}
					if !na[i] {
						if c := cmp.Compare(a[j], a[i]); c != 0 {
							return c
						}
					}
					// key 1: asc, nulls first
					if nf[i] != nf[j] {
						if nf[i] {
							return -1
						}
						return 1
					}
					if !nf[i] {
						if c := fcmp(f[i], f[j]); c != 0 {
							return c
						}
					}
					return bytes.Compare([]byte(s[i]), []byte(s[j]))
				})
				assert.Equal(t, want, perm)
			})
		}
	}
}

func TestTakeTypes(t *testing.T) {
	idx := []int32{4, -1, 0, 2, 2}
	for _, tc := range []struct {
		name string
		col  Col
		want string
	}{
		{"int64", int64Col([]int64{0, 1, 2, 3, 4}, []bool{false, false, true, false, false}, 2), "[4 (null) 0 (null) (null)]"},
		{"float64", float64Col([]float64{0, 1.5, 2, 3, 4}, nil, 3), "[4 (null) 0 2 2]"},
		{"string", stringCol([]string{"a", "bb", "", "d", "eee"}, nil, 2), `["eee" (null) "a" "" ""]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Take(mem, tc.col, idx)
			require.NoError(t, err)
			defer a.Release()
			assert.Equal(t, tc.want, a.String())
		})
	}
	t.Run("bool and int8 and list", func(t *testing.T) {
		bb := array.NewBooleanBuilder(mem)
		bb.AppendValues([]bool{true, false, true, true, false}, []bool{true, true, false, true, true})
		a, err := Take(mem, split(bb.NewArray(), 2), idx)
		require.NoError(t, err)
		assert.Equal(t, "[false (null) true (null) (null)]", a.String())

		ib := array.NewInt8Builder(mem)
		ib.AppendValues([]int8{-1, 2, -3, 4, -5}, nil)
		a, err = Take(mem, split(ib.NewArray(), 4), idx)
		require.NoError(t, err)
		assert.Equal(t, "[-5 (null) -1 -3 -3]", a.String())

		lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
		vb := lb.ValueBuilder().(*array.Int64Builder)
		for i := range 5 {
			lb.Append(true)
			vb.Append(int64(i))
		}
		a, err = Take(mem, split(lb.NewArray(), 2), idx)
		require.NoError(t, err)
		assert.Equal(t, "[[4] (null) [0] [2] [2]]", a.String())
	})
}

func TestAggKernels(t *testing.T) {
	ids := []int32{0, 1, 0, 1, 2, 0}
	vals := int64Col([]int64{5, 7, -2, 0, 9, 5}, []bool{false, false, false, true, true, false}, 4)
	assert.Equal(t, []int64{3, 2, 1}, CountRows(ids, 3))
	assert.Equal(t, []int64{3, 1, 0}, CountValid(ids, 3, vals))
	sums, cnt, err := SumInt(ids, 3, vals)
	require.NoError(t, err)
	assert.Equal(t, []int64{8, 7, 0}, sums)
	assert.Equal(t, []int64{3, 1, 0}, cnt)
	rows, err := ArgMin(ids, 3, vals, false, false, nil)
	require.NoError(t, err)
	assert.Equal(t, []int32{2, 1, -1}, rows)
	rows, err = ArgMin(ids, 3, vals, true, false, nil)
	require.NoError(t, err)
	assert.Equal(t, []int32{0, 1, -1}, rows, "ties keep the first row")
	rows, err = ArgMin(ids, 3, vals, true, true, nil)
	require.NoError(t, err)
	assert.Equal(t, []int32{5, 1, -1}, rows, "lastTie keeps the last row")
	rows, err = ArgMin(ids, 3, vals, true, false, []bool{false, true, true, true, true, true})
	require.NoError(t, err)
	assert.Equal(t, []int32{5, 1, -1}, rows, "masked rows are skipped")
	d, err := CountDistinct(ids, 3, vals)
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 1, 0}, d)
	assert.Equal(t, []int32{0, 1, 4}, FirstRows(ids, 3, vals, false, false))
	assert.Equal(t, []int32{5, 1, -1}, FirstRows(ids, 3, vals, true, true))
	q, has := Quantile(ids, 3, vals, 0.5)
	assert.Equal(t, []float64{5, 7, 0}, q)
	assert.Equal(t, []bool{true, true, false}, has)

	_, _, err = SumInt([]int32{0, 0}, 1, int64Col([]int64{math.MaxInt64, 1}, nil, 8))
	assert.ErrorIs(t, err, ErrOverflow)
}

func TestWindowKernels(t *testing.T) {
	// One entity, times 0 1 2 5 5 9; windows of length 3, (t-3, t].
	times := []int64{0, 1, 2, 5, 5, 9}
	start := []int32{0, 6}
	hi := WindowHi(times, start, true)
	lo := WindowLo(times, start, 3, false)
	assert.Equal(t, []int32{1, 2, 3, 5, 5, 6}, hi, "ties are in each other's windows")
	assert.Equal(t, []int32{0, 0, 0, 3, 3, 5}, lo)
	vals := []float64{1e17, 0.5, math.NaN(), 2, math.Inf(1), 0.25}
	sums, err := WindowSum(vals, nil, lo, hi, false)
	require.NoError(t, err)
	assert.Equal(t, 1e17, sums[0], "a single value exactly")
	assert.Equal(t, 1e17+0.5, sums[1])
	assert.True(t, math.IsNaN(sums[2]))
	assert.Equal(t, math.Inf(1), sums[3], "NaN left the window")
	assert.Equal(t, 0.25, sums[5], "no residue once large values left")
	valid := []bool{true, true, false, true, false, true}
	sums, err = WindowSum(vals, valid, lo, hi, false)
	require.NoError(t, err)
	assert.Equal(t, []float64{1e17, 1e17 + 0.5, 1e17 + 0.5, 2, 2, 0.25}, sums)
	assert.Equal(t, []int64{1, 2, 2, 1, 1, 1}, WindowCount(valid, lo, hi))
	codes := []uint64{5, 3, 3, 9, 1, 7}
	assert.Equal(t, []int32{0, 1, 1, 4, 4, 5}, WindowArgMin(codes, nil, lo, hi, false))
	assert.Equal(t, []int32{0, 0, 0, 3, 3, 5}, WindowArgMin(codes, nil, lo, hi, true))
	assert.Equal(t, []int32{0, 1, 1, 3, 3, 5}, WindowArgMin(codes, valid, lo, hi, false), "invalid positions skipped, ties to the earliest")

	ints := []int64{math.MaxInt64, 1, 0, 0, 0, 0}
	_, err = WindowSum(ints, nil, lo, hi, true)
	assert.ErrorIs(t, err, ErrOverflow)
}

func TestOrderByEntity(t *testing.T) {
	ids := []int32{1, 0, 1, 0, 1, 1}
	times := []int64{5, 3, 1, 3, 5, 2}
	o := OrderByEntity(ids, 2, times, []bool{true, true, true, true, true, false})
	assert.Equal(t, []int32{0, 2, 5}, o.Start)
	assert.Equal(t, []int32{1, 3, 2, 0, 4}, o.Rows, "by entity, then time, then input row")
	assert.Equal(t, []int64{3, 3, 1, 5, 5}, o.Times)
}

// Large sorts (a first pass on the top digit, then each bucket) are stable
// and ordered like a stable comparison sort, for spread, skewed and
// constant leading keys.
func TestSortPermLargeMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	n := 3*(1<<16) + 11
	for name, gen := range map[string]func(i int) int64{
		"spread":   func(int) int64 { return r.Int64N(1 << 40) },
		"skewed":   func(int) int64 { return int64(r.ExpFloat64() * 50) },
		"constant": func(int) int64 { return 7 },
	} {
		a, b := make([]int64, n), make([]int64, n)
		nb := make([]bool, n)
		for i := range n {
			a[i] = gen(i)
			b[i] = r.Int64N(1000)
			nb[i] = r.IntN(50) == 0
		}
		keys := []SortKey{{Col: int64Col(a, nil, 1<<16)}, {Col: int64Col(b, nb, 7000), Desc: true}}
		perm, err := SortPerm(n, keys)
		require.NoError(t, err)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(i, j int32) int {
			if c := cmp.Compare(a[i], a[j]); c != 0 {
				return c
			}
			if nb[i] != nb[j] { // desc, nulls last
				if nb[i] {
					return 1
				}
				return -1
			}
			if nb[i] {
				return 0
			}
			return cmp.Compare(b[j], b[i])
		})
		require.Equal(t, want, perm, name)
	}
}

// Strings taken over several row ranges (in parallel) land where one pass
// would put them, for string and large_string, with nulls and null rows.
func TestTakeStringsManyRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 3*par.ChunkRows + 77
	vals, nulls := make([]string, n), make([]bool, n)
	for i := range n {
		vals[i] = strings.Repeat("x", r.IntN(7)) + fmt.Sprint(i)
		nulls[i] = r.IntN(9) == 0
	}
	idx := make([]int32, 2*par.ChunkRows+5)
	for k := range idx {
		idx[k] = int32(r.IntN(n))
		if r.IntN(20) == 0 {
			idx[k] = -1
		}
	}
	for _, large := range []bool{false, true} {
		var c Col
		if large {
			c = colOf(array.NewLargeStringBuilder(mem), vals, nulls, 5000)
		} else {
			c = stringCol(vals, nulls, 5000)
		}
		a, err := Take(mem, c, idx)
		require.NoError(t, err)
		require.NoError(t, array.ValidateFull(a))
		require.Equal(t, len(idx), a.Len())
		str := a.(interface{ Value(int) string })
		for k, j := range idx {
			if j < 0 || nulls[j] {
				require.True(t, a.IsNull(k), "large=%v row %d", large, k)
				continue
			}
			require.Equal(t, vals[j], str.Value(k), "large=%v row %d", large, k)
		}
	}
}
