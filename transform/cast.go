package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/expr"
)

// CastTransform converts a column to another type. Create one with Cast.
type CastTransform struct {
	col   string
	to    arrow.DataType
	lossy bool
}

// Cast returns a transform converting column col to type to, in place.
//
// A cast is exact: a value the target type cannot represent fails the run
// with an error naming the column, the row (0-based) and the value,
// matching ErrLossy. That covers values out of the target's range, floats
// with a fractional part (or NaN, infinities) to integers, NaN to bool,
// finite float64 values beyond float32, strings that do not parse, and
// timestamps or dates that need a coarser unit than they have. Rounding a
// large integer to the nearest float is not lossy. AllowLossy turns
// failures into nulls instead, float-to-integer casts truncating toward
// zero and timestamp-to-coarser-unit (or to date) casts rounding down.
//
// Supported conversions: between bool, integers and floats; every
// supported type to and from strings (numbers in Go's shortest round-trip
// form and strconv syntax; timestamps as RFC 3339 in their zone; dates as
// YYYY-MM-DD; strings without an offset parse as wall time in the target
// timestamp's zone); between string types; timestamps between units and
// zones (the instant is kept; a timestamp without a zone is taken as UTC);
// timestamps to and from date32 (midnight in the timestamp's zone) and
// integers (the raw count of units since the epoch); date32 to and from
// integers (days since 1970-01-01). Output order: input order.
func Cast(col string, to arrow.DataType) *CastTransform { return &CastTransform{col: col, to: to} }

// AllowLossy returns a copy that turns lossy values into nulls (and
// truncates) instead of failing.
func (c *CastTransform) AllowLossy() *CastTransform {
	d := *c
	d.lossy = true
	return &d
}

type castConfig struct {
	Column     string `json:"column"`
	To         string `json:"to"`
	AllowLossy bool   `json:"allow_lossy"`
}

// Spec implements kiln.Transform.
func (c *CastTransform) Spec() kiln.Spec {
	to := "<nil>"
	if c.to != nil {
		to = expr.TypeName(c.to)
	}
	return spec("cast", "1", castConfig{Column: c.col, To: to, AllowLossy: c.lossy})
}

func (c *CastTransform) plan(s *arrow.Schema) (*arrow.Schema, int, error) {
	if c.to == nil {
		return nil, 0, fmt.Errorf("transform.cast %q: no target type", c.col)
	}
	i, f, err := field(s, 0, c.col)
	if err != nil {
		return nil, 0, fmt.Errorf("transform.cast: %w", err)
	}
	if _, err := expr.ParseType(expr.TypeName(c.to)); err != nil {
		return nil, 0, fmt.Errorf("transform.cast: %w", &kiln.SchemaError{Column: c.col, Problem: err.Error()})
	}
	if err := expr.CanCast(f.Type, c.to); err != nil {
		return nil, 0, fmt.Errorf("transform.cast: %w", &kiln.SchemaError{Column: c.col, Problem: err.Error()})
	}
	nullable := f.Nullable || expr.CastNullable(f.Type, c.to, c.lossy)
	out, _ := exprWithField(s, arrow.Field{Name: c.col, Type: c.to, Nullable: nullable, Metadata: f.Metadata})
	return out, i, nil
}

// OutputSchema implements kiln.Transform.
func (c *CastTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("cast", in); err != nil {
		return nil, err
	}
	out, _, err := c.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (c *CastTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("cast", in); err != nil {
		return nil, err
	}
	t := in[0]
	out, at, err := c.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	col, err := exprMapColumn(ctx, t, at, c.to, func(a arrow.Array, lo int64) (arrow.Array, error) {
		return expr.Cast(a, c.to, expr.CastOptions{AllowLossy: c.lossy, RowBase: lo, Name: "column " + exprQuote(c.col)})
	})
	if err != nil {
		return nil, fmt.Errorf("transform.cast: %w", err)
	}
	return exprReplace(t, out, at, col), nil
}

// ColumnLineage implements kiln.ColumnLineager.
func (c *CastTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput("cast", in); err != nil {
		return nil, err
	}
	out := identityLineage(in[0])
	out[c.col] = exprRefs([]string{c.col}, "DIRECT", "TRANSFORMATION")
	return out, nil
}

func exprQuote(s string) string { return fmt.Sprintf("%q", s) }

// exprMapColumn applies fn to column i of t piece by piece (in parallel)
// and returns the results as one chunked array of type dt. fn gets each
// piece's array and its first table row.
func exprMapColumn(ctx *kiln.Context, t arrow.Table, i int, dt arrow.DataType, fn func(a arrow.Array, lo int64) (arrow.Array, error)) (*arrow.Chunked, error) {
	results, err := exprPieces(ctx, t, []int{i}, func(pc expr.Piece) ([]arrow.Array, error) {
		a, err := fn(pc.Cols[i], pc.Lo)
		if err != nil {
			return nil, err
		}
		if a == pc.Cols[i] {
			a.Retain()
		}
		return []arrow.Array{a}, nil
	})
	if err != nil {
		return nil, err
	}
	defer exprReleaseAll(results)
	return exprColumn(dt, results, 0), nil
}
