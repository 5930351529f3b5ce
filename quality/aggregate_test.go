package quality_test

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
)

type aggCase struct {
	name     string
	check    *quality.AggregateCheck
	col      arrow.Array
	ok       bool
	observed any
}

func runAggCases(t *testing.T, cases []aggCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tbl := table(t, "x", c.col)
			if tbl.NumRows() > 1 {
				tbl = rechunk(t, tbl, 2)
			}
			res := eval(t, c.check, tbl)
			assert.Equal(t, c.ok, res.Success, "success")
			if f, ok := c.observed.(float64); ok {
				require.IsType(t, 0.0, res.Observed)
				assert.InDelta(t, f, res.Observed, 1e-12, "observed_value")
			} else {
				assert.Equal(t, c.observed, res.Observed, "observed_value")
			}
			if res.Observed == nil || res.Observed == "NaN" {
				assert.NotEmpty(t, res.Message, "a null or NaN statistic is explained")
			}
		})
	}
}

func TestMeanMedianStddev(t *testing.T) {
	runAggCases(t, []aggCase{
		{"mean skips nulls", quality.Mean("x").Between(2, 2), f64(1, nil, 3), true, 2.0},
		{"mean strict bound", quality.Mean("x").Between(2, 3).StrictMin(), f64(1, 3), false, 2.0},
		{"mean of ints", quality.Mean("x").AtLeast(0), i64(1, 2), true, 1.5},
		{"mean with NaN fails", quality.Mean("x"), f64(1, nan), false, "NaN"},
		{"mean with +Inf", quality.Mean("x").AtLeast(0), f64(1, inf), true, "+Inf"},
		{"mean of empty is null", quality.Mean("x"), f64(), false, nil},
		{"mean of all-null is null", quality.Mean("x").AtLeast(0), f64(nil, nil), false, nil},
		{"median odd", quality.Median("x").Between(3, 3), f64(5, 1, nil, 3), true, 3.0},
		{"median even averages the middle two", quality.Median("x").Between(2.5, 2.5), i64(4, 1, 3, 2), true, 2.5},
		{"median empty", quality.Median("x"), i64(), false, nil},
		{"stddev is the sample one", quality.Stddev("x").AtMost(3), f64(2, 4, 4, 4, 5, 5, 7, 9), true, 2.138089935299395}, // √(32/7)
		{"stddev of one value is null", quality.Stddev("x"), f64(1, nil), false, nil},
		{"stddev strict", quality.Stddev("x").AtMost(0).StrictMax(), f64(3, 3), false, 0.0},
	})
}

func TestMinMaxSum(t *testing.T) {
	at := func(h int) time.Time { return day0.Add(time.Duration(h) * time.Hour) }
	runAggCases(t, []aggCase{
		{"min", quality.Min("x").AtLeast(-1), f64(3, nil, -1, 7), true, -1.0},
		{"min strict", quality.Min("x").AtLeast(-1).Strict(), f64(3, -1), false, -1.0},
		{"max of ints is exact", quality.Max("x").AtMost(9007199254740994), i64(9007199254740993, 1), true, int64(9007199254740993)},
		{"int bounds compare exactly", quality.Max("x").AtMost(9007199254740992), i64(9007199254740993), false, int64(9007199254740993)},
		{"max just above a fractional bound", quality.Max("x").AtMost(9.5), i64(10), false, int64(10)},
		{"max with NaN fails", quality.Max("x"), f64(1, nan), false, "NaN"},
		{"max of empty", quality.Max("x"), f64(), false, nil},
		{"max of timestamps", quality.Max("x").TimeBetween(at(0), at(24)), tss(at(1), at(23), nil), true, "2024-03-02T23:00:00Z"},
		{"min of timestamps out of range", quality.Min("x").TimeBetween(at(2), time.Time{}), tss(at(1), at(23)), false, "2024-03-02T01:00:00Z"},
		{"sum of ints", quality.Sum("x").Between(6, 6), i64(1, 2, nil, 3), true, int64(6)},
		{"sum overflow falls back to float", quality.Sum("x"), i64(9223372036854775807, 9223372036854775807), true, 1.8446744073709552e19},
		{"sum of floats", quality.Sum("x").AtMost(1), f64(0.25, 0.5, nil), true, 0.75},
		{"sum of empty is null", quality.Sum("x"), f64(), false, nil},
		{"uint64 sum", quality.Sum("x"), u64(1, 2), true, uint64(3)},
	})
}

func TestQuantiles(t *testing.T) {
	vals := func() arrow.Array { return i64(10, 20, 30, 40, nil) }
	res := eval(t, quality.Quantiles("x",
		quality.QuantileRange{Quantile: 0, Min: 10, Max: 10},
		quality.QuantileRange{Quantile: 0.5, Min: 30, Max: 30}, // index round(1.5) = 2 (ties to even)
		quality.QuantileRange{Quantile: 1, Min: 0, Max: inf},
	), table(t, "x", vals()))
	assert.True(t, res.Success)
	assert.Equal(t, map[string]any{"quantiles": []float64{0, 0.5, 1}, "values": []any{int64(10), int64(30), int64(40)}}, res.Observed)

	res = eval(t, quality.Quantiles("x", quality.QuantileRange{Quantile: 0.25, Min: 25, Max: 30}), table(t, "x", vals()))
	assert.False(t, res.Success, "q0.25 is index round(0.75) = 1: 20")

	res = eval(t, quality.Quantiles("x", quality.QuantileRange{Quantile: 0.5, Min: 0, Max: 1}), table(t, "x", f64()))
	assert.False(t, res.Success)
	assert.Equal(t, []any{nil}, res.Observed.(map[string]any)["values"])
}

func TestDistinctAndProportionUnique(t *testing.T) {
	runAggCases(t, []aggCase{
		{"distinct ignores nulls", quality.DistinctCount("x").Between(3, 3), strs("a", "b", "a", nil, "c"), true, int64(3)},
		{"distinct ints", quality.DistinctCount("x").AtMost(2), i64(5, 5, 1, 9), false, int64(3)},
		{"distinct floats: NaN once, -0 = +0", quality.DistinctCount("x"), f64(nan, nan, 0.0, 1), true, int64(3)},
		{"distinct of empty is 0", quality.DistinctCount("x").AtLeast(0), strs(), true, int64(0)},
		{"proportion unique of non-null", quality.ProportionUnique("x").AtLeast(0.75), strs("a", "b", "a", nil, "c"), true, 0.75},
		{"proportion unique strict", quality.ProportionUnique("x").AtLeast(0.75).Strict(), strs("a", "b", "a", "c"), false, 0.75},
		{"proportion unique of all-null is null", quality.ProportionUnique("x"), strs(nil), false, nil},
	})
}

func TestTableChecks(t *testing.T) {
	tbl := table(t, "a", i64(1, 2, 3), "b", strs("x", "y", nil), "ts", tss(day0, day0, day0))
	cases := []struct {
		check    *quality.AggregateCheck
		ok       bool
		observed any
	}{
		{quality.RowCount().Between(3, 3), true, int64(3)},
		{quality.RowCount().Between(3, 10).StrictMin(), false, int64(3)},
		{quality.RowCount().AtLeast(4), false, int64(3)},
		{quality.ColumnSetEquals("b", "ts", "a"), true, []string{"a", "b", "ts"}},
		{quality.ColumnSetEquals("a"), false, []string{"a", "b", "ts"}},
		{quality.ColumnSetContains("a"), true, []string{"a", "b", "ts"}},
		{quality.ColumnSetContains("a", "c"), false, []string{"a", "b", "ts"}},
		{quality.OfType("a", "int64"), true, "int64"},
		{quality.OfType("b", "utf8"), true, "utf8"},
		{quality.OfType("ts", "timestamp[us,UTC]"), true, "timestamp[us,UTC]"},
		{quality.OfType("ts", "timestamp[us, tz=UTC]"), true, "timestamp[us,UTC]"},
		{quality.OfType("a", "double"), false, "int64"},
	}
	for _, c := range cases {
		res := eval(t, c.check, tbl)
		assert.Equal(t, c.ok, res.Success, "%s %s", res.Check, res.Expected)
		assert.Equal(t, c.observed, res.Observed, res.Check)
	}
	res := eval(t, quality.ColumnSetEquals("a", "c", "ts"), tbl)
	assert.Equal(t, `missing ["c"]; unexpected ["b"]`, res.Message)
	empty := eval(t, quality.RowCount().AtLeast(1), table(t, "a", i64()))
	assert.False(t, empty.Success)
}

func TestAggregateValidation(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}, {Name: "ts", Type: tsType}}, nil)
	for _, c := range []struct {
		check *quality.AggregateCheck
		msg   string
	}{
		{quality.Mean("s"), `"s"`},
		{quality.Mean("ts"), "numeric"},
		{quality.Max("ts").AtMost(3), "TimeBetween"},
		{quality.Max("n").TimeBetween(day0, time.Time{}), "timestamp or date"},
		{quality.Mean("n").Between(nan, 1), "NaN"},
		{quality.Quantiles("n", quality.QuantileRange{Quantile: 2}), "outside [0, 1]"},
		{quality.ColumnSetEquals("n").AtLeast(1), "takes no bounds"},
		{quality.Mean("missing"), "missing"},
	} {
		err := c.check.ValidateSchema(s)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.msg)
	}
	assert.Equal(t, kiln.SeverityWarn, eval(t, quality.RowCount().Warn(), table(t, "a", i64(1))).Severity)
}
