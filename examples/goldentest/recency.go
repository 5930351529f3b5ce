package main

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// Purchase is one row of the input: a user's purchase.
type Purchase struct {
	UserID int64     `kiln:"user_id"`
	TS     time.Time `kiln:"ts"`
	Amount *float64  `kiln:"amount"` // null when the payment provider has not confirmed it yet
}

// Recency is one row of the output: a user's recency features.
type Recency struct {
	UserID        int64     `kiln:"user_id"`
	Purchases     int64     `kiln:"purchases"`
	LastPurchase  time.Time `kiln:"last_purchase"`
	DaysSinceLast float64   `kiln:"days_since_last"`
	DecayedSpend  float64   `kiln:"decayed_spend"`
}

// RecencyConfig configures the transform. It is plain data: kiln hashes it
// into the fingerprint (and the golden file records it).
type RecencyConfig struct {
	// HalfLifeDays is how fast old spend fades: a purchase HalfLifeDays
	// old counts half.
	HalfLifeDays float64 `json:"half_life_days"`
}

// recency computes, per user, as of the run's logical time (ctx.Time(): the
// end of the partition, never the wall clock): the number of purchases, the
// last one, the days since it, and the spend with exponential decay.
//
// Purchases after the logical time are ignored (a backfill must not see the
// future), and so are unconfirmed amounts (null) in the spend. Users with no
// purchase up to the logical time have no row. Output order: user_id
// ascending. Spend is summed in input order, so the float result does not
// depend on anything but the input.
//
// The version, "v1", names this logic: change the function, bump it (the
// golden test fails with "bump the version" when you forget).
var recency = kiln.Func("goldentest.recency", "v1", computeRecency)

// computeRecency is recency's function. kiln.Func turns a function of this
// shape (a Context, a typed config, the input table) into a kiln.Transform.
// It must accept an empty input: kiln calls it on one at plan time to learn
// the output schema.
func computeRecency(ctx *kiln.Context, cfg RecencyConfig, in arrow.Table) (arrow.Table, error) {
	rows, err := kiln.Rows[Purchase](in)
	if err != nil {
		return nil, err
	}
	asOf := ctx.Time()
	byUser := map[int64]*Recency{}
	for _, p := range rows {
		if p.TS.After(asOf) {
			continue
		}
		r := byUser[p.UserID]
		if r == nil {
			r = &Recency{UserID: p.UserID}
			byUser[p.UserID] = r
		}
		r.Purchases++
		if p.TS.After(r.LastPurchase) {
			r.LastPurchase = p.TS
		}
		if p.Amount != nil {
			// The explicit float64 conversion keeps the compiler from fusing
			// the multiply and the add into one FMA instruction on some CPUs
			// (arm64), which would change the last bits of the sum and so the
			// content hash. Rounding to cents keeps the feature readable.
			r.DecayedSpend += float64(*p.Amount * math.Exp2(-days(asOf.Sub(p.TS))/cfg.HalfLifeDays))
		}
	}
	out := make([]Recency, 0, len(byUser))
	for _, r := range byUser {
		r.DaysSinceLast = days(asOf.Sub(r.LastPurchase))
		r.DecayedSpend = math.Round(r.DecayedSpend*100) / 100
		out = append(out, *r)
	}
	// A Go map has no order: sort, so the output has a documented one.
	slices.SortFunc(out, func(a, b Recency) int { return cmp.Compare(a.UserID, b.UserID) })
	return kiln.TableOf(out)
}

// days is d in days.
func days(d time.Duration) float64 { return float64(d) / float64(24*time.Hour) }
