package transform

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/transform/transformtest"
)

func asofTestTables(t testing.TB) (arrow.Table, arrow.Table) {
	ls := keyedSchema("user", arrow.PrimitiveTypes.Int64, "label_ts", keyedTS, "label", arrow.PrimitiveTypes.Int64)
	rs := keyedSchema("user", arrow.PrimitiveTypes.Int64, "feature_ts", keyedTS, "f", arrow.PrimitiveTypes.Float64)
	left := keyedTable(t, ls, 2,
		[]any{1, "2024-01-10 12:00", 0}, // latest feature at or before: 01-10 12:00 (tie: last in input order)
		[]any{1, "2024-01-05 00:00", 1}, // before any feature of user 1
		[]any{2, "2024-01-20 00:00", 0}, // user 2: 01-02, too old for a 7-day tolerance
		[]any{nil, "2024-01-20 00:00", 1},
		[]any{3, nil, 0},
		[]any{1, "2024-01-09 00:00", 1},
		[]any{4, "2024-01-09 00:00", 1}, // no such user on the right
	)
	right := keyedTable(t, rs, 3,
		[]any{1, "2024-01-08 00:00", 1.0},
		[]any{1, "2024-01-10 12:00", 2.0},
		[]any{2, "2024-01-02 00:00", 3.0},
		[]any{1, "2024-01-06 00:00", 4.0},
		[]any{1, "2024-01-10 12:00", 5.0},
		[]any{nil, "2024-01-01 00:00", 6.0},
		[]any{1, nil, 7.0},
		[]any{3, "2024-01-01 00:00", 8.0},
	)
	return left, right
}

func TestAsOfJoin(t *testing.T) {
	left, right := asofTestTables(t)
	for _, tc := range []struct {
		name string
		cfg  AsOf
		want []any // column f
	}{
		{"latest at or before, ties to the last right row", AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts"},
			[]any{5.0, nil, 3.0, nil, nil, 1.0, nil}},
		{"tolerance", AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", Tolerance: 7 * kiln.Day},
			[]any{5.0, nil, nil, nil, nil, 1.0, nil}},
		{"strict", AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", Strict: true},
			[]any{1.0, nil, 3.0, nil, nil, 1.0, nil}},
		{"tolerance boundary is inclusive", AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", Tolerance: 18 * kiln.Day},
			[]any{5.0, nil, 3.0, nil, nil, 1.0, nil}},
		{"no keys", AsOf{LeftTime: "label_ts", RightTime: "feature_ts"},
			[]any{5.0, 3.0, 5.0, 5.0, nil, 1.0, 1.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := keyedApply(t, AsOfJoin(tc.cfg), left, right)
			rows := keyedRows(t, out)
			var got []any
			for i, r := range rows {
				got = append(got, r[len(r)-1])
				lrow := keyedRows(t, left)[i]
				assert.Equal(t, lrow, r[:3], "left columns kept in input order")
			}
			assert.Equal(t, tc.want, got)
		})
	}
	out := keyedApply(t, AsOfJoin(AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts"}), left, right)
	assert.Equal(t, []string{"user", "label_ts", "label", "feature_ts", "f"}, fieldNames(out.Schema()))
	assert.Equal(t, "2024-01-10T12:00:00Z", keyedRows(t, out)[0][3])
}

func TestAsOfJoinMixedUnits(t *testing.T) {
	// Left: timestamps in seconds; right: dates (midnight UTC), as a
	// feature table keyed by day.
	ls := keyedSchema("k", arrow.BinaryTypes.String, "at", &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"})
	rs := keyedSchema("k", arrow.BinaryTypes.String, "dt", arrow.FixedWidthTypes.Date32, "v", arrow.PrimitiveTypes.Int64)
	left := keyedTable(t, ls, 0, []any{"a", "2024-01-03 00:00"}, []any{"a", "2024-01-02 23:59"}, []any{"b", "2024-03-01 00:00"})
	right := keyedTable(t, rs, 0, []any{"a", "2024-01-01", 1}, []any{"a", "2024-01-03", 3}, []any{"b", "2024-01-30", 9})
	cfg := AsOf{By: []string{"k"}, LeftTime: "at", RightTime: "dt", Tolerance: 30 * kiln.Day}
	out := keyedRows(t, keyedApply(t, AsOfJoin(cfg), left, right))
	assert.Equal(t, []any{int64(3), int64(1), nil}, []any{out[0][3], out[1][3], out[2][3]})
	cfg.Tolerance = 1500 * time.Millisecond // not a whole number of seconds
	_, err := keyedTry(AsOfJoin(cfg), left, right)
	assert.ErrorContains(t, err, "whole number")
}

func TestAsOfJoinErrors(t *testing.T) {
	left, right := asofTestTables(t)
	for _, tc := range []struct {
		cfg AsOf
		msg string
	}{
		{AsOf{By: []string{"user"}, LeftTime: "nope", RightTime: "feature_ts"}, `"nope"`},
		{AsOf{By: []string{"user"}, LeftTime: "label", RightTime: "feature_ts"}, "has type int64"},
		{AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", Tolerance: -time.Hour}, "negative"},
		{AsOf{By: []string{"user"}, RightBy: []string{"f"}, LeftTime: "label_ts", RightTime: "feature_ts"}, "left key"},
		{AsOf{By: []string{"label_ts"}, RightBy: []string{"feature_ts"}, LeftTime: "label_ts", RightTime: "feature_ts"}, "both a key and the time"},
	} {
		_, err := keyedTry(AsOfJoin(tc.cfg), left, right)
		assert.ErrorContains(t, err, tc.msg)
	}
}

// asofNaive scans every right row for each left row: the latest right
// time <= the left time (< with strict, within tol when positive), ties to
// the greatest created time (rc nil, or a nil value: the right time), then
// the last row; with exclude, rows created after the left time are not
// candidates. Values are ints (nil: null); the result is the right row.
func asofNaive(lk, lt, rk, rt, rc []any, tol int64, strict, exclude bool) []any {
	out := make([]any, len(lk))
	created := func(j int) int {
		if rc == nil || rc[j] == nil {
			return rt[j].(int)
		}
		return rc[j].(int)
	}
	for i := range lk {
		if lk[i] == nil || lt[i] == nil {
			continue
		}
		t := lt[i].(int)
		best := -1
		for j := range rk {
			if rk[j] == nil || rt[j] == nil || rk[j] != lk[i] {
				continue
			}
			u := rt[j].(int)
			if u > t || (strict && u == t) || (tol > 0 && int64(u) < int64(t)-tol) || (exclude && created(j) > t) {
				continue
			}
			if best < 0 || u > rt[best].(int) || (u == rt[best].(int) && created(j) >= created(best)) {
				best = j
			}
		}
		if best >= 0 {
			out[i] = int64(best)
		}
	}
	return out
}

func TestAsOfJoinRandomMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 19))
	ls := keyedSchema("k", arrow.PrimitiveTypes.Int32, "t", keyedTS)
	rs := keyedSchema("k", arrow.PrimitiveTypes.Int32, "rt", keyedTS, "rrow", arrow.PrimitiveTypes.Int64)
	gen := func(n int) (k, tm []any) {
		k, tm = make([]any, n), make([]any, n)
		for i := range n {
			k[i], tm[i] = r.IntN(40), r.IntN(1000)
			if r.IntN(30) == 0 {
				k[i] = nil
			}
			if r.IntN(30) == 0 {
				tm[i] = nil
			}
		}
		return k, tm
	}
	lk, lt := gen(2000)
	rk, rt := gen(3000)
	lrows, rrows := make([][]any, len(lk)), make([][]any, len(rk))
	for i := range lk {
		lrows[i] = []any{lk[i], lt[i]}
	}
	for j := range rk {
		rrows[j] = []any{rk[j], rt[j], j}
	}
	left, right := keyedTable(t, ls, 500, lrows...), keyedTable(t, rs, 700, rrows...)
	for _, tc := range []struct {
		tol    int64
		strict bool
	}{{0, false}, {0, true}, {25, false}, {25, true}} {
		cfg := AsOf{By: []string{"k"}, LeftTime: "t", RightTime: "rt", Tolerance: time.Duration(tc.tol) * time.Microsecond, Strict: tc.strict}
		out := keyedRows(t, keyedApply(t, AsOfJoin(cfg), left, right))
		var got []any
		for _, row := range out {
			got = append(got, row[3])
		}
		require.Equal(t, asofNaive(lk, lt, rk, rt, nil, tc.tol, tc.strict, false), got, "%+v", tc)
	}
}

func TestAsOfJoinLineage(t *testing.T) {
	left, right := asofTestTables(t)
	l, err := AsOfJoin(AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts"}).
		ColumnLineage([]*arrow.Schema{left.Schema(), right.Schema()})
	require.NoError(t, err)
	assert.Equal(t, ref(1, "f", "DIRECT", "IDENTITY"), l["f"][0])
	assert.Contains(t, l["f"], ref(1, "feature_ts", "INDIRECT", "JOIN"))
	assert.Contains(t, l["label"], ref(0, "label_ts", "INDIRECT", "JOIN"))
}

func TestAsOfJoinSameAtAnyParallelism(t *testing.T) {
	big := keyedBig(t, 210_000)
	// Each row joined with the previous row of its user within an hour.
	keyedSameAtAnyParallelism(t, AsOfJoin(AsOf{By: []string{"user"}, LeftTime: "ts", RightTime: "ts", Tolerance: time.Hour, Strict: true}), big, big)
}

func TestAsOfJoinRightOffsetFPBP2(t *testing.T) {
	// FPB P2: feature_ts = dt + 1 day, feature_ts <= label_ts, and
	// feature_ts >= label_ts - 30 days.
	ls := keyedSchema("label_id", arrow.PrimitiveTypes.Int64, "user_id", arrow.PrimitiveTypes.Int64, "label_ts", keyedTS)
	rs := keyedSchema("user_id", arrow.PrimitiveTypes.Int64, "dt", arrow.FixedWidthTypes.Date32, "f", arrow.PrimitiveTypes.Int64)
	labels := keyedTable(t, ls, 0,
		[]any{1, 1, "2024-01-10 00:00"}, // dt 01-09 is known at 01-10 00:00 exactly
		[]any{2, 1, "2024-01-09 23:59"}, // only dt 01-08
		[]any{3, 2, "2024-02-01 00:00"}, // dt 01-01 known at 01-02: exactly 30 days
		[]any{4, 3, "2024-02-01 00:00"}, // dt 12-31 known at 01-01: 31 days, too old
	)
	feats := keyedTable(t, rs, 0,
		[]any{1, "2024-01-08", 8}, []any{1, "2024-01-09", 9}, []any{2, "2024-01-01", 21}, []any{3, "2023-12-31", 31})
	cfg := AsOf{By: []string{"user_id"}, LeftTime: "label_ts", RightTime: "dt", RightOffset: kiln.Day, Tolerance: 30 * kiln.Day}
	out := keyedRows(t, keyedApply(t, AsOfJoin(cfg), labels, feats))
	assert.Equal(t, [][]any{
		{int64(1), int64(1), "2024-01-10T00:00:00Z", "2024-01-09", int64(9)},
		{int64(2), int64(1), "2024-01-09T23:59:00Z", "2024-01-08", int64(8)},
		{int64(3), int64(2), "2024-02-01T00:00:00Z", "2024-01-01", int64(21)},
		{int64(4), int64(3), "2024-02-01T00:00:00Z", nil, nil},
	}, out)
	cfg.RightOffset = time.Nanosecond
	_, err := keyedTry(AsOfJoin(cfg), labels, feats)
	assert.ErrorContains(t, err, "right offset")
}

func TestAsOfJoinGolden(t *testing.T) {
	left, right := asofTestTables(t)
	transformtest.Golden(t, AsOfJoin(AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", Tolerance: 7 * kiln.Day}),
		[]arrow.Table{left, right}, "testdata/asof_join")
}

// Inputs kiln hands over give the plain path's result; the right one is
// freed column by column as its matched rows are copied.
func TestAsOfJoinOwnedInputs(t *testing.T) {
	left, right := asofTestTables(t)
	tr := AsOfJoin(AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", Tolerance: 7 * kiln.Day})
	want := keyedApply(t, tr, left, right)
	ownRight := arrowx.Own(right)
	got, err := tr.Apply(kiln.NewContext(context.Background(), "test", kiln.All), []arrow.Table{arrowx.Own(left), ownRight})
	require.NoError(t, err)
	assert.True(t, ownRight.Taken())
	assert.Equal(t, keyedRows(t, want), keyedRows(t, got))
}
