package main

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/transform"
)

// Activity is one row of gold.user_activity, the feature group's offline
// store: a user's activity over the 7 days up to the end of a day. In a real
// lake a feature pipeline computes it (see examples/trainingset); here a
// seeded generator stands in for that pipeline, to keep the example about
// serving.
type Activity struct {
	UserID int64 `kiln:"user_id"`
	// AsOf is when the values became true: the end of the day.
	AsOf        time.Time `kiln:"as_of"`
	Sessions7d  int64     `kiln:"sessions_7d"`
	Purchases7d int64     `kiln:"purchases_7d"`
	Revenue7d   float64   `kiln:"revenue_7d"`
	LastSeen    time.Time `kiln:"last_seen"`
}

// ActivityConfig sizes the generator.
type ActivityConfig struct {
	Seed  uint64 `json:"seed"`
	Users int    `json:"users"`
}

// activity yields the day's rows: each user is active on a given day with
// a fixed probability of their own (users with higher ids are rarer
// visitors), and only users active in the last 7 days have a row. The rows
// depend only on the config and the partition.
func activity(ctx *kiln.Context, cfg ActivityConfig) iter.Seq2[Activity, error] {
	return func(yield func(Activity, error) bool) {
		day := ctx.Partition().Start()
		if ctx.Partition().Grain() != kiln.GrainDay {
			yield(Activity{}, fmt.Errorf("%w: activity is daily", kiln.ErrNoPartition))
			return
		}
		for u := 1; u <= cfg.Users; u++ {
			a := Activity{UserID: int64(u), AsOf: ctx.Partition().End()}
			rate := 0.9 / (1 + float64(u)/float64(cfg.Users)*8) // chance to visit on a day
			for d := range 7 {
				rng := rand.New(rand.NewPCG(cfg.Seed^uint64(u), uint64(day.AddDate(0, 0, -d).Unix())))
				if rng.Float64() >= rate {
					continue
				}
				a.Sessions7d += 1 + int64(rng.IntN(3))
				if rng.Float64() < 0.35 {
					a.Purchases7d++
					a.Revenue7d += math.Round(math.Exp(3.4+0.5*rng.NormFloat64())*100) / 100
				}
				seen := day.AddDate(0, 0, -d).Add(time.Duration(rng.Int64N(int64(kiln.Day/time.Second))) * time.Second)
				if seen.After(a.LastSeen) {
					a.LastSeen = seen
				}
			}
			if a.Sessions7d == 0 {
				continue // not seen for a week: no row
			}
			a.Revenue7d = math.Round(a.Revenue7d*100) / 100
			if !yield(a, nil) {
				return
			}
		}
	}
}

// activityGroup declares the feature group over the node computing it.
func activityGroup(node *kiln.Node) *feature.Group {
	return &feature.Group{
		Name:      "user_activity",
		Version:   1,
		Entity:    feature.NewEntity("user", "user_id"),
		EventTime: "as_of",
		// A day's row is served until the next day's replaces it; a user
		// absent for a week has no newer row, and reads as null.
		TTL:   kiln.Day,
		Node:  node,
		Owner: "growth-ml",
		Features: []feature.Feature{
			{Name: "sessions_7d", Description: "sessions in the last 7 days"},
			{Name: "purchases_7d", Description: "purchases in the last 7 days"},
			{Name: "revenue_7d", Description: "revenue in the last 7 days"},
			{Name: "last_seen", Description: "time of the user's latest visit"},
		},
	}
}

// micros is a timestamp column as microseconds since the epoch.
func micros(col string) transform.Expr {
	return transform.Col(col).Cast(arrow.PrimitiveTypes.Int64)
}

// checkout holds on-demand features computed per request, from the looked
// up values, the request time and the request's data (the cart being
// checked out): hours since the user was last seen, and the cart's value
// relative to the user's average purchase. The same transform runs when a
// training set is built (feature.TrainingSpec.OnDemand), on the values as
// they were at each label's time, so the model sees the same features in
// training and in serving.
var checkout = &feature.OnDemand{
	Name:        "checkout",
	Inputs:      []string{"user_activity:last_seen", "user_activity:purchases_7d", "user_activity:revenue_7d"},
	Request:     []arrow.Field{{Name: "cart_value", Type: arrow.PrimitiveTypes.Float64, Nullable: true}},
	RequestTime: "request_ts",
	Transform: transform.Chain(
		transform.Derive("hours_since_seen",
			micros("request_ts").Sub(micros("user_activity__last_seen")).Div(transform.Lit(float64(time.Hour/time.Microsecond)))),
		// Div gives null on a zero divisor: no purchases, no ratio.
		transform.Derive("cart_vs_avg_purchase",
			transform.Col("cart_value").Div(transform.Col("user_activity__revenue_7d").Div(transform.Col("user_activity__purchases_7d")))),
		transform.Select("hours_since_seen", "cart_vs_avg_purchase"),
	),
}
