package transform

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
)

// asofBenchP2 returns FPB P2's shape: 1M labels (Zipf users, uniform
// times) and P1-shaped feature rows (30 days; per day the distinct users of
// 667K Zipf draws, in (day, user) order, so each user's rows are already in
// time order), about 3.07M, with a created time 0-6 hours after the
// feature time.
var asofBenchP2 = sync.OnceValues(func() (arrow.Table, arrow.Table) {
	rs := keyedSchema("user_id", arrow.PrimitiveTypes.Int64, "feature_ts", keyedTS, "created", keyedTS)
	var recs []arrow.RecordBatch
	d0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for day := range 30 {
		r := rand.New(rand.NewPCG(42, uint64(day)))
		z := rand.NewZipf(r, 1.1, 1, 999_999)
		seen := map[int64]bool{}
		for range 20_000_000 / 30 {
			seen[1+int64(z.Uint64())*611953%1_000_000] = true
		}
		users := make([]int64, 0, len(seen))
		for u := range seen {
			users = append(users, u)
		}
		slices.Sort(users)
		b := array.NewRecordBuilder(memory.DefaultAllocator, rs)
		ft := d0.Add(time.Duration(day+1) * kiln.Day).UnixMicro()
		for _, u := range users {
			b.Field(0).(*array.Int64Builder).Append(u)
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ft))
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(ft + r.Int64N(6*3600e6)))
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	right := array.NewTableFromRecords(rs, recs)
	r := rand.New(rand.NewPCG(42, 1000))
	z := rand.NewZipf(r, 1.1, 1, 999_999)
	ls := keyedSchema("label_id", arrow.PrimitiveTypes.Int64, "user_id", arrow.PrimitiveTypes.Int64, "label_ts", keyedTS)
	b := array.NewRecordBuilder(memory.DefaultAllocator, ls)
	start := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range 1_000_000 {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(1).(*array.Int64Builder).Append(1 + int64(z.Uint64())*611953%1_000_000)
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(start + r.Int64N(24*86400e6)))
	}
	left := array.NewTableFromRecords(ls, []arrow.RecordBatch{b.NewRecordBatch()})
	b.Release()
	return left, right
})

// BenchmarkAsOfMatchP2 times the as-of kernel alone (keys, layout of the
// right side, probes) on FPB P2's shape, plain and with the created-time
// options. Run with a modest -benchtime (e.g. 5x).
func BenchmarkAsOfMatchP2(b *testing.B) {
	left, right := asofBenchP2()
	ctx := kiln.NewContext(context.Background(), "bench", kiln.All)
	base := AsOf{By: []string{"user_id"}, LeftTime: "label_ts", RightTime: "feature_ts", Tolerance: 30 * kiln.Day}
	created := base
	created.CreatedTime = "created"
	exclude := created
	exclude.ExcludeCreatedAfter = true
	for _, tc := range []struct {
		name string
		cfg  AsOf
	}{{"plain", base}, {"created", created}, {"created+exclude", exclude}} {
		b.Run(tc.name, func(b *testing.B) {
			tr := AsOfJoin(tc.cfg)
			for b.Loop() {
				if _, err := tr.Match(ctx, left, right); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
