package main

import (
	"iter"
	"math"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// asOfDay is the partition the golden test runs the transform for: its
// logical time, ctx.Time(), is the partition's end, 2024-04-01T00:00Z.
var asOfDay = kiln.Date(2024, 3, 31)

// sampleConfig is the config the golden test uses.
var sampleConfig = RecencyConfig{HalfLifeDays: 14}

// samplePurchases is the golden test's input: a handful of rows, each there
// for a reason. Small inputs that name their edge cases make golden files
// that a reviewer can read.
func samplePurchases() []Purchase {
	at := func(day, hour int) time.Time { return time.Date(2024, 3, day, hour, 0, 0, 0, time.UTC) }
	amount := func(v float64) *float64 { return &v }
	return []Purchase{
		// Listed first: the output is still sorted by user.
		{UserID: 5, TS: at(30, 12), Amount: amount(20)},
		// Old, so its spend has faded; two weeks old, so it counts about half;
		// unconfirmed, so it counts as a purchase without spend.
		{UserID: 1, TS: at(3, 9), Amount: amount(100)},
		{UserID: 1, TS: at(17, 9), Amount: amount(100)},
		{UserID: 1, TS: at(24, 18), Amount: nil},
		// The last second of the partition's day.
		{UserID: 2, TS: time.Date(2024, 3, 31, 23, 59, 59, 0, time.UTC), Amount: amount(7.5)},
		// After the logical time: ignored, so user 3 has no row.
		{UserID: 3, TS: time.Date(2024, 4, 2, 8, 0, 0, 0, time.UTC), Amount: amount(50)},
		// Two purchases at the same instant.
		{UserID: 4, TS: at(10, 10), Amount: amount(30)},
		{UserID: 4, TS: at(10, 10), Amount: amount(12)},
	}
}

// sampleTable is samplePurchases as an Arrow table.
func sampleTable() (arrow.Table, error) { return kiln.TableOf(samplePurchases()) }

// ShopConfig sizes the synthetic purchases of the pipeline demo.
type ShopConfig struct {
	Seed     uint64 `json:"seed"`
	Users    int    `json:"users"`
	PerDay   int    `json:"per_day"`
	FirstDay string `json:"first_day"` // YYYY-MM-DD; earlier days have no data
}

// purchases is the demo's source: PerDay purchases a day from FirstDay on,
// users drawn with a skew, amounts log-normal, 2% unconfirmed. The rows
// depend only on the config and the partition.
var purchases = kiln.SourceFunc("goldentest.purchases", "v1",
	func(ctx *kiln.Context, cfg ShopConfig) iter.Seq2[Purchase, error] {
		return func(yield func(Purchase, error) bool) {
			first, err := time.Parse(time.DateOnly, cfg.FirstDay)
			if err != nil {
				yield(Purchase{}, err)
				return
			}
			day := ctx.Partition().Start()
			if day.Before(first) {
				yield(Purchase{}, kiln.ErrNoPartition)
				return
			}
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(day.Unix())))
			for i := range cfg.PerDay {
				r := rng.Float64()
				p := Purchase{
					UserID: 1 + int64(float64(cfg.Users)*r*r),
					TS:     day.Add(time.Duration(i) * (24 * time.Hour / time.Duration(cfg.PerDay))),
				}
				if rng.Float64() >= 0.02 {
					a := math.Round(math.Exp(3+0.7*rng.NormFloat64())*100) / 100
					p.Amount = &a
				}
				if !yield(p, nil) {
					return
				}
			}
		}
	})
