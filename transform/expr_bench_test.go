package transform

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
)

const rlBenchRows = 10_000_000

var (
	rlBenchOnce  sync.Once
	rlBenchTable arrow.Table
)

// rlBench returns a 10M-row events-like table (ids, a nullable amount, an
// event type, a timestamp) in 64Ki-row record batches.
func rlBench(b *testing.B) arrow.Table {
	rlBenchOnce.Do(func() {
		s := arrow.NewSchema([]arrow.Field{
			{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "event_type", Type: arrow.BinaryTypes.String},
			{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "ts", Type: rlTS},
		}, nil)
		r := rand.New(rand.NewPCG(42, 1))
		bld := array.NewRecordBuilder(memory.DefaultAllocator, s)
		defer bld.Release()
		types := []string{"view", "add_to_cart", "purchase"}
		var recs []arrow.RecordBatch
		for lo := 0; lo < rlBenchRows; lo += 1 << 16 {
			for i := lo; i < min(lo+1<<16, rlBenchRows); i++ {
				bld.Field(0).(*array.Int64Builder).Append(int64(i))
				if r.IntN(1000) == 0 {
					bld.Field(1).AppendNull()
				} else {
					bld.Field(1).(*array.Int64Builder).Append(r.Int64N(1_000_000))
				}
				k := r.IntN(20)
				typ := 0
				if k == 0 {
					typ = 2
				} else if k < 4 {
					typ = 1
				}
				bld.Field(2).(*array.StringBuilder).Append(types[typ])
				if typ == 2 {
					bld.Field(3).(*array.Float64Builder).Append(float64(r.IntN(100_00)) / 100)
				} else {
					bld.Field(3).AppendNull()
				}
				bld.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(1_704_067_200_000_000 + int64(i)*259_200))
			}
			recs = append(recs, bld.NewRecordBatch())
		}
		rlBenchTable = array.NewTableFromRecords(s, recs)
		for _, rec := range recs {
			rec.Release()
		}
	})
	return rlBenchTable
}

func rlBenchTransform(b *testing.B, tr kiln.Transform) {
	t := rlBench(b)
	ctx := kiln.NewContext(context.Background(), "bench", kiln.All)
	b.ResetTimer()
	for b.Loop() {
		out, err := tr.Apply(ctx, []arrow.Table{t})
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.ReportMetric(float64(rlBenchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkFilter10M(b *testing.B) {
	rlBenchTransform(b, Filter(Col("amount").Gt(Lit(50.0))))
}

func BenchmarkFilterString10M(b *testing.B) {
	rlBenchTransform(b, Filter(Col("event_type").Eq(Lit("purchase"))))
}

func BenchmarkDeriveArith10M(b *testing.B) {
	rlBenchTransform(b, Derive("x", Col("amount").Mul(Lit(1.1)).Add(Col("event_id").Div(Lit(3)))))
}

func BenchmarkDeriveDay10M(b *testing.B) {
	rlBenchTransform(b, Derive("day", Col("ts").DateTrunc("day")))
}

func BenchmarkDropNulls10M(b *testing.B) {
	rlBenchTransform(b, DropNulls("user_id"))
}

func BenchmarkStandardScalerFitApply10M(b *testing.B) {
	t := rlBench(b)
	ctx := kiln.NewContext(context.Background(), "bench", kiln.All)
	b.ResetTimer()
	for b.Loop() {
		art, err := StandardScaler("event_id", "amount").Fit(ctx, t)
		if err != nil {
			b.Fatal(err)
		}
		out, err := Apply(art).Apply(ctx, []arrow.Table{t})
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.ReportMetric(float64(rlBenchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
