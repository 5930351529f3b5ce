package transform

// Test helpers of the row-local transforms and preprocessing (select,
// cast, filter, derive, nulls, timestamps, fit/apply). Names start with
// "rl" to stay clear of the other transforms' helpers.

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"testing"
	_ "time/tzdata" // IANA zones in tests even without a system database

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
)

// rlTS is timestamp[us, UTC].
var rlTS = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// rlSchema builds a schema of nullable fields from name/type pairs.
func rlSchema(pairs ...any) *arrow.Schema {
	var fields []arrow.Field
	for i := 0; i < len(pairs); i += 2 {
		fields = append(fields, arrow.Field{Name: pairs[i].(string), Type: pairs[i+1].(arrow.DataType), Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// rlTable builds a table from JSON rows (an array of objects), cut into
// chunks of chunk rows (one chunk when chunk <= 0).
func rlTable(t testing.TB, s *arrow.Schema, rows string, chunk int) arrow.Table {
	t.Helper()
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, s, strings.NewReader(rows))
	require.NoError(t, err)
	defer rec.Release()
	n := rec.NumRows()
	if chunk <= 0 || int64(chunk) >= n {
		return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
	}
	var recs []arrow.RecordBatch
	for lo := int64(0); lo < n; lo += int64(chunk) {
		recs = append(recs, rec.NewSlice(lo, min(lo+int64(chunk), n)))
	}
	tbl := array.NewTableFromRecords(s, recs)
	for _, r := range recs {
		r.Release()
	}
	return tbl
}

// rlTry plans and applies tr to one input, checking the output schema
// against the plan.
func rlTry(t testing.TB, tr kiln.Transform, in arrow.Table) (arrow.Table, error) {
	t.Helper()
	planned, err := tr.OutputSchema([]*arrow.Schema{in.Schema()})
	if err != nil {
		return nil, err
	}
	out, err := tr.Apply(kiln.NewContext(context.Background(), "test", kiln.All), []arrow.Table{in})
	if err != nil {
		return nil, err
	}
	require.Truef(t, planned.Equal(out.Schema()), "planned schema\n%s\ndiffers from output schema\n%s", planned, out.Schema())
	return out, nil
}

// rlApply is rlTry that fails the test on error.
func rlApply(t testing.TB, tr kiln.Transform, in arrow.Table) arrow.Table {
	t.Helper()
	out, err := rlTry(t, tr, in)
	require.NoError(t, err)
	return out
}

// rlValues returns a column's values as Go values (nil for nulls; floats
// as float64, integers as int64, strings, bools, timestamps as int64).
func rlValues(t testing.TB, tbl arrow.Table, name string) []any {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	require.Len(t, idx, 1, "column %q", name)
	var out []any
	for _, c := range tbl.Column(idx[0]).Data().Chunks() {
		for i := range c.Len() {
			out = append(out, rlValue(c, i))
		}
	}
	return out
}

func rlValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Boolean:
		return x.Value(i)
	case *array.Int8:
		return int64(x.Value(i))
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int64:
		return x.Value(i)
	case *array.Uint8:
		return int64(x.Value(i))
	case *array.Uint16:
		return int64(x.Value(i))
	case *array.Uint32:
		return int64(x.Value(i))
	case *array.Uint64:
		return x.Value(i)
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.String:
		return x.Value(i)
	case *array.LargeString:
		return x.Value(i)
	case *array.Timestamp:
		return int64(x.Value(i))
	case *array.Date32:
		return int64(x.Value(i))
	}
	return a.ValueStr(i)
}

// rlEqualValues compares value lists, with NaN equal to NaN and -0 told
// apart from +0.
func rlEqualValues(t testing.TB, want, got []any, msg ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got), msg...)
	for i := range want {
		w, g := want[i], got[i]
		if wi, ok := w.(int); ok {
			w = int64(wi)
		}
		if rlSame(w, g) {
			continue
		}
		require.Failf(t, "values differ", "row %d: want %v (%T), got %v (%T) %v", i, w, w, g, g, msg)
	}
}

func rlSame(w, g any) bool {
	wf, ok := w.(float64)
	if !ok {
		return w == g
	}
	gf, ok := g.(float64)
	if !ok {
		return false
	}
	if math.IsNaN(wf) {
		return math.IsNaN(gf)
	}
	return math.Float64bits(wf) == math.Float64bits(gf)
}

// rlHash is the content hash of a table.
func rlHash(t testing.TB, tbl arrow.Table) digest.Sum {
	t.Helper()
	s, err := digest.Table(tbl)
	require.NoError(t, err)
	return s
}

// rlAtProcs runs f with GOMAXPROCS set to n.
func rlAtProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

// rlJSON marshals v for assertions.
func rlJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// rlTypeIs asserts that got is the type want.
func rlTypeIs(t testing.TB, want, got arrow.DataType) {
	t.Helper()
	require.Truef(t, arrow.TypeEqual(want, got), "type %s, want %s", got, want)
}
