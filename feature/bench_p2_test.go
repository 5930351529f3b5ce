package feature_test

import (
	"context"
	"flag"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/internal/pq"
)

// The P2 benchmark of ../shared/FPB.md: 1M labels against P1's output at
// N = 20M (about 3.07M per-user daily rows over 30 days). The feature rows
// are generated directly in P1's shape (active users per day from 667K Zipf
// draws, the day's aggregates random) and committed by a kiln pipeline;
// the data is kept under -p2.dir between runs.

var p2Dir = flag.String("p2.dir", filepath.Join(os.TempDir(), "kiln-fpb-p2-v1"), "directory for the generated P2 benchmark data")

// p1Row is one row of P1's output.
type p1Row struct {
	DT          kiln.CalendarDate `kiln:"dt"`
	UserID      int64             `kiln:"user_id"`
	NEvents     int64             `kiln:"n_events"`
	NViews      int64             `kiln:"n_views"`
	NCarts      int64             `kiln:"n_carts"`
	NPurchases  int64             `kiln:"n_purchases"`
	Revenue     float64           `kiln:"revenue"`
	AvgPurchase *float64          `kiln:"avg_purchase"`
	Purchases7d int64             `kiln:"purchases_7d"`
	Revenue30d  float64           `kiln:"revenue_30d"`
	Events30d   int64             `kiln:"events_30d"`
	FeatureTS   time.Time         `kiln:"feature_ts"`
}

type p1Config struct {
	EventsPerDay int `json:"events_per_day"`
	Users        int `json:"users"`
}

func fpbUser(z *rand.Zipf, users int) int64 {
	return 1 + (int64(z.Uint64())*611953)%int64(users)
}

func genP1(ctx *kiln.Context, cfg p1Config) iter.Seq2[p1Row, error] {
	return func(yield func(p1Row, error) bool) {
		day := ctx.Partition().Start()
		idx := int(day.Sub(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) / kiln.Day)
		if idx < 0 || idx >= 30 {
			yield(p1Row{}, fmt.Errorf("%w: P1 covers January 2024", kiln.ErrNoPartition))
			return
		}
		rng := rand.New(rand.NewPCG(42, uint64(idx)))
		z := rand.NewZipf(rng, 1.1, 1, uint64(cfg.Users-1))
		counts := map[int64]int64{}
		for range cfg.EventsPerDay {
			counts[fpbUser(z, cfg.Users)]++
		}
		users := make([]int64, 0, len(counts))
		for u := range counts {
			users = append(users, u)
		}
		slices.Sort(users)
		for _, u := range users {
			n := counts[u]
			r := p1Row{DT: kiln.CalendarDate(day.Unix() / 86400), UserID: u, NEvents: n, NViews: n * 8 / 10, NCarts: n * 15 / 100,
				NPurchases: n / 20, Purchases7d: n / 5, Events30d: n * 4, FeatureTS: day.Add(kiln.Day)}
			if r.NPurchases > 0 {
				r.Revenue = float64(rng.IntN(100000)) / 100
				avg := r.Revenue / float64(r.NPurchases)
				r.AvgPurchase = &avg
			}
			r.Revenue30d = r.Revenue * 3
			if !yield(r, nil) {
				return
			}
		}
	}
}

type p2Label struct {
	LabelID int64     `kiln:"label_id"`
	UserID  int64     `kiln:"user_id"`
	LabelTS time.Time `kiln:"label_ts"`
	Label   int64     `kiln:"label"`
}

// p2Data builds (or reuses) the P2 lake and labels file and returns the
// group and the labels path.
func p2Data(b *testing.B, eventsPerDay, labels int) (*feature.Group, string) {
	dir := filepath.Join(*p2Dir, fmt.Sprintf("e%d-l%d", eventsPerDay, labels))
	p := kiln.New("fpb_p1", kiln.WithLake(filepath.Join(dir, "lake")), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	p1 := p.Source("gold.user_daily", kiln.SourceFunc("fpb.p1_shape", "v1", genP1).With(p1Config{EventsPerDay: eventsPerDay, Users: 1_000_000}))
	days, err := kiln.Days("2024-01-01", "2024-01-30")
	require.NoError(b, err)
	_, err = p.Backfill(context.Background(), days)
	require.NoError(b, err)
	path := filepath.Join(dir, "labels.parquet")
	if _, err := os.Stat(path); err != nil {
		rng := rand.New(rand.NewPCG(42, 1000))
		z := rand.NewZipf(rng, 1.1, 1, 1_000_000-1)
		start := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
		span := int64(24 * 24 * time.Hour / time.Microsecond)
		rows := make([]p2Label, labels)
		for i := range rows {
			rows[i] = p2Label{LabelID: int64(i + 1), UserID: fpbUser(z, 1_000_000),
				LabelTS: start.Add(time.Duration(rng.Int64N(span)) * time.Microsecond)}
			if rng.IntN(10) == 0 {
				rows[i].Label = 1
			}
		}
		t, err := kiln.TableOf(rows)
		require.NoError(b, err)
		_, err = pq.WriteFile(context.Background(), path, t, pq.Defaults())
		t.Release()
		require.NoError(b, err)
	}
	g := &feature.Group{Name: "user_daily", Version: 1, Entity: feature.NewEntity("user", "user_id"),
		EventTime: "feature_ts", TTL: 30 * kiln.Day, Node: p1,
		Features: []feature.Feature{{Name: "dt"}, {Name: "n_events"}, {Name: "n_views"}, {Name: "n_carts"}, {Name: "n_purchases"},
			{Name: "revenue"}, {Name: "avg_purchase"}, {Name: "purchases_7d"}, {Name: "revenue_30d"}, {Name: "events_30d"}}}
	require.NoError(b, g.Resolve(context.Background()))
	return g, path
}

// benchP2 times P2 end to end: read the labels file, read the group's 30
// committed partitions (hash-checked), join, and commit the training set.
func benchP2(b *testing.B, eventsPerDay, labels int) {
	g, path := p2Data(b, eventsPerDay, labels)
	ctx := context.Background()
	out := b.TempDir()
	spec := feature.TrainingSpec{Time: "label_ts", Features: []string{"user_daily"}}
	var rows, matched int64
	var tRead, tBuild, tCommit time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		lt, err := pq.ReadFile(ctx, path, pq.ReadOptions{Parallel: true})
		require.NoError(b, err)
		t1 := time.Now()
		ts, err := feature.BuildTrainingSet(ctx, lt, "labels", spec, g)
		require.NoError(b, err)
		t2 := time.Now()
		_, err = ts.Commit(ctx, out, "gold.training.p2")
		require.NoError(b, err)
		tRead, tBuild, tCommit = tRead+t1.Sub(t0), tBuild+t2.Sub(t1), tCommit+time.Since(t2)
		rows = ts.Table.NumRows()
		col := ts.Table.Column(int(ts.Table.Schema().FieldIndices("n_events")[0])).Data()
		matched = int64(col.Len() - col.NullN())
		ts.Release()
		lt.Release()
	}
	n := float64(b.N)
	b.ReportMetric(tRead.Seconds()/n, "s-read-labels")
	b.ReportMetric(tBuild.Seconds()/n, "s-build")
	b.ReportMetric(tCommit.Seconds()/n, "s-commit")
	b.ReportMetric(float64(rows), "labels")
	b.ReportMetric(float64(matched)/float64(rows), "matched/label")
}

// BenchmarkTrainingSetP2 is P2 at full size (N = 20M: about 3.07M feature
// rows, 1M labels). The first run generates the data (a few minutes).
func BenchmarkTrainingSetP2(b *testing.B) { benchP2(b, 20_000_000/30, 1_000_000) }

// BenchmarkTrainingSetP2Small is P2 at a tenth of the size.
func BenchmarkTrainingSetP2Small(b *testing.B) { benchP2(b, 2_000_000/30, 100_000) }

var _ arrow.Table
