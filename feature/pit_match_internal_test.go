package feature

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLatestRows(t *testing.T) {
	// Keys as string_view; event times in days, created times in seconds.
	s := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.StringView, Nullable: true},
		{Name: "dt", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "created", Type: &arrow.TimestampType{Unit: arrow.Second}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	add := func(k string, dt int32, created int64, valid [3]bool) {
		b.Field(0).(*array.StringViewBuilder).AppendValues([]string{k}, valid[:1])
		b.Field(1).(*array.Date32Builder).AppendValues([]arrow.Date32{arrow.Date32(dt)}, valid[1:2])
		b.Field(2).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(created)}, valid[2:3])
	}
	all := [3]bool{true, true, true}
	add("a", 2, 2*86400+50, all)               // 0
	add("b", 1, 0, [3]bool{true, true, false}) // 1: created at its event time
	add("a", 2, 2*86400+90, all)               // 2: the latest created of day 2
	add("a", 2, 2*86400+10, all)               // 3
	add("b", 1, 86400-1, all)                  // 4: created before its event time
	add("c", 9, 0, [3]bool{false, true, true}) // 5: null key
	add("c", 9, 0, [3]bool{true, false, true}) // 6: null event time
	add("a", 1, 9*86400, all)                  // 7: older
	rec := b.NewRecordBatch()
	defer rec.Release()
	tbl := array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
	defer tbl.Release()
	g := &Group{Name: "g", Version: 1, Entity: NewEntity("thing", "k"), EventTime: "dt", CreatedTime: "created"}
	got, unit, err := latestRows(context.Background(), g, tbl, []*arrow.Chunked{tbl.Column(0).Data()})
	require.NoError(t, err)
	assert.Equal(t, "1s", unit.String())
	assert.Equal(t, []latestRow{{row: 1, event: 86400, created: 86400}, {row: 2, event: 2 * 86400, created: 2*86400 + 90}}, got,
		"per key the last in (event, created, row) order, in row order; c has no usable row")
}
