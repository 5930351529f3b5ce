package transform

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/canon"
)

func rlExprTable(t testing.TB, chunk int) arrow.Table {
	s := rlSchema("i", arrow.PrimitiveTypes.Int64, "j", arrow.PrimitiveTypes.Int32,
		"f", arrow.PrimitiveTypes.Float64, "s", arrow.BinaryTypes.String, "b", arrow.FixedWidthTypes.Boolean)
	return rlTable(t, s, `[
		{"i": 1, "j": 2, "f": 1.5, "s": "Apple", "b": true},
		{"i": null, "j": 0, "f": null, "s": null, "b": null},
		{"i": -3, "j": 4, "f": 0.0, "s": "  pear ", "b": false},
		{"i": 9223372036854775807, "j": null, "f": -2.0, "s": "", "b": true}
	]`, chunk)
}

// rlDerive derives one column from e and returns its values.
func rlDerive(t *testing.T, tbl arrow.Table, e Expr) []any {
	t.Helper()
	out := rlApply(t, Derive("out", e), tbl)
	return rlValues(t, out, "out")
}

func TestExprValues(t *testing.T) {
	nan := math.NaN()
	_ = nan
	cases := []struct {
		name string
		e    Expr
		want []any
	}{
		{"add ints widens", Col("i").Add(Col("j")), []any{3, nil, 1, nil}},
		{"int plus float", Col("j").Add(Lit(0.5)), []any{2.5, 0.5, 4.5, nil}},
		{"mul const", Col("j").Mul(Lit(3)), []any{6, 0, 12, nil}},
		{"sub const first", Lit(10).Sub(Col("j")), []any{8, 10, 6, nil}},
		{"div gives float, zero gives null", Col("i").Div(Col("j")), []any{0.5, nil, -0.75, nil}},
		{"float div by zero is null", Col("f").Div(Col("f")), []any{1.0, nil, nil, 1.0}},
		{"neg", Col("j").Neg(), []any{-2, 0, -4, nil}},
		{"eq", Col("j").Eq(Lit(4)), []any{false, false, true, nil}},
		{"lt int float", Col("j").Lt(Lit(2.5)), []any{true, true, false, nil}},
		{"ge reversed const", Lit(1).Ge(Col("j")), []any{false, true, false, nil}},
		{"string eq", Col("s").Eq(Lit("Apple")), []any{true, nil, false, false}},
		{"string lt", Col("s").Lt(Lit("B")), []any{true, nil, true, true}},
		{"bool eq", Col("b").Eq(Lit(false)), []any{false, nil, true, false}},
		{"and kleene", Col("b").And(Col("f").Gt(Lit(0))), []any{true, nil, false, false}},
		{"and false beats null", Col("b").And(Lit(nil)), []any{nil, nil, false, nil}},
		{"or true beats null", Col("b").Or(Lit(nil)), []any{true, nil, nil, true}},
		{"not", Col("b").Not(), []any{false, nil, true, false}},
		{"is null", Col("s").IsNull(), []any{false, true, false, false}},
		{"is not null", Col("s").IsNotNull(), []any{true, false, true, true}},
		{"coalesce", Coalesce(Col("i"), Col("j"), Lit(-1)), []any{1, 0, -3, 9223372036854775807}},
		{"coalesce float", Coalesce(Col("f"), Lit(7)), []any{1.5, 7.0, 0.0, -2.0}},
		{"if", If(Col("b"), Col("s"), Lit("no")), []any{"Apple", "no", "no", ""}},
		{"case", Case().When(Col("j").Eq(Lit(2)), Lit("two")).When(Col("j").Gt(Lit(1)), Lit("big")).Else(Lit("small")), []any{"two", "small", "big", "small"}},
		{"case end", Case().When(Col("j").Eq(Lit(2)), Lit(1)).End(), []any{1, nil, nil, nil}},
		{"lower", Col("s").Lower(), []any{"apple", nil, "  pear ", ""}},
		{"upper", Col("s").Upper(), []any{"APPLE", nil, "  PEAR ", ""}},
		{"trim", Col("s").Trim(), []any{"Apple", nil, "pear", ""}},
		{"contains", Col("s").Contains("pp"), []any{true, nil, false, false}},
		{"prefix", Col("s").HasPrefix("Ap"), []any{true, nil, false, false}},
		{"suffix", Col("s").HasSuffix(" "), []any{false, nil, true, false}},
		{"regexp", Col("s").RegexpMatch(`^A.*e$`), []any{true, nil, false, false}},
		{"case in overflow branch not taken", If(Col("i").Gt(Lit(0)).And(Col("i").Lt(Lit(100))), Col("i").Add(Lit(1)), Lit(0)), []any{2, 0, 0, 0}},
		{"constant folded", Lit(2).Mul(Lit(3)).Add(Col("j")), []any{8, 6, 10, nil}},
		{"cast", Col("j").Cast(arrow.PrimitiveTypes.Float32), []any{2.0, 0.0, 4.0, nil}},
		{"is nan", Col("f").Div(Lit(0.0)).IsNull(), []any{true, true, true, true}},
		{"null arithmetic compared", Lit(nil).Add(Col("i")).Gt(Col("j")), []any{nil, nil, nil, nil}},
		{"coalesce over all-null", Coalesce(Col("i").Add(Lit(nil)), Col("j")), []any{2, 0, 4, nil}},
		{"not of null", Lit(nil).Not().Or(Col("b")), []any{true, nil, nil, true}},
	}
	for _, chunk := range []int{0, 1, 3} {
		tbl := rlExprTable(t, chunk)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rlEqualValues(t, c.want, rlDerive(t, tbl, c.e), c.e.String())
			})
		}
	}
}

func TestExprOverflowNamesRow(t *testing.T) {
	tbl := rlExprTable(t, 2)
	_, err := rlTry(t, Derive("x", Col("i").Add(Lit(1))), tbl)
	require.ErrorIs(t, err, ErrOverflow)
	assert.Contains(t, err.Error(), "row 3")
	assert.Contains(t, err.Error(), "9223372036854775807 + 1")
}

func TestExprFloatTotalOrder(t *testing.T) {
	s := rlSchema("f", arrow.PrimitiveTypes.Float64, "g", arrow.PrimitiveTypes.Float64)
	nan := math.NaN()
	b := arrow.NewSchema(s.Fields(), nil)
	tbl := rlFloatTable(t, b, [][2]float64{{nan, nan}, {nan, 1}, {1, nan}, {math.Inf(1), nan}, {math.Copysign(0, -1), 0}})
	rlEqualValues(t, []any{true, false, false, false, true}, rlDerive(t, tbl, Col("f").Eq(Col("g"))))
	rlEqualValues(t, []any{false, false, true, true, false}, rlDerive(t, tbl, Col("f").Lt(Col("g"))))
	rlEqualValues(t, []any{true, true, false, false, true}, rlDerive(t, tbl, Col("f").Ge(Col("g"))))
	// Against a constant (the specialised loops).
	rlEqualValues(t, []any{true, true, false, true, false}, rlDerive(t, tbl, Col("f").Gt(Lit(1e308))))
	rlEqualValues(t, []any{true, true, false, false, false}, rlDerive(t, tbl, Col("f").Eq(Lit(nan))))
	rlEqualValues(t, []any{false, false, true, true, true}, rlDerive(t, tbl, Col("f").Lt(Lit(nan))))
	rlEqualValues(t, []any{true, true, false, false, false}, rlDerive(t, tbl, Col("f").IsNaN()))
	// Arithmetic propagates NaN; x/0 is null.
	rlEqualValues(t, []any{nan, nan, 2.0, math.Inf(1), math.Copysign(0, -1)}, rlDerive(t, tbl, Col("f").Mul(Lit(2))))
}

func rlFloatTable(t testing.TB, s *arrow.Schema, rows [][2]float64) arrow.Table {
	t.Helper()
	f := make([]float64, len(rows))
	g := make([]float64, len(rows))
	for i, r := range rows {
		f[i], g[i] = r[0], r[1]
	}
	fb := array.NewFloat64Builder(memory.DefaultAllocator)
	fb.AppendValues(f, nil)
	gb := array.NewFloat64Builder(memory.DefaultAllocator)
	gb.AppendValues(g, nil)
	rec := array.NewRecordBatch(s, []arrow.Array{fb.NewArray(), gb.NewArray()}, int64(len(rows)))
	return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
}

func TestExprTemporal(t *testing.T) {
	tsParis := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Europe/Paris"}
	naive := &arrow.TimestampType{Unit: arrow.Second}
	s := rlSchema("ts", rlTS, "d", arrow.FixedWidthTypes.Date32, "p", tsParis, "n", naive)
	// 2024-03-30T23:30:00Z is a Saturday in UTC and Sunday 00:30 in Paris (UTC+1).
	// 2024-03-31 is when Paris springs forward.
	const sat = 1711841400 // 2024-03-30T23:30:00Z
	tbl := rlTable(t, s, `[
		{"ts": 1711841400000000, "d": 19812, "p": 1711841400000000, "n": 1711841400},
		{"ts": 0, "d": 0, "p": 0, "n": -1},
		{"ts": null, "d": null, "p": null, "n": null}
	]`, 0)
	_ = sat
	cases := []struct {
		name string
		e    Expr
		want []any
	}{
		{"year", Col("ts").Year(), []any{2024, 1970, nil}},
		{"month", Col("ts").Month(), []any{3, 1, nil}},
		{"day", Col("ts").Day(), []any{30, 1, nil}},
		{"hour", Col("ts").Hour(), []any{23, 0, nil}},
		{"minute", Col("ts").Minute(), []any{30, 0, nil}},
		{"second naive", Col("n").Second(), []any{0, 59, nil}},
		{"dow", Col("ts").DayOfWeek(), []any{6, 4, nil}},
		{"weekend", Col("ts").IsWeekend(), []any{true, false, nil}},
		{"paris hour", Col("p").Hour(), []any{0, 1, nil}},
		{"paris dow", Col("p").DayOfWeek(), []any{7, 4, nil}},
		{"at zone", Col("ts").AtZone("Europe/Paris").Day(), []any{31, 1, nil}},
		{"date utc", Col("ts").Date(), []any{19812, 0, nil}},
		{"date paris", Col("p").Date(), []any{19813, 0, nil}},
		{"trunc day", Col("ts").DateTrunc("day"), []any{1711756800000000, 0, nil}},
		{"trunc hour", Col("ts").DateTrunc("hour"), []any{1711839600000000, 0, nil}},
		{"trunc minute naive", Col("n").DateTrunc("minute"), []any{1711841400, -60, nil}},
		{"trunc week", Col("ts").DateTrunc("week"), []any{1711324800000000, -259200000000, nil}},
		{"trunc month", Col("ts").DateTrunc("month"), []any{1709251200000000, 0, nil}},
		{"trunc quarter", Col("ts").DateTrunc("quarter"), []any{1704067200000000, 0, nil}},
		{"trunc year", Col("ts").DateTrunc("year"), []any{1704067200000000, 0, nil}},
		// Paris: Sunday 00:30 CET truncates to Sunday 00:00 CET = Saturday 23:00Z.
		{"trunc day paris", Col("p").DateTrunc("day"), []any{1711839600000000, -3600000000, nil}},
		{"date part of date32", Col("d").DayOfWeek(), []any{6, 4, nil}},
		{"trunc month of date32", Col("d").DateTrunc("month"), []any{19783, 0, nil}},
		{"compare timestamps across zones", Col("ts").Eq(Col("p")), []any{true, true, nil}},
		{"compare with time literal", Col("ts").Ge(Lit(time.Date(2024, 3, 30, 23, 30, 0, 0, time.UTC))), []any{true, false, nil}},
		{"compare units", Col("n").Lt(Col("ts")), []any{false, true, nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rlEqualValues(t, c.want, rlDerive(t, tbl, c.e), c.e.String())
		})
	}
	out := rlApply(t, Derive("x", Col("p").DateTrunc("day")), tbl)
	rlTypeIs(t, tsParis, out.Schema().Field(4).Type)
	out = rlApply(t, Derive("x", Col("ts").AtZone("+05:30")), tbl)
	assert.Equal(t, "+05:30", out.Schema().Field(4).Type.(*arrow.TimestampType).TimeZone)
}

func TestExprPlanErrors(t *testing.T) {
	tbl := rlExprTable(t, 0)
	cases := []struct {
		name   string
		tr     kiln.Transform
		column string // "" when no column is at fault
		msg    string
	}{
		{"missing column", Derive("x", Col("nope").Add(Lit(1))), "nope", "missing"},
		{"string plus int", Derive("x", Col("s").Add(Lit(1))), "s", "addition needs numbers, got utf8"},
		{"compare string with int", Filter(Col("s").Eq(Col("i"))), "s", "cannot compare utf8 with int64"},
		{"and needs bool", Filter(Col("i").And(Col("b"))), "i", "AND needs a boolean, got int64"},
		{"filter not bool", Filter(Col("i")), "", "the predicate i has type int64, want bool"},
		{"lower of number", Derive("x", Col("f").Lower()), "f", "lower needs a string, got float64"},
		{"bad regexp", Derive("x", Col("s").RegexpMatch("(")), "s", "bad regular expression"},
		{"hour of string", Derive("x", Col("s").Hour()), "s", "hour needs a timestamp or date32"},
		{"unknown trunc unit", Derive("x", Lit(time.Unix(0, 0)).DateTrunc("fortnight")), "", "unknown date_trunc unit"},
		{"coalesce mismatch", Derive("x", Coalesce(Col("s"), Col("i"))), "i", "incompatible types utf8 and int64"},
		{"case branch mismatch", Derive("x", If(Col("b"), Col("s"), Lit(1))), "b", "incompatible types"},
		{"bad literal", Derive("x", Lit(struct{}{})), "", "unsupported literal"},
		{"zero expr", Derive("x", Expr{}), "", "empty expression"},
		{"bad cast", Derive("x", Col("b").Cast(arrow.FixedWidthTypes.Date32)), "b", "cannot cast bool to date32"},
		{"constant overflow folded", Derive("x", Lit(math.MaxInt64).Add(Lit(1))), "", "integer overflow"},
		{"bad zone", Derive("x", Lit(time.Unix(0, 0)).AtZone("Nowhere/Land")), "", "unknown time zone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.tr.OutputSchema([]*arrow.Schema{tbl.Schema()})
			require.Error(t, err)
			assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
			assert.Contains(t, err.Error(), c.msg)
			var se *kiln.SchemaError
			if c.column != "" {
				require.ErrorAs(t, err, &se)
				assert.Equal(t, c.column, se.Column)
			}
		})
	}
}

func TestExprJSONRoundTrip(t *testing.T) {
	e := Case().
		When(Col("s").Lower().Trim().HasPrefix("ap"), Col("f").Mul(Lit(1.5)).Add(Lit(math.Inf(1)))).
		When(Coalesce(Col("b"), Lit(false)).Not(), Col("j").Cast(arrow.PrimitiveTypes.Float64)).
		Else(Lit(nil))
	b, err := json.Marshal(e)
	require.NoError(t, err)
	var back Expr
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, e.String(), back.String())
	tbl := rlExprTable(t, 0)
	rlEqualValues(t, rlDerive(t, tbl, e), rlDerive(t, tbl, back))
	assert.Equal(t, `CASE WHEN starts_with(trim(lower(s)), 'ap') THEN ((f * 1.5) + +Inf) WHEN NOT coalesce(b, false) THEN cast(j AS float64) ELSE NULL END`, e.String())

	// The spec config is canonical JSON: pin it, it is part of the fingerprint.
	js, err := canon.JSON(Filter(Col("amount").Gt(Lit(100))).Spec().Config)
	require.NoError(t, err)
	assert.Equal(t, `{"where":{"args":[{"name":"amount","op":"col"},{"op":"lit","type":"int64","value":"100"}],"op":"gt"}}`, string(js))

	_, err = json.Marshal(Lit(make(chan int)))
	assert.Error(t, err)
}

func TestExprEmptyInput(t *testing.T) {
	tbl := rlTable(t, rlExprTable(t, 0).Schema(), `[]`, 0)
	out := rlApply(t, Derive("x", Col("i").Add(Lit(1))), tbl)
	assert.Equal(t, int64(0), out.NumRows())
	out = rlApply(t, Filter(Col("b")), tbl)
	assert.Equal(t, int64(0), out.NumRows())
	assert.Equal(t, 5, int(out.NumCols()))
}

func TestExprDeriveReplacesInPlace(t *testing.T) {
	tbl := rlExprTable(t, 2)
	out := rlApply(t, Derive("j", Col("j").Mul(Lit(10))), tbl)
	assert.Equal(t, []string{"i", "j", "f", "s", "b"}, rlNames(out.Schema()))
	assert.Equal(t, arrow.PrimitiveTypes.Int64, out.Schema().Field(1).Type)
	rlEqualValues(t, []any{20, 0, 40, nil}, rlValues(t, out, "j"))
	// Nullability: IsNull is never null, a literal neither.
	out = rlApply(t, Derive("k", Col("s").IsNull()), tbl)
	assert.False(t, out.Schema().Field(5).Nullable)
	out = rlApply(t, Derive("k", Coalesce(Col("i"), Lit(0))), tbl)
	assert.False(t, out.Schema().Field(5).Nullable)
	out = rlApply(t, Derive("k", Col("i").Div(Lit(2))), tbl)
	assert.True(t, out.Schema().Field(5).Nullable)
}

func rlNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}

func TestExprLineage(t *testing.T) {
	s := rlExprTable(t, 0).Schema()
	l, err := Derive("x", Col("i").Add(Col("f"))).ColumnLineage([]*arrow.Schema{s})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{{Column: "i", Kind: "DIRECT", Subtype: "TRANSFORMATION"}, {Column: "f", Kind: "DIRECT", Subtype: "TRANSFORMATION"}}, l["x"])
	assert.Equal(t, []kiln.ColumnRef{{Column: "s", Kind: "DIRECT", Subtype: "IDENTITY"}}, l["s"])
	l, err = Filter(Col("b")).ColumnLineage([]*arrow.Schema{s})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{{Column: "s", Kind: "DIRECT", Subtype: "IDENTITY"}, {Column: "b", Kind: "INDIRECT", Subtype: "FILTER"}}, l["s"])
}

// TestExprLargeMatchesOracle evaluates expressions over several chunks of
// random data and compares every row with a row-by-row computation.
func TestExprLargeMatchesOracle(t *testing.T) {
	tbl := rlBigTable(t, 5000)
	x, k, c := rlValues(t, tbl, "x"), rlValues(t, tbl, "k"), rlValues(t, tbl, "c")
	n := len(x)
	oracle := func(f func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	rlEqualValues(t, oracle(func(i int) any {
		if x[i] == nil {
			return nil
		}
		return x[i].(float64)*2.5 + float64(k[i].(int64))/3
	}), rlDerive(t, tbl, Col("x").Mul(Lit(2.5)).Add(Col("k").Div(Lit(3)))))
	ops := map[string]func(a, b float64) bool{
		"eq": func(a, b float64) bool { return a == b }, "ne": func(a, b float64) bool { return a != b },
		"lt": func(a, b float64) bool { return a < b }, "le": func(a, b float64) bool { return a <= b },
		"gt": func(a, b float64) bool { return a > b }, "ge": func(a, b float64) bool { return a >= b },
	}
	mk := map[string]func(Expr, Expr) Expr{
		"eq": Expr.Eq, "ne": Expr.Ne, "lt": Expr.Lt, "le": Expr.Le, "gt": Expr.Gt, "ge": Expr.Ge,
	}
	for name, op := range ops {
		// Integers against a constant, on either side.
		rlEqualValues(t, oracle(func(i int) any { return op(float64(k[i].(int64)), 17) }), rlDerive(t, tbl, mk[name](Col("k"), Lit(17))), name)
		rlEqualValues(t, oracle(func(i int) any { return op(17, float64(k[i].(int64))) }), rlDerive(t, tbl, mk[name](Lit(17), Col("k"))), name)
		// Floats with NaN: NaN is above every number and equal to itself.
		rlEqualValues(t, oracle(func(i int) any {
			if x[i] == nil {
				return nil
			}
			v := x[i].(float64)
			if math.IsNaN(v) {
				return op(1, 0) || name == "ne" // NaN vs 10: greater and unequal
			}
			return op(v, 10)
		}), rlDerive(t, tbl, mk[name](Col("x"), Lit(10.0))), "float "+name)
		// Two columns.
		rlEqualValues(t, oracle(func(i int) any {
			if x[i] == nil {
				return nil
			}
			v, w := x[i].(float64), float64(k[i].(int64))
			if math.IsNaN(v) {
				return op(1, 0) || name == "ne"
			}
			return op(v, w)
		}), rlDerive(t, tbl, mk[name](Col("x"), Col("k"))), "columns "+name)
	}
	rlEqualValues(t, oracle(func(i int) any {
		if c[i] == nil {
			return "none"
		}
		if c[i].(string) < "f" {
			return "early"
		}
		return c[i]
	}), rlDerive(t, tbl, Case().When(Col("c").IsNull(), Lit("none")).When(Col("c").Lt(Lit("f")), Lit("early")).Else(Col("c"))))
}
