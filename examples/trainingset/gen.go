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

// Event is one row of the synthetic shop's event log.
type Event struct {
	EventID   int64     `kiln:"event_id"`
	UserID    int64     `kiln:"user_id"`
	EventType string    `kiln:"event_type"` // view, add_to_cart or purchase
	Amount    *float64  `kiln:"amount"`     // purchases only
	TS        time.Time `kiln:"ts"`
}

// GenConfig sizes the event log. It is the source's config, so it is hashed
// into the bronze fingerprint: another size or seed is another dataset.
type GenConfig struct {
	Seed   uint64 `json:"seed"`
	Start  string `json:"start"` // first day, YYYY-MM-DD
	Days   int    `json:"days"`
	Events int    `json:"events"` // per day
	Users  int    `json:"users"`
}

// generate yields one day of events. Each user has a fixed propensity to
// buy (some users buy often, most rarely), so past behavior predicts future
// purchases, which is what the training set is for. The rows depend only on
// the config and the partition.
func generate(ctx *kiln.Context, cfg GenConfig) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		start, err := time.Parse(time.DateOnly, cfg.Start)
		if err != nil {
			yield(Event{}, fmt.Errorf("generator start %q: %w", cfg.Start, err))
			return
		}
		day := ctx.Partition().Start()
		idx := int(day.Sub(start) / kiln.Day)
		if idx < 0 || idx >= cfg.Days {
			yield(Event{}, fmt.Errorf("%w: events exist for %d days from %s", kiln.ErrNoPartition, cfg.Days, cfg.Start))
			return
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(idx)))
		at := make([]int64, cfg.Events)
		for i := range at {
			at[i] = rng.Int64N(int64(kiln.Day / time.Millisecond))
		}
		slices.Sort(at)
		for i, ms := range at {
			r := rng.Float64()
			u := 1 + int64(float64(cfg.Users)*r*r) // low ids are the most active
			ev := Event{
				EventID:   int64(idx)*10_000_000 + int64(i),
				UserID:    u,
				EventType: "view",
				TS:        day.Add(time.Duration(ms) * time.Millisecond),
			}
			switch p := rng.Float64(); {
			case p < 0.03*propensity(cfg.Seed, u):
				ev.EventType = "purchase"
				a := math.Round(math.Exp(3.2+0.6*rng.NormFloat64())*100) / 100
				ev.Amount = &a
			case p < 0.15:
				ev.EventType = "add_to_cart"
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// propensity is a user's fixed taste for buying, between 0.1 and 3.
func propensity(seed uint64, user int64) float64 {
	r := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(user)))
	return 0.1 + 2.9*r.Float64()*r.Float64()
}
