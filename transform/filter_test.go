package transform

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"

	"github.com/kiln-data/kiln"
)

func TestFilter(t *testing.T) {
	s := rlSchema("i", arrow.PrimitiveTypes.Int64, "s", arrow.BinaryTypes.String, "l", arrow.ListOf(arrow.PrimitiveTypes.Int64), "b", arrow.FixedWidthTypes.Boolean)
	tbl := rlTable(t, s, `[
		{"i": 1, "s": "a", "l": [1], "b": true},
		{"i": 2, "s": null, "l": null, "b": null},
		{"i": 3, "s": "c", "l": [], "b": false},
		{"i": 4, "s": "d", "l": [4, 4], "b": true},
		{"i": null, "s": "e", "l": [5], "b": true}
	]`, 2)
	// true keeps, false and null drop.
	out := rlApply(t, Filter(Col("b")), tbl)
	rlEqualValues(t, []any{1, 4, nil}, rlValues(t, out, "i"))
	rlEqualValues(t, []any{"a", "d", "e"}, rlValues(t, out, "s"))
	assert.Equal(t, []any{"[1]", "[4,4]", "[5]"}, rlValues(t, out, "l"))
	rlEqualValues(t, []any{true, true, true}, rlValues(t, out, "b"))

	out = rlApply(t, Filter(Col("i").Ge(Lit(2)).And(Col("s").IsNotNull())), tbl)
	rlEqualValues(t, []any{3, 4}, rlValues(t, out, "i"))

	out = rlApply(t, Filter(Lit(true)), tbl)
	assert.Equal(t, int64(5), out.NumRows())
	out = rlApply(t, Filter(Lit(nil)), tbl)
	assert.Equal(t, int64(0), out.NumRows())
	out = rlApply(t, Filter(Col("i").Gt(Lit(100))), tbl)
	assert.Equal(t, int64(0), out.NumRows())
	assert.True(t, out.Schema().Equal(tbl.Schema()))
}

// TestFilterLargeMatchesOracle compares Filter and DropNulls on several
// chunks of random data (dense and sparse selections, full and partial
// 64-row words) with a row-by-row computation.
func TestFilterLargeMatchesOracle(t *testing.T) {
	tbl := rlBigTable(t, 3000)
	names := rlNames(tbl.Schema())
	cols := make(map[string][]any, len(names))
	for _, n := range names {
		cols[n] = rlValues(t, tbl, n)
	}
	check := func(tr kiln.Transform, keep func(i int) bool) {
		out := rlApply(t, tr, tbl)
		for _, n := range names {
			var want []any
			for i, v := range cols[n] {
				if keep(i) {
					want = append(want, v)
				}
			}
			rlEqualValues(t, want, rlValues(t, out, n), tr.Spec().Name, n)
		}
	}
	// Dense: most rows kept.
	check(Filter(Col("k").Gt(Lit(-450))), func(i int) bool { return cols["k"][i].(int64) > -450 })
	// Sparse, with nulls and NaN in the predicate (NaN > 1500 is true in the total order).
	check(Filter(Col("x").Gt(Lit(1500.0))), func(i int) bool {
		x, ok := cols["x"][i].(float64)
		return ok && (x > 1500 || math.IsNaN(x))
	})
	check(DropNulls("x", "c"), func(i int) bool { return cols["x"][i] != nil && cols["c"][i] != nil })
}
