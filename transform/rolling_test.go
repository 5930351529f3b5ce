package transform

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform/transformtest"
)

// rollingDaily is a daily feature table like FPB P1 step 2's output,
// ordered by (dt, user).
func rollingDaily(t testing.TB) arrow.Table {
	s := keyedSchema("user", arrow.PrimitiveTypes.Int64, "dt", arrow.FixedWidthTypes.Date32,
		"n_purchases", arrow.PrimitiveTypes.Int64, "revenue", arrow.PrimitiveTypes.Float64, "n_events", arrow.PrimitiveTypes.Int64)
	return keyedTable(t, s, 4,
		[]any{1, "2024-01-01", 1, 10.0, 5},
		[]any{1, "2024-01-03", 2, 5.5, 3},
		[]any{2, "2024-01-05", 4, 100.0, 9},
		[]any{1, "2024-01-08", 0, 0.0, 1},
		[]any{1, "2024-01-09", 1, 2.25, 2},
		[]any{1, "2024-02-05", 3, 1.0, 4},
	)
}

// rollingP1 is FPB P1 step 3.
var rollingP1 = RollingWindows{By: []string{"user"}, Time: "dt", Windows: []Window{
	Over(7*kiln.Day, Sum("n_purchases").As("purchases_7d")),
	Over(30*kiln.Day, Sum("revenue").As("revenue_30d")),
	Over(30*kiln.Day, Sum("n_events").As("events_30d")),
}}

func TestRollingFPBDailyFeatures(t *testing.T) {
	out := keyedApply(t, Rolling(rollingP1), rollingDaily(t))
	assert.Equal(t, []string{"user", "dt", "n_purchases", "revenue", "n_events", "purchases_7d", "revenue_30d", "events_30d"}, fieldNames(out.Schema()))
	var got [][]any
	for _, r := range keyedRows(t, out) {
		got = append(got, r[5:])
	}
	assert.Equal(t, [][]any{
		{int64(1), 10.0, int64(5)},   // u1 01-01
		{int64(3), 15.5, int64(8)},   // u1 01-03: 7d window is 12-28..01-03
		{int64(4), 100.0, int64(9)},  // u2 01-05
		{int64(2), 15.5, int64(9)},   // u1 01-08: 01-02..01-08 leaves out 01-01
		{int64(3), 17.75, int64(11)}, // u1 01-09
		{int64(3), 3.25, int64(7)},   // u1 02-05: 30d is 01-07..02-05
	}, got)
}

func TestRollingClosedAndAggregates(t *testing.T) {
	s := keyedSchema("k", arrow.BinaryTypes.String, "ts", keyedTS, "x", arrow.PrimitiveTypes.Float64)
	in := keyedTable(t, s, 3,
		[]any{"a", "2024-01-01 00:00", 1.0},
		[]any{"a", "2024-01-01 01:00", nil},
		[]any{"a", "2024-01-01 02:00", 4.0},
		[]any{"a", "2024-01-01 01:00", 2.0}, // ties with row 1
		[]any{"a", nil, 8.0},
		[]any{nil, "2024-01-01 00:30", 16.0},
	)
	aggs := []Window{
		Over(time.Hour, Count()), Over(time.Hour, CountNonNull("x")), Over(time.Hour, Sum("x")),
		Over(time.Hour, Mean("x")), Over(time.Hour, Min("x")), Over(time.Hour, Max("x")),
	}
	for _, tc := range []struct {
		closed string
		want   [][]any // count, count_non_null, sum, mean, min, max
	}{
		{"right", [][]any{ // (t-1h, t]
			{int64(1), int64(1), 1.0, 1.0, 1.0, 1.0},
			{int64(2), int64(1), 2.0, 2.0, 2.0, 2.0}, // 01:00 and its tie
			{int64(1), int64(1), 4.0, 4.0, 4.0, 4.0},
			{int64(2), int64(1), 2.0, 2.0, 2.0, 2.0},
			{int64(0), int64(0), nil, nil, nil, nil}, // null time
			{int64(1), int64(1), 16.0, 16.0, 16.0, 16.0},
		}},
		{"both", [][]any{ // [t-1h, t]
			{int64(1), int64(1), 1.0, 1.0, 1.0, 1.0},
			{int64(3), int64(2), 3.0, 1.5, 1.0, 2.0},
			{int64(3), int64(2), 6.0, 3.0, 2.0, 4.0},
			{int64(3), int64(2), 3.0, 1.5, 1.0, 2.0},
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(1), int64(1), 16.0, 16.0, 16.0, 16.0},
		}},
		{"left", [][]any{ // [t-1h, t): the past hour, excluding now
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(1), int64(1), 1.0, 1.0, 1.0, 1.0},
			{int64(2), int64(1), 2.0, 2.0, 2.0, 2.0},
			{int64(1), int64(1), 1.0, 1.0, 1.0, 1.0},
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(0), int64(0), nil, nil, nil, nil},
		}},
		{"neither", [][]any{
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(0), int64(0), nil, nil, nil, nil},
			{int64(0), int64(0), nil, nil, nil, nil},
		}},
	} {
		t.Run(tc.closed, func(t *testing.T) {
			out := keyedApply(t, Rolling(RollingWindows{By: []string{"k"}, Time: "ts", Windows: aggs, Closed: tc.closed}), in)
			var got [][]any
			for _, r := range keyedRows(t, out) {
				got = append(got, r[3:])
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func rollingApplyAt(t *testing.T, tr kiln.Transform, p kiln.Partition, in arrow.Table) arrow.Table {
	t.Helper()
	want, err := tr.OutputSchema([]*arrow.Schema{in.Schema()})
	require.NoError(t, err)
	out, err := tr.Apply(kiln.NewContext(context.Background(), "test", p), []arrow.Table{in})
	require.NoError(t, err)
	require.True(t, want.Equal(out.Schema()), "declared %s, got %s", want, out.Schema())
	return out
}

func TestRollingAtPartitionEnd(t *testing.T) {
	cfg := rollingP1
	cfg.AtPartitionEnd = true
	out := rollingApplyAt(t, Rolling(cfg), kiln.Date(2024, 1, 9), rollingDaily(t))
	assert.Equal(t, []string{"user", "purchases_7d", "revenue_30d", "events_30d"}, fieldNames(out.Schema()))
	assert.Equal(t, [][]any{
		{int64(1), int64(3), 17.75, int64(11)}, // 7d: 01-03..01-09; 02-05 is after the partition
		{int64(2), int64(4), 100.0, int64(9)},
	}, keyedRows(t, out))
	out = rollingApplyAt(t, Rolling(cfg), kiln.Date(2024, 3, 30), rollingDaily(t))
	assert.Equal(t, [][]any{{int64(1), nil, nil, nil}, {int64(2), nil, nil, nil}}, keyedRows(t, out),
		"entities with no row in the window: null sums")
	_, err := Rolling(cfg).Apply(kiln.NewContext(context.Background(), "t", kiln.All), []arrow.Table{rollingDaily(t)})
	assert.ErrorContains(t, err, "logical time")
}

func TestRollingErrors(t *testing.T) {
	in := rollingDaily(t)
	for _, tc := range []struct {
		cfg RollingWindows
		msg string
	}{
		{RollingWindows{Time: "dt", Windows: []Window{Over(36*time.Hour, Count())}}, "whole number"},
		{RollingWindows{Time: "dt", Windows: []Window{Over(kiln.Day, Var("revenue"))}}, "not a window aggregate"},
		{RollingWindows{Time: "dt", Windows: []Window{Over(0, Count())}}, "not positive"},
		{RollingWindows{Time: "dt"}, "no windows"},
		{RollingWindows{Time: "user", Windows: []Window{Over(kiln.Day, Count())}}, "has type int64"},
		{RollingWindows{Time: "dt", Closed: "open", Windows: []Window{Over(kiln.Day, Count())}}, "closed"},
		{RollingWindows{Time: "dt", Windows: []Window{Over(kiln.Day, Count().As("dt"))}}, "named twice"},
	} {
		_, err := keyedTry(Rolling(tc.cfg), in)
		assert.ErrorContains(t, err, tc.msg)
	}
	assert.Equal(t, "sum_revenue_7d", Over(7*kiln.Day, Sum("revenue")).Output())
	assert.Equal(t, "count_90m", Over(90*time.Minute, Count()).Output())
}

func TestRollingRandomMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 23))
	s := keyedSchema("k", arrow.PrimitiveTypes.Int64, "ts", keyedTS, "x", arrow.PrimitiveTypes.Float64, "n", arrow.PrimitiveTypes.Int32)
	n := 3000
	rows := make([][]any, n)
	for i := range rows {
		var k, ts, x any = r.IntN(25), r.IntN(500), math.Round(r.NormFloat64()*1000) / 8
		if r.IntN(40) == 0 {
			k = nil
		}
		if r.IntN(40) == 0 {
			ts = nil
		}
		if r.IntN(6) == 0 {
			x = nil
		}
		rows[i] = []any{k, ts, x, r.IntN(100) - 50}
	}
	in := keyedTable(t, s, 600, rows...)
	const L = 37 // microseconds
	for _, closed := range []string{"right", "both", "left", "neither"} {
		cfg := RollingWindows{By: []string{"k"}, Time: "ts", Closed: closed, Windows: []Window{
			Over(L*time.Microsecond, Count()), Over(L*time.Microsecond, Sum("x")), Over(L*time.Microsecond, Mean("x")),
			Over(L*time.Microsecond, Min("x")), Over(L*time.Microsecond, Max("x")), Over(L*time.Microsecond, Sum("n")),
		}}
		loIn, hiIn := closed == "both" || closed == "left", closed == "both" || closed == "right"
		var want [][]any
		for _, row := range rows {
			if row[1] == nil {
				want = append(want, []any{int64(0), nil, nil, nil, nil, nil})
				continue
			}
			t0 := row[1].(int)
			cnt, cx, sn := 0, 0, 0
			sx, mn, mx := 0.0, math.Inf(1), math.Inf(-1)
			for _, o := range rows {
				if o[0] != row[0] || o[1] == nil {
					continue
				}
				u := o[1].(int)
				if u < t0-L || (!loIn && u == t0-L) || u > t0 || (!hiIn && u == t0) {
					continue
				}
				cnt++
				sn += o[3].(int)
				if o[2] != nil {
					v := o[2].(float64)
					cx++
					sx += v
					mn, mx = min(mn, v), max(mx, v)
				}
			}
			w := []any{int64(cnt), nil, nil, nil, nil, nil}
			if cx > 0 {
				w[1], w[2], w[3], w[4] = sx, sx/float64(cx), mn, mx
			}
			if cnt > 0 {
				w[5] = int64(sn)
			}
			want = append(want, w)
		}
		var got [][]any
		for _, row := range keyedRows(t, keyedApply(t, Rolling(cfg), in)) {
			got = append(got, row[4:])
		}
		keyedRowsEqual(t, want, got, closed)
	}
}

func TestRollingWindowSumsAreExactForSingleValues(t *testing.T) {
	// A large value leaving the window must not leave rounding residue.
	s := keyedSchema("ts", keyedTS, "x", arrow.PrimitiveTypes.Float64)
	in := keyedTable(t, s, 0, []any{0, 1e17}, []any{5, 0.1}, []any{20, 0.3}, []any{21, 0.7})
	out := keyedRows(t, keyedApply(t, Rolling(RollingWindows{Time: "ts", Windows: []Window{Over(10*time.Microsecond, Sum("x"))}}), in))
	assert.Equal(t, []any{1e17, 1e17 + 0.1, 0.3, 0.3 + 0.7}, []any{out[0][2], out[1][2], out[2][2], out[3][2]})
}

func TestRollingLineageAndSameAtAnyParallelism(t *testing.T) {
	big := keyedBig(t, 210_000)
	cfg := RollingWindows{By: []string{"user"}, Time: "ts", Windows: []Window{
		Over(time.Hour, Sum("amount")), Over(24*time.Hour, Mean("amount")), Over(time.Hour, Max("item")), Over(time.Hour, Count()),
	}}
	keyedSameAtAnyParallelism(t, Rolling(cfg), big)
	l, err := Rolling(cfg).ColumnLineage([]*arrow.Schema{big.Schema()})
	require.NoError(t, err)
	assert.Contains(t, l["sum_amount_1h"], ref(0, "amount", "DIRECT", "AGGREGATION"))
	assert.Contains(t, l["sum_amount_1h"], ref(0, "ts", "INDIRECT", "WINDOW"))
	assert.Equal(t, []kiln.ColumnRef{ref(0, "qty", "DIRECT", "IDENTITY")}, l["qty"])
}

func TestRollingGolden(t *testing.T) {
	transformtest.Golden(t, Rolling(rollingP1), []arrow.Table{rollingDaily(t)}, "testdata/rolling_p1")
}
