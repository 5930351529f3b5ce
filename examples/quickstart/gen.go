package main

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/kiln-data/kiln"
)

// Event is one row of the synthetic e-commerce event log.
type Event struct {
	EventID   int64     `kiln:"event_id"`
	UserID    *int64    `kiln:"user_id"`
	ItemID    int64     `kiln:"item_id"`
	EventType string    `kiln:"event_type"`
	Amount    *float64  `kiln:"amount"`
	TS        time.Time `kiln:"ts"`
}

// GenConfig is the generator's config: it is hashed into the bronze
// fingerprint, so changing the size or seed regenerates the data.
type GenConfig struct {
	Seed   uint64 `json:"seed"`
	Events int    `json:"events"` // over all days
	Start  string `json:"start"`  // first day, YYYY-MM-DD
	Days   int    `json:"days"`
	Users  int    `json:"users"`
	Items  int    `json:"items"`
}

// generate yields one day of events: users drawn from a Zipf law, items
// uniform, 80% views, 15% add-to-carts and 5% purchases with log-normal
// amounts, timestamps uniform over the day in order, 0.1% null user ids and
// 0.5% exact duplicate events. Days outside the configured range do not
// exist. The output depends only on the config and the partition.
func generate(ctx *kiln.Context, cfg GenConfig) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		start, err := time.Parse(time.DateOnly, cfg.Start)
		if err != nil {
			yield(Event{}, fmt.Errorf("generator start %q: %w", cfg.Start, err))
			return
		}
		day := ctx.Partition().Start()
		idx := int(day.Sub(start) / kiln.Day)
		if ctx.Partition().Grain() != kiln.GrainDay || day.Before(start) || idx >= cfg.Days {
			yield(Event{}, fmt.Errorf("%w: events exist for %d days from %s", kiln.ErrNoPartition, cfg.Days, cfg.Start))
			return
		}
		n := cfg.Events / cfg.Days
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(idx)))
		zipf := rand.NewZipf(rng, 1.1, 1, uint64(cfg.Users-1))
		offsets := make([]int64, n)
		for i := range offsets {
			offsets[i] = rng.Int64N(int64(kiln.Day / time.Microsecond))
		}
		slices.Sort(offsets)
		var dupes []Event
		for i, off := range offsets {
			ev := Event{
				EventID: int64(idx)*100_000_000 + int64(i),
				ItemID:  1 + rng.Int64N(int64(cfg.Items)),
				TS:      day.Add(time.Duration(off) * time.Microsecond),
			}
			if rng.Float64() >= 0.001 {
				u := 1 + (int64(zipf.Uint64())*611953)%int64(cfg.Users)
				ev.UserID = &u
			}
			switch r := rng.Float64(); {
			case r < 0.80:
				ev.EventType = "view"
			case r < 0.95:
				ev.EventType = "add_to_cart"
			default:
				ev.EventType = "purchase"
				a := math.Round(math.Exp(3+rng.NormFloat64())*100) / 100
				ev.Amount = &a
			}
			if !yield(ev, nil) {
				return
			}
			if rng.Float64() < 0.005 {
				dupes = append(dupes, ev)
			}
		}
		// Duplicates arrive late, as replays do.
		for _, ev := range dupes {
			if !yield(ev, nil) {
				return
			}
		}
	}
}
