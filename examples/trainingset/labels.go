package main

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// Label is one row of the label table: did the user buy anything in the 7
// days after label_ts? A model trained on it predicts purchases from what
// was known at label_ts, and nothing later.
type Label struct {
	UserID    int64     `kiln:"user_id"`
	LabelTS   time.Time `kiln:"label_ts"`
	Purchased int64     `kiln:"purchased_next_7d"` // 1 or 0
}

// makeLabels samples n (user, time) pairs between first and last (label
// times at random moments of those days, users with the log's skew) and
// labels each from the committed event log: 1 when the user has a purchase
// in (label_ts, label_ts + 7 days]. Labels are ordered by time, then user.
func makeLabels(ctx context.Context, lakeDir string, gen GenConfig, n int, first, last kiln.Partition) (arrow.Table, error) {
	// The outcome: every purchase in the lake, by user, in time order.
	src := source.Parquet(kiln.DatasetDir(lakeDir, "bronze.shop_events"), source.Columns("user_id", "event_type", "ts"))
	tbl, err := src.Read(kiln.NewContext(ctx, "labels", kiln.All))
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	type row struct {
		UserID    int64     `kiln:"user_id"`
		EventType string    `kiln:"event_type"`
		TS        time.Time `kiln:"ts"`
	}
	rows, err := kiln.Rows[row](tbl)
	if err != nil {
		return nil, err
	}
	purchases := map[int64][]time.Time{}
	for _, r := range rows {
		if r.EventType == "purchase" {
			purchases[r.UserID] = append(purchases[r.UserID], r.TS) // the log is in time order
		}
	}

	rng := rand.New(rand.NewPCG(gen.Seed, 1<<40))
	days := int(last.Start().Sub(first.Start())/kiln.Day) + 1
	labels := make([]Label, n)
	for i := range labels {
		r := rng.Float64()
		l := Label{
			UserID:  1 + int64(float64(gen.Users)*r*r),
			LabelTS: first.Start().Add(time.Duration(rng.Int64N(int64(days)*int64(kiln.Day/time.Second))) * time.Second),
		}
		ts := purchases[l.UserID]
		j, _ := slices.BinarySearchFunc(ts, l.LabelTS, func(a, b time.Time) int { return a.Compare(b) })
		for j < len(ts) && !ts[j].After(l.LabelTS) {
			j++
		}
		if j < len(ts) && !ts[j].After(l.LabelTS.Add(7*kiln.Day)) {
			l.Purchased = 1
		}
		labels[i] = l
	}
	slices.SortStableFunc(labels, func(a, b Label) int {
		return cmp.Or(a.LabelTS.Compare(b.LabelTS), cmp.Compare(a.UserID, b.UserID))
	})
	return kiln.TableOf(labels)
}
