package quality_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

var (
	nan  = math.NaN()
	inf  = math.Inf(1)
	mem  = memory.DefaultAllocator
	day0 = time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
)

// kctx is a check context for 2024-03-02 (logical time 2024-03-03T00:00Z).
func kctx() *kiln.Context {
	return kiln.NewContext(context.Background(), "test.node", kiln.Date(2024, 3, 2))
}

// build appends vs (nil = null) with add.
func build[B interface {
	AppendNull()
	NewArray() arrow.Array
	Release()
}](b B, vs []any, add func(any)) arrow.Array {
	defer b.Release()
	for _, v := range vs {
		if v == nil {
			b.AppendNull()
		} else {
			add(v)
		}
	}
	return b.NewArray()
}

func toF(v any) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("not a number: %T", v))
}

func f64(vs ...any) arrow.Array {
	b := array.NewFloat64Builder(mem)
	return build(b, vs, func(v any) { b.Append(toF(v)) })
}

func i64(vs ...any) arrow.Array {
	b := array.NewInt64Builder(mem)
	return build(b, vs, func(v any) { b.Append(int64(v.(int))) })
}

func u64(vs ...any) arrow.Array {
	b := array.NewUint64Builder(mem)
	return build(b, vs, func(v any) { b.Append(uint64(v.(int))) })
}

func i32(vs ...any) arrow.Array {
	b := array.NewInt32Builder(mem)
	return build(b, vs, func(v any) { b.Append(int32(v.(int))) })
}

func strs(vs ...any) arrow.Array {
	b := array.NewStringBuilder(mem)
	return build(b, vs, func(v any) { b.Append(v.(string)) })
}

func bools(vs ...any) arrow.Array {
	b := array.NewBooleanBuilder(mem)
	return build(b, vs, func(v any) { b.Append(v.(bool)) })
}

var tsType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

func tss(vs ...any) arrow.Array {
	b := array.NewTimestampBuilder(mem, tsType)
	return build(b, vs, func(v any) { b.Append(arrow.Timestamp(v.(time.Time).UnixMicro())) })
}

// table builds a table from name, array pairs, split into chunks of the
// given sizes (one chunk when none).
func table(t testing.TB, pairs ...any) arrow.Table {
	t.Helper()
	var fields []arrow.Field
	var cols []arrow.Array
	for i := 0; i < len(pairs); i += 2 {
		a := pairs[i+1].(arrow.Array)
		fields = append(fields, arrow.Field{Name: pairs[i].(string), Type: a.DataType(), Nullable: true})
		cols = append(cols, a)
	}
	s := arrow.NewSchema(fields, nil)
	n := int64(0)
	if len(cols) > 0 {
		n = int64(cols[0].Len())
	}
	rec := array.NewRecordBatch(s, cols, n)
	return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
}

// rechunk splits every column of t into chunks of size rows.
func rechunk(t testing.TB, tbl arrow.Table, size int64) arrow.Table {
	t.Helper()
	var recs []arrow.RecordBatch
	tr := array.NewTableReader(tbl, size)
	defer tr.Release()
	for tr.Next() {
		r := tr.RecordBatch()
		r.Retain()
		recs = append(recs, r)
	}
	return array.NewTableFromRecords(tbl.Schema(), recs)
}

// eval runs a check and requires that its result encodes as JSON.
func eval(t testing.TB, c kiln.Check, tbl arrow.Table) kiln.CheckResult {
	t.Helper()
	if v, ok := c.(kiln.SchemaValidator); ok {
		require.NoError(t, v.ValidateSchema(tbl.Schema()))
	}
	res, err := c.Evaluate(kctx(), tbl)
	require.NoError(t, err)
	_, err = json.Marshal(res)
	require.NoError(t, err, "results always encode as JSON")
	return res
}

func rowsOf(res kiln.CheckResult) []int64 {
	out := make([]int64, len(res.Unexpected))
	for i, u := range res.Unexpected {
		out[i] = u.Row
	}
	return out
}

func valuesOf(res kiln.CheckResult) []any {
	out := make([]any, len(res.Unexpected))
	for i, u := range res.Unexpected {
		out[i] = u.Value
	}
	return out
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
