package arrowx

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOwned(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{4, 5, 6}, nil)
	rec := b.NewRecordBatch()
	tbl := array.NewTableFromRecords(s, []arrow.RecordBatch{rec})

	o := Own(tbl)
	var _ arrow.Table = o
	assert.Equal(t, int64(3), o.NumRows())
	assert.Equal(t, int64(2), o.NumCols())
	assert.True(t, o.Schema().Equal(s))
	assert.False(t, o.Taken())

	gs, cols, rows := o.TakeColumns()
	assert.True(t, gs.Equal(s))
	assert.Equal(t, int64(3), rows)
	require.Len(t, cols, 2)
	assert.Equal(t, []int64{4, 5, 6}, cols[1].Chunk(0).(*array.Int64).Int64Values())
	assert.True(t, o.Taken())
	o.Release() // a no-op once taken
	assert.PanicsWithValue(t, "kiln: input table used after its columns were handed over", func() { o.NumRows() })
	// The wrapped table itself is untouched: another holder still reads it.
	assert.Equal(t, []int64{1, 2, 3}, tbl.Column(0).Data().Chunk(0).(*array.Int64).Int64Values())

	o2 := Own(tbl)
	assert.Same(t, tbl, o2.Unwrap())
	assert.True(t, o2.Taken())
}
