package quality_test

import (
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
)

func TestProfileNumeric(t *testing.T) {
	vals := seq(0, 99)
	vals = append(vals, nil, nan, inf, -inf)
	p := profileOf(t, table(t, "x", f64(vals...)))
	c := p.Column("x")
	require.NotNil(t, c)
	assert.EqualValues(t, 104, c.Rows)
	assert.EqualValues(t, 1, c.Nulls)
	assert.EqualValues(t, 1, c.NaN)
	assert.EqualValues(t, 2, c.Inf)
	assert.Equal(t, 0.0, *c.Min, "statistics are over finite values")
	assert.Equal(t, 99.0, *c.Max)
	assert.Equal(t, 49.5, *c.Mean)
	assert.InDelta(t, 29.011491975882016, *c.Std, 1e-12) // sample std of 0..99
	require.Len(t, c.Histogram.Counts, quality.HistogramBins)
	assert.Equal(t, []int64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, c.Histogram.Counts)
	assert.Equal(t, 4.95, c.Histogram.Edges[1])
	assert.True(t, c.Sketch.Exact, "100 distinct values are all listed")
	assert.Len(t, c.Sketch.Values, 100)
	assert.EqualValues(t, 100, c.Sketch.Count())
	assert.EqualValues(t, 103, c.Distinct, "NaN and the infinities are values")
	assert.Empty(t, c.Top, "floats list no top values")
	_, err := json.Marshal(p)
	require.NoError(t, err, "profiles encode as JSON despite NaN and Inf in the data")
}

func TestProfileSketchQuantiles(t *testing.T) {
	vals := make([]any, 1000)
	for i := range vals {
		vals[i] = i + 1
	}
	p := profileOf(t, table(t, "x", i64(vals...)))
	s := p.Column("x").Sketch
	assert.False(t, s.Exact)
	require.Len(t, s.Values, quality.SketchLevels+1)
	// Level k/200 of 1..1000 is the value 5k (the smallest v with F(v) >= k/200).
	assert.Equal(t, 1.0, s.Values[0])
	assert.Equal(t, 5.0, s.Values[1])
	assert.Equal(t, 500.0, s.Values[100])
	assert.Equal(t, 1000.0, s.Values[200])
	assert.Equal(t, []int64{1, 5, 10}, s.AtOrBelow[:3])
	assert.EqualValues(t, 1000, s.Count())
	assert.Len(t, p.Column("x").Top, quality.TopValues, "integers with at most 1000 distinct values list top values")
	assert.EqualValues(t, 1000-quality.TopValues, p.Column("x").Other)
	vals = append(vals, 1001)
	assert.Empty(t, profileOf(t, table(t, "x", i64(vals...))).Column("x").Top, "too many distinct integers")
}

func TestProfileTopValues(t *testing.T) {
	p := profileOf(t, table(t, "s", strs("b", "a", "c", "b", nil, "a", "b", "a"), "n", i64(3, 1, 3, 2, 1, 1, nil, 2)))
	s := p.Column("s")
	assert.Equal(t, []quality.ValueCount{{Value: "a", Count: 3}, {Value: "b", Count: 3}, {Value: "c", Count: 1}}, s.Top, "ties broken by value")
	assert.EqualValues(t, 3, s.Distinct)
	assert.EqualValues(t, 1, s.Nulls)
	assert.Nil(t, s.Mean)
	n := p.Column("n")
	assert.Equal(t, []quality.ValueCount{{Value: "1", Count: 3}, {Value: "2", Count: 2}, {Value: "3", Count: 2}}, n.Top)
	assert.Equal(t, []quality.Field{{Name: "s", Type: "utf8"}, {Name: "n", Type: "int64"}}, p.Schema)

	many := make([]any, 40)
	for i := range many {
		many[i] = string(rune('A' + i))
	}
	m := profileOf(t, table(t, "s", strs(many...))).Column("s")
	assert.Len(t, m.Top, quality.TopValues)
	assert.EqualValues(t, 40-quality.TopValues, m.Other)
	assert.Equal(t, "A", m.Top[0].Value)
}

func TestProfileEmptyAndAllNull(t *testing.T) {
	p := profileOf(t, table(t, "x", f64(), "y", f64(nil, nil), "s", strs(nil)))
	for _, c := range p.Columns {
		assert.Nil(t, c.Mean, c.Column)
		assert.Nil(t, c.Sketch, c.Column)
		assert.Nil(t, c.Histogram, c.Column)
	}
	assert.EqualValues(t, 2, p.Column("y").Nulls)
	_, err := json.Marshal(p)
	require.NoError(t, err)
}

// TestSameResultsAtAnyParallelism evaluates float reductions over several
// segments at GOMAXPROCS 1 and 2 and requires identical bytes.
func TestSameResultsAtAnyParallelism(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	vals := make([]any, 300_001)
	for i := range vals {
		vals[i] = r.NormFloat64()*1e3 + 1e6
		if i%97 == 0 {
			vals[i] = nil
		}
	}
	tbl := rechunk(t, table(t, "x", f64(vals...)), 50_000)
	run := func() []byte {
		var out []any
		for _, c := range []kiln.Check{quality.Mean("x"), quality.Stddev("x"), quality.Sum("x"), quality.Median("x"), quality.Unique("x"), quality.Increasing("x")} {
			out = append(out, eval(t, c, tbl))
		}
		out = append(out, profileOf(t, tbl))
		b, err := json.Marshal(out)
		require.NoError(t, err)
		return b
	}
	prev := runtime.GOMAXPROCS(1)
	a := run()
	runtime.GOMAXPROCS(2)
	b := run()
	runtime.GOMAXPROCS(prev)
	assert.Equal(t, string(a), string(b))
}
