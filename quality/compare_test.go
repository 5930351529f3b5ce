package quality_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/internal/stats"
	"github.com/kiln-data/kiln/quality"
)

func profileOf(t *testing.T, tbl arrow.Table, cols ...string) *quality.TableProfile {
	t.Helper()
	p, err := quality.ProfileTable(context.Background(), tbl, cols...)
	require.NoError(t, err)
	return p
}

func seq(lo, hi int) []any {
	var out []any
	for i := lo; i <= hi; i++ {
		out = append(out, float64(i))
	}
	return out
}

func TestPSIHandComputed(t *testing.T) {
	ref := quality.Fixed(profileOf(t, table(t, "x", f64(seq(1, 10)...))))
	cur := table(t, "x", f64(1, 2, 3, 6, 7, 8, 9, 10, 10, 10, nil))

	// Two reference quantile bins: (−∞, 5] and (5, ∞) hold 5 and 5
	// reference values and 3 and 7 current ones:
	// (0.3−0.5)·ln(0.3/0.5) + (0.7−0.5)·ln(0.7/0.5).
	res := eval(t, quality.PSI("x", 0.2).Bins(2).Against(ref), cur)
	assert.InDelta(t, 0.16945957207744072, res.Observed, 1e-15)
	assert.True(t, res.Success)
	res = eval(t, quality.PSI("x", 0.1).Bins(2).Against(ref), cur)
	assert.False(t, res.Success)
	assert.Equal(t, "2 reference quantile bins", res.Message)

	same := eval(t, quality.PSI("x", 0).Against(ref), table(t, "x", f64(seq(1, 10)...)))
	assert.Equal(t, 0.0, same.Observed)
	assert.True(t, same.Success, "PSI 0 <= 0")

	// A current value beyond every reference value lands in the top bin;
	// an empty bin uses ε = 1e-4.
	shifted := eval(t, quality.PSI("x", 0.25).Bins(2).Against(ref), table(t, "x", f64(20, 20)))
	// (1e-4 − 0.5)·ln(1e-4/0.5) + (1 − 0.5)·ln(1/0.5)
	assert.InDelta(t, 4.60431846666895, shifted.Observed, 1e-12)
	assert.False(t, shifted.Success)
}

func TestKSHandComputed(t *testing.T) {
	ref := quality.Fixed(profileOf(t, table(t, "x", f64(seq(1, 10)...))))
	cur := table(t, "x", f64(1, 2, 3, 6, 7, 8, 9, 10, 10, 10))
	// F_ref(x) = x/10. F_cur: 0.3 at 3..5, 0.4 at 6, …, 0.7 at 9, 1 at 10;
	// the largest gap is 0.2 (at 5 through 9). p = Q(√(10·10/20)·0.2) with
	// Q the Kolmogorov survival function: Q(0.4472…) = 0.98826107764352…
	res := eval(t, quality.KS("x", 0.25).Against(ref), cur)
	obs := res.Observed.(map[string]any)
	assert.InDelta(t, 0.2, obs["statistic"], 1e-15)
	assert.InDelta(t, 0.9882610776435246, obs["p_value"], 1e-12)
	assert.True(t, res.Success)
	assert.Empty(t, res.Message, "exact against a reference with few distinct values")

	assert.False(t, eval(t, quality.KS("x", 0.1).Against(ref), cur).Success)
	assert.False(t, eval(t, quality.KS("x", 1).MinPValue(0.99).Against(ref), cur).Success)
}

// TestKSMatchesExactStatistic compares the statistic computed from a stored
// sketch with the exact two-sample statistic of the raw samples.
func TestKSMatchesExactStatistic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	sample := func(n, k int) ([]any, []float64) {
		vs := make([]any, n)
		fs := make([]float64, n)
		for i := range vs {
			fs[i] = float64(r.IntN(k))
			vs[i] = fs[i]
		}
		slices.Sort(fs)
		return vs, fs
	}
	refVals, refSorted := sample(5000, 150) // at most 150 distinct: an exact sketch
	curVals, curSorted := sample(3000, 180)
	ref := profileOf(t, table(t, "x", f64(refVals...)))
	require.True(t, ref.Column("x").Sketch.Exact)
	res := eval(t, quality.KS("x", 1).Against(quality.Fixed(ref)), table(t, "x", f64(curVals...)))
	want := stats.KSSorted(refSorted, curSorted)
	assert.InDelta(t, want, res.Observed.(map[string]any)["statistic"], 1e-15)

	// With many distinct values the sketch gives a close lower bound.
	refVals, refSorted = sample(20000, 1_000_000)
	curVals, curSorted = sample(20000, 1_100_000)
	ref = profileOf(t, table(t, "x", f64(refVals...)))
	require.False(t, ref.Column("x").Sketch.Exact)
	res = eval(t, quality.KS("x", 1).Against(quality.Fixed(ref)), table(t, "x", f64(curVals...)))
	want = stats.KSSorted(refSorted, curSorted)
	got := res.Observed.(map[string]any)["statistic"].(float64)
	assert.LessOrEqual(t, got, want+1e-12)
	assert.InDelta(t, want, got, 1.0/quality.SketchLevels)
	assert.Contains(t, res.Message, "lower bound")
}

func TestChiSquareHandComputed(t *testing.T) {
	rep := func(n int, v string) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	refVals := slices.Concat(rep(10, "a"), rep(10, "b"), rep(20, "c"))
	curVals := slices.Concat(rep(20, "a"), rep(20, "b"), rep(20, "c"), []any{nil})
	ref := quality.Fixed(profileOf(t, table(t, "x", strs(refVals...))))
	// The table [[10, 10, 20], [20, 20, 20]] is the example of
	// scipy.stats.chi2_contingency's documentation: statistic
	// 2.7777777777777777, p-value 0.24935220877729619, 2 degrees of freedom.
	res := eval(t, quality.ChiSquare("x", 0.05).Against(ref), table(t, "x", strs(curVals...)))
	obs := res.Observed.(map[string]any)
	assert.InDelta(t, 2.7777777777777777, obs["statistic"], 1e-13)
	assert.InDelta(t, 0.24935220877729619, obs["p_value"], 1e-13)
	assert.Equal(t, 2, obs["dof"])
	assert.True(t, res.Success)
	assert.False(t, eval(t, quality.ChiSquare("x", 0.3).Against(ref), table(t, "x", strs(curVals...))).Success)
	assert.False(t, eval(t, quality.ChiSquare("x", 0).MaxStatistic(2).Against(ref), table(t, "x", strs(curVals...))).Success)

	// A new category counts as "other", empty in the reference.
	res = eval(t, quality.ChiSquare("x", 0.05).Against(ref), table(t, "x", strs(slices.Concat(curVals, rep(30, "d"))...)))
	assert.False(t, res.Success)
	assert.Equal(t, 3, res.Observed.(map[string]any)["dof"])

	// Integer categories.
	ints := quality.Fixed(profileOf(t, table(t, "x", i64(0, 0, 1, 1))))
	assert.True(t, eval(t, quality.ChiSquare("x", 0.5).Against(ints), table(t, "x", i64(1, 0, 1, 0, 0, 1))).Success)
}

func TestChangeChecksAgainstFixedProfiles(t *testing.T) {
	ref := quality.Fixed(profileOf(t, table(t,
		"x", f64(5, 15, nil, 10, 10, 10, 10, 10, 10, 10),
		"s", strs("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"))))

	rows := func(n int) arrow.Table {
		vs := make([]any, n)
		for i := range vs {
			vs[i] = float64(i)
		}
		return table(t, "x", f64(vs...))
	}
	res := eval(t, quality.RowCountChange(0.2).Against(ref), rows(12))
	assert.InDelta(t, 0.2, res.Observed, 1e-15)
	assert.True(t, res.Success, "exactly at the threshold")
	res = eval(t, quality.RowCountChange(0.2).Against(ref), rows(13))
	assert.False(t, res.Success)
	assert.Equal(t, "13 rows vs 10", res.Message)
	assert.False(t, eval(t, quality.RowCountChange(quality.DefaultRowCountChange).Against(ref), rows(7)).Success)

	// Null rate 10% in the reference.
	res = eval(t, quality.NullRateChange("x", 0.1).Against(ref), table(t, "x", f64(1, nil, nil, 4, 5)))
	assert.InDelta(t, 0.3, res.Observed, 1e-15)
	assert.False(t, res.Success)
	assert.True(t, eval(t, quality.NullRateChange("x", 0.1).Against(ref), table(t, "x", f64(1, 2))).Success)

	// Reference mean 10, sample std √(50/8) = 2.5.
	res = eval(t, quality.MeanShift("x", 0.1).Against(ref), table(t, "x", f64(12, nil)))
	assert.InDelta(t, 0.2, res.Observed, 1e-15)
	assert.False(t, res.Success)
	res = eval(t, quality.MeanShift("x", 1).InStddevs().Against(ref), table(t, "x", f64(12)))
	assert.InDelta(t, 0.8, res.Observed, 1e-15)
	assert.True(t, res.Success)
	res = eval(t, quality.MeanShift("x", 1).Against(ref), table(t, "x", f64(nil)))
	assert.False(t, res.Success, "no current values: no mean")

	res = eval(t, quality.SchemaChange().Against(ref), table(t, "x", i64(1), "t", strs("z")))
	assert.False(t, res.Success)
	assert.Equal(t, map[string]any{
		"added":   []string{"t"},
		"removed": []string{"s"},
		"retyped": []map[string]string{{"column": "x", "from": "float64", "to": "int64"}},
	}, res.Observed)
	assert.True(t, eval(t, quality.SchemaChange().Against(ref), table(t, "x", f64(1), "s", strs("z"))).Success)
	added := table(t, "x", f64(1), "s", strs("z"), "new", i64(1))
	assert.False(t, eval(t, quality.SchemaChange().Against(ref), added).Success)
	assert.True(t, eval(t, quality.SchemaChange().AllowAdded().Against(ref), added).Success)
}

func TestDriftWithoutCurrentValues(t *testing.T) {
	ref := quality.Fixed(profileOf(t, table(t, "x", f64(1, 2, 3), "s", strs("a", "b", "b"))))
	empty := table(t, "x", f64(nil, nan), "s", strs(nil, nil))
	for _, c := range []*quality.CompareCheck{quality.PSI("x", 1), quality.KS("x", 1), quality.ChiSquare("s", 0)} {
		res := eval(t, c.Against(ref), empty)
		assert.False(t, res.Success, "%s: nothing to compare is a failure, like an aggregate of an empty column", res.Check)
		assert.Nil(t, res.Observed)
		assert.NotEmpty(t, res.Message)
	}
}

func TestCompareWithoutReference(t *testing.T) {
	tbl := table(t, "x", f64(1, 2), "s", strs("a", "b"))
	for _, c := range []*quality.CompareCheck{
		quality.RowCountChange(0.2), quality.NullRateChange("x", 0), quality.MeanShift("x", 0),
		quality.SchemaChange(), quality.PSI("x", 0), quality.KS("x", 0), quality.ChiSquare("s", 1),
	} {
		res := eval(t, c, tbl)
		assert.True(t, res.Success, res.Check)
		assert.Contains(t, res.Message, "no reference", res.Check)
	}
	other := quality.Fixed(profileOf(t, table(t, "y", f64(1))))
	res := eval(t, quality.PSI("x", 0).Against(other), tbl)
	assert.True(t, res.Success)
	assert.Contains(t, res.Message, `no profile of column "x"`)
}

func TestFreshness(t *testing.T) {
	// The logical time of 2024-03-02 is its end, 2024-03-03T00:00Z.
	latest := day0.Add(23 * time.Hour)
	tbl := table(t, "ts", tss(day0, latest, nil))
	res := eval(t, quality.Freshness("ts", time.Hour), tbl)
	assert.True(t, res.Success, "exactly at the bound")
	assert.Equal(t, map[string]any{"latest": "2024-03-02T23:00:00Z", "lag": "1h0m0s", "lag_seconds": 3600.0}, res.Observed)
	assert.Equal(t, "lag <= 1h0m0s", res.Expected)
	assert.False(t, eval(t, quality.Freshness("ts", 59*time.Minute), tbl).Success)
	assert.False(t, eval(t, quality.Freshness("ts", time.Hour), table(t, "ts", tss(nil))).Success, "nothing is fresh")

	b := array.NewDate32Builder(mem)
	b.Append(arrow.Date32FromTime(day0))
	dates := table(t, "d", b.NewArray())
	res = eval(t, quality.Freshness("d", 24*time.Hour), dates)
	assert.True(t, res.Success, "a date counts from its midnight")
	require.Error(t, quality.Freshness("x", time.Hour).ValidateSchema(table(t, "x", f64(1)).Schema()))
}

func TestCompareValidation(t *testing.T) {
	s := table(t, "x", f64(1), "s", strs("a")).Schema()
	for _, c := range []struct {
		check *quality.CompareCheck
		msg   string
	}{
		{quality.PSI("s", 0.1), `"s"`},
		{quality.KS("x", 0.1).Bins(3), "Bins applies to psi"},
		{quality.PSI("x", 0.1).Bins(1), "at least 2 bins"},
		{quality.PSI("x", 0.1).MinPValue(0.5), "MinPValue applies"},
		{quality.ChiSquare("x", 0.05), `"x"`},
		{quality.ChiSquare("s", 2), "outside [0, 1]"},
		{quality.RowCountChange(-1), "negative"},
		{quality.MeanShift("x", 0.1).Against(quality.Committed("", "garbage")), "partition"},
		{quality.MeanShift("x", 0.1).Against(quality.Committed("other", "")), "needs a partition"},
		{quality.RowCountChange(0.1).InStddevs(), "InStddevs applies"},
		{quality.Freshness("x", time.Hour).Against(quality.Previous()), "logical time"},
	} {
		err := c.check.ValidateSchema(s)
		require.Error(t, err, c.msg)
		assert.Contains(t, err.Error(), c.msg)
	}
}
