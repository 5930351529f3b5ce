package transform

// Test helpers of the keyed transforms (dedupe, sort, joins, as-of join,
// group-by, rolling, sessions). Names start with "keyed" to stay clear of
// the other transforms' helpers.

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/par"
)

// keyedTS is a microsecond UTC timestamp type.
var keyedTS = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// keyedSchema builds a schema of nullable fields from name/type pairs.
func keyedSchema(pairs ...any) *arrow.Schema {
	var fs []arrow.Field
	for i := 0; i < len(pairs); i += 2 {
		fs = append(fs, arrow.Field{Name: pairs[i].(string), Type: pairs[i+1].(arrow.DataType), Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}

// keyedTable builds a table from rows of Go values (nil for null), cut into
// chunks of chunk rows (0: one chunk). Values: int for integer columns,
// float64 or int for floats, string, bool, time.Time or an RFC 3339 /
// date string for timestamps and dates.
func keyedTable(t testing.TB, s *arrow.Schema, chunk int, rows ...[]any) arrow.Table {
	t.Helper()
	if chunk <= 0 {
		chunk = max(len(rows), 1)
	}
	var recs []arrow.RecordBatch
	for lo := 0; lo < len(rows) || lo == 0; lo += chunk {
		b := array.NewRecordBuilder(memory.DefaultAllocator, s)
		for _, row := range rows[lo:min(lo+chunk, len(rows))] {
			require.Len(t, row, s.NumFields())
			for c, v := range row {
				keyedAppend(t, b.Field(c), v)
			}
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
		if len(rows) == 0 {
			break
		}
	}
	tbl := array.NewTableFromRecords(s, recs)
	for _, r := range recs {
		r.Release()
	}
	return tbl
}

func keyedTime(t testing.TB, v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04", "2006-01-02"} {
			if tm, err := time.Parse(layout, x); err == nil {
				return tm
			}
		}
	}
	t.Fatalf("not a time: %v", v)
	return time.Time{}
}

func keyedAppend(t testing.TB, b array.Builder, v any) {
	t.Helper()
	if v == nil {
		b.AppendNull()
		return
	}
	toInt := func() int64 {
		switch x := v.(type) {
		case int:
			return int64(x)
		case int64:
			return x
		}
		t.Fatalf("not an int: %T %v", v, v)
		return 0
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(toInt())
	case *array.Int32Builder:
		b.Append(int32(toInt()))
	case *array.Int8Builder:
		b.Append(int8(toInt()))
	case *array.Uint64Builder:
		b.Append(uint64(toInt()))
	case *array.Float64Builder:
		if f, ok := v.(float64); ok {
			b.Append(f)
		} else {
			b.Append(float64(toInt()))
		}
	case *array.Float32Builder:
		b.Append(float32(v.(float64)))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BinaryBuilder:
		b.Append([]byte(v.(string)))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.TimestampBuilder:
		if i, ok := v.(int); ok {
			b.Append(arrow.Timestamp(i))
		} else {
			b.AppendTime(keyedTime(t, v))
		}
	case *array.Date32Builder:
		if i, ok := v.(int); ok {
			b.Append(arrow.Date32(i))
		} else {
			b.Append(arrow.Date32FromTime(keyedTime(t, v)))
		}
	case *array.Date64Builder:
		b.Append(arrow.Date64FromTime(keyedTime(t, v)))
	default:
		t.Fatalf("keyedAppend: unsupported builder %T", b)
	}
}

// keyedRows reads a table back as rows of Go values: int64, float64,
// string, bool, nil; timestamps as RFC 3339 strings in UTC, dates as
// YYYY-MM-DD.
func keyedRows(t testing.TB, tbl arrow.Table) [][]any {
	t.Helper()
	n := int(tbl.NumRows())
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, tbl.NumCols())
	}
	for c := range int(tbl.NumCols()) {
		r := 0
		for _, a := range tbl.Column(c).Data().Chunks() {
			for i := range a.Len() {
				rows[r][c] = keyedValue(t, a, i)
				r++
			}
		}
	}
	return rows
}

func keyedValue(t testing.TB, a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Uint64:
		return int64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		u := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(u).UTC().Format(time.RFC3339Nano)
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Date64:
		return a.Value(i).ToTime().Format("2006-01-02")
	}
	t.Fatalf("keyedValue: unsupported array %T", a)
	return nil
}

// keyedApply checks the transform's declared schema, applies it and checks
// the output has that schema.
func keyedApply(t testing.TB, tr kiln.Transform, in ...arrow.Table) arrow.Table {
	t.Helper()
	out, err := keyedTry(tr, in...)
	require.NoError(t, err)
	return out
}

func keyedTry(tr kiln.Transform, in ...arrow.Table) (arrow.Table, error) {
	schemas := make([]*arrow.Schema, len(in))
	for i, x := range in {
		schemas[i] = x.Schema()
	}
	want, err := tr.OutputSchema(schemas)
	if err != nil {
		return nil, err
	}
	out, err := tr.Apply(kiln.NewContext(context.Background(), "test", kiln.All), in)
	if err != nil {
		return nil, err
	}
	if !want.Equal(out.Schema()) {
		return nil, fmt.Errorf("output schema %s, declared %s", out.Schema(), want)
	}
	if l, ok := tr.(kiln.ColumnLineager); ok {
		m, err := l.ColumnLineage(schemas)
		if err != nil {
			return nil, fmt.Errorf("lineage: %w", err)
		}
		for col := range m {
			if len(out.Schema().FieldIndices(col)) == 0 {
				return nil, fmt.Errorf("lineage names column %q absent from the output", col)
			}
		}
	}
	return out, nil
}

// keyedSameAtAnyParallelism applies tr at GOMAXPROCS 1 and 2 and checks the
// outputs' content hashes are equal. The inputs must be large enough to
// be split into several chunks.
func keyedSameAtAnyParallelism(t *testing.T, tr kiln.Transform, in ...arrow.Table) {
	t.Helper()
	require.Greater(t, in[0].NumRows(), int64(3*par.ChunkRows), "input too small to be split")
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var sums [2]digest.Sum
	for i, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		out := keyedApply(t, tr, in...)
		s, err := digest.Table(out)
		require.NoError(t, err)
		sums[i] = s
		out.Release()
	}
	assert.Equal(t, sums[0], sums[1], "content hash differs between GOMAXPROCS 1 and 2")
}

// keyedFloatEq compares floats as the benchmark does (1e-9 relative, NaN
// equal to NaN).
func keyedFloatEq(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-9+1e-9*max(math.Abs(a), math.Abs(b))
}

// keyedRowsEqual compares rows, floats approximately.
func keyedRowsEqual(t *testing.T, want, got [][]any, msg ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got), msg...)
	for i := range want {
		require.Equal(t, len(want[i]), len(got[i]))
		for c := range want[i] {
			w, g := want[i][c], got[i][c]
			if wf, ok := w.(float64); ok {
				if gf, ok := g.(float64); ok && keyedFloatEq(wf, gf) {
					continue
				}
			}
			require.Equal(t, w, g, "row %d column %d %v", i, c, fmt.Sprint(msg...))
		}
	}
}
