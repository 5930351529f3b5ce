package digest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchRows = 8 << 20

// arrowBytes returns the size of the Arrow buffers (values, offsets,
// validity, dictionaries) of a table's columns, the figure b.SetBytes
// reports.
func arrowBytes(tbl arrow.Table) int64 {
	var n int64
	for i := 0; i < int(tbl.NumCols()); i++ {
		for _, c := range tbl.Column(i).Data().Chunks() {
			n += int64(c.Data().SizeInBytes())
		}
	}
	return n
}

func benchTable(b *testing.B, tbl arrow.Table) {
	b.Helper()
	b.SetBytes(arrowBytes(tbl))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Table(tbl); err != nil {
			b.Fatal(err)
		}
	}
}

// forChunks splits n rows into batches of 64 Ki rows, as a reader would.
func forChunks(n int, f func(lo, hi int)) {
	const chunk = 64 << 10
	for lo := 0; lo < n; lo += chunk {
		f(lo, min(lo+chunk, n))
	}
}

func int64Chunks(r *rand.Rand, n int) []arrow.Array {
	var out []arrow.Array
	forChunks(n, func(lo, hi int) {
		bl := array.NewInt64Builder(memory.DefaultAllocator)
		for i := lo; i < hi; i++ {
			bl.Append(int64(r.Uint64()))
		}
		out = append(out, bl.NewArray())
	})
	return out
}

func float64NullChunks(r *rand.Rand, n int) []arrow.Array {
	var out []arrow.Array
	forChunks(n, func(lo, hi int) {
		bl := array.NewFloat64Builder(memory.DefaultAllocator)
		for i := lo; i < hi; i++ {
			if r.IntN(10) == 0 {
				bl.AppendNull()
			} else {
				bl.Append(r.NormFloat64())
			}
		}
		out = append(out, bl.NewArray())
	})
	return out
}

func stringChunks(r *rand.Rand, n int) []arrow.Array {
	var out []arrow.Array
	forChunks(n, func(lo, hi int) {
		bl := array.NewStringBuilder(memory.DefaultAllocator)
		for i := lo; i < hi; i++ {
			bl.Append(fmt.Sprintf("user-%d@example.com", r.IntN(1<<30)))
		}
		out = append(out, bl.NewArray())
	})
	return out
}

func dictChunks(r *rand.Rand, n int) []arrow.Array {
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	var out []arrow.Array
	forChunks(n, func(lo, hi int) {
		bl := array.NewDictionaryBuilder(memory.DefaultAllocator, dt).(*array.BinaryDictionaryBuilder)
		for i := lo; i < hi; i++ {
			_ = bl.AppendString(fmt.Sprintf("country-%02d", r.IntN(50)))
		}
		out = append(out, bl.NewArray())
	})
	return out
}

func tsChunks(r *rand.Rand, n int) []arrow.Array {
	dt := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	var out []arrow.Array
	forChunks(n, func(lo, hi int) {
		bl := array.NewTimestampBuilder(memory.DefaultAllocator, dt)
		for i := lo; i < hi; i++ {
			bl.Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)*1000))
		}
		out = append(out, bl.NewArray())
	})
	return out
}

func oneColumn(name string, dt arrow.DataType, nullable bool, chunks []arrow.Array) arrow.Table {
	schema := arrow.NewSchema([]arrow.Field{{Name: name, Type: dt, Nullable: nullable}}, nil)
	return array.NewTableFromSlice(schema, [][]arrow.Array{chunks})
}

func BenchmarkTableInt64(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	benchTable(b, oneColumn("v", arrow.PrimitiveTypes.Int64, false, int64Chunks(r, benchRows)))
}

func BenchmarkTableFloat64WithNulls(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	benchTable(b, oneColumn("v", arrow.PrimitiveTypes.Float64, true, float64NullChunks(r, benchRows)))
}

func BenchmarkTableString(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 3))
	benchTable(b, oneColumn("v", arrow.BinaryTypes.String, false, stringChunks(r, benchRows/4)))
}

func BenchmarkTableMixed(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 4))
	n := benchRows / 4
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "country", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "clicks", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	tbl := array.NewTableFromSlice(schema, [][]arrow.Array{
		int64Chunks(r, n), float64NullChunks(r, n), dictChunks(r, n), tsChunks(r, n), int64Chunks(r, n),
	})
	benchTable(b, tbl)
}

// BenchmarkTableSmallWide measures per-column overhead: 100 columns of
// 1000 rows, a typical dimension table.
func BenchmarkTableSmallWide(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 5))
	var fields []arrow.Field
	var cols [][]arrow.Array
	for i := 0; i < 100; i++ {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: arrow.PrimitiveTypes.Int64})
		cols = append(cols, int64Chunks(r, 1000))
	}
	benchTable(b, array.NewTableFromSlice(arrow.NewSchema(fields, nil), cols))
}
