package typed

import (
	"reflect"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// column is a top-level column under construction: an Arrow builder, or one
// of this package's faster special cases (fixedCol, dictColumn).
type column interface {
	Len() int
	Reserve(n int) // room for n more values, growing geometrically
	Resize(n int)  // room for exactly n values; only called when empty
	NewArray() arrow.Array
	Release()
}

// fixedCol builds a top-level fixed-width column (numbers, timestamps,
// durations, dates). It is an Arrow numeric builder without the interface
// calls: appending is a bounds check and a store, which matters because
// Builder.Append runs it once per field per row. Memory comes from the
// allocator; a null slot holds zero; a column without nulls gets no
// validity bitmap.
type fixedCol[E number] struct {
	mem      memory.Allocator
	dt       arrow.DataType
	nullable bool
	data     *memory.Buffer
	vals     []E // data's memory, len = capacity in values
	valid    *memory.Buffer
	bits     []byte // valid's memory, when nullable
	n, nulls int
}

func newFixedCol[E number](mem memory.Allocator, dt arrow.DataType, nullable bool) *fixedCol[E] {
	return &fixedCol[E]{mem: mem, dt: dt, nullable: nullable}
}

func (c *fixedCol[E]) Len() int { return c.n }

func (c *fixedCol[E]) Reserve(n int) {
	if c.n+n > len(c.vals) {
		c.grow(n)
	}
}

//go:noinline
func (c *fixedCol[E]) grow(n int) { // out of line so that Reserve inlines
	c.Resize(max(c.n+n, 2*len(c.vals), 64))
}

// Resize grows the buffers to hold capacity values, keeping the contents.
func (c *fixedCol[E]) Resize(capacity int) {
	if capacity <= len(c.vals) {
		return
	}
	if c.data == nil {
		c.data = memory.NewResizableBuffer(c.mem)
	}
	var zero E
	c.data.Reserve(capacity * int(unsafe.Sizeof(zero)))
	buf := c.data.Buf()
	c.vals = unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)/int(unsafe.Sizeof(zero)))
	if c.nullable {
		if c.valid == nil {
			c.valid = memory.NewResizableBuffer(c.mem)
		}
		old := len(c.bits)
		c.valid.Reserve((capacity + 7) / 8)
		c.bits = c.valid.Buf()
		clear(c.bits[old:]) // allocators need not zero memory
	}
}

// The push methods append one value; Reserve must have made room. They are
// small enough to inline into the append loops.

// push appends a value to a non-nullable column.
func (c *fixedCol[E]) push(v E) {
	c.vals[c.n] = v
	c.n++
}

// pushValid appends a non-null value to a nullable column.
func (c *fixedCol[E]) pushValid(v E) {
	c.vals[c.n] = v
	c.bits[c.n>>3] |= 1 << (c.n & 7)
	c.n++
}

// pushNull appends a null (a zero value with its validity bit clear).
func (c *fixedCol[E]) pushNull() {
	c.vals[c.n] = 0
	c.n++
	c.nulls++
}

func (c *fixedCol[E]) NewArray() arrow.Array {
	var zero E
	var validity *memory.Buffer
	if c.data != nil {
		c.data.ResizeNoShrink(c.n * int(unsafe.Sizeof(zero)))
	}
	if c.nulls > 0 {
		c.valid.ResizeNoShrink((c.n + 7) / 8)
		validity = c.valid
	}
	d := array.NewData(c.dt, c.n, []*memory.Buffer{validity, c.data}, nil, c.nulls, 0)
	arr := array.MakeFromData(d)
	d.Release()
	c.Release()
	return arr
}

// Release drops the column's buffers and leaves it empty.
func (c *fixedCol[E]) Release() {
	if c.data != nil {
		c.data.Release()
	}
	if c.valid != nil {
		c.valid.Release()
	}
	c.data, c.valid, c.vals, c.bits, c.n, c.nulls = nil, nil, nil, nil, 0, 0
}

// newFixedColumn returns the fixedCol and its append function for a
// top-level field of kind kNumber, kTime, kDuration or kDate, or nil.
func newFixedColumn(mem memory.Allocator, f *field) (column, appendFunc) {
	nd, off := f.node, f.off
	switch nd.kind {
	case kTime:
		c := newFixedCol[arrow.Timestamp](mem, nd.dt, nd.ptr)
		return c, colTimes(c, nd, off)
	case kDuration:
		c := newFixedCol[arrow.Duration](mem, nd.dt, nd.ptr)
		return c, colDurations(c, nd, off)
	case kDate:
		c := newFixedCol[arrow.Date32](mem, nd.dt, nd.ptr)
		return c, colNumbers[int32](c, off, nd.ptr)
	case kNumber:
		return newNumberColumn(mem, nd, off)
	}
	return nil, nil
}

func newNumberColumn(mem memory.Allocator, nd *node, off uintptr) (column, appendFunc) {
	switch nd.dt.ID() {
	case arrow.INT8:
		return numberColumn[int8, int8](mem, nd, off)
	case arrow.INT16:
		return numberColumn[int16, int16](mem, nd, off)
	case arrow.INT32:
		return numberColumn[int32, int32](mem, nd, off)
	case arrow.INT64:
		if nd.num == reflect.Int {
			return numberColumn[int, int64](mem, nd, off)
		}
		return numberColumn[int64, int64](mem, nd, off)
	case arrow.UINT8:
		return numberColumn[uint8, uint8](mem, nd, off)
	case arrow.UINT16:
		return numberColumn[uint16, uint16](mem, nd, off)
	case arrow.UINT32:
		return numberColumn[uint32, uint32](mem, nd, off)
	case arrow.UINT64:
		if nd.num == reflect.Uint {
			return numberColumn[uint, uint64](mem, nd, off)
		}
		return numberColumn[uint64, uint64](mem, nd, off)
	case arrow.FLOAT32:
		return numberColumn[float32, float32](mem, nd, off)
	default:
		return numberColumn[float64, float64](mem, nd, off)
	}
}

func numberColumn[G, E number](mem memory.Allocator, nd *node, off uintptr) (column, appendFunc) {
	c := newFixedCol[E](mem, nd.dt, nd.ptr)
	return c, colNumbers[G](c, off, nd.ptr)
}

func colNumbers[G, E number](c *fixedCol[E], off uintptr, ptr bool) appendFunc {
	if !ptr {
		return func(p unsafe.Pointer, stride uintptr, n int) {
			c.Reserve(n)
			for i := range n {
				c.push(E(*(*G)(addr(p, i, stride, off))))
			}
		}
	}
	return func(p unsafe.Pointer, stride uintptr, n int) {
		c.Reserve(n)
		for i := range n {
			if v := *(**G)(addr(p, i, stride, off)); v != nil {
				c.pushValid(E(*v))
			} else {
				c.pushNull()
			}
		}
	}
}

func colTimes(c *fixedCol[arrow.Timestamp], nd *node, off uintptr) appendFunc {
	conv := newTimeConv(nd.unit, nd.loc)
	ptr := nd.ptr
	return func(p unsafe.Pointer, stride uintptr, n int) {
		c.Reserve(n)
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					c.pushNull()
					continue
				}
			}
			v, _ := conv.encode((*time.Time)(q)) // range-checked by checkTimes
			if ptr {
				c.pushValid(arrow.Timestamp(v))
			} else {
				c.push(arrow.Timestamp(v))
			}
		}
	}
}

func colDurations(c *fixedCol[arrow.Duration], nd *node, off uintptr) appendFunc {
	_, nsPer := unitScale(nd.unit)
	ptr := nd.ptr
	return func(p unsafe.Pointer, stride uintptr, n int) {
		c.Reserve(n)
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					c.pushNull()
					continue
				}
			}
			if v := arrow.Duration(int64(*(*time.Duration)(q)) / nsPer); ptr {
				c.pushValid(v)
			} else {
				c.push(v)
			}
		}
	}
}
