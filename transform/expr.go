package transform

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/expr"
)

// Expr is a typed expression over the columns of a table, evaluated
// column-at-a-time by Filter and Derive. Build one from Col and Lit with
// the operator methods:
//
//	transform.Col("amount").Mul(transform.Lit(1.2)).Gt(transform.Lit(100))
//	transform.Col("event_type").Lower().Eq(transform.Lit("purchase"))
//	transform.Col("ts").DateTrunc("day")
//
// An Expr is plain data: its JSON form (MarshalJSON) is what enters the
// transform's config and fingerprint, and UnmarshalJSON reads it back. It
// is type-checked against the input schema at plan time; errors name the
// column and sub-expression.
//
// Semantics:
//
//   - Nulls follow SQL: an operator or function of a null gives null;
//     And/Or are three-valued (false AND null is false, true OR null is
//     true); IsNull, IsNotNull and Coalesce look at nulls directly.
//   - Integer arithmetic runs in int64 and fails on overflow (ErrOverflow,
//     naming the row); if either side is a float it runs in float64 (IEEE
//     754: NaN and infinities propagate). Div always gives float64, and
//     division by zero gives null (as in DuckDB), not an error or an
//     infinity.
//   - Comparisons need operands of one kind (numbers, strings, booleans,
//     timestamps, dates). Integers compare as int64, mixed numbers as
//     float64, with a total order on floats: NaN equals NaN and is greater
//     than any other number. Strings compare by UTF-8 bytes. Timestamps
//     compare as instants whatever their zones.
//   - Date parts and DateTrunc work in the timestamp type's time zone (a
//     timestamp without a zone is read as written); AtZone changes that
//     zone without changing the instant.
//   - If and Case take the first branch whose condition is true (a null
//     condition is not true); rows only evaluate the branch they take, so
//     an error in another branch does not fail them.
//   - Evaluation errors (integer overflow, a Cast that cannot convert a
//     value) name the 0-based row of the input table and the
//     sub-expression; they match ErrOverflow and ErrLossy.
//
// The zero Expr is invalid.
type Expr struct {
	n   *expr.Node
	err error
}

// errZeroExpr reports use of the zero Expr.
var errZeroExpr = errors.New("empty expression (the zero transform.Expr)")

// Col refers to the column name of the input.
func Col(name string) Expr { return Expr{n: &expr.Node{Op: "col", Name: name}} }

// Lit is a constant: nil (null), a bool, any Go integer (int64), float32
// or float64 (float64), a string (utf8) or a time.Time (a timestamp in
// UTC). Other types make an invalid expression, reported at plan time.
func Lit(v any) Expr {
	n, err := expr.Lit(v)
	if err != nil {
		return Expr{err: err}
	}
	return Expr{n: n}
}

// exprNode builds an operator node, propagating the first error.
func exprNode(op, param string, args ...Expr) Expr {
	n := &expr.Node{Op: op, Param: param, Args: make([]*expr.Node, len(args))}
	for i, a := range args {
		if a.err != nil {
			return Expr{err: a.err}
		}
		if a.n == nil {
			return Expr{err: errZeroExpr}
		}
		n.Args[i] = a.n
	}
	return Expr{n: n}
}

// Add returns e + o.
func (e Expr) Add(o Expr) Expr { return exprNode("add", "", e, o) }

// Sub returns e - o.
func (e Expr) Sub(o Expr) Expr { return exprNode("sub", "", e, o) }

// Mul returns e * o.
func (e Expr) Mul(o Expr) Expr { return exprNode("mul", "", e, o) }

// Div returns e / o as a float64; null when o is zero.
func (e Expr) Div(o Expr) Expr { return exprNode("div", "", e, o) }

// Neg returns -e.
func (e Expr) Neg() Expr { return exprNode("neg", "", e) }

// Eq returns e = o.
func (e Expr) Eq(o Expr) Expr { return exprNode("eq", "", e, o) }

// Ne returns e <> o.
func (e Expr) Ne(o Expr) Expr { return exprNode("ne", "", e, o) }

// Lt returns e < o.
func (e Expr) Lt(o Expr) Expr { return exprNode("lt", "", e, o) }

// Le returns e <= o.
func (e Expr) Le(o Expr) Expr { return exprNode("le", "", e, o) }

// Gt returns e > o.
func (e Expr) Gt(o Expr) Expr { return exprNode("gt", "", e, o) }

// Ge returns e >= o.
func (e Expr) Ge(o Expr) Expr { return exprNode("ge", "", e, o) }

// And returns e AND o (three-valued).
func (e Expr) And(o Expr) Expr { return exprNode("and", "", e, o) }

// Or returns e OR o (three-valued).
func (e Expr) Or(o Expr) Expr { return exprNode("or", "", e, o) }

// Not returns NOT e.
func (e Expr) Not() Expr { return exprNode("not", "", e) }

// And returns the conjunction of es, left to right (true when empty).
func And(es ...Expr) Expr { return exprFold("and", true, es) }

// Or returns the disjunction of es, left to right (false when empty).
func Or(es ...Expr) Expr { return exprFold("or", false, es) }

// Not returns NOT e.
func Not(e Expr) Expr { return e.Not() }

func exprFold(op string, empty bool, es []Expr) Expr {
	if len(es) == 0 {
		return Lit(empty)
	}
	out := es[0]
	for _, e := range es[1:] {
		out = exprNode(op, "", out, e)
	}
	return out
}

// IsNull is true where e is null (never null itself).
func (e Expr) IsNull() Expr { return exprNode("is_null", "", e) }

// IsNotNull is true where e is not null (never null itself).
func (e Expr) IsNotNull() Expr { return exprNode("is_not_null", "", e) }

// IsNaN is true where the float e is NaN.
func (e Expr) IsNaN() Expr { return exprNode("is_nan", "", e) }

// Coalesce returns the first non-null of es, row by row. The operands must
// have a common type (integers widen to int64, mixed numbers to float64).
func Coalesce(es ...Expr) Expr { return exprNode("coalesce", "", es...) }

// If returns then where cond is true and otherwise els (also where cond is
// null).
func If(cond, then, els Expr) Expr { return exprNode("case", "", cond, then, els) }

// CaseExpr is a CASE expression under construction: Case().When(c1,
// v1).When(c2, v2).Else(v).
type CaseExpr struct{ args []Expr }

// Case starts a CASE expression.
func Case() CaseExpr { return CaseExpr{} }

// When adds a branch: rows where cond is true (and no earlier condition
// was) take value.
func (c CaseExpr) When(cond, value Expr) CaseExpr {
	return CaseExpr{args: append(append([]Expr(nil), c.args...), cond, value)}
}

// Else finishes the expression with the value of rows no condition took.
func (c CaseExpr) Else(value Expr) Expr {
	return exprNode("case", "", append(append([]Expr(nil), c.args...), value)...)
}

// End finishes the expression; rows no condition took are null.
func (c CaseExpr) End() Expr { return exprNode("case", "", c.args...) }

// Lower returns the string e in lower case.
func (e Expr) Lower() Expr { return exprNode("lower", "", e) }

// Upper returns the string e in upper case.
func (e Expr) Upper() Expr { return exprNode("upper", "", e) }

// Trim removes leading and trailing white space from the string e.
func (e Expr) Trim() Expr { return exprNode("trim", "", e) }

// Contains is true where the string e contains sub.
func (e Expr) Contains(sub string) Expr { return exprNode("contains", sub, e) }

// HasPrefix is true where the string e starts with prefix.
func (e Expr) HasPrefix(prefix string) Expr { return exprNode("has_prefix", prefix, e) }

// HasSuffix is true where the string e ends with suffix.
func (e Expr) HasSuffix(suffix string) Expr { return exprNode("has_suffix", suffix, e) }

// RegexpMatch is true where the RE2 pattern matches somewhere in the
// string e (anchor it with ^ and $ to match the whole string).
func (e Expr) RegexpMatch(pattern string) Expr { return exprNode("regexp_match", pattern, e) }

// Year returns the year of a timestamp or date as int64.
func (e Expr) Year() Expr { return exprNode("year", "", e) }

// Month returns the month (1-12) of a timestamp or date.
func (e Expr) Month() Expr { return exprNode("month", "", e) }

// Day returns the day of the month (1-31) of a timestamp or date.
func (e Expr) Day() Expr { return exprNode("day", "", e) }

// Hour returns the hour (0-23) of a timestamp.
func (e Expr) Hour() Expr { return exprNode("hour", "", e) }

// Minute returns the minute (0-59) of a timestamp.
func (e Expr) Minute() Expr { return exprNode("minute", "", e) }

// Second returns the second (0-59) of a timestamp.
func (e Expr) Second() Expr { return exprNode("second", "", e) }

// DayOfWeek returns the ISO 8601 day of the week of a timestamp or date:
// Monday 1 through Sunday 7.
func (e Expr) DayOfWeek() Expr { return exprNode("day_of_week", "", e) }

// IsWeekend is true on Saturdays and Sundays.
func (e Expr) IsWeekend() Expr { return exprNode("is_weekend", "", e) }

// DateTrunc truncates a timestamp (or date) to the start of its unit:
// "year", "quarter", "month", "week" (ISO weeks start on Monday), "day",
// "hour", "minute" or "second". The result has e's type.
func (e Expr) DateTrunc(unit string) Expr { return exprNode("date_trunc", unit, e) }

// Date returns the calendar date (date32) of a timestamp in its zone.
func (e Expr) Date() Expr { return exprNode("date", "", e) }

// AtZone returns the timestamp e with time zone tz ("UTC", "+05:30",
// "Europe/Paris"): the same instants, with date parts read in tz.
func (e Expr) AtZone(tz string) Expr { return exprNode("at_zone", tz, e) }

// Cast converts e to type to, failing on values that do not convert
// exactly (see transform.Cast for the rules).
func (e Expr) Cast(to arrow.DataType) Expr {
	out := exprNode("cast", "", e)
	if out.err != nil {
		return out
	}
	name := expr.TypeName(to)
	if _, err := expr.ParseType(name); err != nil {
		return Expr{err: err}
	}
	out.n.Type = name
	return out
}

// String renders e in a SQL-like notation.
func (e Expr) String() string {
	switch {
	case e.err != nil:
		return "<invalid: " + e.err.Error() + ">"
	case e.n == nil:
		return "<empty>"
	}
	return e.n.String()
}

// Columns returns the columns e reads, in first-use order.
func (e Expr) Columns() []string {
	if e.n == nil {
		return nil
	}
	return e.n.Columns()
}

// MarshalJSON encodes e as plain data: {"op":"gt","args":[{"op":"col",
// "name":"amount"},{"op":"lit","type":"int64","value":"100"}]}.
func (e Expr) MarshalJSON() ([]byte, error) {
	if e.err != nil {
		return nil, fmt.Errorf("invalid expression: %w", e.err)
	}
	if e.n == nil {
		return nil, errZeroExpr
	}
	return json.Marshal(e.n)
}

// UnmarshalJSON decodes the form MarshalJSON writes. The expression is
// type-checked later, against a schema.
func (e *Expr) UnmarshalJSON(b []byte) error {
	var n expr.Node
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("decode expression: %w", err)
	}
	*e = Expr{n: &n}
	return nil
}
