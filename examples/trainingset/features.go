package main

import (
	"cmp"
	"log/slog"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/transform"
)

// isType is 1 for events of type t, else 0.
func isType(t string) transform.Expr {
	return transform.If(transform.Col("event_type").Eq(transform.Lit(t)), transform.Lit(int64(1)), transform.Lit(int64(0)))
}

// dailyFeatures aggregates one day of events per user. Output order: dt,
// user_id (a group-by is ordered by its keys).
var dailyFeatures = transform.Chain(
	transform.Derive("dt", transform.Col("ts").Date()),
	transform.Derive("is_cart", isType("add_to_cart")),
	transform.Derive("is_purchase", isType("purchase")),
	transform.GroupBy("dt", "user_id").Agg(
		transform.Count().As("n_events"),
		transform.Sum("is_cart").As("n_carts"),
		transform.Sum("is_purchase").As("n_purchases"),
		transform.Sum("amount").As("revenue"),
		transform.Max("ts").As("last_seen"),
	),
	transform.FillNulls(map[string]any{"revenue": 0.0}),
)

// UserDay is one row of gold.user_daily, as the window reads it.
type UserDay struct {
	UserID     int64     `kiln:"user_id"`
	NEvents    int64     `kiln:"n_events"`
	NCarts     int64     `kiln:"n_carts"`
	NPurchases int64     `kiln:"n_purchases"`
	Revenue    float64   `kiln:"revenue"`
	LastSeen   time.Time `kiln:"last_seen"`
}

// UserWindow is one row of gold.user_7d: the feature group's offline store.
type UserWindow struct {
	UserID int64 `kiln:"user_id"`
	// AsOf is when the row's values became true: the end of the day it
	// was computed for. It is the group's event time.
	AsOf        time.Time `kiln:"as_of"`
	Events7d    int64     `kiln:"events_7d"`
	Carts7d     int64     `kiln:"carts_7d"`
	Purchases7d int64     `kiln:"purchases_7d"`
	Revenue7d   float64   `kiln:"revenue_7d"`
	ActiveDays  int64     `kiln:"active_days_7d"`
	LastSeen    time.Time `kiln:"last_seen"`
}

// window sums each user's daily rows over the lookback window ending at the
// partition (its input is the window's daily partitions, oldest first).
// Users with no activity in the window have no row. Output order: user_id.
var window = kiln.Func("trainingset.user_window", "v1",
	func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		days, err := kiln.Rows[UserDay](in)
		if err != nil {
			return nil, err
		}
		byUser := map[int64]*UserWindow{}
		for _, d := range days {
			w := byUser[d.UserID]
			if w == nil {
				w = &UserWindow{UserID: d.UserID, AsOf: ctx.Partition().End()}
				byUser[d.UserID] = w
			}
			w.Events7d += d.NEvents
			w.Carts7d += d.NCarts
			w.Purchases7d += d.NPurchases
			w.Revenue7d += d.Revenue
			w.ActiveDays++
			if d.LastSeen.After(w.LastSeen) {
				w.LastSeen = d.LastSeen
			}
		}
		out := make([]UserWindow, 0, len(byUser))
		for _, w := range byUser {
			out = append(out, *w)
		}
		slices.SortFunc(out, func(a, b UserWindow) int { return cmp.Compare(a.UserID, b.UserID) })
		return kiln.TableOf(out)
	})

// build declares the feature pipeline:
//
//	bronze.events -> gold.user_daily -> (7 days) -> gold.user_7d
//
// and returns it with the feature group whose offline store is gold.user_7d.
func build(lakeDir string, gen GenConfig, logger *slog.Logger) (*kiln.Pipeline, *feature.Group) {
	p := kiln.New("trainingset", kiln.WithLake(lakeDir), kiln.WithLogger(logger))
	events := p.Source("bronze.shop_events", kiln.SourceFunc("trainingset.events", "v1", generate).With(gen))
	daily := p.Transform("gold.user_daily", dailyFeatures, events)
	user7d := p.Transform("gold.user_7d", window, kiln.Lookback(daily, 7*kiln.Day))

	group := &feature.Group{
		Name:    "user_7d",
		Version: 1,
		Entity:  feature.NewEntity("user", "user_id"),
		// A row computed for day D holds D-6..D and is known at the end of
		// D; it stays valid for one day, until the next row replaces it.
		// A user inactive for a week has no newer row: their features
		// read as null.
		EventTime:   "as_of",
		TTL:         kiln.Day,
		Node:        user7d,
		Owner:       "growth-ml",
		Description: "a user's activity over the 7 days up to the end of a day",
		Features: []feature.Feature{
			{Name: "events_7d", Description: "events in the last 7 days"},
			{Name: "carts_7d", Description: "add-to-carts in the last 7 days"},
			{Name: "purchases_7d", Description: "purchases in the last 7 days"},
			{Name: "revenue_7d", Description: "revenue in the last 7 days"},
			{Name: "active_days_7d", Description: "days with any event in the last 7 days"},
			{Name: "last_seen", Description: "time of the user's latest event"},
		},
	}
	return p, group
}

// micros is a timestamp column as microseconds since the epoch.
func micros(col string) transform.Expr {
	return transform.Col(col).Cast(arrow.PrimitiveTypes.Int64)
}

// recency is an on-demand feature: hours since the user was last seen, as
// of the request. Offline the request time is the label's time; online it is
// the lookup's. The same transform computes both, so training and serving
// cannot disagree on it.
var recency = &feature.OnDemand{
	Name:        "recency",
	Inputs:      []string{"user_7d:last_seen"},
	RequestTime: "request_ts",
	Transform: transform.Chain(
		transform.Derive("hours_since_seen",
			micros("request_ts").Sub(micros("user_7d__last_seen")).Div(transform.Lit(float64(time.Hour/time.Microsecond)))),
		transform.Select("hours_since_seen"),
	),
}
