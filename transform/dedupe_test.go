package transform

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func dedupeTestTable(t testing.TB) arrow.Table {
	s := keyedSchema("id", arrow.PrimitiveTypes.Int64, "x", arrow.PrimitiveTypes.Float64, "v", arrow.BinaryTypes.String, "at", arrow.PrimitiveTypes.Int64)
	return keyedTable(t, s, 2,
		[]any{1, 0.0, "a", 5},
		[]any{2, math.NaN(), "b", 1},
		[]any{1, math.Copysign(0, -1), "c", 9},
		[]any{nil, 1.0, "d", 2},
		[]any{2, math.NaN(), "e", 7},
		[]any{nil, 1.0, "f", nil},
		[]any{3, 1.0, "g", 3},
	)
}

func dedupeColumn(t *testing.T, tbl arrow.Table, c int) []any {
	var out []any
	for _, r := range keyedRows(t, tbl) {
		out = append(out, r[c])
	}
	return out
}

func TestDedupeKeepRules(t *testing.T) {
	in := dedupeTestTable(t)
	for _, tc := range []struct {
		name string
		tr   kiln.Transform
		want []any
	}{
		{"first", Dedupe([]string{"id"}, KeepFirst), []any{"a", "b", "d", "g"}},
		{"last", Dedupe([]string{"id"}, KeepLast), []any{"c", "e", "f", "g"}},
		{"first by at desc (nulls last)", Dedupe([]string{"id"}, KeepFirstBy(Desc("at"))), []any{"c", "d", "e", "g"}},
		{"first by at asc nulls first", Dedupe([]string{"id"}, KeepFirstBy(Asc("at").NullsFirst())), []any{"a", "b", "f", "g"}},
		{"NaN equals NaN, -0 equals 0", Dedupe([]string{"x"}, KeepFirst), []any{"a", "b", "d"}},
		{"two keys", Dedupe([]string{"id", "x"}, KeepLast), []any{"c", "e", "f", "g"}},
		{"distinct rows", DistinctRows(), []any{"a", "b", "c", "d", "e", "f", "g"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, dedupeColumn(t, keyedApply(t, tc.tr, in), 2))
		})
	}
}

func TestDistinctRowsDropsExactCopies(t *testing.T) {
	s := keyedSchema("a", arrow.PrimitiveTypes.Int64, "b", arrow.BinaryTypes.String)
	in := keyedTable(t, s, 2, []any{1, "x"}, []any{1, nil}, []any{1, "x"}, []any{nil, nil}, []any{1, nil}, []any{nil, nil}, []any{2, "x"})
	out := keyedRows(t, keyedApply(t, DistinctRows(), in))
	assert.Equal(t, [][]any{{int64(1), "x"}, {int64(1), nil}, {nil, nil}, {int64(2), "x"}}, out)
}

func TestDedupeRandomMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	s := keyedSchema("a", arrow.PrimitiveTypes.Int64, "b", arrow.BinaryTypes.String, "row", arrow.PrimitiveTypes.Int64)
	var rows [][]any
	for i := range 4000 {
		var a any = r.IntN(300)
		if r.IntN(20) == 0 {
			a = nil
		}
		rows = append(rows, []any{a, fmt.Sprint(r.IntN(3)), i})
	}
	in := keyedTable(t, s, 999, rows...)
	got := keyedRows(t, keyedApply(t, Dedupe([]string{"a", "b"}, KeepLast), in))
	last := map[string]int{}
	for i, row := range rows {
		last[fmt.Sprint(row[0], "|", row[1])] = i
	}
	var want [][]any
	for i, row := range keyedRows(t, in) {
		if last[fmt.Sprint(rows[i][0], "|", rows[i][1])] == i {
			want = append(want, row)
		}
	}
	assert.Equal(t, want, got)
}

func TestDedupeErrorsAndEmpty(t *testing.T) {
	in := dedupeTestTable(t)
	_, err := keyedTry(Dedupe([]string{"nope"}, KeepFirst), in)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	_, err = keyedTry(Dedupe(nil, KeepFirst), in)
	assert.ErrorContains(t, err, "no key columns")
	_, err = keyedTry(Dedupe([]string{"id"}, Keep{Rule: "random"}), in)
	assert.ErrorContains(t, err, "random")
	_, err = keyedTry(Dedupe([]string{"id"}, KeepFirstBy()), in)
	assert.ErrorContains(t, err, "needs sort keys")
	_, err = keyedTry(Dedupe([]string{"id", "id"}, KeepFirst), in)
	assert.ErrorContains(t, err, "twice")

	empty := keyedTable(t, in.Schema(), 0)
	out := keyedApply(t, Dedupe([]string{"id"}, KeepFirst), empty)
	assert.EqualValues(t, 0, out.NumRows())
	l, err := Dedupe([]string{"id"}, KeepFirstBy(Asc("at"))).ColumnLineage([]*arrow.Schema{in.Schema()})
	require.NoError(t, err)
	assert.Contains(t, l["v"], ref(0, "id", "INDIRECT", "FILTER"))
	assert.Contains(t, l["v"], ref(0, "at", "INDIRECT", "SORT"))
}

func TestDedupeSameAtAnyParallelism(t *testing.T) {
	in := keyedBig(t, 210_000)
	keyedSameAtAnyParallelism(t, Dedupe([]string{"user", "item"}, KeepFirstBy(Desc("amount"))), in)
	keyedSameAtAnyParallelism(t, DistinctRows(), in)
}
