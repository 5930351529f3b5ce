package transform

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/expr"
)

// FillNullsTransform replaces nulls with constants. Create one with
// FillNulls.
type FillNullsTransform struct {
	fills map[string]any
}

// FillNulls returns a transform replacing the nulls of each column named
// in fills with its value. A value must convert exactly to the column's
// type (0 fills a float64 column, 0.5 cannot fill an int64 one: a
// plan-time error); time.Time fills timestamps. NaN is a value, not a
// null: it is kept (use Derive with IsNaN to replace it). The filled
// columns become non-nullable. Output order: input order.
//
//	transform.FillNulls(map[string]any{"amount": 0.0, "country": "unknown"})
func FillNulls(fills map[string]any) *FillNullsTransform { return &FillNullsTransform{fills: fills} }

type fillConfig struct {
	Fills map[string]Expr `json:"fills"`
}

func (f *FillNullsTransform) lits() map[string]Expr {
	out := make(map[string]Expr, len(f.fills))
	for c, v := range f.fills {
		out[c] = Lit(v)
	}
	return out
}

// Spec implements kiln.Transform.
func (f *FillNullsTransform) Spec() kiln.Spec {
	return spec("fill_nulls", "1", fillConfig{Fills: f.lits()})
}

// fillPlan is one column to fill: its index and the program computing the
// filled column.
type fillPlan struct {
	at   int
	prog *expr.Program
}

func (f *FillNullsTransform) plan(s *arrow.Schema) (*arrow.Schema, []fillPlan, error) {
	if len(f.fills) == 0 {
		return nil, nil, fmt.Errorf("transform.fill_nulls: no columns to fill")
	}
	names := make([]string, 0, len(f.fills))
	for c := range f.fills {
		names = append(names, c)
	}
	slices.Sort(names)
	out := s
	var plans []fillPlan
	for _, c := range names {
		i, fd, err := field(s, 0, c)
		if err != nil {
			return nil, nil, fmt.Errorf("transform.fill_nulls: %w", err)
		}
		if f.fills[c] == nil {
			return nil, nil, fmt.Errorf("transform.fill_nulls: %w", &kiln.SchemaError{Column: c, Problem: "the fill value is nil"})
		}
		lit := Lit(f.fills[c])
		if lit.err != nil {
			return nil, nil, fmt.Errorf("transform.fill_nulls: %w", &kiln.SchemaError{Column: c, Problem: lit.err.Error()})
		}
		if lt, _ := expr.ParseType(lit.n.Type); !expr.FillKind(lt, fd.Type) {
			return nil, nil, fmt.Errorf("transform.fill_nulls: %w", &kiln.SchemaError{Column: c, Problem: fmt.Sprintf("has type %s, cannot be filled with a %s (%v)", fd.Type, lit.n.Type, f.fills[c])})
		}
		if _, err := expr.ParseType(expr.TypeName(fd.Type)); err != nil {
			return nil, nil, fmt.Errorf("transform.fill_nulls: %w", &kiln.SchemaError{Column: c, Problem: fmt.Sprintf("cannot fill nulls of type %s", fd.Type)})
		}
		p, err := exprCompile(Coalesce(Col(c), lit.Cast(fd.Type)), s)
		if err != nil {
			return nil, nil, fmt.Errorf("transform.fill_nulls: %w", err)
		}
		fd.Nullable = false
		out, _ = exprWithField(out, fd)
		plans = append(plans, fillPlan{at: i, prog: p})
	}
	return out, plans, nil
}

// OutputSchema implements kiln.Transform.
func (f *FillNullsTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("fill_nulls", in); err != nil {
		return nil, err
	}
	out, _, err := f.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (f *FillNullsTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("fill_nulls", in); err != nil {
		return nil, err
	}
	t := in[0]
	out, plans, err := f.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	cols := make([]*arrow.Chunked, out.NumFields())
	for _, p := range plans {
		fd := t.Schema().Field(p.at)
		if t.Column(p.at).Data().NullN() == 0 {
			continue
		}
		c, err := exprEval(ctx, p.prog, t, "transform.fill_nulls "+fd.Name)
		if err != nil {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
			return nil, err
		}
		cols[p.at] = c
	}
	for i := range cols {
		if cols[i] == nil {
			cols[i] = exprRetained(t, i)
		}
	}
	return exprTable(out, cols, t.NumRows()), nil
}

// ColumnLineage implements kiln.ColumnLineager: every column is itself
// (filled columns transformed).
func (f *FillNullsTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput("fill_nulls", in); err != nil {
		return nil, err
	}
	out := identityLineage(in[0])
	for c := range f.fills {
		if _, ok := out[c]; ok {
			out[c] = exprRefs([]string{c}, "DIRECT", "TRANSFORMATION")
		}
	}
	return out, nil
}

// DropNullsTransform drops rows with nulls. Create one with DropNulls.
type DropNullsTransform struct {
	cols []string
}

// DropNulls returns a transform dropping every row that has a null in any
// of cols (in any column when cols is empty). NaN is not null. The named
// columns become non-nullable in the output schema. Output order: input
// order.
func DropNulls(cols ...string) *DropNullsTransform { return &DropNullsTransform{cols: cols} }

type dropNullsConfig struct {
	Columns []string `json:"columns"`
}

// Spec implements kiln.Transform.
func (d *DropNullsTransform) Spec() kiln.Spec {
	cols := d.cols
	if cols == nil {
		cols = []string{}
	}
	return spec("drop_nulls", "1", dropNullsConfig{Columns: cols})
}

func (d *DropNullsTransform) plan(s *arrow.Schema) (*arrow.Schema, []int, error) {
	var idx []int
	if len(d.cols) == 0 {
		for i := range s.NumFields() {
			idx = append(idx, i)
		}
	}
	for _, c := range d.cols {
		i, _, err := field(s, 0, c)
		if err != nil {
			return nil, nil, fmt.Errorf("transform.drop_nulls: %w", err)
		}
		idx = append(idx, i)
	}
	fields := s.Fields()
	for _, i := range idx {
		fields[i].Nullable = false
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md), idx, nil
}

// OutputSchema implements kiln.Transform.
func (d *DropNullsTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("drop_nulls", in); err != nil {
		return nil, err
	}
	out, _, err := d.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (d *DropNullsTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("drop_nulls", in); err != nil {
		return nil, err
	}
	if o, ok := owned(in); ok {
		s, err := d.OutputSchema(schemasOf(in))
		if err != nil {
			return nil, err
		}
		return consumeSelector(ctx, d, s, o)
	}
	t := in[0]
	out, idx, err := d.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	hasNulls := false
	for _, i := range idx {
		if t.Column(i).Data().NullN() > 0 {
			hasNulls = true
		}
	}
	if !hasNulls {
		cols := make([]*arrow.Chunked, t.NumCols())
		for i := range cols {
			cols[i] = exprRetained(t, i)
		}
		return exprTable(out, cols, t.NumRows()), nil
	}
	res, err := filterRows(ctx, t, func(pc expr.Piece) (arrow.Array, error) {
		cols := make([]arrow.Array, len(idx))
		for k, i := range idx {
			cols[k] = pc.Cols[i]
		}
		return expr.AllValid(pc.Rows, cols), nil
	})
	if err != nil {
		return nil, err
	}
	defer res.Release()
	cols := make([]*arrow.Chunked, res.NumCols())
	for i := range cols {
		cols[i] = exprRetained(res, i)
	}
	return exprTable(out, cols, res.NumRows()), nil
}

// ColumnLineage implements kiln.ColumnLineager: every column is itself,
// with the checked columns as INDIRECT FILTER inputs.
func (d *DropNullsTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput("drop_nulls", in); err != nil {
		return nil, err
	}
	_, idx, err := d.plan(in[0])
	if err != nil {
		return nil, err
	}
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = in[0].Field(i).Name
	}
	out := identityLineage(in[0])
	pred := exprRefs(names, "INDIRECT", "FILTER")
	for k, refs := range out {
		out[k] = append(refs, pred...)
	}
	return out, nil
}
