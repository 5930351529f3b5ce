package transform

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/expr"
	"github.com/kiln-data/kiln/internal/par"
)

// Errors of row-local transforms, checkable with errors.Is. The errors
// themselves name the row (0-based, in the input table), the column or
// expression, and the value.
var (
	// ErrLossy reports a value a cast or parse cannot convert exactly
	// (out of range, a fraction to an integer, a string that does not
	// parse). AllowLossy turns such values into nulls instead.
	ErrLossy = expr.ErrLossy
	// ErrOverflow reports integer arithmetic outside the int64 range.
	ErrOverflow = expr.ErrOverflow
)

// exprCompile type-checks e against s. Errors name the column at fault as
// a *kiln.SchemaError, or wrap kiln.ErrSchemaMismatch when no column is
// involved.
func exprCompile(e Expr, s *arrow.Schema) (*expr.Program, error) {
	switch {
	case e.err != nil:
		return nil, fmt.Errorf("%w: invalid expression: %v", kiln.ErrSchemaMismatch, e.err)
	case e.n == nil:
		return nil, fmt.Errorf("%w: %v", kiln.ErrSchemaMismatch, errZeroExpr)
	}
	p, err := expr.Compile(e.n, s)
	if err != nil {
		return nil, exprSchemaError(err)
	}
	return p, nil
}

// exprSchemaError converts an *expr.Error to kiln's schema errors.
func exprSchemaError(err error) error {
	var ee *expr.Error
	if !errors.As(err, &ee) {
		return err
	}
	if ee.Column == "" {
		return fmt.Errorf("%w: %s", kiln.ErrSchemaMismatch, ee.Error())
	}
	problem := ee.Problem
	if ee.Expr != "" && ee.Expr != ee.Column {
		problem = "in " + ee.Expr + ": " + ee.Problem
	}
	return &kiln.SchemaError{Column: ee.Column, Problem: problem}
}

// exprPieces splits t (columns cols, all when nil) into pieces of at most
// par.ChunkRows rows and runs fn on each in parallel. It returns, per
// piece in row order, fn's arrays.
func exprPieces(ctx context.Context, t arrow.Table, cols []int, fn func(expr.Piece) ([]arrow.Array, error)) ([][]arrow.Array, error) {
	pieces := expr.Split(t, cols, par.ChunkRows)
	defer expr.Release(pieces)
	return expr.Map(ctx, pieces, fn)
}

// exprColumn gathers output number k of every piece into a chunked array.
func exprColumn(dt arrow.DataType, results [][]arrow.Array, k int) *arrow.Chunked {
	chunks := make([]arrow.Array, 0, len(results))
	for _, r := range results {
		if r[k] != nil && r[k].Len() > 0 {
			chunks = append(chunks, r[k])
		}
	}
	return arrow.NewChunked(dt, chunks)
}

// exprReleaseAll releases the arrays of piece results.
func exprReleaseAll(results [][]arrow.Array) {
	for _, r := range results {
		for _, a := range r {
			if a != nil {
				a.Release()
			}
		}
	}
}

// exprTable builds a table from a schema and one chunked array per field.
// It takes ownership of cols.
func exprTable(s *arrow.Schema, cols []*arrow.Chunked, rows int64) arrow.Table {
	columns := make([]arrow.Column, len(cols))
	for i, c := range cols {
		columns[i] = *arrow.NewColumn(s.Field(i), c)
		c.Release()
	}
	t := array.NewTable(s, columns, rows)
	for i := range columns {
		columns[i].Release()
	}
	return t
}

// exprRetained returns t's column i, retained for exprTable.
func exprRetained(t arrow.Table, i int) *arrow.Chunked {
	c := t.Column(i).Data()
	c.Retain()
	return c
}

// exprWithField returns s with field f replacing the field named f.Name,
// or appended when there is none. It reports the field's index.
func exprWithField(s *arrow.Schema, f arrow.Field) (*arrow.Schema, int) {
	fields := s.Fields()
	idx := s.FieldIndices(f.Name)
	at := len(fields)
	if len(idx) > 0 {
		at = idx[0]
		fields[at] = f
	} else {
		fields = append(fields, f)
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md), at
}

// exprRefs returns lineage references to columns of input 0.
func exprRefs(cols []string, kind, subtype string) []kiln.ColumnRef {
	out := make([]kiln.ColumnRef, len(cols))
	for i, c := range cols {
		out[i] = kiln.ColumnRef{Input: 0, Column: c, Kind: kind, Subtype: subtype}
	}
	return out
}

// exprRowError prefixes evaluation errors with the transform.
func exprRowError(what string, err error) error {
	return fmt.Errorf("%s: %w", what, err)
}

// exprOneTable checks that a transform got exactly one input table.
func exprOneTable(name string, in []arrow.Table) error {
	if len(in) != 1 {
		return fmt.Errorf("transform.%s takes 1 input, got %d", name, len(in))
	}
	return nil
}

// The row-local transforms and Applied are transforms with column lineage.
var (
	_ kiln.ColumnLineager = (*FilterTransform)(nil)
	_ kiln.ColumnLineager = (*DeriveTransform)(nil)
	_ kiln.ColumnLineager = (*SelectTransform)(nil)
	_ kiln.ColumnLineager = (*CastTransform)(nil)
	_ kiln.ColumnLineager = (*FillNullsTransform)(nil)
	_ kiln.ColumnLineager = (*DropNullsTransform)(nil)
	_ kiln.ColumnLineager = (*ToUTCTransform)(nil)
	_ kiln.ColumnLineager = (*ParseTimestampTransform)(nil)
	_ kiln.ColumnLineager = (*FromEpochTransform)(nil)
	_ kiln.ColumnLineager = (*Applied)(nil)
	_ kiln.Transform      = (*Applied)(nil)
	_ kiln.Transform      = (*FilterTransform)(nil)
	_ kiln.Transform      = (*DeriveTransform)(nil)
	_ kiln.Transform      = (*SelectTransform)(nil)
	_ kiln.Transform      = (*CastTransform)(nil)
	_ kiln.Transform      = (*FillNullsTransform)(nil)
	_ kiln.Transform      = (*DropNullsTransform)(nil)
	_ kiln.Transform      = (*ToUTCTransform)(nil)
	_ kiln.Transform      = (*ParseTimestampTransform)(nil)
	_ kiln.Transform      = (*FromEpochTransform)(nil)
	_ Preprocessor        = (*Scaler)(nil)
	_ Preprocessor        = (*Imputer)(nil)
	_ Preprocessor        = (*Encoder)(nil)
	_ Preprocessor        = (*TargetEncoder)(nil)
	_ Preprocessor        = (*Bucketizer)(nil)
	_ Preprocessor        = (*Hasher)(nil)
)
