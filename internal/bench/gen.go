package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/kiln-data/kiln/internal/pq"
)

// FPB data constants (see /work/shared/FPB.md, "Data").
const (
	seed      = 42
	days      = 30
	users     = 1_000_000
	items     = 100_000
	scramble  = 611_953
	dupRate   = 0.005
	nullRate  = 0.001
	zipfS     = 1.1
	labelOnes = 0.10
	dayMicros = int64(24 * time.Hour / time.Microsecond)
)

var (
	firstDay   = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	labelStart = time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
	labelEnd   = time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	tsType     = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// eventsSchema is the schema of events/dt=.../part-0.parquet.
var eventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "item_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "event_type", Type: arrow.BinaryTypes.String},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ts", Type: tsType},
}, nil)

// labelsSchema is the schema of labels.parquet.
var labelsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "label_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "label_ts", Type: tsType},
	{Name: "label", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// userGen draws user ids: Zipf(s=1.1, v=1) over 1e6 ranks, scrambled so the
// popular users are spread over the id range.
type userGen struct{ z *rand.Zipf }

func newUserGen(r *rand.Rand) userGen { return userGen{rand.NewZipf(r, zipfS, 1, users-1)} }

func (u userGen) next() int64 { return 1 + int64(u.z.Uint64()*scramble%users) }

// dayFile returns the path of day d's events file under dir.
func dayFile(dir string, d int) string {
	return filepath.Join(dir, "events", "dt="+firstDay.AddDate(0, 0, d).Format(time.DateOnly), "part-0.parquet")
}

// generate writes the FPB data set for n events (n/30 per day) and nLabels
// labels under dir, deterministically from seed 42. Days are generated
// concurrently (each day has its own random stream), so the files do not
// depend on the scheduling.
func generate(ctx context.Context, dir string, n, nLabels int) error {
	perDay := n / days
	if perDay < 1 {
		return fmt.Errorf("-n %d: need at least %d events (one per day)", n, days)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for d := range days {
		g.Go(func() error { return writeDay(gctx, dir, d, perDay) })
	}
	g.Go(func() error { return writeLabels(gctx, dir, nLabels) })
	return g.Wait()
}

// writeDay generates and writes day d: perDay rows of which round(0.5%)
// are exact copies of other rows of the day, placed right after their
// original, so rows stay in ts order and event_id is non-decreasing.
func writeDay(ctx context.Context, dir string, d, perDay int) error {
	r := rand.New(rand.NewPCG(seed, uint64(d)+1))
	users := newUserGen(r)
	dups := int(math.Round(float64(perDay) * dupRate))
	m := perDay - dups // distinct rows

	ts := make([]int64, m)
	for i := range ts {
		ts[i] = r.Int64N(dayMicros)
	}
	slices.Sort(ts)
	copies := make([]int32, m)
	for range dups {
		copies[r.IntN(m)]++
	}

	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, eventsSchema)
	defer b.Release()
	for _, f := range b.Fields() {
		f.Reserve(perDay)
	}
	eid := b.Field(0).(*array.Int64Builder)
	uid := b.Field(1).(*array.Int64Builder)
	iid := b.Field(2).(*array.Int64Builder)
	typ := b.Field(3).(*array.StringBuilder)
	amt := b.Field(4).(*array.Float64Builder)
	tsb := b.Field(5).(*array.TimestampBuilder)
	base := firstDay.AddDate(0, 0, d).UnixMicro()
	for i := range m {
		id := int64(d)*int64(m) + int64(i) + 1
		user, userOK := users.next(), r.Float64() >= nullRate
		item := 1 + r.Int64N(items)
		kind, amount := "view", 0.0
		switch p := r.Float64(); {
		case p < 0.80:
		case p < 0.95:
			kind = "add_to_cart"
		default:
			kind = "purchase"
			amount = math.Round(math.Exp(3+r.NormFloat64())*100) / 100
		}
		for range 1 + copies[i] {
			eid.Append(id)
			if userOK {
				uid.Append(user)
			} else {
				uid.AppendNull()
			}
			iid.Append(item)
			typ.Append(kind)
			if kind == "purchase" {
				amt.Append(amount)
			} else {
				amt.AppendNull()
			}
			tsb.Append(arrow.Timestamp(base + ts[i]))
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return writeTable(ctx, dayFile(dir, d), rec)
}

// writeLabels generates and writes labels.parquet.
func writeLabels(ctx context.Context, dir string, n int) error {
	r := rand.New(rand.NewPCG(seed, 1000))
	users := newUserGen(r)
	lo, span := labelStart.UnixMicro(), labelEnd.UnixMicro()-labelStart.UnixMicro()
	b := array.NewRecordBuilder(memory.NewGoAllocator(), labelsSchema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i) + 1)
		b.Field(1).(*array.Int64Builder).Append(users.next())
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(lo + r.Int64N(span)))
		label := int64(0)
		if r.Float64() < labelOnes {
			label = 1
		}
		b.Field(3).(*array.Int64Builder).Append(label)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return writeTable(ctx, filepath.Join(dir, "labels.parquet"), rec)
}

// writeTable writes one record batch with kiln's Parquet settings (ZSTD).
func writeTable(ctx context.Context, path string, rec arrow.RecordBatch) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tbl := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
	defer tbl.Release()
	_, err := pq.WriteFile(ctx, path, tbl, pq.Defaults())
	return err
}

// haveData reports whether dir already holds a complete data set.
func haveData(dir string) bool {
	for d := range days {
		if _, err := os.Stat(dayFile(dir, d)); err != nil {
			return false
		}
	}
	_, err := os.Stat(filepath.Join(dir, "labels.parquet"))
	return err == nil
}
