package main

import (
	"cmp"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// cleanEvents drops events without a user and keeps the first copy of each
// event id. Output order: input order.
var cleanEvents = kiln.Func("quickstart.clean_events", "v1",
	func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[Event](in)
		if err != nil {
			return nil, err
		}
		seen := make(map[int64]struct{}, len(rows))
		out := rows[:0]
		for _, ev := range rows {
			if ev.UserID == nil {
				continue
			}
			if _, dup := seen[ev.EventID]; dup {
				continue
			}
			seen[ev.EventID] = struct{}{}
			out = append(out, ev)
		}
		return kiln.TableOf(out)
	})

// UserDay is one row of gold.user_daily.
type UserDay struct {
	DT          time.Time `kiln:"dt"`
	UserID      int64     `kiln:"user_id"`
	NEvents     int64     `kiln:"n_events"`
	NViews      int64     `kiln:"n_views"`
	NCarts      int64     `kiln:"n_carts"`
	NPurchases  int64     `kiln:"n_purchases"`
	Revenue     float64   `kiln:"revenue"`
	AvgPurchase *float64  `kiln:"avg_purchase"`
}

// dailyFeatures aggregates one day of clean events per user. Output order:
// user_id ascending. Sums run in input order, so they are deterministic.
var dailyFeatures = kiln.Func("quickstart.user_daily", "v1",
	func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[Event](in)
		if err != nil {
			return nil, err
		}
		byUser := map[int64]*UserDay{}
		for _, ev := range rows {
			d := byUser[*ev.UserID]
			if d == nil {
				d = &UserDay{DT: ctx.Partition().Start(), UserID: *ev.UserID}
				byUser[*ev.UserID] = d
			}
			d.NEvents++
			switch ev.EventType {
			case "view":
				d.NViews++
			case "add_to_cart":
				d.NCarts++
			case "purchase":
				d.NPurchases++
				if ev.Amount != nil {
					d.Revenue += *ev.Amount
				}
			}
		}
		out := make([]UserDay, 0, len(byUser))
		for _, d := range byUser {
			if d.NPurchases > 0 {
				avg := d.Revenue / float64(d.NPurchases)
				d.AvgPurchase = &avg
			}
			out = append(out, *d)
		}
		slices.SortFunc(out, func(a, b UserDay) int { return cmp.Compare(a.UserID, b.UserID) })
		return kiln.TableOf(out)
	})

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
		first := ctx.Partition().Start().AddDate(0, 0, 1-cfg.Days)
		byUser := map[int64]*UserWindow{}
		for _, d := range rows {
			if d.DT.Before(first) {
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
