package quality_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
)

var benchRows = flag.Int("bench-rows", 20_000_000, "rows of the FPB-like partition the benchmarks check")

var (
	fpbOnce sync.Once
	fpb     arrow.Table
)

// fpbEvents builds an FPB-like event table (see FPB.md): event_id
// increasing with 0.5% adjacent copies, user_id Zipf with 0.1% nulls,
// item_id uniform, event_type 80/15/5, amount lognormal for purchases only,
// ts increasing over one day. It is split into 1M-row chunks like a
// Parquet read.
func fpbEvents(n int) arrow.Table {
	r := rand.New(rand.NewPCG(42, 42))
	zipf := rand.NewZipf(r, 1.1, 1, 999_999)
	s := arrow.NewSchema([]arrow.Field{
		{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "item_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "event_type", Type: arrow.BinaryTypes.String},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ts", Type: tsType},
	}, nil)
	start := time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC).UnixMicro()
	const chunk = 1 << 20
	var recs []arrow.RecordBatch
	id := int64(0)
	for lo := 0; lo < n; lo += chunk {
		k := min(chunk, n-lo)
		b := array.NewRecordBuilder(mem, s)
		eid := b.Field(0).(*array.Int64Builder)
		uid := b.Field(1).(*array.Int64Builder)
		item := b.Field(2).(*array.Int64Builder)
		kind := b.Field(3).(*array.StringBuilder)
		amt := b.Field(4).(*array.Float64Builder)
		ts := b.Field(5).(*array.TimestampBuilder)
		for i := range k {
			row := lo + i
			if r.Float64() >= 0.005 || row == 0 { // else: a copy of the previous event id
				id++
			}
			eid.Append(id)
			if r.Float64() < 0.001 {
				uid.AppendNull()
			} else {
				uid.Append(1 + int64(zipf.Uint64()+1)*611953%1_000_000)
			}
			item.Append(1 + r.Int64N(100_000))
			switch x := r.Float64(); {
			case x < 0.80:
				kind.Append("view")
				amt.AppendNull()
			case x < 0.95:
				kind.Append("add_to_cart")
				amt.AppendNull()
			default:
				kind.Append("purchase")
				amt.Append(math.Round(math.Exp(3+r.NormFloat64())*100) / 100)
			}
			ts.Append(arrow.Timestamp(start + int64(row)*86_400_000_000/int64(n)))
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	return array.NewTableFromRecords(s, recs)
}

// typicalChecks are ten checks a pipeline would put on raw events.
func typicalChecks() []kiln.Check {
	return []kiln.Check{
		quality.NotNull("user_id").Mostly(0.99),
		quality.Unique("event_id").Warn(),
		quality.Between("amount", 0, 1e6),
		quality.InSet("event_type", "view", "add_to_cart", "purchase"),
		quality.Increasing("ts"),
		quality.Between("item_id", 1, 100_000),
		quality.RowCount().AtLeast(1),
		quality.Mean("amount").Between(1, 1000),
		quality.Freshness("ts", 26*time.Hour),
		quality.NullRateChange("user_id", 0.01),
	}
}

func benchTable(b *testing.B) arrow.Table {
	fpbOnce.Do(func() { fpb = fpbEvents(*benchRows) })
	return fpb
}

func runChecks(b *testing.B, tbl arrow.Table, checks []kiln.Check) {
	ctx := kctx()
	for _, c := range checks {
		if _, err := c.Evaluate(ctx, tbl); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTypicalChecks evaluates the ten typical checks on an FPB-like
// partition (20M rows unless -bench-rows says otherwise).
func BenchmarkTypicalChecks(b *testing.B) {
	tbl := benchTable(b)
	checks := typicalChecks()
	b.ResetTimer()
	for b.Loop() {
		runChecks(b, tbl, checks)
	}
	b.ReportMetric(float64(tbl.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkEachCheck times the typical checks one by one, and a few costly
// ones (profiles and drift sort their column).
func BenchmarkEachCheck(b *testing.B) {
	tbl := benchTable(b)
	checks := append(typicalChecks(),
		quality.Unique("user_id").Warn().Named("unique_unsorted"),
		quality.MatchesRegex("event_type", "^(view|add_to_cart|purchase)$"),
		quality.Median("amount"),
		quality.DistinctCount("user_id"),
		quality.KS("item_id", 0.1),
		quality.Profile("user_id"),
	)
	for i, c := range checks {
		b.Run(fmt.Sprintf("%02d_%s", i, c.Spec().Name), func(b *testing.B) {
			for b.Loop() {
				runChecks(b, tbl, []kiln.Check{c})
			}
			b.ReportMetric(float64(tbl.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
