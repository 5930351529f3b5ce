package transform

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func joinTestTables(t testing.TB) (arrow.Table, arrow.Table) {
	ls := keyedSchema("k", arrow.PrimitiveTypes.Int64, "name", arrow.BinaryTypes.String, "v", arrow.PrimitiveTypes.Int64)
	rs := keyedSchema("k", arrow.PrimitiveTypes.Int64, "v", arrow.PrimitiveTypes.Float64, "tag", arrow.BinaryTypes.String)
	left := keyedTable(t, ls, 2,
		[]any{1, "one", 10},
		[]any{2, "two", 20},
		[]any{nil, "null", 30},
		[]any{3, "three", 40},
		[]any{1, "uno", 50},
	)
	right := keyedTable(t, rs, 2,
		[]any{1, 1.5, "x"},
		[]any{3, 3.5, "y"},
		[]any{nil, 0.0, "n"},
		[]any{1, 1.25, "z"},
		[]any{4, 4.5, "w"},
	)
	return left, right
}

func TestInnerJoin(t *testing.T) {
	left, right := joinTestTables(t)
	out := keyedApply(t, InnerJoin("k"), left, right)
	assert.Equal(t, []string{"k", "name", "v", "v_right", "tag"}, fieldNames(out.Schema()))
	assert.Equal(t, [][]any{
		{int64(1), "one", int64(10), 1.5, "x"},
		{int64(1), "one", int64(10), 1.25, "z"},
		{int64(3), "three", int64(40), 3.5, "y"},
		{int64(1), "uno", int64(50), 1.5, "x"},
		{int64(1), "uno", int64(50), 1.25, "z"},
	}, keyedRows(t, out), "left order, then right order; null keys never match")
	assert.False(t, out.Schema().Field(4).Nullable != right.Schema().Field(2).Nullable)
}

func TestLeftJoin(t *testing.T) {
	left, right := joinTestTables(t)
	out := keyedApply(t, LeftJoin("k").Suffix("_r"), left, right)
	assert.Equal(t, []string{"k", "name", "v", "v_r", "tag"}, fieldNames(out.Schema()))
	assert.Equal(t, [][]any{
		{int64(1), "one", int64(10), 1.5, "x"},
		{int64(1), "one", int64(10), 1.25, "z"},
		{int64(2), "two", int64(20), nil, nil},
		{nil, "null", int64(30), nil, nil},
		{int64(3), "three", int64(40), 3.5, "y"},
		{int64(1), "uno", int64(50), 1.5, "x"},
		{int64(1), "uno", int64(50), 1.25, "z"},
	}, keyedRows(t, out))
	for _, f := range out.Schema().Fields()[3:] {
		assert.True(t, f.Nullable, f.Name)
	}
}

func TestJoinMultiKeyAndRightOn(t *testing.T) {
	ls := keyedSchema("a", arrow.BinaryTypes.String, "b", arrow.PrimitiveTypes.Int64, "x", arrow.PrimitiveTypes.Int64)
	rs := keyedSchema("ra", arrow.BinaryTypes.String, "rb", arrow.PrimitiveTypes.Int64, "y", arrow.PrimitiveTypes.Int64)
	left := keyedTable(t, ls, 0, []any{"p", 1, 1}, []any{"p", 2, 2}, []any{"q", 1, 3}, []any{"p", nil, 4})
	right := keyedTable(t, rs, 0, []any{"p", 2, 20}, []any{"q", 1, 30}, []any{"p", 1, 10}, []any{"p", nil, 40})
	out := keyedApply(t, LeftJoin("a", "b").RightOn("ra", "rb"), left, right)
	assert.Equal(t, []string{"a", "b", "x", "y"}, fieldNames(out.Schema()))
	assert.Equal(t, [][]any{
		{"p", int64(1), int64(1), int64(10)},
		{"p", int64(2), int64(2), int64(20)},
		{"q", int64(1), int64(3), int64(30)},
		{"p", nil, int64(4), nil},
	}, keyedRows(t, out))
}

func TestJoinErrors(t *testing.T) {
	left, right := joinTestTables(t)
	_, err := keyedTry(InnerJoin("k"), left)
	assert.ErrorContains(t, err, "2 inputs")
	_, err = keyedTry(InnerJoin("name"), left, right)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	_, err = keyedTry(InnerJoin("k").RightOn("v"), left, right)
	assert.ErrorContains(t, err, "has type float64 but left key")
	_, err = keyedTry(InnerJoin(), left, right)
	assert.ErrorContains(t, err, "no key columns")
	_, err = keyedTry(InnerJoin("k").Suffix(""), left, right)
	assert.ErrorContains(t, err, "clashes")
	_, err = keyedTry(InnerJoin("k", "v"), left, right)
	assert.ErrorContains(t, err, "left key")
}

func TestJoinEmptySides(t *testing.T) {
	left, right := joinTestTables(t)
	emptyR := keyedTable(t, right.Schema(), 0)
	out := keyedApply(t, LeftJoin("k"), left, emptyR)
	assert.EqualValues(t, 5, out.NumRows())
	out = keyedApply(t, InnerJoin("k"), left, emptyR)
	assert.EqualValues(t, 0, out.NumRows())
	out = keyedApply(t, InnerJoin("k"), keyedTable(t, left.Schema(), 0), right)
	assert.EqualValues(t, 0, out.NumRows())
}

func TestJoinRandomMatchesNestedLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	ls := keyedSchema("k", arrow.BinaryTypes.String, "j", arrow.PrimitiveTypes.Int64, "lrow", arrow.PrimitiveTypes.Int64)
	rs := keyedSchema("k", arrow.BinaryTypes.String, "j", arrow.PrimitiveTypes.Int64, "rrow", arrow.PrimitiveTypes.Int64)
	gen := func(n int) [][]any {
		rows := make([][]any, n)
		for i := range rows {
			var k, j any = fmt.Sprint(r.IntN(30)), r.IntN(4)
			if r.IntN(25) == 0 {
				k = nil
			}
			rows[i] = []any{k, j, i}
		}
		return rows
	}
	lrows, rrows := gen(1500), gen(700)
	left, right := keyedTable(t, ls, 400, lrows...), keyedTable(t, rs, 300, rrows...)
	for _, kind := range []string{"inner", "left"} {
		tr := InnerJoin("k", "j")
		if kind == "left" {
			tr = LeftJoin("k", "j")
		}
		var want [][]any
		for _, l := range lrows {
			matched := false
			for _, rr := range rrows {
				if l[0] != nil && rr[0] != nil && l[0] == rr[0] && l[1] == rr[1] {
					want = append(want, []any{l[0], int64(l[1].(int)), int64(l[2].(int)), int64(rr[2].(int))})
					matched = true
				}
			}
			if !matched && kind == "left" {
				want = append(want, []any{l[0], int64(l[1].(int)), int64(l[2].(int)), nil})
			}
		}
		assert.Equal(t, want, keyedRows(t, keyedApply(t, tr, left, right)), kind)
	}
}

func TestJoinLineage(t *testing.T) {
	left, right := joinTestTables(t)
	l, err := InnerJoin("k").ColumnLineage([]*arrow.Schema{left.Schema(), right.Schema()})
	require.NoError(t, err)
	join := []kiln.ColumnRef{ref(0, "k", "INDIRECT", "JOIN"), ref(1, "k", "INDIRECT", "JOIN")}
	assert.Equal(t, append([]kiln.ColumnRef{ref(1, "v", "DIRECT", "IDENTITY")}, join...), l["v_right"])
	assert.Equal(t, append([]kiln.ColumnRef{ref(0, "name", "DIRECT", "IDENTITY")}, join...), l["name"])
}

func TestJoinSameAtAnyParallelism(t *testing.T) {
	big := keyedBig(t, 210_000)
	rs := keyedSchema("user", arrow.PrimitiveTypes.Int64, "segment", arrow.BinaryTypes.String)
	var rows [][]any
	for u := 0; u < 210_000/8; u += 3 {
		rows = append(rows, []any{u, fmt.Sprint("s", u%7)}, []any{u, "dup"})
	}
	right := keyedTable(t, rs, 5000, rows...)
	keyedSameAtAnyParallelism(t, InnerJoin("user"), big, right)
	keyedSameAtAnyParallelism(t, LeftJoin("user"), big, right)
}
