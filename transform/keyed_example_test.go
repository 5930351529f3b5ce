package transform_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform"
)

// keyedRun applies a transform as a pipeline would, for daily partition p
// (kiln.All when zero), and prints the output.
func keyedRun(tr kiln.Transform, p kiln.Partition, in ...arrow.Table) {
	schemas := make([]*arrow.Schema, len(in))
	for i, t := range in {
		schemas[i] = t.Schema()
	}
	if _, err := tr.OutputSchema(schemas); err != nil {
		fmt.Println("plan:", err)
		return
	}
	out, err := tr.Apply(kiln.NewContext(context.Background(), "example", p), in)
	if err != nil {
		fmt.Println("apply:", err)
		return
	}
	defer out.Release()
	keyedPrint(out)
}

// keyedPrint prints a table: a header line, then one line per row.
func keyedPrint(t arrow.Table) {
	var names []string
	for _, f := range t.Schema().Fields() {
		names = append(names, f.Name)
	}
	fmt.Println(strings.Join(names, " | "))
	rows := make([][]string, t.NumRows())
	for c := range int(t.NumCols()) {
		r := 0
		for _, a := range t.Column(c).Data().Chunks() {
			for i := range a.Len() {
				v := a.ValueStr(i)
				if ts, ok := a.DataType().(*arrow.TimestampType); ok && a.IsValid(i) {
					v = a.(interface{ Value(int) arrow.Timestamp }).Value(i).ToTime(ts.Unit).UTC().Format("01-02 15:04")
				}
				rows[r] = append(rows[r], v)
				r++
			}
		}
	}
	for _, r := range rows {
		fmt.Println(strings.Join(r, " | "))
	}
}

func keyedMust(t arrow.Table, err error) arrow.Table {
	if err != nil {
		panic(err)
	}
	return t
}

func keyedPtr[T any](v T) *T { return &v }

type exampleEvent struct {
	EventID int64     `kiln:"event_id"`
	UserID  *int64    `kiln:"user_id"`
	Type    string    `kiln:"event_type"`
	Amount  *float64  `kiln:"amount"`
	TS      time.Time `kiln:"ts"`
}

func exampleEvents() arrow.Table {
	at := func(h, m int) time.Time { return time.Date(2024, 1, 30, h, m, 0, 0, time.UTC) }
	return keyedMust(kiln.TableOf([]exampleEvent{
		{1, keyedPtr[int64](7), "view", nil, at(9, 0)},
		{2, keyedPtr[int64](7), "purchase", keyedPtr(25.0), at(9, 10)},
		{3, keyedPtr[int64](8), "view", nil, at(9, 12)},
		{2, keyedPtr[int64](7), "purchase", keyedPtr(25.0), at(9, 10)},
		{4, nil, "view", nil, at(9, 20)},
		{5, keyedPtr[int64](7), "purchase", keyedPtr(5.5), at(10, 5)},
		{6, keyedPtr[int64](8), "add_to_cart", nil, at(11, 0)},
	}))
}

func ExampleSort() {
	keyedRun(transform.Sort(transform.Asc("user_id"), transform.Desc("ts")), kiln.All, exampleEvents())
	// Output:
	// event_id | user_id | event_type | amount | ts
	// 5 | 7 | purchase | 5.5 | 01-30 10:05
	// 2 | 7 | purchase | 25 | 01-30 09:10
	// 2 | 7 | purchase | 25 | 01-30 09:10
	// 1 | 7 | view | (null) | 01-30 09:00
	// 6 | 8 | add_to_cart | (null) | 01-30 11:00
	// 3 | 8 | view | (null) | 01-30 09:12
	// 4 | (null) | view | (null) | 01-30 09:20
}

func ExampleDedupe() {
	// Keep each user's latest event; the kept rows stay in input order.
	keyedRun(transform.Dedupe([]string{"user_id"}, transform.KeepFirstBy(transform.Desc("ts"))), kiln.All, exampleEvents())
	// Output:
	// event_id | user_id | event_type | amount | ts
	// 4 | (null) | view | (null) | 01-30 09:20
	// 5 | 7 | purchase | 5.5 | 01-30 10:05
	// 6 | 8 | add_to_cart | (null) | 01-30 11:00
}

func ExampleDistinctRows() {
	keyedRun(transform.DistinctRows(), kiln.All, exampleEvents())
	// Output:
	// event_id | user_id | event_type | amount | ts
	// 1 | 7 | view | (null) | 01-30 09:00
	// 2 | 7 | purchase | 25 | 01-30 09:10
	// 3 | 8 | view | (null) | 01-30 09:12
	// 4 | (null) | view | (null) | 01-30 09:20
	// 5 | 7 | purchase | 5.5 | 01-30 10:05
	// 6 | 8 | add_to_cart | (null) | 01-30 11:00
}

func ExampleGroupBy() {
	daily := transform.Chain(
		transform.Dedupe([]string{"event_id"}, transform.KeepFirst),
		transform.GroupBy("user_id").Agg(
			transform.Count().As("n_events"),
			transform.Sum("amount").As("revenue"),
			transform.Mean("amount").As("avg_purchase"),
			transform.CountDistinct("event_type"),
			transform.LastBy("event_type", "ts").As("last_type"),
		),
	)
	keyedRun(daily, kiln.All, exampleEvents())
	// Output:
	// user_id | n_events | revenue | avg_purchase | count_distinct_event_type | last_type
	// 7 | 3 | 30.5 | 15.25 | 2 | purchase
	// 8 | 2 | (null) | (null) | 2 | add_to_cart
	// (null) | 1 | (null) | (null) | 1 | view
}

type exampleUser struct {
	UserID  int64  `kiln:"user_id"`
	Country string `kiln:"country"`
}

func exampleUsers() arrow.Table {
	return keyedMust(kiln.TableOf([]exampleUser{{7, "fr"}, {9, "de"}, {8, "fr"}}))
}

func ExampleInnerJoin() {
	tr := transform.Chain(
		transform.Dedupe([]string{"event_id"}, transform.KeepFirst),
		transform.GroupBy("user_id").Agg(transform.Count()),
	)
	counts := keyedMust(tr.Apply(kiln.NewContext(context.Background(), "counts", kiln.All), []arrow.Table{exampleEvents()}))
	// Output rows follow the left input; the null user matches nothing.
	keyedRun(transform.InnerJoin("user_id"), kiln.All, counts, exampleUsers())
	// Output:
	// user_id | count | country
	// 7 | 3 | fr
	// 8 | 2 | fr
}

func ExampleLeftJoin() {
	keyedRun(transform.LeftJoin("user_id"), kiln.All, exampleUsers(), keyedMust(kiln.TableOf([]struct {
		UserID int64 `kiln:"user_id"`
		Plan   string
	}{{7, "pro"}, {7, "trial"}, {8, "free"}})))
	// Output:
	// user_id | country | plan
	// 7 | fr | pro
	// 7 | fr | trial
	// 9 | de | (null)
	// 8 | fr | free
}

func ExampleAsOfJoin() {
	// A point-in-time training set: each label sees the latest feature row
	// of its user stamped at or before the label, at most 30 days old.
	type label struct {
		LabelID int64     `kiln:"label_id"`
		UserID  int64     `kiln:"user_id"`
		LabelTS time.Time `kiln:"label_ts"`
	}
	type feature struct {
		UserID    int64     `kiln:"user_id"`
		FeatureTS time.Time `kiln:"feature_ts"`
		Purchases int64     `kiln:"purchases_7d"`
	}
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	labels := keyedMust(kiln.TableOf([]label{{1, 7, day(10).Add(time.Hour)}, {2, 7, day(3)}, {3, 8, day(20)}, {4, 9, day(20)}}))
	features := keyedMust(kiln.TableOf([]feature{{7, day(2), 1}, {7, day(10), 4}, {7, day(11), 6}, {8, day(5), 2}}))
	tr := transform.AsOfJoin(transform.AsOf{
		By: []string{"user_id"}, LeftTime: "label_ts", RightTime: "feature_ts", Tolerance: 30 * kiln.Day,
	})
	keyedRun(tr, kiln.All, labels, features)
	// Output:
	// label_id | user_id | label_ts | feature_ts | purchases_7d
	// 1 | 7 | 01-10 01:00 | 01-10 00:00 | 4
	// 2 | 7 | 01-03 00:00 | 01-02 00:00 | 1
	// 3 | 8 | 01-20 00:00 | 01-05 00:00 | 2
	// 4 | 9 | 01-20 00:00 | (null) | (null)
}

type exampleDaily struct {
	UserID     int64             `kiln:"user_id"`
	DT         kiln.CalendarDate `kiln:"dt"`
	NPurchases int64             `kiln:"n_purchases"`
	Revenue    float64           `kiln:"revenue"`
}

func exampleDailyRows() arrow.Table {
	d := func(day int) kiln.CalendarDate {
		return kiln.CalendarDate(time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}
	return keyedMust(kiln.TableOf([]exampleDaily{
		{7, d(1), 1, 10}, {7, d(3), 2, 5.5}, {8, d(5), 4, 100}, {7, d(8), 0, 0}, {7, d(9), 1, 2.25},
	}))
}

func ExampleRolling() {
	// FPB P1 step 3: per user, over that user's daily rows.
	tr := transform.Rolling(transform.RollingWindows{
		By: []string{"user_id"}, Time: "dt",
		Windows: []transform.Window{
			transform.Over(7*kiln.Day, transform.Sum("n_purchases").As("purchases_7d")), // dt-6..dt
			transform.Over(30*kiln.Day, transform.Sum("revenue").As("revenue_30d")),     // dt-29..dt
		},
	})
	keyedRun(tr, kiln.All, exampleDailyRows())
	// Output:
	// user_id | dt | n_purchases | revenue | purchases_7d | revenue_30d
	// 7 | 2024-01-01 | 1 | 10 | 1 | 10
	// 7 | 2024-01-03 | 2 | 5.5 | 3 | 15.5
	// 8 | 2024-01-05 | 4 | 100 | 4 | 100
	// 7 | 2024-01-08 | 0 | 0 | 2 | 15.5
	// 7 | 2024-01-09 | 1 | 2.25 | 3 | 17.75
}

func ExampleRolling_atPartitionEnd() {
	// One row per user, as of the end of partition dt=2024-01-08: the
	// window [end-7d, end) holds days 01-02..01-08.
	tr := transform.Rolling(transform.RollingWindows{
		By: []string{"user_id"}, Time: "dt", AtPartitionEnd: true,
		Windows: []transform.Window{
			transform.Over(7*kiln.Day, transform.Sum("n_purchases").As("purchases_7d")),
			transform.Over(7*kiln.Day, transform.Count().As("active_days_7d")),
		},
	})
	keyedRun(tr, kiln.Date(2024, 1, 8), exampleDailyRows())
	// Output:
	// user_id | purchases_7d | active_days_7d
	// 7 | 2 | 2
	// 8 | 4 | 1
}

func ExampleSessionize() {
	cfg := transform.Session{By: []string{"user_id"}, Time: "ts", Gap: 30 * time.Minute}
	keyedRun(transform.Chain(transform.DistinctRows(), transform.Sessionize(cfg)), kiln.All, exampleEvents())
	// Output:
	// event_id | user_id | event_type | amount | ts | session_id | session_start | session_end | session_events
	// 1 | 7 | view | (null) | 01-30 09:00 | 1 | 01-30 09:00 | 01-30 09:10 | 2
	// 2 | 7 | purchase | 25 | 01-30 09:10 | 1 | 01-30 09:00 | 01-30 09:10 | 2
	// 3 | 8 | view | (null) | 01-30 09:12 | 1 | 01-30 09:12 | 01-30 09:12 | 1
	// 4 | (null) | view | (null) | 01-30 09:20 | 1 | 01-30 09:20 | 01-30 09:20 | 1
	// 5 | 7 | purchase | 5.5 | 01-30 10:05 | 2 | 01-30 10:05 | 01-30 10:05 | 1
	// 6 | 8 | add_to_cart | (null) | 01-30 11:00 | 2 | 01-30 11:00 | 01-30 11:00 | 1
}

func ExampleSessions() {
	cfg := transform.Session{By: []string{"user_id"}, Time: "ts", Gap: 30 * time.Minute}
	keyedRun(transform.Sessions(cfg), kiln.All, exampleEvents())
	// Output:
	// user_id | session_id | session_start | session_end | session_events
	// 7 | 1 | 01-30 09:00 | 01-30 09:10 | 3
	// 7 | 2 | 01-30 10:05 | 01-30 10:05 | 1
	// 8 | 1 | 01-30 09:12 | 01-30 09:12 | 1
	// 8 | 2 | 01-30 11:00 | 01-30 11:00 | 1
	// (null) | 1 | 01-30 09:20 | 01-30 09:20 | 1
}
