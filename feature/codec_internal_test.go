package feature

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/internal/kernels"
)

// encodeRow encodes row i of arrays as a record value.
func encodeRow(t testing.TB, names []string, arrays []arrow.Array, i int) []byte {
	id := schemaID(names)
	b := append([]byte{valueFormat}, id[:]...)
	b = binary.AppendUvarint(b, uint64(len(arrays)))
	for _, a := range arrays {
		enc, err := newEncoder(a)
		require.NoError(t, err)
		b = enc(b, i)
	}
	return b
}

func TestValueRoundTrip(t *testing.T) {
	mem := memory.DefaultAllocator
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	cols := []struct {
		dt   arrow.DataType
		vals []any
	}{
		{arrow.PrimitiveTypes.Int64, []any{int64(math.MinInt64), nil}},
		{arrow.PrimitiveTypes.Int8, []any{int64(-3), nil}},
		{arrow.PrimitiveTypes.Uint64, []any{uint64(math.MaxUint64), nil}},
		{arrow.PrimitiveTypes.Float64, []any{math.Inf(-1), nil}},
		{arrow.PrimitiveTypes.Float32, []any{float32(1.5), nil}},
		{arrow.FixedWidthTypes.Boolean, []any{true, nil}},
		{arrow.BinaryTypes.String, []any{"héllo:\\", nil}},
		{arrow.BinaryTypes.Binary, []any{[]byte{0, 1, 255}, nil}},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, []any{ts, nil}},
		{&arrow.TimestampType{Unit: arrow.Second}, []any{ts.Truncate(time.Second), nil}},
		{arrow.FixedWidthTypes.Date32, []any{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), nil}},
		{arrow.FixedWidthTypes.Duration_ms, []any{1500 * time.Millisecond, nil}},
	}
	var arrays []arrow.Array
	var names []string
	for i, c := range cols {
		require.NoError(t, checkValueType(c.dt))
		a, err := buildArray(mem, c.dt, c.vals)
		require.NoError(t, err)
		defer a.Release()
		arrays = append(arrays, a)
		names = append(names, string(rune('a'+i)))
	}
	for row := range 2 {
		b := encodeRow(t, names, arrays, row)
		assert.Equal(t, b, encodeRow(t, names, arrays, row), "deterministic")
		id, raws, err := decodeValues(b, nil)
		require.NoError(t, err)
		assert.Equal(t, schemaID(names), id)
		require.Len(t, raws, len(cols))
		for i, c := range cols {
			v, err := goValue(raws[i], c.dt)
			require.NoError(t, err)
			assert.Equal(t, c.vals[row], v, "%s row %d", c.dt, row)
			assert.Equal(t, c.vals[row], valueAt(arrays[i], row), "valueAt %s", c.dt)
		}
	}
	_, err := goValue(rawValue{tag: tagBytes}, arrow.PrimitiveTypes.Int64)
	assert.ErrorContains(t, err, "does not fit")
	assert.Error(t, checkValueType(arrow.ListOf(arrow.PrimitiveTypes.Int64)))
}

func FuzzDecodeValues(f *testing.F) {
	mem := memory.DefaultAllocator
	a, _ := buildArray(mem, arrow.BinaryTypes.String, []any{"x"})
	b, _ := buildArray(mem, arrow.PrimitiveTypes.Float64, []any{2.5})
	f.Add(encodeRow(f, []string{"s", "f"}, []arrow.Array{a, b}, 0))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 5, 7, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, raws, err := decodeValues(data, nil)
		if err != nil {
			return
		}
		for _, r := range raws {
			for _, dt := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean, arrow.FixedWidthTypes.Date32} {
				goValue(r, dt)
			}
		}
	})
}

func TestTakeLayouts(t *testing.T) {
	mem := memory.DefaultAllocator
	mk := func(vals []int64, valid []bool) arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(vals, valid)
		return b.NewArray()
	}
	a := mk([]int64{0, 1, 2, 3}, []bool{true, false, true, true})
	s := array.NewSlice(a, 1, 4) // 1(null), 2, 3: an offset chunk
	a.Release()
	c := mk([]int64{4, 5}, nil)
	col := arrow.NewChunked(arrow.PrimitiveTypes.Int64, []arrow.Array{s, c})
	s.Release()
	c.Release()
	defer col.Release()
	idx := []int32{4, -1, 0, 1, 3, 2, 4}
	want := []any{int64(5), nil, nil, int64(2), int64(4), int64(3), int64(5)}
	for name, fn := range map[string]func() (arrow.Array, error){
		"chunked": func() (arrow.Array, error) { return kernels.Take(mem, kernels.NewCol(col), idx) },
		"concat": func() (arrow.Array, error) {
			one, err := array.Concatenate(col.Chunks(), mem)
			if err != nil {
				return nil, err
			}
			defer one.Release()
			ch := arrow.NewChunked(one.DataType(), []arrow.Array{one})
			defer ch.Release()
			return kernels.Take(mem, kernels.NewCol(ch), idx)
		},
	} {
		out, err := fn()
		require.NoError(t, err, name)
		got := make([]any, out.Len())
		for i := range got {
			got[i] = valueAt(out, i)
		}
		out.Release()
		assert.Equal(t, want, got, name)
	}
	// Strings, with a null among them.
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"a", "b"}, []bool{true, false})
	sa := sb.NewArray()
	sb.Release()
	sc := arrow.NewChunked(sa.DataType(), []arrow.Array{sa, sa})
	sa.Release()
	defer sc.Release()
	out, err := kernels.Take(mem, kernels.NewCol(sc), []int32{2, -1, 1})
	require.NoError(t, err)
	defer out.Release()
	assert.Equal(t, []any{"a", nil, nil}, []any{valueAt(out, 0), valueAt(out, 1), valueAt(out, 2)})
}
