package transform

// Helpers shared by the keyed transforms (dedupe, sort, joins, as-of join,
// group-by, rolling windows, sessions).

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/kernels"
)

// keyTypes are the types usable as group, join, dedupe and sort keys.
var keyTypes = []arrow.Type{
	arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
	arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
	arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL,
	arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
	arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION,
}

// timeTypes are the types usable as the time of windows, sessions and
// as-of joins.
var timeTypes = []arrow.Type{arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64}

// keyFields looks up key columns of input i, checking they can be keys.
func keyFields(s *arrow.Schema, i int, names []string) ([]int, []arrow.Field, error) {
	idx := make([]int, len(names))
	fs := make([]arrow.Field, len(names))
	seen := make(map[string]bool, len(names))
	for k, n := range names {
		if seen[n] {
			return nil, nil, &kiln.SchemaError{Column: n, Problem: "listed twice as a key", Input: i}
		}
		seen[n] = true
		j, f, err := field(s, i, n, keyTypes...)
		if err != nil {
			return nil, nil, err
		}
		idx[k], fs[k] = j, f
	}
	return idx, fs, nil
}

// tableCols returns the kernel views of a table's columns.
func tableCols(t arrow.Table) []kernels.Col {
	cols := make([]kernels.Col, t.NumCols())
	for i := range cols {
		cols[i] = kernels.NewCol(t.Column(i).Data())
	}
	return cols
}

// pick returns cols[idx[0]], cols[idx[1]]...
func pick(cols []kernels.Col, idx []int) []kernels.Col {
	out := make([]kernels.Col, len(idx))
	for k, i := range idx {
		out[k] = cols[i]
	}
	return out
}

// newTable makes a table of one-chunk columns and releases the arrays.
func newTable(s *arrow.Schema, arrs []arrow.Array, rows int) arrow.Table {
	cols := make([]arrow.Column, len(arrs))
	for i, a := range arrs {
		ch := arrow.NewChunked(s.Field(i).Type, []arrow.Array{a})
		cols[i] = *arrow.NewColumn(s.Field(i), ch)
		ch.Release()
		a.Release()
	}
	t := array.NewTable(s, cols, int64(rows))
	for i := range cols {
		cols[i].Release()
	}
	return t
}

// tableOf makes a table of chunked columns (retained by the table).
func tableOf(s *arrow.Schema, chunks []*arrow.Chunked, rows int) arrow.Table {
	cols := make([]arrow.Column, len(chunks))
	for i, ch := range chunks {
		cols[i] = *arrow.NewColumn(s.Field(i), ch)
	}
	t := array.NewTable(s, cols, int64(rows))
	for i := range cols {
		cols[i].Release()
	}
	return t
}

// withColumns returns t's columns followed by arrs (released) as a table of
// schema s.
func withColumns(s *arrow.Schema, t arrow.Table, arrs []arrow.Array) arrow.Table {
	chunks := make([]*arrow.Chunked, 0, s.NumFields())
	for i := range int(t.NumCols()) {
		c := t.Column(i).Data()
		c.Retain()
		chunks = append(chunks, c)
	}
	for _, a := range arrs {
		chunks = append(chunks, chunkedOf(a))
	}
	res := tableOf(s, chunks, int(t.NumRows()))
	for _, c := range chunks {
		c.Release()
	}
	return res
}

// chunkedOf wraps one array as a chunked column, releasing the array.
func chunkedOf(a arrow.Array) *arrow.Chunked {
	ch := arrow.NewChunked(a.DataType(), []arrow.Array{a})
	a.Release()
	return ch
}

// gather returns the rows idx of t (negative: all-null row) with schema s.
func gather(ctx *kiln.Context, s *arrow.Schema, t arrow.Table, idx []int32) (arrow.Table, error) {
	if o, ok := t.(*arrowx.Owned); ok {
		// An input kiln handed over: free it as it is copied.
		return consumeRows(ctx, s, nil, o, idx)
	}
	arrs, err := kernels.TakeAll(ctx, ctx.Allocator(), tableCols(t), idx)
	if err != nil {
		return nil, err
	}
	return newTable(s, arrs, len(idx)), nil
}

// isIdentity reports whether idx is 0, 1, ..., n-1.
func isIdentity(idx []int32, n int) bool {
	if len(idx) != n {
		return false
	}
	for i, j := range idx {
		if int(j) != i {
			return false
		}
	}
	return true
}

// int64Array builds an int64 array; valid may be nil (all valid).
func int64Array(mem memory.Allocator, vals []int64, valid []bool) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

// float64Array builds a float64 array; valid may be nil (all valid).
func float64Array(mem memory.Allocator, vals []float64, valid []bool) arrow.Array {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

// positive reports, per value, whether it is > 0 (counts to validity).
func positive(cnt []int64) []bool {
	out := make([]bool, len(cnt))
	for i, c := range cnt {
		out[i] = c > 0
	}
	return out
}

// refs builds column lineage entries.
func ref(input int, col, kind, sub string) kiln.ColumnRef {
	return kiln.ColumnRef{Input: input, Column: col, Kind: kind, Subtype: sub}
}

// indirect returns INDIRECT refs of subtype sub to columns of an input.
func indirect(input int, cols []string, sub string) []kiln.ColumnRef {
	out := make([]kiln.ColumnRef, len(cols))
	for i, c := range cols {
		out[i] = ref(input, c, "INDIRECT", sub)
	}
	return out
}

// checkRows checks a table is small enough for the kernels.
func checkRows(t arrow.Table) error {
	if t.NumRows() > math.MaxInt32 {
		return fmt.Errorf("%d rows: at most %d are supported", t.NumRows(), math.MaxInt32)
	}
	return nil
}

// names returns the field names of s.
func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// unitsOf converts a duration to units of u, or fails when it is not a
// whole number of them.
func unitsOf(d, u time.Duration, what string) (int64, error) {
	if d%u != 0 {
		return 0, fmt.Errorf("%s %s is not a whole number of the time column's unit %s", what, d, u)
	}
	return int64(d / u), nil
}
