package pq

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// testTS is 2024-01-30T00:00:00Z in microseconds.
const testTS = int64(1706572800) * 1_000_000

var events = []string{"view", "add_to_cart", "purchase"}

// testSchema has one column of each kind the determinism tests cover.
func testSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "event", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "item", Type: arrow.StructOf(
			arrow.Field{Name: "qty", Type: arrow.PrimitiveTypes.Int32},
			arrow.Field{Name: "sku", Type: arrow.BinaryTypes.String, Nullable: true},
		), Nullable: true},
	}, nil)
}

// makeTable builds an n-row, single-chunk table of testSchema from seed.
func makeTable(t testing.TB, n int, seed uint64) arrow.Table {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	b := array.NewRecordBuilder(memory.DefaultAllocator, testSchema())
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	price := b.Field(1).(*array.Float64Builder)
	ev := b.Field(2).(*array.StringBuilder)
	ts := b.Field(3).(*array.TimestampBuilder)
	flag := b.Field(4).(*array.BooleanBuilder)
	tags := b.Field(5).(*array.ListBuilder)
	tagv := tags.ValueBuilder().(*array.Int64Builder)
	item := b.Field(6).(*array.StructBuilder)
	qty := item.FieldBuilder(0).(*array.Int32Builder)
	sku := item.FieldBuilder(1).(*array.StringBuilder)
	for i := 0; i < n; i++ {
		id.Append(int64(i) * 7)
		if rng.IntN(10) == 0 {
			price.AppendNull()
		} else {
			price.Append(float64(rng.IntN(100000)) / 100)
		}
		if rng.IntN(20) == 0 {
			ev.AppendNull()
		} else {
			ev.Append(events[rng.IntN(len(events))])
		}
		ts.Append(arrow.Timestamp(testTS + int64(i)*1_000_003))
		if rng.IntN(7) == 0 {
			flag.AppendNull()
		} else {
			flag.Append(rng.IntN(2) == 0)
		}
		switch k := rng.IntN(6); k {
		case 0:
			tags.AppendNull()
		default:
			tags.Append(true)
			for j := 0; j < k-1; j++ {
				if rng.IntN(9) == 0 {
					tagv.AppendNull()
				} else {
					tagv.Append(rng.Int64N(1000))
				}
			}
		}
		if rng.IntN(11) == 0 {
			item.AppendNull()
		} else {
			item.Append(true)
			qty.Append(int32(rng.IntN(5)))
			if rng.IntN(4) == 0 {
				sku.AppendNull()
			} else {
				sku.Append("sku-" + string(rune('a'+rng.IntN(26))))
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
}

// rechunk returns tbl's rows split at random sizes in [1, maxChunk]. With
// copy the chunks are fresh arrays (offset 0, own buffers); without, they
// are zero-copy slices of tbl's arrays.
func rechunk(t testing.TB, tbl arrow.Table, seed uint64, maxChunk int, copy bool) arrow.Table {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	var recs []arrow.RecordBatch
	tr := array.NewTableReader(tbl, -1)
	defer tr.Release()
	n := tbl.NumRows()
	var cols [][]arrow.Array
	for tr.Next() {
		cols = append(cols, tr.RecordBatch().Columns())
		for _, c := range tr.RecordBatch().Columns() {
			c.Retain()
		}
	}
	require.Len(t, cols, 1, "rechunk wants a single-chunk table")
	for off := int64(0); off < n; {
		sz := min(int64(1+rng.IntN(maxChunk)), n-off)
		arrs := make([]arrow.Array, len(cols[0]))
		for i, c := range cols[0] {
			s := array.NewSlice(c, off, off+sz)
			if copy {
				cp, err := array.Concatenate([]arrow.Array{s}, memory.DefaultAllocator)
				require.NoError(t, err)
				s.Release()
				s = cp
			}
			arrs[i] = s
		}
		recs = append(recs, array.NewRecordBatch(tbl.Schema(), arrs, sz))
		for _, a := range arrs {
			a.Release()
		}
		off += sz
	}
	for _, c := range cols[0] {
		c.Release()
	}
	out := array.NewTableFromRecords(tbl.Schema(), recs)
	for _, r := range recs {
		r.Release()
	}
	return out
}

// writeBytes writes tbl with opts into memory.
func writeBytes(t testing.TB, tbl arrow.Table, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	rows, err := Write(context.Background(), &buf, tbl, opts)
	require.NoError(t, err)
	require.Equal(t, tbl.NumRows(), rows)
	return buf.Bytes()
}

// readBytes reads a Parquet file from memory.
func readBytes(t testing.TB, data []byte, ro ReadOptions) arrow.Table {
	t.Helper()
	tbl, err := Read(context.Background(), bytes.NewReader(data), "mem.parquet", ro)
	require.NoError(t, err)
	return tbl
}

// smallOpts are Defaults with small row groups and pages so tests cover
// several of each quickly.
func smallOpts() Options {
	o := Defaults()
	o.RowGroupRows = 1000
	o.PageBytes = 4 << 10
	return o
}
