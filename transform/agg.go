package transform

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// Aggregation is one aggregate of GroupBy (and, for count, sum, mean, min
// and max, of Rolling windows). Build one with Count, Sum, Mean... and name
// its output column with As. It is plain data, hashed into the transform's
// fingerprint.
//
// Null semantics follow SQL: aggregates skip nulls; Sum, Mean, Min, Max,
// Var, Std and Quantile of a group with no non-null value are null; counts
// are never null (0 for no values).
type Aggregation struct {
	// Func is the aggregate: count, count_non_null, count_distinct, sum,
	// mean, min, max, first, last, var, var_pop, std, std_pop, quantile.
	Func string `json:"func"`
	// Column is the aggregated column ("" for count).
	Column string `json:"column,omitempty"`
	// OrderBy is the column ordering the rows for first and last ("" means
	// input order).
	OrderBy string `json:"order_by,omitempty"`
	// IgnoreNulls makes first and last skip rows where Column is null.
	IgnoreNulls bool `json:"ignore_nulls,omitempty"`
	// Q is the quantile's probability, in [0, 1].
	Q float64 `json:"q,omitempty"`
	// Name is the output column ("" gives the default: see Output).
	Name string `json:"name,omitempty"`
}

// Count counts rows (SQL count(*)). Output: int64 "count".
func Count() Aggregation { return Aggregation{Func: "count"} }

// CountNonNull counts the non-null values of col. Output: int64.
func CountNonNull(col string) Aggregation { return Aggregation{Func: "count_non_null", Column: col} }

// CountDistinct counts the distinct non-null values of col (NaN equals NaN,
// -0 equals +0). Output: int64.
func CountDistinct(col string) Aggregation { return Aggregation{Func: "count_distinct", Column: col} }

// Sum adds the non-null values of a numeric column. Integer columns sum
// exactly into int64 (a sum outside int64 is an error); float columns into
// float64, adding each group's values in input row order.
func Sum(col string) Aggregation { return Aggregation{Func: "sum", Column: col} }

// Mean averages the non-null values of a numeric column. Output: float64.
func Mean(col string) Aggregation { return Aggregation{Func: "mean", Column: col} }

// Min is the smallest non-null value of col (any sortable type; NaN is the
// largest float). Output: col's type.
func Min(col string) Aggregation { return Aggregation{Func: "min", Column: col} }

// Max is the largest non-null value of col (any sortable type; NaN is the
// largest float, so a group holding NaN has max NaN). Output: col's type.
func Max(col string) Aggregation { return Aggregation{Func: "max", Column: col} }

// First is col's value at the group's first row in input order (null when
// that value is null, unless IgnoreNulls). Output: col's type.
func First(col string) Aggregation { return Aggregation{Func: "first", Column: col} }

// Last is col's value at the group's last row in input order.
func Last(col string) Aggregation { return Aggregation{Func: "last", Column: col} }

// FirstBy is col's value at the row with the smallest value of order (the
// earliest such row in input order on ties). Rows where order is null are
// ignored.
func FirstBy(col, order string) Aggregation {
	return Aggregation{Func: "first", Column: col, OrderBy: order}
}

// LastBy is col's value at the row with the largest value of order (the
// latest such row in input order on ties). Rows where order is null are
// ignored.
func LastBy(col, order string) Aggregation {
	return Aggregation{Func: "last", Column: col, OrderBy: order}
}

// Var is the sample variance (divisor n-1; null for fewer than 2 values),
// computed in two passes (mean, then squared deviations) in input row order.
func Var(col string) Aggregation { return Aggregation{Func: "var", Column: col} }

// VarPop is the population variance (divisor n).
func VarPop(col string) Aggregation { return Aggregation{Func: "var_pop", Column: col} }

// Std is the sample standard deviation, the square root of Var.
func Std(col string) Aggregation { return Aggregation{Func: "std", Column: col} }

// StdPop is the population standard deviation, the square root of VarPop.
func StdPop(col string) Aggregation { return Aggregation{Func: "std_pop", Column: col} }

// Quantile is the q-quantile (0 <= q <= 1) of the non-null values of a
// numeric column, interpolated linearly between the two nearest ranks
// (DuckDB's quantile_cont, pandas' default). It is exact, not approximate:
// each group's values are sorted. Output: float64.
func Quantile(col string, q float64) Aggregation {
	return Aggregation{Func: "quantile", Column: col, Q: q}
}

// Median is Quantile(col, 0.5), named "median_<col>" by default.
func Median(col string) Aggregation {
	return Aggregation{Func: "quantile", Column: col, Q: 0.5, Name: "median_" + col}
}

// As names the output column.
func (a Aggregation) As(name string) Aggregation { a.Name = name; return a }

// SkipNulls makes First, Last, FirstBy and LastBy consider only rows where
// the column is not null.
func (a Aggregation) SkipNulls() Aggregation { a.IgnoreNulls = true; return a }

// Output returns the output column name: Name when set, else "count" for
// Count and "<func>_<column>" otherwise (e.g. "sum_amount",
// "quantile_0.9_amount").
func (a Aggregation) Output() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Func == "count":
		return "count"
	case a.Func == "quantile":
		return "quantile_" + strconv.FormatFloat(a.Q, 'g', -1, 64) + "_" + a.Column
	}
	return a.Func + "_" + a.Column
}

var numericTypes = []arrow.Type{
	arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
	arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
	arrow.FLOAT32, arrow.FLOAT64,
}

func isFloat(dt arrow.DataType) bool {
	return dt.ID() == arrow.FLOAT32 || dt.ID() == arrow.FLOAT64
}

// field returns the aggregation's output field for input schema s (input i)
// and the index of its column (-1 for count).
func (a Aggregation) field(s *arrow.Schema, i int) (arrow.Field, int, error) {
	name := a.Output()
	if a.Func == "count" {
		if a.Column != "" {
			return arrow.Field{}, -1, fmt.Errorf("aggregation %s: count takes no column (use CountNonNull)", name)
		}
		return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64}, -1, nil
	}
	if a.Column == "" {
		return arrow.Field{}, -1, fmt.Errorf("aggregation %s: %s needs a column", name, a.Func)
	}
	if a.OrderBy != "" && a.Func != "first" && a.Func != "last" {
		return arrow.Field{}, -1, fmt.Errorf("aggregation %s: order_by applies to first and last only", name)
	}
	if a.IgnoreNulls && a.Func != "first" && a.Func != "last" {
		return arrow.Field{}, -1, fmt.Errorf("aggregation %s: ignore_nulls applies to first and last only", name)
	}
	var types []arrow.Type
	switch a.Func {
	case "count_non_null", "first", "last":
	case "count_distinct", "min", "max":
		types = keyTypes
	case "sum", "mean", "var", "var_pop", "std", "std_pop":
		types = numericTypes
	case "quantile":
		if !(a.Q >= 0 && a.Q <= 1) {
			return arrow.Field{}, -1, fmt.Errorf("aggregation %s: quantile %v outside [0, 1]", name, a.Q)
		}
		types = numericTypes
	default:
		return arrow.Field{}, -1, fmt.Errorf("aggregation %s: unknown function %q", name, a.Func)
	}
	j, f, err := field(s, i, a.Column, types...)
	if err != nil {
		return arrow.Field{}, -1, err
	}
	if a.OrderBy != "" {
		if _, _, err := field(s, i, a.OrderBy, keyTypes...); err != nil {
			return arrow.Field{}, -1, err
		}
	}
	out := arrow.Field{Name: name, Nullable: true}
	switch a.Func {
	case "count_non_null", "count_distinct":
		out.Type, out.Nullable = arrow.PrimitiveTypes.Int64, false
	case "sum":
		out.Type = arrow.PrimitiveTypes.Int64
		if isFloat(f.Type) {
			out.Type = arrow.PrimitiveTypes.Float64
		}
	case "min", "max", "first", "last":
		out.Type = f.Type
	default:
		out.Type = arrow.PrimitiveTypes.Float64
	}
	return out, j, nil
}

// lineage returns the input columns an aggregation reads.
func (a Aggregation) lineage(input int) []kiln.ColumnRef {
	var out []kiln.ColumnRef
	if a.Column != "" {
		out = append(out, ref(input, a.Column, "DIRECT", "AGGREGATION"))
	}
	if a.OrderBy != "" {
		out = append(out, ref(input, a.OrderBy, "INDIRECT", "SORT"))
	}
	return out
}

// checkNames fails when output column names repeat.
func checkNames(fields []arrow.Field) error {
	seen := make([]string, 0, len(fields))
	for _, f := range fields {
		if slices.Contains(seen, f.Name) {
			return &kiln.SchemaError{Column: f.Name, Problem: "output column named twice (rename one with As)", Input: -1}
		}
		seen = append(seen, f.Name)
	}
	return nil
}
