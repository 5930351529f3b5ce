package digest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// fuzzColumns builds columns whose values and validity come straight from
// the fuzz bytes: int64 and float64 (any bit pattern, so every NaN
// payload), bool, utf8 split at zero bytes, and a dictionary of the
// strings. Row i is null when bit i of the validity bytes is clear.
func fuzzColumns(data []byte) (fields []arrow.Field, cols [][]arrow.Array) {
	mem := memory.DefaultAllocator
	n := len(data) / 8
	validAt := func(i int) bool { return len(data) == 0 || data[(i/8)%len(data)]>>(i%8)&1 == 1 }
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(data[i*8:]) }

	ib := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	bb := array.NewBooleanBuilder(mem)
	for i := 0; i < n; i++ {
		if !validAt(i) {
			ib.AppendNull()
			fb.AppendNull()
			bb.AppendNull()
			continue
		}
		ib.Append(int64(word(i)))
		fb.Append(math.Float64frombits(word(i)))
		bb.Append(word(i)&1 == 1)
	}
	sb := array.NewStringBuilder(mem)
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	start, row := 0, 0
	for i := 0; i <= len(data) && row < n; i++ {
		if i == len(data) || data[i] == 0 {
			if validAt(row) {
				sb.Append(string(data[start:i]))
				_ = db.AppendString(string(data[start:i]))
			} else {
				sb.AppendNull()
				db.AppendNull()
			}
			start, row = i+1, row+1
		}
	}
	for ; row < n; row++ {
		sb.AppendNull()
		db.AppendNull()
	}
	for _, b := range []array.Builder{ib, fb, bb, sb, db} {
		a := b.NewArray()
		fields = append(fields, arrow.Field{Name: a.DataType().String(), Type: a.DataType(), Nullable: true})
		cols = append(cols, []arrow.Array{a})
		b.Release()
	}
	return fields, cols
}

// rechunk returns col re-split at random points, as slices (non-zero
// offsets) of the original.
func rechunk(r *rand.Rand, col arrow.Array) []arrow.Array {
	var out []arrow.Array
	cuts := randomCuts(r, col.Len())
	for i := 1; i < len(cuts); i++ {
		out = append(out, array.NewSlice(col, int64(cuts[i-1]), int64(cuts[i])))
	}
	return out
}

func FuzzContentHash(f *testing.F) {
	f.Add([]byte{}, uint64(0))
	f.Add([]byte("hello\x00world\x00\xff\xff\xff\xff\xff\xff\xf8\x7f"), uint64(1))
	f.Add([]byte{0x01, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0x55, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0xaa, 1, 2, 3, 0, 5, 6, 7}, uint64(42))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		if len(data) > 1<<16 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 7))
		fields, cols := fuzzColumns(data)
		// One column of a random supported type from the seed.
		dt := testTypes[r.IntN(len(testTypes))]
		vals := genValues(r, dt, len(data)/8, float64(seed%4)/4)
		fields = append(fields, arrow.Field{Name: "random", Type: dt, Nullable: true})
		cols = append(cols, []arrow.Array{fromValues(t, dt, vals)})

		schema := arrow.NewSchema(fields, nil)
		whole := array.NewTableFromSlice(schema, cols)
		want, err := Table(whole)
		require.NoError(t, err)

		re := make([][]arrow.Array, len(cols))
		for i, c := range cols {
			re[i] = rechunk(r, c[0])
		}
		got, err := Table(array.NewTableFromSlice(schema, re))
		require.NoError(t, err)
		require.Equal(t, want, got, "re-chunked table hashes differently")

		// The dictionary column hashes like the plain string column.
		plain := arrow.NewSchema(fields[3:4], nil)
		dict := arrow.NewSchema([]arrow.Field{{Name: fields[3].Name, Type: fields[4].Type, Nullable: true}}, nil)
		hp, err := Columns(plain, []*arrow.Chunked{arrow.NewChunked(fields[3].Type, cols[3])})
		require.NoError(t, err)
		hd, err := Columns(dict, []*arrow.Chunked{arrow.NewChunked(fields[4].Type, re[4])})
		require.NoError(t, err)
		require.Equal(t, hp, hd, "dictionary and plain strings hash differently")
	})
}
