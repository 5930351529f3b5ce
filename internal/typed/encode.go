package typed

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// appendFunc appends n Go values to the Arrow builder it was bound to. The
// i-th value is at p + i*stride + off, where off (the field's offset) is
// bound in. Appends cannot fail: fallible conversions are checked first by a
// checkFunc, so a failed row never leaves the builders half-appended.
type appendFunc func(p unsafe.Pointer, stride uintptr, n int)

// checkFunc validates n Go values laid out as for appendFunc. On failure it
// returns the index (0 <= i < n) of the first offending value.
type checkFunc func(p unsafe.Pointer, stride uintptr, n int) (int, error)

// number is the set of Go and Arrow element types stored as fixed-width
// numbers (Arrow's Timestamp, Duration and Date32 are int64 or int32).
type number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64
}

// fixedBuilder is an Arrow builder of fixed-width values of type E.
type fixedBuilder[E any] interface {
	array.Builder
	Append(E)
	UnsafeAppend(E)
}

// sliceHeader is the memory layout of every Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// emptyBytes is a non-nil empty slice: Arrow's dictionary builder reads a nil
// []byte as null.
var emptyBytes = []byte{}

// stringBytes views s as bytes without copying. Arrow builders copy what
// they are given, so the view never outlives the call.
func stringBytes(s string) []byte {
	if len(s) == 0 {
		return emptyBytes
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// addr returns the address of the i-th value.
func addr(p unsafe.Pointer, i int, stride, off uintptr) unsafe.Pointer {
	return unsafe.Add(p, uintptr(i)*stride+off)
}

// bindAppend compiles the append function of nd for builder b. Dictionary
// builders found on the way are added to dicts so that the Builder can give
// each record batch a fresh dictionary.
func bindAppend(nd *node, b array.Builder, off uintptr, dicts *[]array.DictionaryBuilder) appendFunc {
	switch nd.kind {
	case kBool:
		return appendBools(b.(fixedBuilder[bool]), off, nd.ptr)
	case kNumber:
		return appendNumber(nd, b, off)
	case kDate:
		return appendNumbers[int32](b.(fixedBuilder[arrow.Date32]), off, nd.ptr)
	case kDuration:
		return appendDurations(nd, b.(fixedBuilder[arrow.Duration]), off)
	case kTime:
		return appendTimes(nd, b.(fixedBuilder[arrow.Timestamp]), off)
	case kString:
		return appendBytesLike(b.(*array.StringBuilder).BinaryBuilder, off, nd.ptr, true)
	case kBinary:
		return appendBytesLike(b.(*array.BinaryBuilder), off, nd.ptr, false)
	case kDict:
		db := b.(*array.BinaryDictionaryBuilder)
		*dicts = append(*dicts, db)
		return appendDict(db, off, nd.ptr)
	case kFixedBinary:
		return appendFixedBinary(b.(*array.FixedSizeBinaryBuilder), off, nd.ptr, nd.size)
	case kList:
		lb := b.(*array.ListBuilder)
		elem := bindAppend(nd.elem, lb.ValueBuilder(), 0, dicts)
		return appendList(lb, elem, nd.elem.goType.Size(), off, nd.ptr)
	case kStruct:
		sb := b.(*array.StructBuilder)
		children := make([]appendFunc, len(nd.fields))
		for i, f := range nd.fields {
			children[i] = bindAppend(f.node, sb.FieldBuilder(i), f.off, dicts)
		}
		return appendStruct(sb, children, off, nd.ptr)
	}
	panic(fmt.Sprintf("typed: internal error: no appender for kind %d", nd.kind))
}

// appendNumber picks the instantiation of appendNumbers for the Go kind.
func appendNumber(nd *node, b array.Builder, off uintptr) appendFunc {
	ptr := nd.ptr
	switch b := b.(type) {
	case *array.Int8Builder:
		return appendNumbers[int8](b, off, ptr)
	case *array.Int16Builder:
		return appendNumbers[int16](b, off, ptr)
	case *array.Int32Builder:
		return appendNumbers[int32](b, off, ptr)
	case *array.Int64Builder:
		if nd.num == reflect.Int {
			return appendNumbers[int](b, off, ptr)
		}
		return appendNumbers[int64](b, off, ptr)
	case *array.Uint8Builder:
		return appendNumbers[uint8](b, off, ptr)
	case *array.Uint16Builder:
		return appendNumbers[uint16](b, off, ptr)
	case *array.Uint32Builder:
		return appendNumbers[uint32](b, off, ptr)
	case *array.Uint64Builder:
		if nd.num == reflect.Uint {
			return appendNumbers[uint](b, off, ptr)
		}
		return appendNumbers[uint64](b, off, ptr)
	case *array.Float32Builder:
		return appendNumbers[float32](b, off, ptr)
	case *array.Float64Builder:
		return appendNumbers[float64](b, off, ptr)
	}
	panic(fmt.Sprintf("typed: internal error: builder %T for Go kind %s", b, nd.num))
}

// appendNumbers appends Go values of type G to a builder of E. A null slot
// gets a zero value, so batch bytes never depend on allocator contents.
func appendNumbers[G, E number](b fixedBuilder[E], off uintptr, ptr bool) appendFunc {
	if !ptr {
		return func(p unsafe.Pointer, stride uintptr, n int) {
			if n == 1 { // Builder.Append: one call instead of two
				b.Append(E(*(*G)(unsafe.Add(p, off))))
				return
			}
			b.Reserve(n)
			for i := range n {
				b.UnsafeAppend(E(*(*G)(addr(p, i, stride, off))))
			}
		}
	}
	return func(p unsafe.Pointer, stride uintptr, n int) {
		if n == 1 {
			if v := *(**G)(unsafe.Add(p, off)); v != nil {
				b.Append(E(*v))
				return
			}
		}
		b.Reserve(n)
		for i := range n {
			v := *(**G)(addr(p, i, stride, off))
			if v == nil {
				b.UnsafeAppend(0)
				b.SetNull(b.Len() - 1)
				continue
			}
			b.UnsafeAppend(E(*v))
		}
	}
}

func appendBools(b fixedBuilder[bool], off uintptr, ptr bool) appendFunc {
	return func(p unsafe.Pointer, stride uintptr, n int) {
		b.Reserve(n)
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					b.UnsafeAppend(false)
					b.SetNull(b.Len() - 1)
					continue
				}
			}
			b.UnsafeAppend(*(*bool)(q))
		}
	}
}

// appendDurations truncates toward zero to the column's unit, like
// time.Duration.Microseconds and friends.
func appendDurations(nd *node, b fixedBuilder[arrow.Duration], off uintptr) appendFunc {
	_, nsPer := unitScale(nd.unit)
	ptr := nd.ptr
	return func(p unsafe.Pointer, stride uintptr, n int) {
		b.Reserve(n)
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					b.UnsafeAppend(0)
					b.SetNull(b.Len() - 1)
					continue
				}
			}
			b.UnsafeAppend(arrow.Duration(int64(*(*time.Duration)(q)) / nsPer))
		}
	}
}

// appendTimes appends timestamps. Values were range-checked by checkTimes.
func appendTimes(nd *node, b fixedBuilder[arrow.Timestamp], off uintptr) appendFunc {
	conv := newTimeConv(nd.unit, nd.loc)
	ptr := nd.ptr
	return func(p unsafe.Pointer, stride uintptr, n int) {
		if n == 1 && !ptr {
			v, _ := conv.encode((*time.Time)(unsafe.Add(p, off)))
			b.Append(arrow.Timestamp(v))
			return
		}
		b.Reserve(n)
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					b.UnsafeAppend(0)
					b.SetNull(b.Len() - 1)
					continue
				}
			}
			v, _ := conv.encode((*time.Time)(q))
			b.UnsafeAppend(arrow.Timestamp(v))
		}
	}
}

// appendBytesLike appends string (isString) or []byte values.
func appendBytesLike(b *array.BinaryBuilder, off uintptr, ptr, isString bool) appendFunc {
	return func(p unsafe.Pointer, stride uintptr, n int) {
		if n > 1 {
			b.Reserve(n)
		}
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					b.AppendNull()
					continue
				}
			}
			if isString {
				b.Append(stringBytes(*(*string)(q)))
			} else {
				b.Append(*(*[]byte)(q))
			}
		}
	}
}

func appendDict(b *array.BinaryDictionaryBuilder, off uintptr, ptr bool) appendFunc {
	return func(p unsafe.Pointer, stride uintptr, n int) {
		if n > 1 {
			b.Reserve(n)
		}
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					b.AppendNull()
					continue
				}
			}
			// Append only fails for values of the wrong dynamic type, which a
			// []byte never is.
			_ = b.Append(stringBytes(*(*string)(q)))
		}
	}
}

func appendFixedBinary(b *array.FixedSizeBinaryBuilder, off uintptr, ptr bool, size int) appendFunc {
	return func(p unsafe.Pointer, stride uintptr, n int) {
		b.Reserve(n)
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					b.AppendNull()
					continue
				}
			}
			b.Append(unsafe.Slice((*byte)(q), size))
		}
	}
}

// appendList appends slices; nil and empty slices both become empty lists.
func appendList(b *array.ListBuilder, elem appendFunc, elemSize, off uintptr, ptr bool) appendFunc {
	return func(p unsafe.Pointer, stride uintptr, n int) {
		b.Reserve(n)
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					b.AppendNull()
					continue
				}
			}
			s := (*sliceHeader)(q)
			b.Append(true)
			if s.len > 0 {
				elem(s.data, elemSize, s.len)
			}
		}
	}
}

// appendStruct appends nested structs. Non-pointer structs append column
// by column over all n rows; pointers go row by row.
func appendStruct(b *array.StructBuilder, children []appendFunc, off uintptr, ptr bool) appendFunc {
	if !ptr {
		return func(p unsafe.Pointer, stride uintptr, n int) {
			for range n {
				b.Append(true)
			}
			base := unsafe.Add(p, off)
			for _, c := range children {
				c(base, stride, n)
			}
		}
	}
	return func(p unsafe.Pointer, stride uintptr, n int) {
		for i := range n {
			q := *(*unsafe.Pointer)(addr(p, i, stride, off))
			if q == nil {
				b.AppendNull() // also appends a null to every child
				continue
			}
			b.Append(true)
			for _, c := range children {
				c(q, 0, 1)
			}
		}
	}
}

// bindCheck returns the validation function of nd, or nil when every Go
// value of nd's type converts.
func bindCheck(nd *node, f *field, off uintptr) checkFunc {
	switch nd.kind {
	case kTime:
		return checkTimes(nd, f, off)
	case kList:
		elem := bindCheck(nd.elem, f, 0)
		if elem == nil {
			return nil
		}
		size, ptr := nd.elem.goType.Size(), nd.ptr
		return func(p unsafe.Pointer, stride uintptr, n int) (int, error) {
			for i := range n {
				q := addr(p, i, stride, off)
				if ptr {
					if q = *(*unsafe.Pointer)(q); q == nil {
						continue
					}
				}
				if s := (*sliceHeader)(q); s.len > 0 {
					if _, err := elem(s.data, size, s.len); err != nil {
						return i, err
					}
				}
			}
			return 0, nil
		}
	case kStruct:
		var children []checkFunc
		for _, cf := range nd.fields {
			if c := bindCheck(cf.node, cf, cf.off); c != nil {
				children = append(children, c)
			}
		}
		if len(children) == 0 {
			return nil
		}
		ptr := nd.ptr
		return func(p unsafe.Pointer, stride uintptr, n int) (int, error) {
			for i := range n {
				q := addr(p, i, stride, off)
				if ptr {
					if q = *(*unsafe.Pointer)(q); q == nil {
						continue
					}
				}
				for _, c := range children {
					if _, err := c(q, 0, 1); err != nil {
						return i, err
					}
				}
			}
			return 0, nil
		}
	}
	return nil
}

func checkTimes(nd *node, f *field, off uintptr) checkFunc {
	conv := newTimeConv(nd.unit, nd.loc)
	ptr, dt := nd.ptr, nd.dt
	return func(p unsafe.Pointer, stride uintptr, n int) (int, error) {
		for i := range n {
			q := addr(p, i, stride, off)
			if ptr {
				if q = *(*unsafe.Pointer)(q); q == nil {
					continue
				}
			}
			if _, ok := conv.encode((*time.Time)(q)); !ok {
				return i, rangeError(f.col, *(*time.Time)(q), dt)
			}
		}
		return 0, nil
	}
}
