package lineage_test

import (
	"cmp"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

// A small copy of examples/quickstart: bronze events from a seeded
// generator, silver cleaned events, gold daily per-user features and a
// 3-day rolling table read through a lookback window.

// Event is one row of bronze.events.
type Event struct {
	EventID   int64     `kiln:"event_id"`
	UserID    *int64    `kiln:"user_id"`
	EventType string    `kiln:"event_type"`
	Amount    *float64  `kiln:"amount"`
	TS        time.Time `kiln:"ts"`
}

// GenConfig configures the generator.
type GenConfig struct {
	Seed   uint64 `json:"seed"`
	PerDay int    `json:"per_day"`
	Start  string `json:"start"`
	Days   int    `json:"days"`
	Users  int    `json:"users"`
}

// generate yields one day of events and stores the last event id as the
// source's cursor. Days outside the range do not exist.
func generate(ctx *kiln.Context, cfg GenConfig) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		start, _ := time.Parse(time.DateOnly, cfg.Start)
		day := ctx.Partition().Start()
		idx := int(day.Sub(start) / kiln.Day)
		if day.Before(start) || idx >= cfg.Days {
			yield(Event{}, fmt.Errorf("%w: events exist for %d days from %s", kiln.ErrNoPartition, cfg.Days, cfg.Start))
			return
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(idx)))
		var last int64
		for i := range cfg.PerDay {
			ev := Event{EventID: int64(idx)*1_000_000 + int64(i), TS: day.Add(time.Duration(i) * time.Minute)}
			if rng.IntN(50) != 0 {
				u := 1 + rng.Int64N(int64(cfg.Users))
				ev.UserID = &u
			}
			switch r := rng.Float64(); {
			case r < 0.7:
				ev.EventType = "view"
			case r < 0.9:
				ev.EventType = "add_to_cart"
			default:
				ev.EventType = "purchase"
				a := math.Round(rng.Float64()*10000) / 100
				ev.Amount = &a
			}
			last = ev.EventID
			if !yield(ev, nil) {
				return
			}
		}
		if err := ctx.SetState(map[string]int64{"last_event_id": last}); err != nil {
			yield(Event{}, err)
		}
	}
}

// CleanConfig configures cleanEvents.
type CleanConfig struct {
	KeepViews bool `json:"keep_views"`
}

// cleanEvents drops events without a user (and views, unless kept). Output
// order: input order.
var cleanEvents = kiln.Func("lineagetest.clean", "v1",
	func(ctx *kiln.Context, cfg CleanConfig, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[Event](in)
		if err != nil {
			return nil, err
		}
		out := rows[:0]
		for _, ev := range rows {
			if ev.UserID == nil || (!cfg.KeepViews && ev.EventType == "view") {
				continue
			}
			out = append(out, ev)
		}
		return kiln.TableOf(out)
	})

// UserDay is one row of gold.user_daily.
type UserDay struct {
	DT      time.Time `kiln:"dt"`
	UserID  int64     `kiln:"user_id"`
	NEvents int64     `kiln:"n_events"`
	Revenue float64   `kiln:"revenue"`
}

// dailyFeatures aggregates a day per user. Output order: user_id.
var dailyFeatures = kiln.Func("lineagetest.daily", "v1",
	func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[Event](in)
		if err != nil {
			return nil, err
		}
		by := map[int64]*UserDay{}
		for _, ev := range rows {
			d := by[*ev.UserID]
			if d == nil {
				d = &UserDay{DT: ctx.Partition().Start(), UserID: *ev.UserID}
				by[*ev.UserID] = d
			}
			d.NEvents++
			if ev.EventType == "purchase" && ev.Amount != nil {
				d.Revenue += *ev.Amount
			}
		}
		out := make([]UserDay, 0, len(by))
		for _, d := range by {
			out = append(out, *d)
		}
		slices.SortFunc(out, func(a, b UserDay) int { return cmp.Compare(a.UserID, b.UserID) })
		return kiln.TableOf(out)
	})

// WindowConfig configures rollingFeatures.
type WindowConfig struct {
	Days int `json:"days"`
}

// UserWindow is one row of gold.user_3d.
type UserWindow struct {
	DT      time.Time `kiln:"dt"`
	UserID  int64     `kiln:"user_id"`
	Events  int64     `kiln:"events"`
	Revenue float64   `kiln:"revenue"`
}

// rollingFeatures sums a user's daily rows over the window. Output order:
// user_id.
var rollingFeatures = kiln.Func("lineagetest.rolling", "v1",
	func(ctx *kiln.Context, cfg WindowConfig, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[UserDay](in)
		if err != nil {
			return nil, err
		}
		by := map[int64]*UserWindow{}
		for _, d := range rows {
			w := by[d.UserID]
			if w == nil {
				w = &UserWindow{DT: ctx.Partition().Start(), UserID: d.UserID}
				by[d.UserID] = w
			}
			w.Events += d.NEvents
			w.Revenue += d.Revenue
		}
		out := make([]UserWindow, 0, len(by))
		for _, w := range by {
			out = append(out, *w)
		}
		slices.SortFunc(out, func(a, b UserWindow) int { return cmp.Compare(a.UserID, b.UserID) })
		return kiln.TableOf(out)
	})

// declared adds declared column lineage to a transform.
type declared struct {
	kiln.Transform
	refs map[string][]kiln.ColumnRef
}

func (d declared) ColumnLineage([]*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	return d.refs, nil
}

func direct(col, sub string) kiln.ColumnRef {
	return kiln.ColumnRef{Column: col, Kind: "DIRECT", Subtype: sub}
}

func indirect(col, sub string) kiln.ColumnRef {
	return kiln.ColumnRef{Column: col, Kind: "INDIRECT", Subtype: sub}
}

// minRows is a quality check: at least n rows.
type minRows struct{ n int64 }

func (c minRows) Spec() kiln.Spec {
	return kiln.Spec{Name: "test.min_rows", Version: "v1", Config: map[string]any{"min": c.n, "severity": "warn"}}
}

func (c minRows) Evaluate(_ *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	return kiln.CheckResult{Check: "min_rows", Severity: kiln.SeverityWarn, Success: t.NumRows() >= c.n,
		Observed: t.NumRows(), Expected: fmt.Sprintf(">= %d rows", c.n), ElementCount: t.NumRows()}, nil
}

var testGen = GenConfig{Seed: 7, PerDay: 300, Start: "2024-01-01", Days: 6, Users: 40}

// buildPipeline declares the test pipeline on lake with the given silver
// config and listeners.
func buildPipeline(lake string, clean CleanConfig, listeners ...lineage.Listener) *kiln.Pipeline {
	opts := []kiln.Option{kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.DiscardHandler))}
	for _, l := range listeners {
		opts = append(opts, kiln.WithListener(l))
	}
	p := kiln.New("shop", opts...)
	events := p.Source("bronze.events", kiln.SourceFunc("lineagetest.events", "v1", generate).With(testGen))
	silver := p.Transform("silver.events", declared{cleanEvents.With(clean), map[string][]kiln.ColumnRef{
		"event_id":   {direct("event_id", "IDENTITY"), indirect("user_id", "FILTER"), indirect("event_type", "FILTER")},
		"user_id":    {direct("user_id", "IDENTITY"), indirect("event_type", "FILTER")},
		"event_type": {direct("event_type", "IDENTITY"), indirect("user_id", "FILTER")},
		"amount":     {direct("amount", "IDENTITY"), indirect("user_id", "FILTER"), indirect("event_type", "FILTER")},
		"ts":         {direct("ts", "IDENTITY"), indirect("user_id", "FILTER"), indirect("event_type", "FILTER")},
	}}, events)
	daily := p.Transform("gold.user_daily", declared{dailyFeatures, map[string][]kiln.ColumnRef{
		"user_id":  {direct("user_id", "IDENTITY"), indirect("user_id", "GROUP_BY")},
		"n_events": {direct("event_id", "AGGREGATION"), indirect("user_id", "GROUP_BY")},
		"revenue":  {direct("amount", "AGGREGATION"), indirect("event_type", "FILTER"), indirect("user_id", "GROUP_BY")},
	}}, silver).Check(minRows{1})
	p.Transform("gold.user_3d", declared{rollingFeatures.With(WindowConfig{Days: 3}), map[string][]kiln.ColumnRef{
		"user_id": {direct("user_id", "IDENTITY"), indirect("user_id", "GROUP_BY")},
		"events":  {direct("n_events", "AGGREGATION"), indirect("user_id", "GROUP_BY")},
		"revenue": {direct("revenue", "AGGREGATION"), indirect("user_id", "GROUP_BY")},
	}}, kiln.Lookback(daily, 3*kiln.Day))
	return p
}

func days(t testing.TB, from, to string) []kiln.Partition {
	t.Helper()
	ps, err := kiln.Days(from, to)
	require.NoError(t, err)
	return ps
}

func day(t testing.TB, s string) kiln.Partition {
	t.Helper()
	p, err := kiln.ParsePartition("dt=" + s)
	require.NoError(t, err)
	return p
}

// contentOf returns the content hash a backfill reported for a node
// partition.
func contentOf(t testing.TB, b *kiln.BackfillResult, node, part string) kiln.Hash {
	t.Helper()
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			if n.Node == node && n.Partition.String() == part && !n.ContentHash.IsZero() {
				return n.ContentHash
			}
		}
	}
	t.Fatalf("no result for %s %s", node, part)
	return kiln.Hash{}
}
