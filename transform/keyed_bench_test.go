package transform

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
)

// Benchmarks of the keyed transforms at FPB scale. Run with a modest
// -benchtime (e.g. -benchtime 2x): the inputs are large.

// keyedBenchEvents returns n FPB-like events in chunks of 1M rows: user_id
// (Zipf over 1M users, scrambled), item_id, amount (5% non-null), ts
// (increasing over 30 days), dt (date32 of ts).
func keyedBenchEvents(n int) arrow.Table {
	r := rand.New(rand.NewPCG(42, 42))
	z := rand.NewZipf(r, 1.1, 1, 999_999)
	s := arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "item_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ts", Type: keyedTS},
		{Name: "dt", Type: arrow.FixedWidthTypes.Date32},
		{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "is_view", Type: arrow.PrimitiveTypes.Int8},
		{Name: "is_cart", Type: arrow.PrimitiveTypes.Int8},
	}, nil)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	span := int64(30 * 86400 * 1e6)
	var recs []arrow.RecordBatch
	for lo := 0; lo < n; lo += 1 << 20 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, s)
		u := b.Field(0).(*array.Int64Builder)
		it := b.Field(1).(*array.Int64Builder)
		am := b.Field(2).(*array.Float64Builder)
		ts := b.Field(3).(*array.TimestampBuilder)
		dt := b.Field(4).(*array.Date32Builder)
		id := b.Field(5).(*array.Int64Builder)
		view := b.Field(6).(*array.Int8Builder)
		cart := b.Field(7).(*array.Int8Builder)
		for i := lo; i < min(lo+1<<20, n); i++ {
			u.Append(1 + int64(z.Uint64()*611953%1_000_000))
			it.Append(1 + r.Int64N(100_000))
			kind := r.IntN(20) // 16 views, 3 carts, 1 purchase
			if kind == 0 {
				am.Append(float64(r.IntN(10000)) / 100)
			} else {
				am.AppendNull()
			}
			isView, isCart := int8(0), int8(0)
			switch {
			case kind >= 4:
				isView = 1
			case kind >= 1:
				isCart = 1
			}
			view.Append(isView)
			cart.Append(isCart)
			id.Append(int64(i + 1))
			t := start + int64(i)*span/int64(n)
			ts.Append(arrow.Timestamp(t))
			dt.Append(arrow.Date32(t / 86_400_000_000))
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	return array.NewTableFromRecords(s, recs)
}

func keyedBench(b *testing.B, tr kiln.Transform, in ...arrow.Table) {
	ctx := kiln.NewContext(context.Background(), "bench", kiln.Date(2024, 1, 30))
	b.ResetTimer()
	for range b.N {
		out, err := tr.Apply(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.ReportMetric(float64(in[0].NumRows())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}

func BenchmarkGroupBy20M(b *testing.B) {
	in := keyedBenchEvents(20_000_000)
	keyedBench(b, GroupBy("user_id").Agg(Count(), Sum("amount"), Mean("amount"), Min("item_id"), Max("ts")), in)
}

func BenchmarkGroupByUserDay20M(b *testing.B) {
	in := keyedBenchEvents(20_000_000)
	keyedBench(b, GroupBy("user_id", "dt").Agg(Count(), CountNonNull("amount"), Sum("amount"), Mean("amount")), in)
}

func BenchmarkDedupe20M(b *testing.B) {
	in := keyedBenchEvents(20_000_000)
	keyedBench(b, Dedupe([]string{"user_id", "item_id"}, KeepFirst), in)
}

func BenchmarkSort5M(b *testing.B) {
	in := keyedBenchEvents(5_000_000)
	keyedBench(b, Sort(Asc("user_id"), Desc("ts")), in)
}

func BenchmarkInnerJoin5Mx1M(b *testing.B) {
	in := keyedBenchEvents(5_000_000)
	users := keyedBenchUsers(1_000_000)
	keyedBench(b, InnerJoin("user_id"), in, users)
}

func keyedBenchUsers(n int) arrow.Table {
	s := arrow.NewSchema([]arrow.Field{{Name: "user_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "segment", Type: arrow.PrimitiveTypes.Int64}}, nil)
	bl := array.NewRecordBuilder(memory.DefaultAllocator, s)
	for i := range n {
		bl.Field(0).(*array.Int64Builder).Append(int64(1 + (i*611953)%n))
		bl.Field(1).(*array.Int64Builder).Append(int64(i % 17))
	}
	rec := bl.NewRecordBatch()
	return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
}

// keyedBenchDaily returns FPB P1 step 2's output at N=20M (about 3M rows
// of (dt, user_id) with counts and revenue), computed once.
var keyedBenchDaily = sync.OnceValue(func() arrow.Table {
	events := keyedBenchEvents(20_000_000)
	defer events.Release()
	tr := GroupBy("dt", "user_id").Agg(Count().As("n_events"), CountNonNull("amount").As("n_purchases"),
		Sum("amount").As("revenue"), Mean("amount").As("avg_purchase"), Min("item_id"), Max("item_id"))
	out, err := tr.Apply(kiln.NewContext(context.Background(), "daily", kiln.All), []arrow.Table{events})
	if err != nil {
		panic(err)
	}
	return out
})

// BenchmarkAsOfJoin1Mx3M is FPB P2's shape: 1M labels against ~3M daily
// feature rows.
func BenchmarkAsOfJoin1Mx3M(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 1, 999_999)
	ls := arrow.NewSchema([]arrow.Field{{Name: "label_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "user_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "label_ts", Type: keyedTS}}, nil)
	lb := array.NewRecordBuilder(memory.DefaultAllocator, ls)
	t0 := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range 1_000_000 {
		lb.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		lb.Field(1).(*array.Int64Builder).Append(1 + int64(z.Uint64()*611953%1_000_000))
		lb.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(t0 + r.Int64N(24*86400*1e6)))
	}
	labels := array.NewTableFromRecords(ls, []arrow.RecordBatch{lb.NewRecordBatch()})
	daily := keyedBenchDaily()
	cfg := AsOf{By: []string{"user_id"}, LeftTime: "label_ts", RightTime: "dt", RightOffset: kiln.Day, Tolerance: 30 * kiln.Day}
	b.Logf("left %d rows, right %d rows", labels.NumRows(), daily.NumRows())
	keyedBench(b, AsOfJoin(cfg), labels, daily)
}

// BenchmarkRolling3M is FPB P1 step 3's shape: three windows per user over
// ~3M daily rows.
func BenchmarkRolling3M(b *testing.B) {
	daily := keyedBenchDaily()
	b.Logf("%d daily rows", daily.NumRows())
	keyedBench(b, Rolling(RollingWindows{By: []string{"user_id"}, Time: "dt", Windows: []Window{
		Over(7*kiln.Day, Sum("n_purchases").As("purchases_7d")),
		Over(30*kiln.Day, Sum("revenue").As("revenue_30d")),
		Over(30*kiln.Day, Sum("n_events").As("events_30d")),
	}}), daily)
}

// BenchmarkP1Chain20M runs the keyed steps of FPB P1 at N=20M: dedupe on
// event_id, daily aggregates per (user, dt), three rolling windows, and the
// final sort by (dt, user_id).
func BenchmarkP1Chain20M(b *testing.B) {
	in := keyedBenchEvents(20_000_000)
	keyedBench(b, Chain(
		Dedupe([]string{"event_id"}, KeepFirst),
		GroupBy("user_id", "dt").Agg(Count().As("n_events"), Sum("is_view").As("n_views"), Sum("is_cart").As("n_carts"),
			CountNonNull("amount").As("n_purchases"), Sum("amount").As("revenue"), Mean("amount").As("avg_purchase")),
		Rolling(RollingWindows{By: []string{"user_id"}, Time: "dt", Windows: []Window{
			Over(7*kiln.Day, Sum("n_purchases").As("purchases_7d")),
			Over(30*kiln.Day, Sum("revenue").As("revenue_30d")),
			Over(30*kiln.Day, Sum("n_events").As("events_30d")),
		}}),
		Sort(Asc("dt"), Asc("user_id")),
	), in)
}
