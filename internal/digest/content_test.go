package digest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withSegmentRows runs f with a lowered segment size, so that segment
// boundaries fall inside chunks and nested values.
func withSegmentRows(t *testing.T, rows int, f func()) {
	old := segmentRows
	segmentRows = rows
	defer func() { segmentRows = old }()
	f()
}

func TestChunkingIndependence(t *testing.T) {
	for _, seg := range []int{SegmentRows, 5, 64} {
		withSegmentRows(t, seg, func() {
			r := rand.New(rand.NewPCG(1, uint64(seg)))
			for _, dt := range testTypes {
				t.Run(dt.String(), func(t *testing.T) {
					for _, n := range []int{0, 1, 7, 64, 65, 300} {
						for _, pNull := range []float64{0, 0.3, 1} {
							vals := genValues(r, dt, n, pNull)
							var want Sum
							for name, col := range layouts(t, r, dt, vals) {
								got := hashColumn(t, "c", dt, true, col)
								if want.IsZero() {
									want = got
								}
								require.Equal(t, want, got, "layout %s, n=%d, pNull=%v, segment %d", name, n, pNull, seg)
							}
						}
					}
				})
			}
		})
	}
}

func TestSegmentsDoNotLeakIntoOtherColumns(t *testing.T) {
	// Same data hashed with different segment sizes gives different
	// digests (the segment size is part of the contract), but every
	// column's digest still depends on all of its rows.
	vals := []any{1, 2, 3, 4, 5, 6, 7}
	base := hashValues(t, arrow.PrimitiveTypes.Int64, vals)
	withSegmentRows(t, 3, func() {
		small := hashValues(t, arrow.PrimitiveTypes.Int64, vals)
		assert.NotEqual(t, base, small)
		changed := hashValues(t, arrow.PrimitiveTypes.Int64, []any{1, 2, 3, 4, 5, 6, 8})
		assert.NotEqual(t, small, changed)
	})
}

func TestEquivalentRepresentations(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	groups := [][]arrow.DataType{
		{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.StringView,
			&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String},
			&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint32, ValueType: arrow.BinaryTypes.LargeString},
			&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int64, ValueType: arrow.BinaryTypes.StringView}},
		{arrow.BinaryTypes.Binary, arrow.BinaryTypes.LargeBinary, arrow.BinaryTypes.BinaryView,
			&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.Binary}},
		{arrow.PrimitiveTypes.Float64, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint16, ValueType: arrow.PrimitiveTypes.Float64}},
		{arrow.FixedWidthTypes.Boolean, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.FixedWidthTypes.Boolean}},
		{&arrow.Decimal128Type{Precision: 20, Scale: 4}, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: &arrow.Decimal128Type{Precision: 20, Scale: 4}}},
		{arrow.ListOf(arrow.PrimitiveTypes.Int32), arrow.LargeListOf(arrow.PrimitiveTypes.Int32),
			arrow.ListViewOf(arrow.PrimitiveTypes.Int32), arrow.LargeListViewOf(arrow.PrimitiveTypes.Int32)},
		{arrow.ListOf(arrow.BinaryTypes.String), arrow.LargeListOf(arrow.BinaryTypes.StringView),
			arrow.ListOf(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String})},
		{arrow.StructOf(arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}),
			arrow.StructOf(arrow.Field{Name: "s", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}, Nullable: true})},
	}
	for _, g := range groups {
		for _, pNull := range []float64{0, 0.25} {
			// Few distinct values, so that small dictionary indices suffice.
			pool := genValues(r, g[0], 10, pNull)
			vals := make([]any, 200)
			for i := range vals {
				vals[i] = pool[r.IntN(len(pool))]
			}
			want := hashValues(t, g[0], vals)
			for _, dt := range g[1:] {
				assert.Equal(t, want, hashValues(t, dt, vals), "%s vs %s", g[0], dt)
			}
		}
	}
	// The list element name is a convention, not data.
	named := arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.PrimitiveTypes.Int32, Nullable: true})
	vals := []any{[]any{1, 2}, nil, []any{}}
	assert.Equal(t, hashValues(t, arrow.ListOf(arrow.PrimitiveTypes.Int32), vals), hashValues(t, named, vals))
}

// newArray builds an array from raw buffers (nil entries stay nil).
func newArray(dt arrow.DataType, n, offset int, bufs [][]byte, children ...arrow.ArrayData) arrow.Array {
	mb := make([]*memory.Buffer, len(bufs))
	for i, b := range bufs {
		if b != nil {
			mb[i] = memory.NewBufferBytes(b)
		}
	}
	nulls := array.UnknownNullCount
	if len(mb) == 0 || mb[0] == nil {
		nulls = 0
	}
	return array.MakeFromData(array.NewData(dt, n, mb, children, nulls, offset))
}

func le64(vs ...int64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[i*8:], uint64(v))
	}
	return b
}

func le32(vs ...int32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[i*4:], uint32(v))
	}
	return b
}

func chunked(a arrow.Array) *arrow.Chunked { return arrow.NewChunked(a.DataType(), []arrow.Array{a}) }

func TestNullSlotGarbageIgnored(t *testing.T) {
	i64 := arrow.PrimitiveTypes.Int64
	i32 := arrow.PrimitiveTypes.Int32
	str := arrow.BinaryTypes.String
	cases := []struct {
		name string
		dt   arrow.DataType
		want []any
		a, b arrow.Array
	}{
		{"int64", i64, []any{1, nil, 3},
			newArray(i64, 3, 0, [][]byte{{0b101}, le64(1, 0, 3)}),
			newArray(i64, 3, 0, [][]byte{{0b11111101}, le64(1, 999, 3)})},
		{"float64", arrow.PrimitiveTypes.Float64, []any{1.5, nil},
			newArray(arrow.PrimitiveTypes.Float64, 2, 0, [][]byte{{0b01}, le64(int64(math.Float64bits(1.5)), 0)}),
			newArray(arrow.PrimitiveTypes.Float64, 2, 0, [][]byte{{0b01}, le64(int64(math.Float64bits(1.5)), int64(math.Float64bits(math.NaN())))})},
		{"bool", arrow.FixedWidthTypes.Boolean, []any{true, nil, false},
			newArray(arrow.FixedWidthTypes.Boolean, 3, 0, [][]byte{{0b101}, {0b001}}),
			newArray(arrow.FixedWidthTypes.Boolean, 3, 0, [][]byte{{0b101}, {0b11111011}})},
		{"utf8", str, []any{"a", nil, "b"},
			newArray(str, 3, 0, [][]byte{{0b101}, le32(0, 1, 1, 2), []byte("ab")}),
			newArray(str, 3, 0, [][]byte{{0b101}, le32(0, 1, 4, 5), []byte("axyzb")})},
		{"utf8 view", arrow.BinaryTypes.StringView, []any{"hello", nil},
			fromValues(t, arrow.BinaryTypes.StringView, []any{"hello", nil}),
			newArray(arrow.BinaryTypes.StringView, 2, 0, [][]byte{{0b01},
				append(append(le32(5), []byte("hello\x00\x00\x00\x00\x00\x00\x00")...), le32(100, 0, 7, 3)...)})},
		{"list", arrow.ListOf(i32), []any{[]any{1}, nil, []any{2, 3}},
			newArray(arrow.ListOf(i32), 3, 0, [][]byte{{0b101}, le32(0, 1, 1, 3)}, fromValues(t, i32, []any{1, 2, 3}).Data()),
			newArray(arrow.ListOf(i32), 3, 0, [][]byte{{0b101}, le32(0, 1, 3, 5)}, fromValues(t, i32, []any{1, 8, nil, 2, 3}).Data())},
		{"list view", arrow.ListViewOf(i32), []any{[]any{1}, nil},
			newArray(arrow.ListViewOf(i32), 2, 0, [][]byte{{0b01}, le32(0, 0), le32(1, 0)}, fromValues(t, i32, []any{1}).Data()),
			newArray(arrow.ListViewOf(i32), 2, 0, [][]byte{{0b01}, le32(2, -5), le32(1, 77)}, fromValues(t, i32, []any{5, 6, 1}).Data())},
		{"struct", arrow.StructOf(arrow.Field{Name: "x", Type: i64, Nullable: true}), []any{map[string]any{"x": 1}, nil},
			newArray(arrow.StructOf(arrow.Field{Name: "x", Type: i64, Nullable: true}), 2, 0, [][]byte{{0b01}}, fromValues(t, i64, []any{1, nil}).Data()),
			newArray(arrow.StructOf(arrow.Field{Name: "x", Type: i64, Nullable: true}), 2, 0, [][]byte{{0b01}}, fromValues(t, i64, []any{1, 42}).Data())},
		{"fixed size list", arrow.FixedSizeListOf(2, i32), []any{nil, []any{1, 2}},
			newArray(arrow.FixedSizeListOf(2, i32), 2, 0, [][]byte{{0b10}}, fromValues(t, i32, []any{nil, nil, 1, 2}).Data()),
			newArray(arrow.FixedSizeListOf(2, i32), 2, 0, [][]byte{{0b10}}, fromValues(t, i32, []any{7, 8, 1, 2}).Data())},
		{"dictionary", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str}, []any{"b", nil, "a"},
			array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str},
				newArray(arrow.PrimitiveTypes.Int8, 3, 0, [][]byte{{0b101}, {1, 0, 0}}), fromValues(t, str, []any{"a", "b"})),
			array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str},
				newArray(arrow.PrimitiveTypes.Int8, 3, 0, [][]byte{{0b101}, {1, 100, 0}}), fromValues(t, str, []any{"a", "b"}))},
		{"null in dictionary", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str}, []any{"b", nil, "a"},
			array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str},
				fromValues(t, arrow.PrimitiveTypes.Int8, []any{1, 2, 0}), fromValues(t, str, []any{"a", "b", nil})),
			array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str},
				fromValues(t, arrow.PrimitiveTypes.Int8, []any{1, nil, 0}), fromValues(t, str, []any{"a", "b"}))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := hashValues(t, c.dt, c.want)
			assert.Equal(t, want, hashColumn(t, "c", c.a.DataType(), true, chunked(c.a)), "a")
			assert.Equal(t, want, hashColumn(t, "c", c.b.DataType(), true, chunked(c.b)), "b")
		})
	}
}

func float64Col(vs ...uint64) *arrow.Chunked {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[i*8:], v)
	}
	return chunked(newArray(arrow.PrimitiveTypes.Float64, len(vs), 0, [][]byte{nil, b}))
}

func TestFloats(t *testing.T) {
	f64 := arrow.PrimitiveTypes.Float64
	h := func(vs ...uint64) Sum { return hashColumn(t, "f", f64, true, float64Col(vs...)) }
	canon := h(1, 0x7FF8000000000000)
	for _, nan := range []uint64{0x7FF8000000000001, 0xFFF8000000000000, 0x7FF0000000000001, 0xFFFFFFFFFFFFFFFF} {
		assert.Equal(t, canon, h(1, nan), "NaN %#x", nan)
	}
	assert.NotEqual(t, h(0), h(0x8000000000000000), "-0 and +0 differ")
	assert.NotEqual(t, canon, h(1, 0x7FF0000000000000), "NaN and +Inf differ")

	f32 := func(vs ...uint32) Sum {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[i*4:], v)
		}
		return hashColumn(t, "f", arrow.PrimitiveTypes.Float32, true, chunked(newArray(arrow.PrimitiveTypes.Float32, len(vs), 0, [][]byte{nil, b})))
	}
	assert.Equal(t, f32(0x7FC00000), f32(0xFFC00001))
	assert.Equal(t, f32(0x7FC00000), f32(0x7F800001))
	assert.NotEqual(t, f32(0), f32(0x80000000))

	f16 := func(vs ...uint16) Sum {
		b := make([]byte, 2*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint16(b[i*2:], v)
		}
		return hashColumn(t, "f", arrow.FixedWidthTypes.Float16, true, chunked(newArray(arrow.FixedWidthTypes.Float16, len(vs), 0, [][]byte{nil, b})))
	}
	assert.Equal(t, f16(0x7E00), f16(0xFC01))
	assert.NotEqual(t, f16(0x7E00), f16(0x7C00))
	assert.NotEqual(t, f16(0), f16(0x8000))

	// NaN inside a dictionary is canonicalized too.
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: f64}
	dict := array.NewDictionaryArray(dt, fromValues(t, arrow.PrimitiveTypes.Int8, []any{0, 1}),
		float64Col(1, 0xFFF800000000BEEF).Chunk(0))
	assert.Equal(t, canon, hashColumn(t, "f", dt, true, chunked(dict)))
}

// sample is a small three-column table used by the sensitivity tests.
type sample struct {
	names    [3]string
	types    [3]arrow.DataType
	nullable [3]bool
	vals     [3][]any
}

func baseSample() sample {
	return sample{
		names:    [3]string{"id", "name", "ts"},
		types:    [3]arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		nullable: [3]bool{false, true, true},
		vals:     [3][]any{{1, 2, 3}, {"ab", "c", nil}, {10, 20, 30}},
	}
}

func (s sample) hash(t *testing.T) Sum {
	fields := make([]arrow.Field, 3)
	cols := make([]*arrow.Chunked, 3)
	for i := range fields {
		fields[i] = arrow.Field{Name: s.names[i], Type: s.types[i], Nullable: s.nullable[i]}
		cols[i] = chunked(fromValues(t, s.types[i], s.vals[i]))
	}
	sum, err := Columns(arrow.NewSchema(fields, nil), cols)
	require.NoError(t, err)
	return sum
}

func TestDistinguishes(t *testing.T) {
	variants := map[string]func(*sample){
		"base":               func(*sample) {},
		"changed value":      func(s *sample) { s.vals[0] = []any{1, 2, 4} },
		"changed validity":   func(s *sample) { s.vals[1] = []any{"ab", nil, nil} },
		"empty vs null":      func(s *sample) { s.vals[1] = []any{"ab", "c", ""} },
		"moved byte":         func(s *sample) { s.vals[1] = []any{"a", "bc", nil} },
		"renamed column":     func(s *sample) { s.names[0] = "ID" },
		"changed type":       func(s *sample) { s.types[0] = arrow.PrimitiveTypes.Uint64 },
		"changed nullable":   func(s *sample) { s.nullable[0] = true },
		"timestamp unit":     func(s *sample) { s.types[2] = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"} },
		"timestamp timezone": func(s *sample) { s.types[2] = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Etc/UTC"} },
		"timestamp no tz":    func(s *sample) { s.types[2] = &arrow.TimestampType{Unit: arrow.Microsecond} },
		"int64 not ts":       func(s *sample) { s.types[2] = arrow.PrimitiveTypes.Int64 },
		"swapped columns": func(s *sample) {
			s.names[0], s.names[2] = s.names[2], s.names[0]
			s.types[0], s.types[2] = s.types[2], s.types[0]
			s.nullable[0], s.nullable[2] = s.nullable[2], s.nullable[0]
			s.vals[0], s.vals[2] = s.vals[2], s.vals[0]
		},
		"binary not utf8": func(s *sample) { s.types[1] = arrow.BinaryTypes.Binary; s.vals[1] = []any{"YWI=", "Yw==", nil} },
		"fewer rows": func(s *sample) {
			for i := range s.vals {
				s.vals[i] = s.vals[i][:2]
			}
		},
	}
	seen := map[Sum]string{}
	for name, f := range variants {
		s := baseSample()
		f(&s)
		h := s.hash(t)
		if other, dup := seen[h]; dup {
			t.Errorf("%q and %q hash equal", name, other)
		}
		seen[h] = name
	}
}

func TestNestedDistinguishes(t *testing.T) {
	i32 := arrow.PrimitiveTypes.Int32
	cases := []struct {
		dt   arrow.DataType
		a, b []any
	}{
		{arrow.ListOf(i32), []any{[]any{1, 2}, []any{3}}, []any{[]any{1}, []any{2, 3}}},
		{arrow.ListOf(i32), []any{[]any{}}, []any{nil}},
		{arrow.ListOf(i32), []any{[]any{nil}}, []any{[]any{}}},
		{arrow.StructOf(arrow.Field{Name: "x", Type: i32, Nullable: true}), []any{nil}, []any{map[string]any{"x": nil}}},
		{arrow.FixedSizeListOf(2, i32), []any{[]any{1, nil}}, []any{[]any{1, 0}}},
		{arrow.MapOf(arrow.BinaryTypes.String, i32), []any{[]any{map[string]any{"key": "a", "value": 1}}}, []any{[]any{map[string]any{"key": "a", "value": 2}}}},
		{arrow.FixedWidthTypes.Boolean, []any{true, false}, []any{true, nil}},
	}
	for _, c := range cases {
		assert.NotEqual(t, hashValues(t, c.dt, c.a), hashValues(t, c.dt, c.b), "%s: %v vs %v", c.dt, c.a, c.b)
	}
	// A map is not a list of structs, and a struct not its fields.
	m := arrow.MapOf(arrow.BinaryTypes.String, i32)
	l := arrow.ListOf(arrow.StructOf(arrow.Field{Name: "key", Type: arrow.BinaryTypes.String}, arrow.Field{Name: "value", Type: i32, Nullable: true}))
	v := []any{[]any{map[string]any{"key": "a", "value": 1}}}
	assert.NotEqual(t, hashValues(t, m, v), hashValues(t, l, v))
}

func TestMetadataIgnored(t *testing.T) {
	col := chunked(fromValues(t, arrow.PrimitiveTypes.Int64, []any{1, 2}))
	plain := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	withMD := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Metadata: md}}, &md)
	h1, err := Columns(plain, []*arrow.Chunked{col})
	require.NoError(t, err)
	h2, err := Columns(withMD, []*arrow.Chunked{col})
	require.NoError(t, err)
	assert.Equal(t, h1, h2)
}

func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var fields []arrow.Field
	var cols []*arrow.Chunked
	for i, dt := range testTypes {
		fields = append(fields, arrow.Field{Name: "c" + dt.String(), Type: dt, Nullable: true})
		cols = append(cols, layouts(t, r, dt, genValues(r, dt, 100+i, 0.2))["sliced"])
		cols[i] = array.NewChunkedSlice(cols[i], 0, 100)
	}
	schema := arrow.NewSchema(fields, nil)
	withSegmentRows(t, 7, func() {
		old := runtime.GOMAXPROCS(1)
		defer runtime.GOMAXPROCS(old)
		h1, err := Columns(schema, cols)
		require.NoError(t, err)
		runtime.GOMAXPROCS(2)
		for range 5 {
			h2, err := Columns(schema, cols)
			require.NoError(t, err)
			require.Equal(t, h1, h2)
		}
	})
}

func TestTableAndRecordBatch(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec := func(a, b []any) arrow.RecordBatch {
		return array.NewRecordBatch(schema, []arrow.Array{fromValues(t, schema.Field(0).Type, a), fromValues(t, schema.Field(1).Type, b)}, int64(len(a)))
	}
	whole := rec([]any{1, 2, 3}, []any{"x", nil, "z"})
	hr, err := RecordBatch(whole)
	require.NoError(t, err)
	tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec([]any{1}, []any{"x"}), rec([]any{2, 3}, []any{nil, "z"})})
	ht, err := Table(tbl)
	require.NoError(t, err)
	assert.Equal(t, hr, ht)
}

func TestRowCountWithoutColumns(t *testing.T) {
	empty := arrow.NewSchema(nil, nil)
	h0, err := RecordBatch(array.NewRecordBatch(empty, nil, 0))
	require.NoError(t, err)
	h5, err := RecordBatch(array.NewRecordBatch(empty, nil, 5))
	require.NoError(t, err)
	assert.NotEqual(t, h0, h5)
	ht, err := Table(array.NewTable(empty, nil, 5))
	require.NoError(t, err)
	assert.Equal(t, h5, ht)
	hc, err := Columns(empty, nil)
	require.NoError(t, err)
	assert.Equal(t, h0, hc)
}

func TestErrors(t *testing.T) {
	i64 := arrow.PrimitiveTypes.Int64
	one := chunked(fromValues(t, i64, []any{1}))
	two := chunked(fromValues(t, i64, []any{1, 2}))
	schema := func(dts ...arrow.DataType) *arrow.Schema {
		var fs []arrow.Field
		for i, dt := range dts {
			fs = append(fs, arrow.Field{Name: string(rune('a' + i)), Type: dt})
		}
		return arrow.NewSchema(fs, nil)
	}
	_, err := Columns(nil, nil)
	assert.ErrorContains(t, err, "nil schema")
	_, err = Columns(schema(i64), nil)
	assert.ErrorContains(t, err, "1 fields but 0 columns")
	_, err = Columns(schema(i64, i64), []*arrow.Chunked{one, two})
	assert.ErrorContains(t, err, `column "b" has 2 rows`)
	_, err = Columns(schema(arrow.PrimitiveTypes.Int32), []*arrow.Chunked{one})
	assert.ErrorContains(t, err, `column "a" has type int64`)

	union := arrow.DenseUnionOf([]arrow.Field{{Name: "x", Type: i64}}, []arrow.UnionTypeCode{0})
	_, err = Columns(schema(i64, union), []*arrow.Chunked{one, arrow.NewChunked(union, nil)})
	var ute *UnsupportedTypeError
	require.ErrorAs(t, err, &ute)
	assert.ErrorContains(t, err, `column "b"`)
	assert.ErrorContains(t, err, "dense_union")
	ree := arrow.RunEndEncodedOf(arrow.PrimitiveTypes.Int32, i64)
	_, err = Columns(schema(ree), []*arrow.Chunked{arrow.NewChunked(ree, nil)})
	require.ErrorAs(t, err, &ute)

	_, err = Table(nil)
	assert.Error(t, err)
	_, err = RecordBatch(nil)
	assert.Error(t, err)
}

// rawArray serves crafted ArrayData that arrow's constructors would
// reject, to check that malformed input gives errors, not panics.
type rawArray struct {
	arrow.Array
	d arrow.ArrayData
}

func (a rawArray) Data() arrow.ArrayData { return a.d }
func (a rawArray) Len() int              { return a.d.Len() }
func (a rawArray) NullN() int            { return 0 }

func raw(dt arrow.DataType, n int, bufs [][]byte, children ...arrow.ArrayData) arrow.Array {
	mb := make([]*memory.Buffer, len(bufs))
	for i, b := range bufs {
		if b != nil {
			mb[i] = memory.NewBufferBytes(b)
		}
	}
	base := array.MakeArrayOfNull(memory.DefaultAllocator, dt, 0)
	return rawArray{Array: base, d: array.NewData(dt, n, mb, children, array.UnknownNullCount, 0)}
}

func TestMalformedArraysReturnErrors(t *testing.T) {
	i64 := arrow.PrimitiveTypes.Int64
	str := arrow.BinaryTypes.String
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str}
	cases := map[string]arrow.Array{
		"short values":     raw(i64, 3, [][]byte{nil, le64(1, 2)}),
		"short validity":   raw(i64, 30, [][]byte{{0xff}, le64(make([]int64, 30)...)}),
		"missing buffers":  raw(i64, 3, nil),
		"offsets past end": raw(str, 2, [][]byte{nil, le32(0, 1, 9), []byte("ab")}),
		"negative length":  raw(str, 2, [][]byte{nil, le32(0, 2, 1), []byte("ab")}),
		"list past child":  raw(arrow.ListOf(i64), 1, [][]byte{nil, le32(0, 5)}, fromValues(t, i64, []any{1}).Data()),
		"list no child":    raw(arrow.ListOf(i64), 1, [][]byte{nil, le32(0, 0)}),
		"struct short":     raw(arrow.StructOf(arrow.Field{Name: "x", Type: i64}), 3, [][]byte{nil}, fromValues(t, i64, []any{1}).Data()),
		"view bad buffer":  raw(arrow.BinaryTypes.StringView, 1, [][]byte{nil, append(le32(20, 0), le32(3, 0)...)}),
		"view negative":    raw(arrow.BinaryTypes.StringView, 1, [][]byte{nil, le32(-1, 0, 0, 0)}),
		"dict index range": array.NewDictionaryArray(dict, fromValues(t, arrow.PrimitiveTypes.Int8, []any{0, 5}), fromValues(t, str, []any{"a"})),
		"dict missing":     raw(dict, 1, [][]byte{nil, {0}}),
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Columns(arrow.NewSchema([]arrow.Field{{Name: "bad", Type: a.DataType()}}, nil), []*arrow.Chunked{chunked(a)})
			require.Error(t, err)
			assert.ErrorContains(t, err, `column "bad"`)
			assert.NotContains(t, err.Error(), "malformed array data", "caught by an explicit check, not by recover")
			t.Log(err)
		})
	}
}

func TestCanonicalType(t *testing.T) {
	i64, str := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	cases := []struct {
		want string
		dt   arrow.DataType
	}{
		{"int64", i64},
		{"utf8", arrow.BinaryTypes.LargeString},
		{"utf8", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: str}},
		{"binary", arrow.BinaryTypes.BinaryView},
		{"timestamp[us,UTC]", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{"timestamp[ns]", &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{`timestamp[s,"a,b"]`, &arrow.TimestampType{Unit: arrow.Second, TimeZone: "a,b"}},
		{"timestamp[ms,+05:30]", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "+05:30"}},
		{"list<int64,nullable>", arrow.ListOf(i64)},
		{"list<utf8,notnull>", arrow.LargeListOfNonNullable(str)},
		{"fixed_size_list<float32,nullable>[4]", arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32)},
		{"map<utf8;int64,nullable>", arrow.MapOf(str, i64)},
		{"decimal128(38,9)", &arrow.Decimal128Type{Precision: 38, Scale: 9}},
		{"fixed_size_binary[16]", &arrow.FixedSizeBinaryType{ByteWidth: 16}},
		{"interval[month_day_nano]", arrow.FixedWidthTypes.MonthDayNanoInterval},
		{"time32[ms]", arrow.FixedWidthTypes.Time32ms},
		{"duration[ns]", arrow.FixedWidthTypes.Duration_ns},
		{"struct<a:int64,nullable;b:utf8,notnull>", arrow.StructOf(
			arrow.Field{Name: "a", Type: i64, Nullable: true}, arrow.Field{Name: "b", Type: str})},
		{`struct<"a b":bool,nullable;"\"":null,nullable;"":int8,notnull>`, arrow.StructOf(
			arrow.Field{Name: "a b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
			arrow.Field{Name: `"`, Type: arrow.Null, Nullable: true},
			arrow.Field{Name: "", Type: arrow.PrimitiveTypes.Int8})},
	}
	for _, c := range cases {
		got, err := CanonicalType(c.dt)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%s", c.dt)
	}
}

func extensionType() arrow.ExtensionType { return extensions.NewUUIDType() }

// extensionColumn returns a chunked UUID column of n random rows.
func extensionColumn(t testing.TB, r *rand.Rand, n int, pNull float64) *arrow.Chunked {
	storage := fromValues(t, &arrow.FixedSizeBinaryType{ByteWidth: 16}, genValues(r, &arrow.FixedSizeBinaryType{ByteWidth: 16}, n, pNull))
	ext := array.NewExtensionArrayWithStorage(extensionType(), storage)
	half := int64(n / 2)
	return arrow.NewChunked(ext.DataType(), []arrow.Array{array.NewSlice(ext, 0, half), array.NewSlice(ext, half, int64(n))})
}

func TestExtensionType(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	col := extensionColumn(t, r, 50, 0.2)
	typ, err := CanonicalType(extensionType())
	require.NoError(t, err)
	assert.Equal(t, `extension<"arrow.uuid","",fixed_size_binary[16]>`, typ)

	var storage []arrow.Array
	for _, c := range col.Chunks() {
		storage = append(storage, c.(array.ExtensionArray).Storage())
	}
	fsb := &arrow.FixedSizeBinaryType{ByteWidth: 16}
	asExt := hashColumn(t, "u", extensionType(), true, col)
	asStorage := hashColumn(t, "u", fsb, true, arrow.NewChunked(fsb, storage))
	assert.NotEqual(t, asExt, asStorage, "the extension type is part of the logical type")
	whole, err := array.Concatenate(col.Chunks(), memory.DefaultAllocator)
	require.NoError(t, err)
	assert.Equal(t, asExt, hashColumn(t, "u", extensionType(), true, chunked(whole)))
}
