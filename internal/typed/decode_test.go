package typed

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type event struct {
	EventID int64
	UserID  *int64
	Kind    string `kiln:"kind,dict"`
	Amount  *float64
	TS      time.Time `kiln:"ts"`
}

// recordFromJSON builds a record batch of schema from JSON rows.
func recordFromJSON(t *testing.T, mem memory.Allocator, schema *arrow.Schema, rows string) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(rows))
	require.NoError(t, err)
	t.Cleanup(rec.Release)
	return rec
}

func TestDecodeColumnOrderAndExtraColumns(t *testing.T) {
	mem := checkedMem(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "kind", Type: arrow.BinaryTypes.LargeString}, // any string encoding
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	rec := recordFromJSON(t, mem, schema, `[
		{"extra": "x", "ts": "2024-01-30T10:00:00.000000001", "amount": 1.5, "kind": "view", "user_id": 7, "event_id": 1},
		{"extra": null, "ts": "2024-01-30T11:00:00", "amount": null, "kind": "buy", "user_id": null, "event_id": 2}
	]`)
	got, err := DecodeRecordBatch[event](rec)
	require.NoError(t, err)
	assert.Equal(t, []event{
		{EventID: 1, UserID: ptr(int64(7)), Kind: "view", Amount: ptr(1.5), TS: time.Date(2024, 1, 30, 10, 0, 0, 1, time.UTC)},
		{EventID: 2, Kind: "buy", TS: time.Date(2024, 1, 30, 11, 0, 0, 0, time.UTC)},
	}, got)
}

func TestDecodeErrors(t *testing.T) {
	mem := checkedMem(t)
	good, err := FromSlice(mem, []event{{EventID: 1}, {EventID: 2}, {EventID: 3}})
	require.NoError(t, err)
	defer good.Release()

	t.Run("missing column", func(t *testing.T) {
		type more struct {
			EventID int64
			Score   float64
		}
		_, err := DecodeRecordBatch[more](good)
		assert.EqualError(t, err, `typed: no column "score" for field more.Score (Go type float64)`)
	})
	t.Run("wrong type", func(t *testing.T) {
		type wrong struct {
			EventID string
		}
		_, err := DecodeRecordBatch[wrong](good)
		assert.EqualError(t, err, `typed: column "event_id" has Arrow type int64, which does not decode into field wrong.EventID of Go type string`)
	})
	t.Run("no silent narrowing or widening", func(t *testing.T) {
		type narrow struct {
			EventID int32
		}
		_, err := DecodeRecordBatch[narrow](good)
		assert.ErrorContains(t, err, `column "event_id" has Arrow type int64, which does not decode into field narrow.EventID of Go type int32`)
	})
	t.Run("null into non-pointer", func(t *testing.T) {
		type strict struct {
			EventID int64
			UserID  int64
		}
		rows := []event{{EventID: 1, UserID: ptr(int64(5))}, {EventID: 2}}
		rec, err := FromSlice(mem, rows)
		require.NoError(t, err)
		defer rec.Release()
		_, err = DecodeRecordBatch[strict](rec)
		assert.EqualError(t, err, `typed: row 1: column "user_id": null value for non-nullable field strict.UserID of Go type int64 (use a pointer type)`)
	})
	t.Run("duplicate column", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
		}, nil)
		col, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int64, strings.NewReader(`[1]`))
		require.NoError(t, err)
		defer col.Release()
		rec := array.NewRecordBatch(schema, []arrow.Array{col, col}, 1)
		defer rec.Release()
		type one struct{ EventID int64 }
		_, err = DecodeRecordBatch[one](rec)
		assert.ErrorContains(t, err, `2 columns are named "event_id"`)
	})
	t.Run("null list element", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{{Name: "ids", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
		rec := recordFromJSON(t, mem, schema, `[{"ids": [1]}, {"ids": [2, null]}]`)
		type lists struct{ IDs []int64 }
		_, err := DecodeRecordBatch[lists](rec)
		assert.ErrorContains(t, err, `typed: row 1: list element: column "ids": null value`)
		type ptrs struct{ IDs []*int64 }
		got, err := DecodeRecordBatch[ptrs](rec)
		require.NoError(t, err)
		assert.Equal(t, []ptrs{{[]*int64{ptr(int64(1))}}, {[]*int64{ptr(int64(2)), nil}}}, got)
	})
	t.Run("nested struct", func(t *testing.T) {
		type in struct {
			A int64
			B *string
		}
		schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.StructOf(
			arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		), Nullable: true}}, nil)
		rec := recordFromJSON(t, mem, schema, `[{"s": {"a": 1, "b": "x"}}, {"s": null}, {"s": {"a": 3, "b": null}}]`)

		type ptrRow struct{ S *in }
		got, err := DecodeRecordBatch[ptrRow](rec)
		require.NoError(t, err)
		assert.Equal(t, []ptrRow{{&in{1, ptr("x")}}, {nil}, {&in{3, nil}}}, got)

		type valRow struct{ S in }
		_, err = DecodeRecordBatch[valRow](rec)
		assert.EqualError(t, err, `typed: row 1: column "s": null value for non-nullable field valRow.S of Go type typed.in (use a pointer type)`)

		type missing struct {
			S struct{ C int64 }
		}
		_, err = DecodeRecordBatch[missing](rec)
		assert.EqualError(t, err, `typed: no column "s.c" for field missing.S.C (Go type int64)`)
	})
	t.Run("duration overflow", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: arrow.FixedWidthTypes.Duration_s}}, nil)
		rec := recordFromJSON(t, mem, schema, `[{"d": 1}, {"d": 9223372037}]`)
		type row struct{ D time.Duration }
		_, err := DecodeRecordBatch[row](rec)
		assert.EqualError(t, err, `typed: row 1: column "d": duration 9223372037s overflows time.Duration`)
	})
}

func TestDecodeChunkedTable(t *testing.T) {
	mem := checkedMem(t)
	rows := make([]event, 1000)
	for i := range rows {
		rows[i] = event{EventID: int64(i), Kind: []string{"a", "b", "c"}[i%3], TS: time.Unix(int64(i), 0).UTC()}
		if i%4 == 0 {
			rows[i].UserID = ptr(int64(i * 10))
		}
	}
	// Record batches of uneven sizes, including an empty one.
	var recs []arrow.RecordBatch
	for _, r := range [][2]int{{0, 1}, {1, 1}, {1, 300}, {300, 999}, {999, 1000}} {
		b := NewBuilderFor[event](t, mem)
		require.NoError(t, b.AppendSlice(rows[r[0]:r[1]]))
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	tbl := array.NewTableFromRecords(recs[0].Schema(), recs)
	for _, r := range recs {
		r.Release()
	}
	defer tbl.Release()
	got, err := Decode[event](tbl)
	require.NoError(t, err)
	assert.Equal(t, rows, got)

	// Columns chunked at different boundaries from each other.
	cols := make([]arrow.Column, tbl.NumCols())
	for i := range cols {
		col := tbl.Column(i)
		step := int64(7 + 50*i)
		var chunks []arrow.Array
		for lo := int64(0); lo < tbl.NumRows(); lo += step {
			chunks = append(chunks, array.NewChunkedSlice(col.Data(), lo, min(lo+step, tbl.NumRows())).Chunks()...)
		}
		chunked := arrow.NewChunked(col.DataType(), chunks)
		for _, c := range chunks {
			c.Release()
		}
		cols[i] = *arrow.NewColumn(col.Field(), chunked)
		chunked.Release()
	}
	tbl2 := array.NewTable(tbl.Schema(), cols, tbl.NumRows())
	for i := range cols {
		cols[i].Release()
	}
	defer tbl2.Release()
	assert.Greater(t, len(tbl2.Column(4).Data().Chunks()), 3)
	got, err = Decode[event](tbl2)
	require.NoError(t, err)
	assert.Equal(t, rows, got)
}

// NewBuilderFor returns a new builder for T or fails the test.
func NewBuilderFor[T any](t *testing.T, mem memory.Allocator) *Builder[T] {
	t.Helper()
	c, err := CodecOf[T]()
	require.NoError(t, err)
	return c.NewBuilder(mem)
}

func TestDecodeAlternativeEncodings(t *testing.T) {
	mem := checkedMem(t)
	// A dictionary with int8 indices into large strings, read into a plain
	// string field; large binary into []byte.
	vals, _, err := array.FromJSON(mem, arrow.BinaryTypes.LargeString, strings.NewReader(`["x", "yy"]`))
	require.NoError(t, err)
	defer vals.Release()
	idx, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int8, strings.NewReader(`[1, null, 0, 1]`))
	require.NoError(t, err)
	defer idx.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.LargeString}
	dict := array.NewDictionaryArray(dt, idx, vals)
	defer dict.Release()
	raw, _, err := array.FromJSON(mem, arrow.BinaryTypes.LargeBinary, strings.NewReader(`["AAE=", null, "", "Ag=="]`))
	require.NoError(t, err)
	defer raw.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: dt, Nullable: true},
		{Name: "raw", Type: arrow.BinaryTypes.LargeBinary, Nullable: true},
	}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{dict, raw}, 4)
	defer rec.Release()

	type row struct {
		S   *string
		Raw *[]byte
	}
	got, err := DecodeRecordBatch[row](rec)
	require.NoError(t, err)
	assert.Equal(t, []row{
		{ptr("yy"), ptr([]byte{0, 1})},
		{nil, nil},
		{ptr("x"), ptr([]byte(nil))},
		{ptr("yy"), ptr([]byte{2})},
	}, got)

	type dictRow struct {
		S *string `kiln:"s,dict"`
	}
	got2, err := DecodeRecordBatch[dictRow](rec)
	require.NoError(t, err)
	assert.Equal(t, "x", *got2[2].S)
}

func TestDecodeSlicedRecord(t *testing.T) {
	mem := checkedMem(t)
	rows := []allTypes{{I: 1, S: "a", Ints: []int64{1}}, {I: 2, S: "b", Ints: []int64{2, 2}, PInner: &inner{Name: "n"}}, {I: 3, S: "c"}}
	rec, err := FromSlice(mem, rows)
	require.NoError(t, err)
	defer rec.Release()
	sliced := rec.NewSlice(1, 3)
	defer sliced.Release()
	got, err := DecodeRecordBatch[allTypes](sliced)
	require.NoError(t, err)
	assert.Equal(t, rows[1:], got)
}
