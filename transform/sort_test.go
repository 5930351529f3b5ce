package transform

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func sortTestTable(t testing.TB, chunk int) arrow.Table {
	s := keyedSchema("k", arrow.BinaryTypes.String, "x", arrow.PrimitiveTypes.Float64, "i", arrow.PrimitiveTypes.Int64)
	nan := math.NaN()
	return keyedTable(t, s, chunk,
		[]any{"b", 1.0, 0},
		[]any{"a", nil, 1},
		[]any{nil, 2.0, 2},
		[]any{"b", nan, 3},
		[]any{"a", -1.0, 4},
		[]any{"b", 1.0, 5},
		[]any{"", math.Inf(-1), 6},
	)
}

func TestSortOrders(t *testing.T) {
	for _, chunk := range []int{0, 3} {
		in := sortTestTable(t, chunk)
		for _, tc := range []struct {
			name string
			keys []SortKey
			want []int64 // column i of the output
		}{
			{"asc nulls last, stable", []SortKey{Asc("k")}, []int64{6, 1, 4, 0, 3, 5, 2}},
			{"desc nulls last", []SortKey{Desc("k")}, []int64{0, 3, 5, 1, 4, 6, 2}},
			{"asc nulls first", []SortKey{Asc("k").NullsFirst()}, []int64{2, 6, 1, 4, 0, 3, 5}},
			{"float: -inf < -1 < 1 < 2 < NaN, nulls last", []SortKey{Asc("x")}, []int64{6, 4, 0, 5, 2, 3, 1}},
			{"float desc nulls first", []SortKey{Desc("x").NullsFirst()}, []int64{1, 3, 2, 0, 5, 4, 6}},
			{"two keys, nulls last in desc too", []SortKey{Asc("k"), Desc("x")}, []int64{6, 4, 1, 3, 0, 5, 2}},
			{"explicit nulls last", []SortKey{Asc("k").NullsLast(), Desc("i")}, []int64{6, 4, 1, 5, 3, 0, 2}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out := keyedApply(t, Sort(tc.keys...), in)
				var got []int64
				for _, r := range keyedRows(t, out) {
					got = append(got, r[2].(int64))
				}
				assert.Equal(t, tc.want, got)
			})
		}
	}
}

func TestSortRandomMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	s := keyedSchema("a", arrow.PrimitiveTypes.Int32, "b", arrow.BinaryTypes.String, "row", arrow.PrimitiveTypes.Int64)
	var rows [][]any
	for i := range 5000 {
		var a, b any = r.IntN(20) - 10, string(rune('a' + r.IntN(5)))
		if r.IntN(8) == 0 {
			a = nil
		}
		if r.IntN(8) == 0 {
			b = nil
		}
		rows = append(rows, []any{a, b, i})
	}
	in := keyedTable(t, s, 700, rows...)
	out := keyedRows(t, keyedApply(t, Sort(Desc("a").NullsFirst(), Asc("b")), in))
	// Naive: insertion sort with the documented comparison.
	want := keyedRows(t, in)
	less := func(x, y []any) bool {
		if (x[0] == nil) != (y[0] == nil) {
			return x[0] == nil
		}
		if x[0] != nil && x[0].(int64) != y[0].(int64) {
			return x[0].(int64) > y[0].(int64)
		}
		if (x[1] == nil) != (y[1] == nil) {
			return y[1] == nil
		}
		return x[1] != nil && x[1].(string) < y[1].(string)
	}
	for i := 1; i < len(want); i++ {
		for j := i; j > 0 && less(want[j], want[j-1]); j-- {
			want[j], want[j-1] = want[j-1], want[j]
		}
	}
	assert.Equal(t, want, out)
}

func TestSortErrors(t *testing.T) {
	in := sortTestTable(t, 0)
	_, err := keyedTry(Sort(Asc("missing")), in)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	assert.ErrorContains(t, err, "missing")
	_, err = keyedTry(Sort(), in)
	assert.ErrorContains(t, err, "no sort keys")
	_, err = keyedTry(Sort(SortKey{Column: "k", Nulls: "middle"}), in)
	assert.ErrorContains(t, err, "middle")
}

func TestSortEmptyAndLineage(t *testing.T) {
	in := keyedTable(t, keyedSchema("k", arrow.PrimitiveTypes.Int64), 0)
	out := keyedApply(t, Sort(Asc("k")), in)
	assert.EqualValues(t, 0, out.NumRows())
	l, err := Sort(Asc("k")).ColumnLineage([]*arrow.Schema{in.Schema()})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{ref(0, "k", "DIRECT", "IDENTITY"), ref(0, "k", "INDIRECT", "SORT")}, l["k"])
}

// keyedBig is a table of n rows for determinism tests: user (int64,
// ~n/8 distinct, some null), item (string), amount (float64, some null),
// qty (int64), ts (timestamp, increasing with jitter), day (date32).
func keyedBig(t testing.TB, n int) arrow.Table {
	keyedBigMu.Lock()
	defer keyedBigMu.Unlock()
	if tbl, ok := keyedBigCache[n]; ok {
		return tbl
	}
	tbl := keyedBigMake(t, n)
	keyedBigCache[n] = tbl
	return tbl
}

var (
	keyedBigMu    sync.Mutex
	keyedBigCache = map[int]arrow.Table{}
)

func keyedBigMake(t testing.TB, n int) arrow.Table {
	r := rand.New(rand.NewPCG(11, uint64(n)))
	s := keyedSchema("user", arrow.PrimitiveTypes.Int64, "item", arrow.BinaryTypes.String,
		"amount", arrow.PrimitiveTypes.Float64, "qty", arrow.PrimitiveTypes.Int64,
		"ts", keyedTS, "day", arrow.FixedWidthTypes.Date32)
	rows := make([][]any, n)
	base := int64(1_704_067_200_000_000) // 2024-01-01 in microseconds
	for i := range rows {
		var user, amount any = r.IntN(n/8 + 1), r.Float64()*100 - 10
		if r.IntN(50) == 0 {
			user = nil
		}
		if r.IntN(4) == 0 {
			amount = nil
		}
		ts := base + int64(i)*10_000_000 + r.Int64N(30_000_000)
		rows[i] = []any{user, string(rune('a' + r.IntN(26))), amount, r.IntN(10), int(ts), int(ts / 86_400_000_000)}
	}
	return keyedTable(t, s, 50_000, rows...)
}

func TestSortSameAtAnyParallelism(t *testing.T) {
	in := keyedBig(t, 210_000)
	keyedSameAtAnyParallelism(t, Sort(Asc("user"), Desc("amount")), in)
}
