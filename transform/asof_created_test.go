package transform

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform/transformtest"
)

// asofCreatedTables are labels and feature rows with a created time: user
// 1 has four rows at 01-10 00:00 written at different times (two full
// ties; the last in input order has no created time), an older row, and a
// row at 01-12 backfilled on 01-20.
func asofCreatedTables(t testing.TB) (arrow.Table, arrow.Table) {
	ls := keyedSchema("user", arrow.PrimitiveTypes.Int64, "label_ts", keyedTS)
	rs := keyedSchema("user", arrow.PrimitiveTypes.Int64, "feature_ts", keyedTS, "created", keyedTS, "f", arrow.PrimitiveTypes.Int64)
	left := keyedTable(t, ls, 2,
		[]any{1, "2024-01-11 00:00"},
		[]any{1, "2024-01-10 04:00"},
		[]any{1, "2024-01-10 01:00"},
		[]any{1, "2024-01-15 00:00"},
		[]any{1, "2024-01-09 00:00"},
		[]any{2, "2024-01-15 00:00"},
		[]any{1, "2024-01-10 00:00"},
	)
	right := keyedTable(t, rs, 4,
		[]any{1, "2024-01-10 00:00", "2024-01-10 05:00", 1},
		[]any{1, "2024-01-10 00:00", "2024-01-10 03:00", 2},
		[]any{1, "2024-01-08 00:00", "2024-01-08 00:00", 4},
		[]any{1, "2024-01-10 00:00", "2024-01-10 05:00", 5}, // a full tie with f=1: the later row wins
		[]any{1, "2024-01-10 00:00", nil, 3},                // created at its event time
		[]any{1, "2024-01-12 00:00", "2024-01-20 00:00", 6}, // backfilled
		[]any{2, "2024-01-14 00:00", "2024-01-16 00:00", 7},
	)
	return left, right
}

func TestAsOfJoinCreatedTime(t *testing.T) {
	left, right := asofCreatedTables(t)
	base := AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts"}
	with := func(f func(*AsOf)) AsOf {
		c := base
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  AsOf
		want []any // column f
	}{
		{"without a created time, ties go to the last right row", base,
			[]any{3, 3, 3, 6, 4, 7, 3}},
		{"ties go to the greatest created time, then the last row", with(func(c *AsOf) { c.CreatedTime = "created" }),
			[]any{5, 5, 5, 6, 4, 7, 5}},
		{"exclude rows created after the left time", with(func(c *AsOf) { c.CreatedTime, c.ExcludeCreatedAfter = "created", true }),
			// 01-10 04:00: the rows written at 05:00 were not known, the one
			// written at 03:00 was; 01-10 01:00 and 00:00: only the row
			// without a created time; 01-15: the backfilled rows are skipped.
			[]any{5, 2, 3, 5, 4, nil, 3}},
		{"excluded rows never reach past the tolerance", with(func(c *AsOf) {
			c.CreatedTime, c.ExcludeCreatedAfter, c.Tolerance = "created", true, 4*kiln.Day
		}), []any{5, 2, 3, nil, 4, nil, 3}},
		{"strict", with(func(c *AsOf) { c.CreatedTime, c.ExcludeCreatedAfter, c.Strict = "created", true, true }),
			[]any{5, 2, 3, 5, 4, nil, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := keyedApply(t, AsOfJoin(tc.cfg), left, right)
			var got []any
			for _, r := range keyedRows(t, out) {
				got = append(got, r[len(r)-1])
			}
			want := make([]any, len(tc.want))
			for i, v := range tc.want {
				if v != nil {
					want[i] = int64(v.(int))
				}
			}
			assert.Equal(t, want, got)
			ri, err := AsOfJoin(tc.cfg).Match(kiln.NewContext(t.Context(), "test", kiln.All), left, right)
			require.NoError(t, err)
			for i, r := range ri {
				assert.Equal(t, want[i] == nil, r < 0, "Match agrees with Apply at row %d", i)
			}
		})
	}
}

func TestAsOfJoinNullCreatedCountsAsOffsetTime(t *testing.T) {
	// With RightOffset, a row without a created time was written when it
	// became known: at its right time plus the offset.
	ls := keyedSchema("k", arrow.PrimitiveTypes.Int64, "at", keyedTS)
	rs := keyedSchema("k", arrow.PrimitiveTypes.Int64, "ft", keyedTS, "created", keyedTS, "f", arrow.PrimitiveTypes.Int64)
	left := keyedTable(t, ls, 0, []any{1, "2024-01-10 02:00"}, []any{1, "2024-01-10 00:45"})
	right := keyedTable(t, rs, 0,
		[]any{1, "2024-01-10 00:00", nil, 1},                // known and written at 01:00
		[]any{1, "2024-01-10 00:00", "2024-01-10 00:30", 2}, // written before it became known
	)
	cfg := AsOf{By: []string{"k"}, LeftTime: "at", RightTime: "ft", CreatedTime: "created", RightOffset: time.Hour}
	out := keyedRows(t, keyedApply(t, AsOfJoin(cfg), left, right))
	assert.Equal(t, []any{int64(1), nil}, []any{out[0][4], out[1][4]})
}

func TestAsOfJoinCreatedTimeMixedUnits(t *testing.T) {
	// Created times in nanoseconds order rows a microsecond column cannot.
	ls := keyedSchema("k", arrow.PrimitiveTypes.Int64, "at", arrow.FixedWidthTypes.Date32)
	ns := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	rs := keyedSchema("k", arrow.PrimitiveTypes.Int64, "ft", keyedTS, "created", ns, "f", arrow.PrimitiveTypes.Int64)
	created := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	left := keyedTable(t, ls, 0, []any{1, "2024-01-02"})
	right := keyedTable(t, rs, 0,
		[]any{1, "2024-01-01 06:00", created.Add(2 * time.Nanosecond), 1},
		[]any{1, "2024-01-01 06:00", created.Add(time.Nanosecond), 2})
	cfg := AsOf{By: []string{"k"}, LeftTime: "at", RightTime: "ft", CreatedTime: "created", Tolerance: kiln.Day}
	out := keyedRows(t, keyedApply(t, AsOfJoin(cfg), left, right))
	assert.Equal(t, int64(1), out[0][4])
	cfg.Tolerance = time.Nanosecond + kiln.Day
	_, err := keyedTry(AsOfJoin(cfg), left, right)
	assert.NoError(t, err, "the finest unit is the created time's")
}

func TestAsOfJoinCreatedTimeErrors(t *testing.T) {
	left, right := asofCreatedTables(t)
	for _, tc := range []struct {
		cfg AsOf
		msg string
	}{
		{AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", ExcludeCreatedAfter: true}, "needs CreatedTime"},
		{AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", CreatedTime: "nope"}, `"nope"`},
		{AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts", CreatedTime: "f"}, "has type int64"},
		{AsOf{By: []string{"label_ts"}, RightBy: []string{"created"}, LeftTime: "label_ts", RightTime: "feature_ts", CreatedTime: "created"},
			"both a key and the created time"},
	} {
		_, err := keyedTry(AsOfJoin(tc.cfg), left, right)
		assert.ErrorContains(t, err, tc.msg)
	}
}

func TestAsOfJoinCreatedRandomMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 5))
	ls := keyedSchema("k", arrow.PrimitiveTypes.Int32, "t", keyedTS)
	rs := keyedSchema("k", arrow.PrimitiveTypes.Int32, "rt", keyedTS, "rc", keyedTS, "rrow", arrow.PrimitiveTypes.Int64)
	gen := func(n int) (k, tm, created []any) {
		k, tm, created = make([]any, n), make([]any, n), make([]any, n)
		for i := range n {
			k[i], tm[i] = r.IntN(30), r.IntN(200) // coarse times: many ties
			if r.IntN(30) == 0 {
				k[i] = nil
			}
			if r.IntN(30) == 0 {
				tm[i] = nil
			}
			if r.IntN(4) > 0 {
				created[i] = r.IntN(250)
			}
		}
		return k, tm, created
	}
	lk, lt, _ := gen(1500)
	rk, rt, rc := gen(2500)
	lrows, rrows := make([][]any, len(lk)), make([][]any, len(rk))
	for i := range lk {
		lrows[i] = []any{lk[i], lt[i]}
	}
	for j := range rk {
		rrows[j] = []any{rk[j], rt[j], rc[j], j}
	}
	left, right := keyedTable(t, ls, 400, lrows...), keyedTable(t, rs, 600, rrows...)
	for _, tol := range []int64{0, 20} {
		for _, mode := range []struct{ strict, exclude bool }{{false, false}, {false, true}, {true, true}} {
			cfg := AsOf{By: []string{"k"}, LeftTime: "t", RightTime: "rt", CreatedTime: "rc", ExcludeCreatedAfter: mode.exclude,
				Strict: mode.strict, Tolerance: time.Duration(tol) * time.Microsecond}
			var got []any
			for _, row := range keyedRows(t, keyedApply(t, AsOfJoin(cfg), left, right)) {
				got = append(got, row[4])
			}
			require.Equal(t, asofNaive(lk, lt, rk, rt, rc, tol, mode.strict, mode.exclude), got, "tolerance %d %+v", tol, mode)
		}
	}
}

func TestAsOfJoinCreatedSameAtAnyParallelism(t *testing.T) {
	big := keyedBig(t, 210_000)
	// Each row joined with the latest row of its user on its day or the
	// day before (many ties on the day), written at or before it.
	keyedSameAtAnyParallelism(t, AsOfJoin(AsOf{By: []string{"user"}, LeftTime: "ts", RightTime: "day", CreatedTime: "ts",
		ExcludeCreatedAfter: true, Tolerance: kiln.Day}), big, big)
}

func TestAsOfJoinCreatedGolden(t *testing.T) {
	left, right := asofCreatedTables(t)
	transformtest.Golden(t, AsOfJoin(AsOf{By: []string{"user"}, LeftTime: "label_ts", RightTime: "feature_ts",
		CreatedTime: "created", ExcludeCreatedAfter: true}), []arrow.Table{left, right}, "testdata/asof_join_created")
}
