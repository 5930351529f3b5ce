package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/expr"
)

// DeriveTransform adds or replaces a column computed by an expression.
// Create one with Derive.
type DeriveTransform struct {
	name string
	e    Expr
}

// Derive returns a transform that computes e for every row into column
// name: it replaces an existing column of that name in place, or is
// appended as the last column. The column's type is e's type; it is
// nullable unless e can never be null. Other columns pass through without
// copying. Output order: input order.
//
//	transform.Derive("revenue", transform.Col("price").Mul(transform.Col("qty")))
func Derive(name string, e Expr) *DeriveTransform { return &DeriveTransform{name: name, e: e} }

type deriveConfig struct {
	Name string `json:"name"`
	Expr Expr   `json:"expr"`
}

// Spec implements kiln.Transform.
func (d *DeriveTransform) Spec() kiln.Spec {
	return spec("derive", "1", deriveConfig{Name: d.name, Expr: d.e})
}

func (d *DeriveTransform) plan(s *arrow.Schema) (*expr.Program, *arrow.Schema, int, error) {
	if d.name == "" {
		return nil, nil, 0, fmt.Errorf("transform.derive: empty column name")
	}
	p, err := exprCompile(d.e, s)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("transform.derive %q: %w", d.name, err)
	}
	if len(s.FieldIndices(d.name)) > 1 {
		return nil, nil, 0, &kiln.SchemaError{Column: d.name, Problem: "ambiguous: appears more than once"}
	}
	out, at := exprWithField(s, arrow.Field{Name: d.name, Type: p.Type, Nullable: p.Nullable})
	return p, out, at, nil
}

// OutputSchema implements kiln.Transform.
func (d *DeriveTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("derive", in); err != nil {
		return nil, err
	}
	_, out, _, err := d.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (d *DeriveTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("derive", in); err != nil {
		return nil, err
	}
	t := in[0]
	p, out, at, err := d.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	col, err := exprEval(ctx, p, t, "transform.derive "+d.name)
	if err != nil {
		return nil, err
	}
	return exprReplace(t, out, at, col), nil
}

// ColumnLineage implements kiln.ColumnLineager: the derived column comes
// from the columns e reads (IDENTITY when e is a bare column reference,
// TRANSFORMATION otherwise); other columns are themselves.
func (d *DeriveTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput("derive", in); err != nil {
		return nil, err
	}
	out := identityLineage(in[0])
	sub := "TRANSFORMATION"
	if d.e.n != nil && d.e.n.Op == "col" {
		sub = "IDENTITY"
	}
	out[d.name] = exprRefs(d.e.Columns(), "DIRECT", sub)
	return out, nil
}

// exprEval evaluates p over every row of t into one chunked column.
func exprEval(ctx *kiln.Context, p *expr.Program, t arrow.Table, what string) (*arrow.Chunked, error) {
	results, err := exprPieces(ctx, t, p.Cols, func(pc expr.Piece) ([]arrow.Array, error) {
		a, err := p.Eval(pc.Batch(), nil)
		if err != nil {
			return nil, exprRowError(what, err)
		}
		return []arrow.Array{a}, nil
	})
	if err != nil {
		return nil, err
	}
	defer exprReleaseAll(results)
	return exprColumn(p.Type, results, 0), nil
}

// exprReplace returns t with column at of schema out set to col (appended
// when at == t.NumCols()); it takes ownership of col.
func exprReplace(t arrow.Table, out *arrow.Schema, at int, col *arrow.Chunked) arrow.Table {
	cols := make([]*arrow.Chunked, out.NumFields())
	for i := range cols {
		if i == at {
			cols[i] = col
		} else {
			cols[i] = exprRetained(t, i)
		}
	}
	return exprTable(out, cols, t.NumRows())
}
