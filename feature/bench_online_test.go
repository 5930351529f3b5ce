package feature_test

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
)

// wideRow is an entity with 20 features.
type wideRow struct {
	EntityID int64     `kiln:"entity_id"`
	TS       time.Time `kiln:"ts"`
	F00      int64     `kiln:"f00"`
	F01      int64     `kiln:"f01"`
	F02      int64     `kiln:"f02"`
	F03      int64     `kiln:"f03"`
	F04      int64     `kiln:"f04"`
	F05      int64     `kiln:"f05"`
	F06      int64     `kiln:"f06"`
	F07      float64   `kiln:"f07"`
	F08      float64   `kiln:"f08"`
	F09      float64   `kiln:"f09"`
	F10      float64   `kiln:"f10"`
	F11      float64   `kiln:"f11"`
	F12      float64   `kiln:"f12"`
	F13      *float64  `kiln:"f13"`
	F14      *float64  `kiln:"f14"`
	F15      string    `kiln:"f15"`
	F16      string    `kiln:"f16"`
	F17      bool      `kiln:"f17"`
	F18      *int64    `kiln:"f18"`
	F19      time.Time `kiln:"f19"`
}

type wideConfig struct {
	Entities int `json:"entities"`
}

func genWide(ctx *kiln.Context, cfg wideConfig) iter.Seq2[wideRow, error] {
	return func(yield func(wideRow, error) bool) {
		day := ctx.Partition().Start()
		rng := rand.New(rand.NewPCG(uint64(day.Unix()), 1))
		for e := range cfg.Entities {
			f := rng.Float64()
			r := wideRow{EntityID: int64(e + 1), TS: day.Add(time.Duration(rng.Int64N(int64(kiln.Day)))).Truncate(time.Microsecond),
				F00: rng.Int64(), F01: rng.Int64N(100), F02: int64(e), F03: 3, F04: rng.Int64N(1e6), F05: -7, F06: rng.Int64(),
				F07: f, F08: f * 2, F09: rng.NormFloat64(), F10: 1.5, F11: rng.Float64(), F12: 0,
				F15: fmt.Sprintf("segment-%d", e%17), F16: "gold", F17: e%2 == 0, F19: day}
			if e%3 != 0 {
				r.F13, r.F18 = &f, &r.F01
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

func wideGroup(b testing.TB, lakeDir string, entities int, parts []kiln.Partition) *feature.Group {
	p := kiln.New("wide", kiln.WithLake(lakeDir), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	src := p.Source("gold.wide", kiln.SourceFunc("bench.wide", "v1", genWide).With(wideConfig{Entities: entities}))
	_, err := p.Backfill(context.Background(), parts)
	require.NoError(b, err)
	g := &feature.Group{Name: "wide", Version: 1, Entity: feature.NewEntity("entity", "entity_id"), EventTime: "ts", TTL: 7 * kiln.Day, Node: src}
	for i := range 20 {
		g.Features = append(g.Features, feature.Feature{Name: fmt.Sprintf("f%02d", i)})
	}
	return g
}

// BenchmarkOnline measures, per store: materialization throughput, and
// the latency of Get for one entity with 20 features and for batches of
// 100 entities (p50 and p99 over the calls, from per-call timings).
func BenchmarkOnline(b *testing.B) {
	const entities = 100_000
	parts, _ := kiln.Days("2024-01-01", "2024-01-02")
	g := wideGroup(b, filepath.Join(b.TempDir(), "lake"), entities, parts)
	at := parts[1].End()
	for _, st := range stores(b) {
		ctx := context.Background()
		o := feature.NewOnline(st.open(b))
		start := time.Now()
		res, err := o.Materialize(ctx, g)
		require.NoError(b, err)
		matDur := time.Since(start)
		require.Equal(b, entities, res.Written)

		b.Run(st.name+"/materialize", func(b *testing.B) {
			for b.Loop() {
			}
			b.ReportMetric(float64(res.Rows)/matDur.Seconds(), "rows/s")
			b.ReportMetric(float64(res.Entities)/matDur.Seconds(), "entities/s")
		})
		refs := []string{"wide"}
		rng := rand.New(rand.NewPCG(1, 2))
		b.Run(st.name+"/get1", func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				k := feature.Key{int64(1 + rng.IntN(entities))}
				t0 := time.Now()
				r, err := o.Lookup(ctx, feature.Request{Features: refs, Keys: []feature.Key{k}, At: at})
				lat = append(lat, time.Since(t0))
				if err != nil || r.Rows[0][0] == nil {
					b.Fatalf("lookup %v: %v %v", k, err, r)
				}
			}
			reportLatency(b, lat)
		})
		b.Run(st.name+"/get100", func(b *testing.B) {
			var lat []time.Duration
			keys := make([]feature.Key, 100)
			for b.Loop() {
				for i := range keys {
					keys[i] = feature.Key{int64(1 + rng.IntN(entities))}
				}
				t0 := time.Now()
				r, err := o.Lookup(ctx, feature.Request{Features: refs, Keys: keys, At: at})
				lat = append(lat, time.Since(t0))
				if err != nil || len(r.Rows) != 100 {
					b.Fatal(err)
				}
			}
			reportLatency(b, lat)
		})
		o.Close()
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
