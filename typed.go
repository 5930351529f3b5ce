package kiln

import (
	"fmt"
	"iter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/typed"
)

// sourceBatchRows is how many rows a FuncSource buffers per record batch.
const sourceBatchRows = 64 * 1024

// FuncSource is a Source written as a Go function that yields Go structs.
// Create one with SourceFunc.
type FuncSource[C, T any] struct {
	name    string
	version string
	cfg     C
	fn      func(*Context, C) iter.Seq2[T, error]
}

// SourceFunc turns a Go function yielding rows of struct type T into a
// Source. The Arrow schema is derived from T once: exported fields become
// columns named by their `kiln:"name"` tag or, without one, their snake_case
// name; pointer fields are nullable; time.Time becomes timestamp[us, UTC].
//
// The function must yield the rows of ctx.Partition() only, and must obey the
// determinism contract: its output may depend only on its config and the
// Context (partition, logical time, seeded random source), which is what lets
// kiln skip it when a committed partition has the same fingerprint. To say a
// partition does not exist, yield an error wrapping ErrNoPartition.
func SourceFunc[C, T any](name, version string, fn func(ctx *Context, cfg C) iter.Seq2[T, error]) *FuncSource[C, T] {
	return &FuncSource[C, T]{name: name, version: version, fn: fn}
}

// With returns a copy of the source with the config cfg.
func (s *FuncSource[C, T]) With(cfg C) *FuncSource[C, T] {
	g := *s
	g.cfg = cfg
	return &g
}

// Spec implements Source.
func (s *FuncSource[C, T]) Spec() Spec { return Spec{Name: s.name, Version: s.version, Config: s.cfg} }

// Schema implements Source.
func (s *FuncSource[C, T]) Schema(*Context) (*arrow.Schema, error) { return typed.SchemaOf[T]() }

// SourceVersion implements SourceVersioner: a function source's output
// depends only on its spec and the partition, so its version is constant
// and a committed partition is a cache hit. A function that reads outside
// data whose changes should recompute the partition (or that resumes from
// Context.PreviousState) must say so itself: implement Source and
// SourceVersioner on a type of your own, or run with Force.
func (s *FuncSource[C, T]) SourceVersion(*Context) (string, error) { return "func", nil }

// Read implements Source.
func (s *FuncSource[C, T]) Read(ctx *Context) (arrow.Table, error) {
	codec, err := typed.CodecOf[T]()
	if err != nil {
		return nil, err
	}
	b := codec.NewBuilder(ctx.Allocator())
	defer b.Release()
	b.Reserve(sourceBatchRows)
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	row := int64(0)
	for v, err := range s.fn(ctx, s.cfg) {
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", row, err)
		}
		if err := b.Append(&v); err != nil {
			return nil, fmt.Errorf("row %d: %w", row, err)
		}
		row++
		if b.Len() >= sourceBatchRows {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			recs = append(recs, b.NewRecordBatch())
			b.Reserve(sourceBatchRows)
		}
	}
	if b.Len() > 0 || len(recs) == 0 {
		recs = append(recs, b.NewRecordBatch())
	}
	return array.NewTableFromRecords(codec.Schema(), recs), nil
}

// CalendarDate is a calendar date (days since 1970-01-01) for struct fields that
// map to Arrow date32 columns.
type CalendarDate = typed.Date

// Rows reads a table back as a slice of struct type T (matching columns by
// the same names SourceFunc derives). It is meant for tests and small
// results: it copies every value.
func Rows[T any](t arrow.Table) ([]T, error) { return typed.Decode[T](t) }

// TableOf builds a one-chunk table from rows of struct type T, with the
// schema SourceFunc would derive. It is meant for tests and small inputs.
func TableOf[T any](rows []T) (arrow.Table, error) {
	rec, err := typed.FromSlice(memory.DefaultAllocator, rows)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	return array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec}), nil
}
