package transform

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/expr"
)

// FilterTransform keeps the rows where a predicate is true. Create one with
// Filter.
type FilterTransform struct {
	where Expr
}

// Filter returns a transform keeping the rows where the boolean expression
// where is true; rows where it is false or null are dropped (SQL WHERE).
// The schema is unchanged. Output order: input order.
//
//	transform.Filter(transform.Col("amount").Gt(transform.Lit(0)))
func Filter(where Expr) *FilterTransform { return &FilterTransform{where: where} }

type filterConfig struct {
	Where Expr `json:"where"`
}

// Spec implements kiln.Transform.
func (f *FilterTransform) Spec() kiln.Spec {
	return spec("filter", "1", filterConfig{Where: f.where})
}

func (f *FilterTransform) compile(s *arrow.Schema) (*expr.Program, error) {
	p, err := exprCompile(f.where, s)
	if err != nil {
		return nil, fmt.Errorf("transform.filter: %w", err)
	}
	if id := p.Type.ID(); id != arrow.BOOL && id != arrow.NULL {
		return nil, fmt.Errorf("transform.filter: %w: the predicate %s has type %s, want bool", kiln.ErrSchemaMismatch, p.Text, expr.TypeName(p.Type))
	}
	return p, nil
}

// OutputSchema implements kiln.Transform.
func (f *FilterTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("filter", in); err != nil {
		return nil, err
	}
	if _, err := f.compile(in[0]); err != nil {
		return nil, err
	}
	return in[0], nil
}

// Apply implements kiln.Transform.
func (f *FilterTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable("filter", in); err != nil {
		return nil, err
	}
	if o, ok := owned(in); ok {
		s, err := f.OutputSchema(schemasOf(in))
		if err != nil {
			return nil, err
		}
		return consumeSelector(ctx, f, s, o)
	}
	t := in[0]
	p, err := f.compile(t.Schema())
	if err != nil {
		return nil, err
	}
	out, err := filterRows(ctx, t, func(pc expr.Piece) (arrow.Array, error) {
		m, err := p.Eval(pc.Batch(), nil)
		if err != nil {
			return nil, exprRowError("transform.filter "+p.Text, err)
		}
		return m, nil
	})
	return out, err
}

// ColumnLineage implements kiln.ColumnLineager: every column is itself,
// plus the predicate's columns as INDIRECT FILTER inputs.
func (f *FilterTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput("filter", in); err != nil {
		return nil, err
	}
	out := identityLineage(in[0])
	pred := exprRefs(f.where.Columns(), "INDIRECT", "FILTER")
	for k, refs := range out {
		out[k] = append(refs, pred...)
	}
	return out, nil
}

// filterRows keeps, piece by piece, the rows where keep's boolean array is
// true (false and null drop the row). All columns are filtered; pieces
// where every row is kept are passed through without copying.
func filterRows(ctx context.Context, t arrow.Table, keep func(expr.Piece) (arrow.Array, error)) (arrow.Table, error) {
	s := t.Schema()
	results, err := exprPieces(ctx, t, nil, func(pc expr.Piece) ([]arrow.Array, error) {
		m, err := keep(pc)
		if err != nil {
			return nil, err
		}
		defer m.Release()
		return filterPiece(ctx, pc, m)
	})
	if err != nil {
		return nil, err
	}
	defer exprReleaseAll(results)
	cols := make([]*arrow.Chunked, s.NumFields())
	var rows int64
	for _, r := range results {
		if len(r) > 0 && r[0] != nil {
			rows += int64(r[0].Len())
		}
	}
	for i, fd := range s.Fields() {
		cols[i] = exprColumn(fd.Type, results, i)
	}
	return exprTable(s, cols, rows), nil
}

// filterPiece filters the columns of one piece by a boolean mask.
func filterPiece(ctx context.Context, pc expr.Piece, m arrow.Array) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(pc.Cols))
	sel := expr.Select(m)
	switch sel.Len() {
	case pc.Rows:
		for i, a := range pc.Cols {
			a.Retain()
			out[i] = a
		}
		return out, nil
	case 0:
		return out, nil
	}
	for i, a := range pc.Cols {
		r, err := sel.Take(ctx, a)
		if err != nil {
			for _, o := range out[:i] {
				o.Release()
			}
			return nil, fmt.Errorf("filter rows %d..%d: %w", pc.Lo, pc.Lo+int64(pc.Rows), err)
		}
		out[i] = r
	}
	return out, nil
}
