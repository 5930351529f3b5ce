package main

import (
	"cmp"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform"
)

// cleanEvents drops events without a user and keeps the first copy of each
// event id. Output order: input order.
var cleanEvents = transform.Chain(
	transform.DropNulls("user_id"),
	transform.Dedupe([]string{"event_id"}, transform.KeepFirst),
)

// isType is 1 for events of type t, else 0.
func isType(t string) transform.Expr {
	return transform.If(transform.Col("event_type").Eq(transform.Lit(t)), transform.Lit(int64(1)), transform.Lit(int64(0)))
}

// dailyFeatures aggregates one day of clean events per user, with built-in
// transforms. Output order: user_id ascending (group-by output is ordered by
// its keys). Sums add values in input order, so they are deterministic.
var dailyFeatures = transform.Chain(
	transform.Derive("dt", transform.Col("ts").Date()),
	transform.Derive("is_view", isType("view")),
	transform.Derive("is_cart", isType("add_to_cart")),
	transform.Derive("is_purchase", isType("purchase")),
	transform.GroupBy("dt", "user_id").Agg(
		transform.Count().As("n_events"),
		transform.Sum("is_view").As("n_views"),
		transform.Sum("is_cart").As("n_carts"),
		transform.Sum("is_purchase").As("n_purchases"),
		transform.Sum("amount").As("revenue"),
		transform.Mean("amount").As("avg_purchase"),
	),
	transform.FillNulls(map[string]any{"revenue": 0.0}),
)

// UserDay is one row of gold.user_daily, as the rolling feature reads it.
type UserDay struct {
	DT         kiln.CalendarDate `kiln:"dt"`
	UserID     int64             `kiln:"user_id"`
	NEvents    int64             `kiln:"n_events"`
	NPurchases int64             `kiln:"n_purchases"`
	Revenue    float64           `kiln:"revenue"`
}

// WindowConfig configures rolling features.
type WindowConfig struct {
	Days int `json:"days"`
}

// UserWindow is one row of gold.user_7d.
type UserWindow struct {
	DT         time.Time `kiln:"dt"`
	UserID     int64     `kiln:"user_id"`
	Events     int64     `kiln:"events"`
	Purchases  int64     `kiln:"purchases"`
	Revenue    float64   `kiln:"revenue"`
	ActiveDays int64     `kiln:"active_days"`
}

// rollingFeatures sums a user's daily rows over the lookback window ending
// at the partition (its input is the window's daily partitions, oldest
// first). Users with no activity in the window have no row. Output order:
// user_id ascending.
var rollingFeatures = kiln.Func("quickstart.user_rolling", "v1",
	func(ctx *kiln.Context, cfg WindowConfig, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[UserDay](in)
		if err != nil {
			return nil, err
		}
		start := ctx.Partition().Start().AddDate(0, 0, 1-cfg.Days)
		byUser := map[int64]*UserWindow{}
		for _, d := range rows {
			if d.DT.Time().Before(start) {
				continue
			}
			w := byUser[d.UserID]
			if w == nil {
				w = &UserWindow{DT: ctx.Partition().Start(), UserID: d.UserID}
				byUser[d.UserID] = w
			}
			w.Events += d.NEvents
			w.Purchases += d.NPurchases
			w.Revenue += d.Revenue
			w.ActiveDays++
		}
		out := make([]UserWindow, 0, len(byUser))
		for _, w := range byUser {
			out = append(out, *w)
		}
		slices.SortFunc(out, func(a, b UserWindow) int { return cmp.Compare(a.UserID, b.UserID) })
		return kiln.TableOf(out)
	})
