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

type mapCase struct {
	name    string
	check   *quality.ColumnCheck
	col     arrow.Array
	ok      bool
	unexp   int64
	missing int64
	pct     float64 // unexpected percent
	rows    []int64 // sampled unexpected rows
}

func runMapCases(t *testing.T, cases []mapCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tbl := table(t, "x", c.col)
			for _, chunk := range []int64{0, 2} { // one chunk, then chunks of 2 rows
				if chunk > 0 && tbl.NumRows() > 0 {
					tbl = rechunk(t, tbl, chunk)
				}
				res := eval(t, c.check, tbl)
				assert.Equal(t, c.ok, res.Success, "success")
				assert.Equal(t, c.unexp, res.UnexpectedCount, "unexpected_count")
				assert.Equal(t, c.missing, res.MissingCount, "missing_count")
				assert.InDelta(t, c.pct, res.UnexpectedPercent, 1e-9, "unexpected_percent")
				assert.Equal(t, int64(c.col.Len()), res.ElementCount)
				if c.rows == nil {
					c.rows = []int64{}
				}
				assert.Equal(t, c.rows, rowsOf(res), "unexpected rows")
				assert.Nil(t, res.FailedRows, "rows are listed only for quarantine")
			}
		})
	}
}

func TestNotNull(t *testing.T) {
	runMapCases(t, []mapCase{
		{"none missing", quality.NotNull("x"), f64(1, 2, nan), true, 0, 0, 0, nil},
		{"half missing of all rows", quality.NotNull("x"), i64(1, nil, 3, nil), false, 2, 2, 50, []int64{1, 3}},
		{"mostly exactly at threshold", quality.NotNull("x").Mostly(0.5), i64(1, nil, 3, nil), true, 2, 2, 50, []int64{1, 3}},
		{"mostly just above", quality.NotNull("x").Mostly(0.51), i64(1, nil, 3, nil), false, 2, 2, 50, []int64{1, 3}},
		{"all null", quality.NotNull("x"), strs(nil, nil), false, 2, 2, 100, []int64{0, 1}},
		{"empty", quality.NotNull("x"), i64(), true, 0, 0, 0, nil},
	})
}

func TestUnique(t *testing.T) {
	runMapCases(t, []mapCase{
		{"sorted with duplicates", quality.Unique("x"), i64(1, 2, 2, 3, nil, 3, 3), false, 5, 1, 500.0 / 6, []int64{1, 2, 3, 5, 6}},
		{"descending", quality.Unique("x"), i64(9, 7, 7, 1), false, 2, 0, 50, []int64{1, 2}},
		{"unsorted", quality.Unique("x"), i64(3, 1, 3, 2, nil, 1), false, 4, 1, 80, []int64{0, 1, 2, 5}},
		{"unique", quality.Unique("x"), i64(5, 1, 4, nil, 2), true, 0, 1, 0, nil},
		{"strings", quality.Unique("x"), strs("a", "b", "a", nil, "c"), false, 2, 1, 50, []int64{0, 2}},
		{"NaN equals NaN", quality.Unique("x"), f64(nan, 1, nan, 2), false, 2, 0, 50, []int64{0, 2}},
		{"bools", quality.Unique("x"), bools(true, false, nil), true, 0, 1, 0, nil},
		{"mostly at threshold", quality.Unique("x").Mostly(0.5), i64(1, 1, 2, 3), true, 2, 0, 50, []int64{0, 1}},
		{"all null", quality.Unique("x"), i64(nil, nil), true, 0, 2, 0, nil},
		{"empty", quality.Unique("x"), strs(), true, 0, 0, 0, nil},
	})
}

func TestUniqueNegativeZero(t *testing.T) {
	tbl := table(t, "x", f64(0.0, 1.0, negativeZero()))
	res := eval(t, quality.Unique("x"), tbl)
	assert.Equal(t, []int64{0, 2}, rowsOf(res), "-0 and +0 are the same value")
}

func negativeZero() float64 {
	z := 0.0
	return -z
}

func TestUniqueTogether(t *testing.T) {
	tbl := table(t,
		"a", i64(1, 1, 1, nil, nil, 2, 2),
		"b", strs("x", "x", "y", nil, nil, nil, nil))
	res := eval(t, quality.UniqueTogether("a", "b"), tbl)
	assert.False(t, res.Success)
	assert.Equal(t, []string{"a", "b"}, res.Columns)
	assert.EqualValues(t, 2, res.MissingCount, "rows null in every column are missing")
	assert.EqualValues(t, 4, res.UnexpectedCount, "(1,x) twice and (2,null) twice")
	assert.InDelta(t, 80, res.UnexpectedPercent, 1e-12)
	assert.Equal(t, []int64{0, 1, 5, 6}, rowsOf(res))
	assert.Equal(t, map[string]any{"a": int64(1), "b": "x"}, res.Unexpected[0].Value)

	ok := eval(t, quality.UniqueTogether("a", "b"), table(t, "a", i64(1, 1, 2), "b", strs("x", "y", "x")))
	assert.True(t, ok.Success)
}

func TestBetween(t *testing.T) {
	vals := func() arrow.Array { return f64(0, 5, 10, 10.5, nil, nan, -1) }
	runMapCases(t, []mapCase{
		{"inclusive; NaN is out of range", quality.Between("x", 0, 10), vals(), false, 3, 1, 50, []int64{3, 5, 6}},
		{"strict", quality.Between("x", 0, 10).Strict(), vals(), false, 5, 1, 500.0 / 6, []int64{0, 2, 3, 5, 6}},
		{"strict min", quality.Between("x", 0, 10).StrictMin(), vals(), false, 4, 1, 400.0 / 6, []int64{0, 3, 5, 6}},
		{"strict max", quality.Between("x", 0, 10).StrictMax(), vals(), false, 4, 1, 400.0 / 6, []int64{2, 3, 5, 6}},
		{"open upper side", quality.AtLeast("x", 0), vals(), false, 2, 1, 200.0 / 6, []int64{5, 6}},
		{"open lower side", quality.AtMost("x", 10), vals(), false, 2, 1, 200.0 / 6, []int64{3, 5}},
		{"infinite values with open sides", quality.AtLeast("x", 0), f64(inf, 1), true, 0, 0, 0, nil},
		{"mostly exactly at threshold", quality.Between("x", 0, 10).Mostly(0.5), vals(), true, 3, 1, 50, []int64{3, 5, 6}},
		{"integers: fractional bounds exact", quality.Between("x", 0.5, 10), i64(0, 1, 10, 11), false, 2, 0, 50, []int64{0, 3}},
		{"integers: strict fractional bound", quality.Between("x", 0, 9.5).StrictMax(), i64(0, 9, 10), false, 1, 0, 100.0 / 3, []int64{2}},
		{"integers: strict integral bound", quality.Between("x", 0, 10).Strict(), i64(0, 1, 9, 10), false, 2, 0, 50, []int64{0, 3}},
		{"integers: huge bounds", quality.Between("x", -1e300, 1e300), i64(-9223372036854775807, 9223372036854775807), true, 0, 0, 0, nil},
		{"integers: empty range above int64", quality.AtLeast("x", 1e19), i64(9223372036854775807), false, 1, 0, 100, []int64{0}},
		{"int32", quality.Between("x", 1, 2), i32(1, 2, 3, nil), false, 1, 1, 100.0 / 3, []int64{2}},
		{"uint64", quality.Between("x", 1, 1.8446744073709552e19), u64(0, 1, 5), false, 1, 0, 100.0 / 3, []int64{0}},
		{"all null", quality.Between("x", 0, 1), f64(nil, nil), true, 0, 2, 0, nil},
		{"empty", quality.Between("x", 0, 1), f64(), true, 0, 0, 0, nil},
	})
}

func TestTimeBetween(t *testing.T) {
	at := func(h int) time.Time { return day0.Add(time.Duration(h) * time.Hour) }
	runMapCases(t, []mapCase{
		{"inclusive", quality.TimeBetween("x", at(0), at(24)), tss(at(-1), at(0), at(12), at(24), at(25), nil), false, 2, 1, 40, []int64{0, 4}},
		{"strict", quality.TimeBetween("x", at(0), at(24)).Strict(), tss(at(0), at(12), at(24)), false, 2, 0, 200.0 / 3, []int64{0, 2}},
		{"open end", quality.TimeBetween("x", at(0), time.Time{}), tss(at(-1), at(100)), false, 1, 0, 50, []int64{0}},
		{"sub-unit bound rounds inward", quality.TimeBetween("x", at(0).Add(500*time.Nanosecond), time.Time{}), tss(at(0), at(1)), false, 1, 0, 50, []int64{0}},
	})
	res := eval(t, quality.TimeBetween("x", at(0), at(1)), table(t, "x", tss(at(5))))
	assert.Equal(t, "2024-03-02T05:00:00Z", res.Unexpected[0].Value, "times are reported as RFC 3339")
}

func TestInSet(t *testing.T) {
	events := func() arrow.Array { return strs("view", "cart", "purchase", nil, "refund", "view") }
	many := make([]int, 40)
	for i := range many {
		many[i] = i * 2
	}
	runMapCases(t, []mapCase{
		{"strings", quality.InSet("x", "view", "cart", "purchase"), events(), false, 1, 1, 20, []int64{4}},
		{"not in set", quality.NotInSet("x", "refund", "view"), events(), false, 3, 1, 60, []int64{0, 4, 5}},
		{"ints", quality.InSet("x", 1, 2, 3), i64(1, 4, nil, 3), false, 1, 1, 100.0 / 3, []int64{1}},
		{"ints, large set", quality.InSet("x", many...), i64(0, 1, 78, 79, nil), false, 2, 1, 50, []int64{1, 3}},
		{"floats by numeric value", quality.InSet("x", 1, 2), f64(1.0, 2.0, 2.5, nan), false, 2, 0, 50, []int64{2, 3}},
		{"float set on int column drops fractions", quality.InSet("x", 1.0, 1.5), i64(1, 2), false, 1, 0, 50, []int64{1}},
		{"bools", quality.InSet("x", true), bools(true, false, nil), false, 1, 1, 50, []int64{1}},
		{"mostly", quality.InSet("x", "view", "cart", "purchase").Mostly(0.8), events(), true, 1, 1, 20, []int64{4}},
		{"empty", quality.InSet("x", "a"), strs(), true, 0, 0, 0, nil},
	})
}

func TestRegexAndLengths(t *testing.T) {
	vals := func() arrow.Array { return strs("abc", "xbz", nil, "123", "héllo") }
	runMapCases(t, []mapCase{
		{"search semantics", quality.MatchesRegex("x", "b"), vals(), false, 2, 1, 50, []int64{3, 4}},
		{"anchored", quality.MatchesRegex("x", "^a"), vals(), false, 3, 1, 75, []int64{1, 3, 4}},
		{"not matches", quality.NotMatchesRegex("x", `\d`), vals(), false, 1, 1, 25, []int64{3}},
		{"repeated values", quality.MatchesRegex("x", "^v"), strs("view", "view", "cart", "view", "cart"), false, 2, 0, 40, []int64{2, 4}},
		{"lengths in code points", quality.ValueLengthsBetween("x", 3, 5), strs("", "ab", "héllo", nil, "toolong"), false, 3, 1, 75, []int64{0, 1, 4}},
		{"lengths strict", quality.ValueLengthsBetween("x", 3, 5).Strict(), strs("abc", "abcd", "héllo"), false, 2, 0, 200.0 / 3, []int64{0, 2}},
		{"lengths open upper side", quality.ValueLengthsBetween("x", 1, -1), strs("", "a very long value"), false, 1, 0, 50, []int64{0}},
		{"lengths mostly at threshold", quality.ValueLengthsBetween("x", 1, 3).Mostly(0.5), strs("", "abc", nil, "abcd", "a"), true, 2, 1, 50, []int64{0, 3}},
		{"regex all null", quality.MatchesRegex("x", "a"), strs(nil, nil), true, 0, 2, 0, nil},
		{"regex empty", quality.NotMatchesRegex("x", "a"), strs(), true, 0, 0, 0, nil},
		{"regex mostly at threshold", quality.MatchesRegex("x", "^a").Mostly(0.25), vals(), true, 3, 1, 75, []int64{1, 3, 4}},
	})
}

func TestIncreasingDecreasing(t *testing.T) {
	runMapCases(t, []mapCase{
		{"non-strict", quality.Increasing("x"), f64(1, 2, 2, nil, 1, 3, nan, 4), false, 2, 1, 200.0 / 7, []int64{4, 6}},
		{"strict", quality.Increasing("x").Strict(), f64(1, 2, 2, nil, 1, 3, nan, 4), false, 3, 1, 300.0 / 7, []int64{2, 4, 6}},
		{"decreasing", quality.Decreasing("x"), i64(5, 5, 6, nil, 4, 1), false, 1, 1, 20, []int64{2}},
		{"decreasing strict", quality.Decreasing("x").Strict(), i64(5, 5, 6, nil, 4, 1), false, 2, 1, 40, []int64{1, 2}},
		{"leading nulls", quality.Increasing("x"), i64(nil, nil, 3, 4), true, 0, 2, 0, nil},
		{"timestamps", quality.Increasing("x"), tss(day0, day0.Add(time.Second), day0), false, 1, 0, 100.0 / 3, []int64{2}},
		{"mostly", quality.Increasing("x").Mostly(0.75), i64(1, 2, 0, 3), true, 1, 0, 25, []int64{2}},
		{"empty", quality.Increasing("x"), i64(), true, 0, 0, 0, nil},
	})
}

// TestAcrossSegments checks columns longer than one evaluation segment
// (65,536 rows), split into uneven chunks, so values compared across a
// segment boundary and rows collected from several segments are right.
func TestAcrossSegments(t *testing.T) {
	const n = 200_003
	vals := make([]any, n)
	for i := range vals {
		vals[i] = i
	}
	vals[65_535], vals[65_536] = nil, 10 // a null then a drop right at the first boundary
	vals[131_072] = 0                    // first row of the third segment
	vals[150_000] = 150_001              // a duplicate of the next value
	tbl := rechunk(t, table(t, "x", i64(vals...)), 7_777)

	inc := eval(t, quality.Increasing("x").Strict().Quarantine(), tbl)
	assert.Equal(t, []int64{65_536, 131_072, 150_001}, inc.FailedRows)
	assert.EqualValues(t, 1, inc.MissingCount)

	uniq := eval(t, quality.Unique("x").Quarantine(), tbl)
	assert.Equal(t, []int64{0, 10, 65_536, 131_072, 150_000, 150_001}, uniq.FailedRows)

	rng := eval(t, quality.Between("x", 1, 150_000), tbl)
	assert.EqualValues(t, n-150_000+2, rng.UnexpectedCount) // rows 0 and 131,072, row 150,000 and everything above
	assert.Len(t, rng.Unexpected, quality.SampleSize, "the sample is bounded")
	assert.Nil(t, rng.FailedRows)
}

func TestQuarantineListsEveryUnexpectedRow(t *testing.T) {
	vals := make([]any, 100)
	for i := range vals {
		vals[i] = float64(i)
		if i%3 == 0 {
			vals[i] = nil
		}
	}
	res := eval(t, quality.AtMost("x", 10).Quarantine(), table(t, "x", f64(vals...)))
	assert.Equal(t, kiln.SeverityQuarantine, res.Severity)
	assert.Len(t, res.FailedRows, int(res.UnexpectedCount))
	assert.Len(t, res.Unexpected, quality.SampleSize)
	assert.IsIncreasing(t, res.FailedRows)
	assert.EqualValues(t, 11, res.FailedRows[0])
	assert.Equal(t, 11.0, res.Unexpected[0].Value)
}

func TestColumnCheckResultFields(t *testing.T) {
	res := eval(t, quality.Between("x", 0, 1).Mostly(0.9).Warn().Named("ratio_range"), table(t, "x", f64(0.5, 2, nil, nan)))
	assert.Equal(t, "ratio_range", res.Check)
	assert.Equal(t, "x", res.Column)
	assert.Equal(t, kiln.SeverityWarn, res.Severity)
	assert.Equal(t, "in [0, 1], mostly >= 0.9", res.Expected)
	assert.EqualValues(t, 4, res.ElementCount)
	assert.EqualValues(t, 1, res.MissingCount)
	assert.InDelta(t, 25, res.MissingPercent, 1e-12)
	assert.InDelta(t, 200.0/3, res.UnexpectedPercent, 1e-12, "of the non-null values")
	assert.InDelta(t, 50, res.UnexpectedPercentTotal, 1e-12, "of all rows")
	assert.Equal(t, []any{2.0, "NaN"}, valuesOf(res), "NaN is reported as a string")
	assert.Nil(t, res.Observed)
}

func TestColumnCheckSpecs(t *testing.T) {
	a := quality.Between("x", 0, 1)
	b := a.Mostly(0.5)
	assert.NotEqual(t, a.Spec().Config, b.Spec().Config, "methods return a copy")
	assert.Equal(t, "quality.between", a.Spec().Name)
	assert.Equal(t, "1", a.Spec().Version)
}

func TestColumnCheckValidation(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "ts", Type: tsType},
	}, nil)
	cases := []struct {
		name   string
		check  *quality.ColumnCheck
		schema bool // a *kiln.SchemaError (ErrSchemaMismatch)
		msg    string
	}{
		{"missing column", quality.NotNull("nope"), true, `"nope": missing`},
		{"regex on numbers", quality.MatchesRegex("n", "x"), true, `"n"`},
		{"bad regex", quality.MatchesRegex("s", "("), false, "missing closing )"},
		{"mostly out of range", quality.NotNull("n").Mostly(1.5), false, "mostly 1.5"},
		{"strict on not null", quality.NotNull("n").Strict(), false, "Strict does not apply"},
		{"string set on int column", quality.InSet("n", "a"), true, "is a string"},
		{"numeric bounds on timestamps", quality.Between("ts", 0, 1), true, "TimeBetween"},
		{"time bounds on ints", quality.TimeBetween("n", day0, time.Time{}), true, "timestamp or date"},
		{"NaN bound", quality.Between("n", nan, 1), false, "NaN"},
		{"increasing strings", quality.Increasing("s"), true, `"s"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.check.ValidateSchema(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
			assert.Equal(t, c.schema, errorsIs(err, kiln.ErrSchemaMismatch))
		})
	}
}
