package kiln

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/arrowx"
)

// FuncTransform is a Transform written as a typed Go function. Create one
// with Func or FuncN, give it a config with With.
type FuncTransform[C any] struct {
	name    string
	version string
	cfg     C
	arity   int // 1 for Func, -1 for FuncN
	fn      func(*Context, C, []arrow.Table) (arrow.Table, error)
	schema  func(C, []*arrow.Schema) (*arrow.Schema, error)
	columns map[string][]ColumnRef
}

// Func turns a Go function of one input table and a typed config into a
// Transform. name and version identify the logic: bump the version whenever
// the function's behavior changes (golden tests catch a forgotten bump). The
// config is canonically serialized and hashed into the fingerprint, so it
// must be plain data (exported fields, maps, slices, numbers, strings).
//
// Unless a schema function is given with WithSchema, the output schema is
// inferred at plan time by calling fn on an empty input table (ctx.Planning()
// reports true), so fn must accept empty input. Use Column to look up input
// columns: its errors name the missing or mistyped column.
func Func[C any](name, version string, fn func(ctx *Context, cfg C, in arrow.Table) (arrow.Table, error)) *FuncTransform[C] {
	return &FuncTransform[C]{name: name, version: version, arity: 1,
		fn: func(ctx *Context, cfg C, in []arrow.Table) (arrow.Table, error) { return fn(ctx, cfg, in[0]) }}
}

// FuncN is Func for a function of any number of inputs (joins and unions),
// in the order the node lists them.
func FuncN[C any](name, version string, fn func(ctx *Context, cfg C, in []arrow.Table) (arrow.Table, error)) *FuncTransform[C] {
	return &FuncTransform[C]{name: name, version: version, arity: -1, fn: fn}
}

// With returns a copy of the transform with the config cfg.
func (f *FuncTransform[C]) With(cfg C) *FuncTransform[C] {
	g := *f
	g.cfg = cfg
	return &g
}

// WithSchema returns a copy of the transform that computes its output schema
// with fn instead of probing the function on empty inputs.
func (f *FuncTransform[C]) WithSchema(fn func(cfg C, in []*arrow.Schema) (*arrow.Schema, error)) *FuncTransform[C] {
	g := *f
	g.schema = fn
	return &g
}

// WithColumnLineage returns a copy of the transform that declares which input
// columns feed each output column (see ColumnLineager). kiln records it in
// run records and lineage exports it.
func (f *FuncTransform[C]) WithColumnLineage(cols map[string][]ColumnRef) *FuncTransform[C] {
	g := *f
	g.columns = cols
	return &g
}

// ColumnLineage implements ColumnLineager with what WithColumnLineage
// declared (nothing, by default).
func (f *FuncTransform[C]) ColumnLineage([]*arrow.Schema) (map[string][]ColumnRef, error) {
	return f.columns, nil
}

// Config returns the transform's config.
func (f *FuncTransform[C]) Config() C { return f.cfg }

// Spec implements Transform.
func (f *FuncTransform[C]) Spec() Spec { return Spec{Name: f.name, Version: f.version, Config: f.cfg} }

func (f *FuncTransform[C]) checkArity(n int) error {
	if f.arity > 0 && n != f.arity {
		return fmt.Errorf("transform %s takes %d input(s), the node has %d", f.name, f.arity, n)
	}
	return nil
}

// OutputSchema implements Transform.
func (f *FuncTransform[C]) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := f.checkArity(len(in)); err != nil {
		return nil, err
	}
	if f.schema != nil {
		return f.schema(f.cfg, in)
	}
	empty := make([]arrow.Table, len(in))
	for i, s := range in {
		empty[i] = arrowx.EmptyTable(s)
	}
	ctx := &Context{
		Context:  context.Background(),
		node:     f.name,
		planning: true,
		log:      slog.New(slog.DiscardHandler),
		mem:      memory.DefaultAllocator,
	}
	out, err := f.fn(ctx, f.cfg, empty)
	if err != nil {
		return nil, fmt.Errorf("infer output schema of %s on empty input: %w", f.name, err)
	}
	if out == nil {
		return nil, fmt.Errorf("infer output schema of %s on empty input: returned a nil table", f.name)
	}
	return out.Schema(), nil
}

// Apply implements Transform.
func (f *FuncTransform[C]) Apply(ctx *Context, in []arrow.Table) (arrow.Table, error) {
	if err := f.checkArity(len(in)); err != nil {
		return nil, err
	}
	return f.fn(ctx, f.cfg, in)
}

// Column returns the named column of t. If typ is not nil the column must
// have that type. The error is a *SchemaError naming the column.
func Column(t arrow.Table, name string, typ arrow.DataType) (*arrow.Chunked, error) {
	i, err := FieldIndex(t.Schema(), name, typ)
	if err != nil {
		return nil, err
	}
	return t.Column(i).Data(), nil
}

// FieldIndex returns the index of the named field of s. If typ is not nil the
// field must have that type. The error is a *SchemaError naming the column.
func FieldIndex(s *arrow.Schema, name string, typ arrow.DataType) (int, error) {
	idx := s.FieldIndices(name)
	switch {
	case len(idx) == 0:
		return -1, &SchemaError{Column: name, Problem: "missing", Input: -1}
	case len(idx) > 1:
		return -1, &SchemaError{Column: name, Problem: "ambiguous: appears more than once", Input: -1}
	}
	if typ != nil && !arrow.TypeEqual(s.Field(idx[0]).Type, typ) {
		return -1, &SchemaError{Column: name, Problem: fmt.Sprintf("has type %s, want %s", s.Field(idx[0]).Type, typ), Input: -1}
	}
	return idx[0], nil
}
