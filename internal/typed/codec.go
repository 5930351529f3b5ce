package typed

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Codec is the compiled mapping of struct type T to Arrow columns: the
// schema, and per field its byte offset and type-specialized append and
// decode functions. It is immutable and safe for concurrent use; obtain it
// with CodecOf.
type Codec[T any] struct {
	schema *arrow.Schema
	fields []*field
	stride uintptr // size of T
	block  int     // rows per cache-sized block in AppendSlice and Decode
}

// blockBytes is the size of the row blocks that AppendSlice and Decode
// process column by column.
const blockBytes = 32 << 10

// codecs caches one *Codec[T] (or the error compiling T) per reflect.Type.
var codecs sync.Map

type cached struct {
	codec any // *Codec[T]
	err   error
}

// CodecOf returns the codec of struct type T, compiling it on first use. The
// result, including an error, is cached per type: every call for the same T
// returns the same *Codec[T]. T must be a struct type; see the package
// documentation for the mapping rules.
func CodecOf[T any]() (*Codec[T], error) {
	t := reflect.TypeFor[T]()
	if v, ok := codecs.Load(t); ok {
		c := v.(*cached)
		if c.err != nil {
			return nil, c.err
		}
		return c.codec.(*Codec[T]), nil
	}
	c, err := compileCodec[T](t)
	v, _ := codecs.LoadOrStore(t, &cached{codec: c, err: err})
	cc := v.(*cached)
	if cc.err != nil {
		return nil, cc.err
	}
	return cc.codec.(*Codec[T]), nil
}

func compileCodec[T any](t reflect.Type) (*Codec[T], error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("typed: %s is not a struct type", t)
	}
	comp := &compiler{visiting: map[reflect.Type]bool{}}
	fields, err := comp.structFields(t, t.Name(), "")
	if err != nil {
		return nil, err
	}
	afs := make([]arrow.Field, len(fields))
	for i, f := range fields {
		afs[i] = f.arrowField()
	}
	block := max(16, blockBytes/int(t.Size()))
	return &Codec[T]{schema: arrow.NewSchema(afs, nil), fields: fields, stride: t.Size(), block: block}, nil
}

// SchemaOf returns the Arrow schema of struct type T. It is derived once per
// type: every call for the same T returns the same *arrow.Schema, which
// callers must not modify.
func SchemaOf[T any]() (*arrow.Schema, error) {
	c, err := CodecOf[T]()
	if err != nil {
		return nil, err
	}
	return c.schema, nil
}

// Schema returns the Arrow schema of T. Callers must not modify it.
func (c *Codec[T]) Schema() *arrow.Schema { return c.schema }

// Builder appends values of T to Arrow builders, column by column, and cuts
// record batches. It is not safe for concurrent use; use one Builder per
// goroutine (the Codec they come from is shared).
//
// Each record batch is a function of the rows appended since the previous
// batch only: dictionary columns start a fresh dictionary per batch (values
// in order of first appearance), so reusing a builder never changes a
// batch's bytes.
type Builder[T any] struct {
	codec   *Codec[T]
	cols    []column // per field
	nested  []array.DictionaryBuilder
	appends []appendFunc
	checks  []checkFunc
	rows    int
	// perKRow is, per column, the value bytes per 1024 rows of the last
	// batch, for string and binary columns (0: none yet).
	perKRow []int
}

// bytesBuilder is an Arrow string or binary builder.
type bytesBuilder interface {
	Resize(n int)
	ReserveData(n int)
	DataLen() int
}

// NewBuilder returns a Builder allocating from mem. Release it when done.
func (c *Codec[T]) NewBuilder(mem memory.Allocator) *Builder[T] {
	b := &Builder[T]{codec: c}
	for _, f := range c.fields {
		col, app := newFixedColumn(mem, f)
		switch {
		case col != nil:
		case f.node.kind == kDict:
			d := newDictColumn(mem, f.node.dt.(*arrow.DictionaryType), f.node.ptr)
			col, app = d, d.appender(f.off, f.node.ptr)
		default:
			ab := array.NewBuilder(mem, f.node.dt)
			col, app = ab, bindAppend(f.node, ab, f.off, &b.nested)
		}
		b.cols = append(b.cols, col)
		b.perKRow = append(b.perKRow, 0)
		b.appends = append(b.appends, app)
		if chk := bindCheck(f.node, f, f.off); chk != nil {
			b.checks = append(b.checks, chk)
		}
	}
	return b
}

// Reserve makes room for n more rows, so that appending them does not
// reallocate the fixed-width columns. When the builder is empty, those
// columns are sized exactly, and string and binary columns get exactly n
// offsets and, after a first batch, room for n rows of the last batch's
// average value size and a sixteenth more: batches then hold little unused
// capacity (doubling a value buffer can leave half of it unused).
// Otherwise columns grow geometrically.
func (b *Builder[T]) Reserve(n int) {
	for i, c := range b.cols {
		_, isArrow := c.(array.Builder)
		bb, isBytes := c.(bytesBuilder)
		switch {
		case isBytes && c.Len() == 0:
			// Arrow's Reserve would give the offsets twice the room.
			bb.Resize(n)
			if k := b.perKRow[i]; k > 0 {
				bb.ReserveData(k * n / 1024 * 17 / 16)
			}
		case !isArrow && c.Len() == 0:
			c.Resize(n)
		default:
			c.Reserve(n)
		}
	}
}

var errNilRow = errors.New("typed: Append of a nil *T")

// Append appends one row, copying everything it needs: the builder keeps no
// reference to v. It fails, appending nothing, if v is nil or a time.Time
// does not fit its column's unit; the error names the column and the row's
// index in the current batch.
func (b *Builder[T]) Append(v *T) error {
	if v == nil {
		return errNilRow
	}
	p := unsafe.Pointer(v)
	for _, chk := range b.checks {
		if _, err := chk(p, 0, 1); err != nil {
			return fmt.Errorf("typed: row %d: %w", b.rows, err)
		}
	}
	for _, app := range b.appends {
		app(p, 0, 1)
	}
	b.rows++
	return nil
}

// AppendSlice appends rows column by column, which is faster than Append in
// a loop. It validates all rows first, so on error nothing is appended; the
// error names the index in rows and the column.
func (b *Builder[T]) AppendSlice(rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	stride := b.codec.stride
	p := unsafe.Pointer(unsafe.SliceData(rows))
	for _, chk := range b.checks {
		if i, err := chk(p, stride, len(rows)); err != nil {
			return fmt.Errorf("typed: row %d: %w", i, err)
		}
	}
	b.Reserve(len(rows))
	// Column by column within blocks of rows that fit in cache: one pass
	// per column over the whole slice would read it from memory each time.
	block := b.codec.block
	for lo := 0; lo < len(rows); lo += block {
		n := min(block, len(rows)-lo)
		q := unsafe.Add(p, uintptr(lo)*stride)
		for _, app := range b.appends {
			app(q, stride, n)
		}
	}
	b.rows += len(rows)
	return nil
}

// Len returns the number of rows appended since the last record batch.
func (b *Builder[T]) Len() int { return b.rows }

// NewRecordBatch returns the rows appended so far as a record batch with the
// codec's schema, and resets the builder. The caller owns (must Release) the
// batch.
func (b *Builder[T]) NewRecordBatch() arrow.RecordBatch {
	cols := make([]arrow.Array, len(b.cols))
	for i, c := range b.cols {
		if bb, ok := c.(bytesBuilder); ok && b.rows > 0 {
			b.perKRow[i] = (bb.DataLen()*1024 + b.rows - 1) / b.rows
		}
		cols[i] = c.NewArray()
	}
	rec := array.NewRecordBatch(b.codec.schema, cols, int64(b.rows))
	for _, c := range cols {
		c.Release()
	}
	for _, d := range b.nested {
		d.ResetFull()
	}
	b.rows = 0
	return rec
}

// Release frees the builder's memory. The builder must not be used after.
func (b *Builder[T]) Release() {
	for _, c := range b.cols {
		c.Release()
	}
}

// FromSlice builds one record batch holding rows, in order. The caller owns
// (must Release) the batch.
func FromSlice[T any](mem memory.Allocator, rows []T) (arrow.RecordBatch, error) {
	c, err := CodecOf[T]()
	if err != nil {
		return nil, err
	}
	b := c.NewBuilder(mem)
	defer b.Release()
	if err := b.AppendSlice(rows); err != nil {
		return nil, err
	}
	return b.NewRecordBatch(), nil
}

// Decode reads every row of tbl into a new []T, in order. Columns are
// matched to fields by name; extra columns are ignored and their order does
// not matter. It fails, naming the field, column and Arrow type, if a field
// has no column or a column's type does not decode into its field, and,
// naming the row, if a null meets a non-pointer field. Besides the types T
// maps to, a column may be large or dictionary-encoded string, large binary,
// or timestamp or duration of any unit or time zone.
//
// Strings and []byte values of one column chunk share one allocation, as do
// the values behind pointer fields: holding on to one decoded value keeps
// its chunk's memory alive.
func Decode[T any](tbl arrow.Table) ([]T, error) {
	c, err := CodecOf[T]()
	if err != nil {
		return nil, err
	}
	return c.decode(tbl.Schema(), int(tbl.NumRows()), func(i int) []arrow.Array {
		return tbl.Column(i).Data().Chunks()
	})
}

// DecodeRecordBatch is Decode for a single record batch.
func DecodeRecordBatch[T any](rec arrow.RecordBatch) ([]T, error) {
	c, err := CodecOf[T]()
	if err != nil {
		return nil, err
	}
	return c.decode(rec.Schema(), int(rec.NumRows()), func(i int) []arrow.Array {
		return []arrow.Array{rec.Column(i)}
	})
}

// decode reads nrows rows from columns of schema; chunks(i) returns the
// chunks of column i. It decodes in blocks of rows, all columns per block,
// so each block of the result is written while it is in cache.
func (c *Codec[T]) decode(schema *arrow.Schema, nrows int, chunks func(i int) []arrow.Array) ([]T, error) {
	cursors := make([]cursor, len(c.fields))
	for j, f := range c.fields {
		i, err := fieldIndex(schema.FieldIndices(f.name), f)
		if err != nil {
			return nil, err
		}
		if err := checkDecodable(f.node, f, schema.Field(i).Type); err != nil {
			return nil, err
		}
		cursors[j] = cursor{f: f, chunks: chunks(i)}
		if n := cursors[j].rows(); n != nrows {
			return nil, fmt.Errorf("typed: column %q has %d rows, want %d", f.col, n, nrows)
		}
	}
	out := make([]T, nrows)
	base := unsafe.Pointer(unsafe.SliceData(out))
	for lo := 0; lo < nrows; lo += c.block {
		hi := min(lo+c.block, nrows)
		for j := range cursors {
			if err := cursors[j].decode(base, c.stride, lo, hi); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// cursor walks the chunks of one column as Decode proceeds through rows.
type cursor struct {
	f      *field
	chunks []arrow.Array
	ci     int        // current chunk
	start  int        // row of the current chunk's first element
	dec    decodeFunc // bound to chunks[ci]; nil until needed
}

func (c *cursor) rows() int {
	n := 0
	for _, ch := range c.chunks {
		n += ch.Len()
	}
	return n
}

// decode decodes rows lo..hi-1 into the Go values from base; rows only move
// forward between calls.
func (c *cursor) decode(base unsafe.Pointer, stride uintptr, lo, hi int) error {
	for lo < hi {
		for c.start+c.chunks[c.ci].Len() <= lo {
			c.start += c.chunks[c.ci].Len()
			c.ci++
			c.dec = nil
		}
		if c.dec == nil {
			c.dec = bindDecode(c.f.node, c.f, c.chunks[c.ci], c.f.off)
		}
		end := min(hi, c.start+c.chunks[c.ci].Len())
		if bad, err := c.dec(unsafe.Add(base, uintptr(lo)*stride), stride, lo-c.start, end-c.start); err != nil {
			return fmt.Errorf("typed: row %d: %w", c.start+bad, err)
		}
		lo = end
	}
	return nil
}
