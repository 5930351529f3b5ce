// Package arrowx holds small Arrow helpers shared across kiln: empty tables,
// tables handed over for good (Owned),
// zero-copy concatenation, schema comparison with readable differences, and
// slicing tables into fixed-size row chunks.
package arrowx

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// EmptyTable returns a table with the schema and no rows.
func EmptyTable(s *arrow.Schema) arrow.Table {
	cols := make([]arrow.Column, s.NumFields())
	for i, f := range s.Fields() {
		ch := arrow.NewChunked(f.Type, nil)
		cols[i] = *arrow.NewColumn(f, ch)
		ch.Release()
	}
	return array.NewTable(s, cols, 0)
}

// EmptyArray returns an array of the type with no values.
func EmptyArray(mem memory.Allocator, dt arrow.DataType) arrow.Array {
	return array.MakeArrayOfNull(mem, dt, 0)
}

// Concat returns one table holding the rows of tables in order, without
// copying data: the result's columns chain the inputs' chunks. All tables
// must have schemas equal to s (metadata ignored); s is the result's schema.
func Concat(s *arrow.Schema, tables []arrow.Table) (arrow.Table, error) {
	cols := make([]arrow.Column, s.NumFields())
	var rows int64
	for ti, t := range tables {
		if !SchemaEqual(s, t.Schema()) {
			return nil, fmt.Errorf("concat: table %d has schema %s, want %s", ti, t.Schema(), s)
		}
		rows += t.NumRows()
	}
	for i, f := range s.Fields() {
		var chunks []arrow.Array
		for _, t := range tables {
			for _, c := range t.Column(i).Data().Chunks() {
				if c.Len() > 0 {
					chunks = append(chunks, c)
				}
			}
		}
		ch := arrow.NewChunked(f.Type, chunks)
		cols[i] = *arrow.NewColumn(f, ch)
		ch.Release()
	}
	t := array.NewTable(s, cols, rows)
	for i := range cols {
		cols[i].Release()
	}
	return t, nil
}

// SchemaEqual reports whether two schemas have the same fields (names, types,
// nullability) in the same order. Metadata is ignored.
func SchemaEqual(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Nullable != fb.Nullable || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}

// SchemaDiff describes how got differs from want in words, one difference per
// line, naming the columns ("" when they are equal).
func SchemaDiff(want, got *arrow.Schema) string {
	var out []string
	for _, f := range want.Fields() {
		idx := got.FieldIndices(f.Name)
		if len(idx) == 0 {
			out = append(out, fmt.Sprintf("column %q: missing (want %s)", f.Name, f.Type))
			continue
		}
		g := got.Field(idx[0])
		if !arrow.TypeEqual(f.Type, g.Type) {
			out = append(out, fmt.Sprintf("column %q: has type %s, want %s", f.Name, g.Type, f.Type))
		} else if f.Nullable != g.Nullable {
			out = append(out, fmt.Sprintf("column %q: nullable=%t, want nullable=%t", f.Name, g.Nullable, f.Nullable))
		}
	}
	for _, g := range got.Fields() {
		if len(want.FieldIndices(g.Name)) == 0 {
			out = append(out, fmt.Sprintf("column %q: unexpected (%s)", g.Name, g.Type))
		}
	}
	if len(out) == 0 && !SchemaEqual(want, got) {
		out = append(out, fmt.Sprintf("column order differs: got %s, want %s", names(got), names(want)))
	}
	return strings.Join(out, "\n")
}

func names(s *arrow.Schema) string {
	n := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		n[i] = f.Name
	}
	return strings.Join(n, ", ")
}

// Chunks returns the column's arrays, skipping empty ones.
func Chunks(c *arrow.Chunked) []arrow.Array {
	out := make([]arrow.Array, 0, len(c.Chunks()))
	for _, a := range c.Chunks() {
		if a.Len() > 0 {
			out = append(out, a)
		}
	}
	return out
}

// WithSchema returns t with its schema replaced by s, which must describe the
// same columns (only metadata may differ).
func WithSchema(t arrow.Table, s *arrow.Schema) arrow.Table {
	cols := make([]arrow.Column, t.NumCols())
	for i := range cols {
		cols[i] = *arrow.NewColumn(s.Field(i), t.Column(i).Data())
	}
	out := array.NewTable(s, cols, t.NumRows())
	for i := range cols {
		cols[i].Release()
	}
	return out
}

// SliceTable returns rows [lo, hi) of t without copying.
func SliceTable(t arrow.Table, lo, hi int64) arrow.Table {
	cols := make([]arrow.Column, t.NumCols())
	for i := range cols {
		ch := array.NewChunkedSlice(t.Column(i).Data(), lo, hi)
		cols[i] = *arrow.NewColumn(t.Schema().Field(i), ch)
		ch.Release()
	}
	out := array.NewTable(t.Schema(), cols, hi-lo)
	for i := range cols {
		cols[i].Release()
	}
	return out
}
