package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ev is one hand-written event.
type ev struct {
	id     int64
	user   int64 // 0: null
	kind   string
	amount float64
	ts     time.Time
}

// day returns midnight UTC of 2024-01-(1+d) plus off.
func day(d int, off time.Duration) time.Time { return firstDay.AddDate(0, 0, d).Add(off) }

// writeEvents writes events in the FPB layout, one file per day.
func writeEvents(t *testing.T, dir string, events []ev) {
	byDay := map[int][]ev{}
	for _, e := range events {
		d := int(e.ts.Sub(firstDay) / (24 * time.Hour))
		byDay[d] = append(byDay[d], e)
	}
	for d, es := range byDay {
		b := array.NewRecordBuilder(memory.DefaultAllocator, eventsSchema)
		for _, e := range es {
			b.Field(0).(*array.Int64Builder).Append(e.id)
			if e.user == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.Int64Builder).Append(e.user)
			}
			b.Field(2).(*array.Int64Builder).Append(7)
			b.Field(3).(*array.StringBuilder).Append(e.kind)
			if e.kind == "purchase" {
				b.Field(4).(*array.Float64Builder).Append(e.amount)
			} else {
				b.Field(4).AppendNull()
			}
			b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(e.ts.UnixMicro()))
		}
		rec := b.NewRecordBatch()
		require.NoError(t, writeTable(context.Background(), dayFile(dir, d), rec))
		rec.Release()
		b.Release()
	}
}

// writeLabelRows writes labels.parquet from (user, label_ts) pairs.
func writeLabelRows(t *testing.T, dir string, users []int64, ts []time.Time) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, labelsSchema)
	defer b.Release()
	for i := range users {
		b.Field(0).(*array.Int64Builder).Append(int64(i) + 1)
		b.Field(1).(*array.Int64Builder).Append(users[i])
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(ts[i].UnixMicro()))
		b.Field(3).(*array.Int64Builder).Append(int64(i % 2))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	require.NoError(t, writeTable(context.Background(), filepath.Join(dir, "labels.parquet"), rec))
}

// TestEdges runs both engines, in this process, on hand-written data at
// the boundaries of P1 and P2: midnight and the day's last microsecond,
// window edges 6/7 and 29/30 days back, exact duplicates, null users,
// days without purchases, labels exactly at feature_ts and exactly 30 days
// after it, and labels without any feature row.
func TestEdges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const last = 24*time.Hour - time.Microsecond
	events := []ev{
		{1, 1, "view", 0, day(0, 0)},
		{2, 1, "purchase", 10.25, day(0, last)},
		{2, 1, "purchase", 10.25, day(0, last)},   // exact copy
		{3, 0, "purchase", 99, day(0, time.Hour)}, // null user
		{4, 2, "add_to_cart", 0, day(0, time.Hour)},
		{5, 1, "purchase", 1.5, day(6, 0)},
		{6, 1, "purchase", 2.5, day(7, time.Minute)},
		{7, 1, "view", 0, day(29, 0)},
		{8, 2, "purchase", 3, day(29, last)},
		{9, 2, "view", 0, day(30, 0)},
		{10, 3, "view", 0, day(0, 2*time.Hour)},
	}
	writeEvents(t, dir, events)
	// Each label's expected dt (the matched P1 row), "" for none.
	labels := []struct {
		user int64
		ts   time.Time
		dt   string
	}{
		{1, day(1, 0), "2024-01-01"},       // exactly day 0's feature_ts (dt + 1 day): matches
		{1, day(1, -time.Microsecond), ""}, // just before it: nothing known yet
		{1, day(8, 0), "2024-01-08"},       // exactly day 7's feature_ts
		{3, day(31, 0), "2024-01-01"},      // exactly 30 days after day 0's feature_ts: matches
		{3, day(31, time.Microsecond), ""}, // 1 µs later: too old
		{4, day(5, 0), ""},                 // a user without events
		{2, day(31, 0), "2024-01-31"},      // the latest of three candidate days
	}
	users := make([]int64, len(labels))
	ts := make([]time.Time, len(labels))
	for i, l := range labels {
		users[i], ts[i] = l.user, l.ts
	}
	writeLabelRows(t, dir, users, ts)

	db, err := openDuck(ctx, 2)
	require.NoError(t, err)
	defer db.Close()
	out := func(engine, work string) string { return filepath.Join(dir, "out", engine+"-"+work+".parquet") }
	for _, work := range []string{"p1", "p2"} {
		for _, engine := range []string{"kiln", "duckdb"} {
			_, err := runJob(ctx, job{Engine: engine, Work: work, Data: dir, P1: out(engine, "p1"), Out: out(engine, work), Threads: 2, Dedupe: "qualify"})
			require.NoError(t, err, "%s %s", engine, work)
		}
		a, err := compare(ctx, db, out("kiln", work), out("duckdb", work))
		require.NoError(t, err)
		assert.True(t, a.OK(), "%s: %s", work, a)
	}

	// Spot-check DuckDB's (and so kiln's) answers against the semantics.
	var p7, e30 int64
	var rev30 float64
	require.NoError(t, db.QueryRow(`SELECT purchases_7d, revenue_30d, events_30d FROM read_parquet(`+sqlString(out("kiln", "p1"))+`)
		WHERE user_id = 1 AND dt = DATE '2024-01-07'`).Scan(&p7, &rev30, &e30))
	assert.Equal(t, int64(2), p7, "dt-6..dt includes day 0 (the copy dropped)")
	assert.InDelta(t, 11.75, rev30, 1e-9)
	assert.Equal(t, int64(3), e30)
	require.NoError(t, db.QueryRow(`SELECT purchases_7d FROM read_parquet(`+sqlString(out("kiln", "p1"))+`)
		WHERE user_id = 1 AND dt = DATE '2024-01-08'`).Scan(&p7))
	assert.Equal(t, int64(2), p7, "day 0 falls out of the 7-day window on day 7")
	rows, err := db.Query(`SELECT coalesce(CAST(dt AS VARCHAR), '') FROM read_parquet(` + sqlString(out("kiln", "p2")) + `) ORDER BY label_id`)
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var dt string
		require.NoError(t, rows.Scan(&dt))
		got = append(got, dt)
	}
	require.NoError(t, rows.Err())
	want := make([]string, len(labels))
	for i, l := range labels {
		want[i] = l.dt
	}
	assert.Equal(t, want, got)
}
