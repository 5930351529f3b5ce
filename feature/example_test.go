package feature_test

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
)

func ExamplePointInTimeJoin() {
	type purchases struct {
		UserID int64     `kiln:"user_id"`
		TS     time.Time `kiln:"ts"`
		Total  float64   `kiln:"total"`
	}
	type label struct {
		UserID  int64     `kiln:"user_id"`
		LabelTS time.Time `kiln:"label_ts"`
	}
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	feats, _ := kiln.TableOf([]purchases{{1, day(1), 10}, {1, day(3), 30}, {2, day(1), 5}})
	labels, _ := kiln.TableOf([]label{{1, day(2)}, {1, day(3)}, {2, day(9)}, {3, day(3)}})

	g := &feature.Group{Name: "purchases", Version: 1, Entity: feature.NewEntity("user", "user_id"),
		EventTime: "ts", TTL: 7 * kiln.Day, Features: []feature.Feature{{Name: "total"}}}
	out, err := feature.PointInTimeJoin(context.Background(), labels,
		feature.TrainingSpec{Time: "label_ts", Features: []string{"purchases:total"}},
		feature.GroupData{Group: g, Table: feats})
	if err != nil {
		fmt.Println(err)
		return
	}
	type row struct {
		UserID  int64     `kiln:"user_id"`
		LabelTS time.Time `kiln:"label_ts"`
		Total   *float64  `kiln:"total"`
	}
	rows, _ := kiln.Rows[row](out)
	for _, r := range rows {
		total := "null"
		if r.Total != nil {
			total = fmt.Sprint(*r.Total)
		}
		fmt.Println(r.UserID, r.LabelTS.Format(time.DateOnly), total)
	}
	// Output:
	// 1 2024-01-02 10
	// 1 2024-01-03 30
	// 2 2024-01-09 null
	// 3 2024-01-03 null
}

type visit struct {
	UserID int64     `kiln:"user_id"`
	TS     time.Time `kiln:"ts"`
	Visits int64     `kiln:"visits"`
}

func exampleVisits(ctx *kiln.Context, _ struct{}) iter.Seq2[visit, error] {
	return func(yield func(visit, error) bool) {
		end := ctx.Partition().End()
		for u := int64(1); u <= 3; u++ {
			if !yield(visit{UserID: u, TS: end, Visits: u * int64(end.Day())}, nil) {
				return
			}
		}
	}
}

func ExampleOnline() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "kiln-example")
	defer os.RemoveAll(dir)

	p := kiln.New("example", kiln.WithLake(filepath.Join(dir, "lake")), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	visits := p.Source("gold.visits", kiln.SourceFunc("example.visits", "v1", exampleVisits))
	days, _ := kiln.Days("2024-01-01", "2024-01-03")
	if _, err := p.Backfill(ctx, days); err != nil {
		fmt.Println(err)
		return
	}
	g := &feature.Group{Name: "visits", Version: 1, Entity: feature.NewEntity("user", "user_id"),
		EventTime: "ts", TTL: 2 * kiln.Day, Node: visits, Features: []feature.Feature{{Name: "visits"}}}

	o, err := feature.OpenOnline(ctx, "bolt://"+filepath.Join(dir, "online.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer o.Close()
	res, err := o.Materialize(ctx, g)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("materialized", len(res.Partitions), "partitions,", res.Written, "entities")

	at := time.Date(2024, 1, 4, 12, 0, 0, 0, time.UTC)
	r, _ := o.Lookup(ctx, feature.Request{Features: []string{"visits:visits"}, Keys: []feature.Key{{int64(2)}, {int64(9)}}, At: at})
	fmt.Println(r.Rows)
	r, _ = o.Lookup(ctx, feature.Request{Features: []string{"visits:visits"}, Keys: []feature.Key{{int64(2)}}, At: at.Add(3 * kiln.Day)})
	fmt.Println("after the TTL:", r.Rows)
	again, _ := o.Materialize(ctx, g)
	fmt.Println("rerun wrote", again.Written)
	// Output:
	// materialized 3 partitions, 3 entities
	// [[8] [<nil>]]
	// after the TTL: [[<nil>]]
	// rerun wrote 0
}
