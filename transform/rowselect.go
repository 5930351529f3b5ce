package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/expr"
	"github.com/kiln-data/kiln/internal/kernels"
	"github.com/kiln-data/kiln/internal/par"
)

// rowSelector is a transform whose output is a subsequence of its input's
// rows with the same columns (only nullability may change): DropNulls,
// Filter and Dedupe. Chain runs consecutive selectors as one: each picks
// rows from the previous one's survivors, reading only the columns it
// needs, and the full rows are copied once at the end, instead of once per
// step.
type rowSelector interface {
	kiln.Transform
	// selectColumns names the input columns the selection reads (nil:
	// every column).
	selectColumns(s *arrow.Schema) []string
	// selectRows returns the rows of t to keep, ascending, or all = true
	// (and nil rows) when every row is kept. t may hold only the columns
	// selectColumns names.
	selectRows(ctx *kiln.Context, t arrow.Table) (rows []int32, all bool, err error)
}

// keptSelector is a rowSelector that can, in some cases, select among the
// rows kept (ascending) of a table whose columns are those of schema s
// without the rows being gathered first: rows then count within kept, as
// selectRows' would over the gathered view. ok is false when it cannot,
// and the caller gathers.
type keptSelector interface {
	selectKept(s *arrow.Schema, t arrow.Table, kept []int32) (rows []int32, all, ok bool)
}

// selectByMask returns the rows where keep's boolean array is true (false
// and null drop the row), evaluating keep piece by piece over the columns
// cols (nil: all) in parallel.
func selectByMask(ctx *kiln.Context, t arrow.Table, cols []int, keep func(expr.Piece) (arrow.Array, error)) ([]int32, bool, error) {
	if err := checkRows(t); err != nil {
		return nil, false, err
	}
	pieces := expr.Split(t, cols, par.ChunkRows)
	defer expr.Release(pieces)
	type part struct {
		rows []int32
		all  bool
	}
	parts, err := expr.Map(ctx, pieces, func(pc expr.Piece) (part, error) {
		m, err := keep(pc)
		if err != nil {
			return part{}, err
		}
		defer m.Release()
		sel := expr.Select(m)
		if sel.Len() == pc.Rows {
			return part{all: true}, nil
		}
		return part{rows: sel.AppendRows(make([]int32, 0, sel.Len()), int32(pc.Lo))}, nil
	})
	if err != nil {
		return nil, false, err
	}
	n, all := 0, true
	for i, p := range parts {
		if p.all {
			n += pieces[i].Rows
		} else {
			n += len(p.rows)
			all = false
		}
	}
	if all {
		return nil, true, nil
	}
	rows := make([]int32, 0, n)
	for i, p := range parts {
		if !p.all {
			rows = append(rows, p.rows...)
			continue
		}
		lo := int32(pieces[i].Lo)
		for r := range int32(pieces[i].Rows) {
			rows = append(rows, lo+r)
		}
	}
	return rows, false, nil
}

// selectColumns implements rowSelector.
func (d *DropNullsTransform) selectColumns(*arrow.Schema) []string {
	if len(d.cols) == 0 {
		return nil
	}
	return d.cols
}

// selectRows implements rowSelector.
func (d *DropNullsTransform) selectRows(ctx *kiln.Context, t arrow.Table) ([]int32, bool, error) {
	_, idx, err := d.plan(t.Schema())
	if err != nil {
		return nil, false, err
	}
	hasNulls := false
	for _, i := range idx {
		if t.Column(i).NullN() > 0 {
			hasNulls = true
		}
	}
	if !hasNulls {
		return nil, true, nil
	}
	return selectByMask(ctx, t, idx, func(pc expr.Piece) (arrow.Array, error) {
		cols := make([]arrow.Array, len(idx))
		for k, i := range idx {
			cols[k] = pc.Cols[i]
		}
		return expr.AllValid(pc.Rows, cols), nil
	})
}

// selectColumns implements rowSelector.
func (f *FilterTransform) selectColumns(*arrow.Schema) []string {
	return f.where.Columns()
}

// selectRows implements rowSelector.
func (f *FilterTransform) selectRows(ctx *kiln.Context, t arrow.Table) ([]int32, bool, error) {
	p, err := f.compile(t.Schema())
	if err != nil {
		return nil, false, err
	}
	return selectByMask(ctx, t, nil, func(pc expr.Piece) (arrow.Array, error) {
		m, err := p.Eval(pc.Batch(), nil)
		if err != nil {
			return nil, exprRowError("transform.filter "+p.Text, err)
		}
		return m, nil
	})
}

// applySelectors runs the selectors sel, whose input schemas are schemas
// (schemas[len(sel)] is the last one's output), over t as one step: each
// selector sees only its own columns of the rows that survived the ones
// before, and t's rows are copied once. It returns the output and, on
// error, the index in sel of the selector that failed.
//
// keep, when not nil, names the only columns the output needs (the steps
// after the selectors read no others): the output then holds just those,
// in schema order.
func applySelectors(ctx *kiln.Context, sel []rowSelector, schemas []*arrow.Schema, keep []string, t arrow.Table) (arrow.Table, int, error) {
	var kept []int32 // rows of t still in; nil: all
	for i, s := range sel {
		rows, all, ok := []int32(nil), false, false
		if ks, can := s.(keptSelector); can && kept != nil {
			rows, all, ok = ks.selectKept(schemas[i], t, kept)
		}
		if !ok {
			view, err := selectorView(ctx, schemas[i], s.selectColumns(schemas[i]), t, kept)
			if err != nil {
				return nil, i, err
			}
			rows, all, err = s.selectRows(ctx, view)
			view.Release()
			if err != nil {
				return nil, i, err
			}
		}
		switch {
		case all:
		case kept == nil:
			kept = rows
		default:
			for j, r := range rows {
				rows[j] = kept[r]
			}
			kept = rows
		}
	}
	out := schemas[len(sel)]
	if o, ok := t.(*arrowx.Owned); ok {
		res, err := consumeRows(ctx, out, keep, o, kept)
		return res, len(sel) - 1, err
	}
	if keep != nil || kept == nil {
		// The view code projects (and, with kept, gathers) exactly that.
		res, err := selectorView(ctx, out, keep, t, kept)
		return res, len(sel) - 1, err
	}
	res, err := gather(ctx, out, t, kept)
	return res, len(sel) - 1, err
}

// consumeSelector applies a lone selector, whose output schema is out, to
// an input kiln handed over: like a fused chain, it frees the input column
// by column as it copies.
func consumeSelector(ctx *kiln.Context, s rowSelector, out *arrow.Schema, o *arrowx.Owned) (arrow.Table, error) {
	res, _, err := applySelectors(ctx, []rowSelector{s}, []*arrow.Schema{o.Schema(), out}, nil, o)
	return res, err
}

// consumeRows is the final copy of applySelectors for an input the caller
// owns outright: the columns keep (all when nil) of the rows kept (all
// when nil), under the field definitions of s. It takes the columns out of
// o, lets go of the unneeded ones at once and of each copied one as soon
// as its copy is made, so the input is freed while the output grows
// instead of both being held in full.
func consumeRows(ctx *kiln.Context, s *arrow.Schema, keep []string, o *arrowx.Owned, kept []int32) (arrow.Table, error) {
	idx, err := fieldIndices(s, keep)
	if err != nil {
		return nil, err
	}
	vs := projectSchema(s, idx)
	cols, rows := takeColumns(o, idx)
	if kept == nil {
		return ownedTable(vs, cols, rows), nil
	}
	kcols := make([]kernels.Col, len(cols)) // from here the only references
	for k, c := range cols {
		kcols[k] = kernels.NewCol(c)
	}
	cols = nil
	if kernels.InOrder(kept) {
		// Rows in input order (every selector keeps it): copy chunk by
		// chunk, freeing each input chunk once copied.
		out, err := kernels.TakeInOrderDropping(ctx, ctx.Allocator(), kcols, kept)
		if err != nil {
			return nil, err
		}
		return exprTable(vs, out, int64(len(kept))), nil
	}
	arrs, err := kernels.TakeAllDropping(ctx, ctx.Allocator(), kcols, kept)
	if err != nil {
		return nil, err
	}
	return newTable(vs, arrs, len(kept)), nil
}

// takeColumns takes the columns out of o and keeps those at idx; the
// others are let go.
func takeColumns(o *arrowx.Owned, idx []int) ([]*arrow.Chunked, int64) {
	_, all, rows := o.TakeColumns()
	cols := make([]*arrow.Chunked, len(idx))
	for k, i := range idx {
		cols[k] = all[i]
	}
	return cols, rows
}

// ownedTable is a table of schema s over columns taken from an Owned
// (whose reference counts were left as they were).
func ownedTable(s *arrow.Schema, cols []*arrow.Chunked, rows int64) arrow.Table {
	for _, c := range cols {
		c.Retain() // exprTable takes one reference each
	}
	return exprTable(s, cols, rows)
}

// fieldIndices returns the indices in s of the columns names, without
// repeats, in the order given; every index when names is nil.
func fieldIndices(s *arrow.Schema, names []string) ([]int, error) {
	var idx []int
	if names == nil {
		for i := range s.NumFields() {
			idx = append(idx, i)
		}
		return idx, nil
	}
	seen := map[int]bool{}
	for _, n := range names {
		is := s.FieldIndices(n)
		if len(is) != 1 {
			return nil, fmt.Errorf("transform.chain: column %q: %w", n, kiln.ErrSchemaMismatch)
		}
		if !seen[is[0]] {
			seen[is[0]] = true
			idx = append(idx, is[0])
		}
	}
	return idx, nil
}

// projectSchema returns the fields idx of s, with s's metadata.
func projectSchema(s *arrow.Schema, idx []int) *arrow.Schema {
	fields := make([]arrow.Field, len(idx))
	for k, i := range idx {
		fields[k] = s.Field(i)
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

// selectorView is the table a selector with input schema s reads: the
// columns names of t (all when nil), restricted to the rows kept (all when
// nil), under the field definitions of s.
func selectorView(ctx *kiln.Context, s *arrow.Schema, names []string, t arrow.Table, kept []int32) (arrow.Table, error) {
	idx, err := fieldIndices(s, names)
	if err != nil {
		return nil, err
	}
	vs := projectSchema(s, idx)
	cols := make([]*arrow.Chunked, len(idx))
	if kept == nil {
		for k, i := range idx {
			cols[k] = exprRetained(t, i)
		}
		return exprTable(vs, cols, t.NumRows()), nil
	}
	all := tableCols(t)
	arrs, err := kernels.TakeAll(ctx, ctx.Allocator(), pick(all, idx), kept)
	if err != nil {
		return nil, err
	}
	return newTable(vs, arrs, len(kept)), nil
}
