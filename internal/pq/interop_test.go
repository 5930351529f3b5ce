package pq

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goItem and goRow mirror testSchema for parquet-go.
type goItem struct {
	Qty int32   `parquet:"qty"`
	Sku *string `parquet:"sku,optional"`
}

type goRow struct {
	ID    int64     `parquet:"id"`
	Price *float64  `parquet:"price,optional"`
	Event *string   `parquet:"event,optional"`
	TS    time.Time `parquet:"ts,timestamp(microsecond)"`
	Flag  *bool     `parquet:"flag,optional"`
	Tags  []*int64  `parquet:"tags,optional,list" parquet-element:",optional"`
	Item  *goItem   `parquet:"item,optional"`
}

// TestParquetGoReadsKilnFiles proves that an independent Parquet
// implementation (parquet-go, not arrow-go) reads kiln's files, across
// several row groups, dictionary-encoded strings, nulls, UTC timestamps,
// lists and structs.
func TestParquetGoReadsKilnFiles(t *testing.T) {
	const n = 2600
	tbl := makeTable(t, n, 21)
	defer tbl.Release()
	data := writeBytes(t, tbl, smallOpts())

	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Len(t, f.RowGroups(), 3)
	ts, ok := f.Schema().Lookup("ts")
	require.True(t, ok)
	lt, ok := ts.Node.Type().LogicalType().Value.(*format.TimestampType)
	require.True(t, ok, "ts logical type %s", ts.Node.Type().LogicalType())
	require.True(t, lt.IsAdjustedToUTC, "ts is TIMESTAMP WITH TIME ZONE")

	r := parquet.NewGenericReader[goRow](bytes.NewReader(data))
	defer r.Close()
	var rows []goRow
	buf := make([]goRow, 333)
	for {
		k, err := r.Read(buf)
		rows = append(rows, buf[:k]...)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	require.Len(t, rows, n)

	rec := tableRecord(t, tbl)
	defer rec.Release()
	id := rec.Column(0).(*array.Int64)
	price := rec.Column(1).(*array.Float64)
	event := rec.Column(2).(*array.String)
	tsc := rec.Column(3).(*array.Timestamp)
	flag := rec.Column(4).(*array.Boolean)
	tags := rec.Column(5).(*array.List)
	tagv := tags.ListValues().(*array.Int64)
	item := rec.Column(6).(*array.Struct)
	qty := item.Field(0).(*array.Int32)
	sku := item.Field(1).(*array.String)
	for i, g := range rows {
		assert.Equal(t, id.Value(i), g.ID, "row %d id", i)
		assert.Equal(t, ptr(price.IsValid(i), price.Value(i)), g.Price, "row %d price", i)
		assert.Equal(t, ptr(event.IsValid(i), event.Value(i)), g.Event, "row %d event", i)
		assert.Equal(t, int64(tsc.Value(i)), g.TS.UnixMicro(), "row %d ts", i)
		assert.Equal(t, ptr(flag.IsValid(i), flag.Value(i)), g.Flag, "row %d flag", i)
		if tags.IsNull(i) {
			assert.Empty(t, g.Tags, "row %d tags", i)
		} else {
			beg, end := tags.ValueOffsets(i)
			want := make([]*int64, 0, end-beg)
			for j := beg; j < end; j++ {
				want = append(want, ptr(tagv.IsValid(int(j)), tagv.Value(int(j))))
			}
			if len(want) == 0 {
				assert.Empty(t, g.Tags, "row %d tags", i)
			} else {
				assert.Equal(t, want, g.Tags, "row %d tags", i)
			}
		}
		if item.IsNull(i) {
			assert.Nil(t, g.Item, "row %d item", i)
		} else if assert.NotNil(t, g.Item, "row %d item", i) {
			assert.Equal(t, qty.Value(i), g.Item.Qty, "row %d qty", i)
			assert.Equal(t, ptr(sku.IsValid(i), sku.Value(i)), g.Item.Sku, "row %d sku", i)
		}
	}
}

func ptr[T any](valid bool, v T) *T {
	if !valid {
		return nil
	}
	return &v
}

// tableRecord concatenates tbl into one record batch.
func tableRecord(t *testing.T, tbl arrow.Table) arrow.RecordBatch {
	t.Helper()
	tr := array.NewTableReader(tbl, tbl.NumRows())
	defer tr.Release()
	require.True(t, tr.Next())
	rec := tr.RecordBatch()
	rec.Retain()
	return rec
}
