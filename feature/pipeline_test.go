package feature_test

import (
	"cmp"
	"context"
	"iter"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/feature/online"
	"github.com/kiln-data/kiln/feature/online/boltstore"
	"github.com/kiln-data/kiln/feature/online/redisstore"
)

// A quickstart-like pipeline: synthetic events per day, aggregated into
// per-user daily features stamped at the end of the day.

type event struct {
	UserID int64    `kiln:"user_id"`
	Type   string   `kiln:"event_type"`
	Amount *float64 `kiln:"amount"`
}

type genConfig struct {
	Users  int `json:"users"`
	PerDay int `json:"per_day"`
}

func genEvents(ctx *kiln.Context, cfg genConfig) iter.Seq2[event, error] {
	return func(yield func(event, error) bool) {
		day := ctx.Partition().Start()
		rng := rand.New(rand.NewPCG(uint64(day.Unix()), 42))
		for range cfg.PerDay {
			ev := event{UserID: 1 + rng.Int64N(int64(cfg.Users)), Type: "view"}
			if r := rng.Float64(); r < 0.2 {
				a := float64(rng.IntN(10000)) / 100
				ev.Type, ev.Amount = "purchase", &a
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

type userDay struct {
	UserID      int64     `kiln:"user_id"`
	FeatureTS   time.Time `kiln:"feature_ts"`
	CreatedTS   time.Time `kiln:"created_ts"`
	NEvents     int64     `kiln:"n_events"`
	NPurchases  int64     `kiln:"n_purchases"`
	Revenue     float64   `kiln:"revenue"`
	AvgPurchase *float64  `kiln:"avg_purchase"`
	LastType    string    `kiln:"last_type"`
}

var dailyFeatures = kiln.Func("test.user_daily", "v1",
	func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[event](in)
		if err != nil {
			return nil, err
		}
		by := map[int64]*userDay{}
		for _, ev := range rows {
			d := by[ev.UserID]
			if d == nil {
				end := ctx.Partition().End()
				d = &userDay{UserID: ev.UserID, FeatureTS: end, CreatedTS: end.Add(time.Hour)}
				by[ev.UserID] = d
			}
			d.NEvents++
			d.LastType = ev.Type
			if ev.Amount != nil {
				d.NPurchases++
				d.Revenue += *ev.Amount
			}
		}
		out := make([]userDay, 0, len(by))
		for _, d := range by {
			if d.NPurchases > 0 {
				avg := d.Revenue / float64(d.NPurchases)
				d.AvgPurchase = &avg
			}
			out = append(out, *d)
		}
		slices.SortFunc(out, func(a, b userDay) int { return cmp.Compare(a.UserID, b.UserID) })
		return kiln.TableOf(out)
	})

var days = func() []kiln.Partition {
	d, _ := kiln.Days("2024-01-01", "2024-01-06")
	return d
}()

// buildLake runs the pipeline over days and returns the feature group.
func buildLake(t testing.TB, lakeDir string, parts []kiln.Partition) *feature.Group {
	t.Helper()
	p := kiln.New("feature_test", kiln.WithLake(lakeDir), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	events := p.Source("bronze.events", kiln.SourceFunc("test.events", "v1", genEvents).With(genConfig{Users: 300, PerDay: 2000}))
	daily := p.Transform("gold.user_daily", dailyFeatures, events)
	_, err := p.Backfill(context.Background(), parts)
	require.NoError(t, err)
	return &feature.Group{
		Name: "user_daily", Version: 1, Entity: feature.NewEntity("user", "user_id"),
		EventTime: "feature_ts", CreatedTime: "created_ts", TTL: 3 * kiln.Day, Node: daily,
		Owner: "ml-team", Description: "per-user daily activity",
		Features: []feature.Feature{
			{Name: "n_events", Description: "events that day"},
			{Name: "n_purchases", Description: "purchases that day", Drift: &feature.Drift{PSI: 0.2}},
			{Name: "revenue", Description: "sum of purchase amounts"},
			{Name: "avg_purchase", Description: "mean purchase amount, null without purchases"},
			{Name: "last_type", Description: "type of the day's last event"},
		},
	}
}

// purchaseContext is an on-demand feature: the request's amount against
// the user's revenue that day, and whether the user was busy.
type ratioRow struct {
	Amount  float64   `kiln:"amount"`
	Now     time.Time `kiln:"now"`
	Revenue *float64  `kiln:"user_daily__revenue"`
	NEvents *int64    `kiln:"user_daily__n_events"`
}

type ratioOut struct {
	Ratio  *float64 `kiln:"amount_ratio"`
	Busy   *bool    `kiln:"busy"`
	Minute int64    `kiln:"minute_of_day"`
}

var purchaseContext = &feature.OnDemand{
	Name:        "purchase_ctx",
	Inputs:      []string{"user_daily:revenue", "user_daily:n_events"},
	Request:     []arrow.Field{{Name: "amount", Type: arrow.PrimitiveTypes.Float64}},
	RequestTime: "now",
	Transform: kiln.Func("test.purchase_ctx", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[ratioRow](in)
		if err != nil {
			return nil, err
		}
		out := make([]ratioOut, len(rows))
		for i, r := range rows {
			if r.Revenue != nil {
				v := r.Amount / (*r.Revenue + 1)
				out[i].Ratio = &v
			}
			if r.NEvents != nil {
				b := *r.NEvents > 7
				out[i].Busy = &b
			}
			out[i].Minute = int64(r.Now.Hour()*60 + r.Now.Minute())
		}
		return kiln.TableOf(out)
	}),
}

// stores returns the online stores every feature test runs against.
type namedStore struct {
	name string
	open func(t testing.TB) online.Store
}

func stores(t testing.TB) []namedStore {
	out := []namedStore{
		{"bolt", func(t testing.TB) online.Store {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "online.db"))
			require.NoError(t, err)
			return s
		}},
		{"miniredis", func(t testing.TB) online.Store {
			m := miniredis.RunT(t)
			return redisstore.New(redis.NewClient(&redis.Options{Addr: m.Addr()}))
		}},
	}
	if addr := os.Getenv("KILN_TEST_REDIS_ADDR"); addr != "" {
		out = append(out, namedStore{"redis", func(t testing.TB) online.Store {
			c := redis.NewClient(&redis.Options{Addr: addr, DB: 2})
			t.Cleanup(func() { c.Close() })
			require.NoError(t, c.FlushDB(context.Background()).Err())
			return redisstore.New(c)
		}})
	} else {
		t.Log("real Redis not tested: set KILN_TEST_REDIS_ADDR=host:port (eval \"$(bash .ci/redis.sh)\"); the tests flush its database 2")
	}
	return out
}

// requestRecord builds request data with an amount column.
func requestRecord(amounts ...float64) arrow.RecordBatch {
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(amounts, nil)
	a := b.NewArray()
	defer a.Release()
	return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "amount", Type: arrow.PrimitiveTypes.Float64}}, nil), []arrow.Array{a}, int64(len(amounts)))
}
