package typed

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// decodeFunc writes elements lo..hi-1 of the Arrow array it was bound to into
// consecutive Go values: element i goes to dst + (i-lo)*stride + off, where
// off (the field's offset) is bound in. dst must point into zeroed memory. On
// failure it returns the array index of the offending element.
type decodeFunc func(dst unsafe.Pointer, stride uintptr, lo, hi int) (int, error)

// checkDecodable reports whether a column of type dt decodes into nd (the
// node of field f): the Arrow types nd produces, plus other encodings of the
// same logical values (large and dictionary-encoded strings, large binary,
// timestamps and durations of any unit and time zone).
func checkDecodable(nd *node, f *field, dt arrow.DataType) error {
	ok := false
	switch nd.kind {
	case kBool, kNumber, kDate:
		ok = arrow.TypeEqual(dt, nd.dt)
	case kString, kDict:
		ok = isStringType(dt)
		if d, isDict := dt.(*arrow.DictionaryType); isDict {
			ok = arrow.IsInteger(d.IndexType.ID()) && isStringType(d.ValueType)
		}
	case kBinary:
		ok = dt.ID() == arrow.BINARY || dt.ID() == arrow.LARGE_BINARY
	case kFixedBinary:
		fb, isFB := dt.(*arrow.FixedSizeBinaryType)
		ok = isFB && fb.ByteWidth == nd.size
	case kTime:
		ok = dt.ID() == arrow.TIMESTAMP
	case kDuration:
		ok = dt.ID() == arrow.DURATION
	case kList:
		if lt, isList := dt.(*arrow.ListType); isList {
			err := checkDecodable(nd.elem, f, lt.Elem())
			if _, missing := err.(*missingColumnError); missing {
				return err
			}
			ok = err == nil
		}
	case kStruct:
		st, isStruct := dt.(*arrow.StructType)
		if !isStruct {
			break
		}
		for _, cf := range nd.fields {
			i, err := structFieldIndex(st, cf)
			if err != nil {
				return err
			}
			if err := checkDecodable(cf.node, cf, st.Field(i).Type); err != nil {
				return err
			}
		}
		return nil
	}
	if !ok {
		return fmt.Errorf("typed: column %q has Arrow type %s, which does not decode into field %s of Go type %s",
			f.col, dt, f.path, f.node.goType)
	}
	return nil
}

func isStringType(dt arrow.DataType) bool {
	return dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING
}

// missingColumnError reports a struct field with no column.
type missingColumnError struct{ f *field }

func (e *missingColumnError) Error() string {
	return fmt.Sprintf("typed: no column %q for field %s (Go type %s)", e.f.col, e.f.path, e.f.node.goType)
}

// fieldIndex finds the single column named f.name in fields.
func fieldIndex(idx []int, f *field) (int, error) {
	switch len(idx) {
	case 0:
		return 0, &missingColumnError{f}
	case 1:
		return idx[0], nil
	}
	return 0, fmt.Errorf("typed: %d columns are named %q (field %s)", len(idx), f.col, f.path)
}

func structFieldIndex(st *arrow.StructType, f *field) (int, error) {
	return fieldIndex(st.FieldIndices(f.name), f)
}

// nullError reports a null where field f's Go type cannot hold one.
func nullError(f *field) error {
	return fmt.Errorf("column %q: null value for non-nullable field %s of Go type %s (use a pointer type)",
		f.col, f.path, f.node.goType)
}

// validCount counts the non-null elements in arr[lo:hi].
func validCount(arr arrow.Array, lo, hi int) int {
	if arr.NullN() == 0 {
		return hi - lo
	}
	return bitutil.CountSetBits(arr.NullBitmapBytes(), arr.Data().Offset()+lo, hi-lo)
}

// bindDecode compiles the decode function of nd (the node of field f, at
// offset off) for arr, whose type checkDecodable has accepted.
func bindDecode(nd *node, f *field, arr arrow.Array, off uintptr) decodeFunc {
	switch a := arr.(type) {
	case *array.Boolean:
		return decodeValues(a, nd.ptr, f, off, func(i int) (bool, error) { return a.Value(i), nil })
	case *array.Int8:
		return decodeNumbers[int8, int8](a.Int8Values(), a, nd.ptr, f, off)
	case *array.Int16:
		return decodeNumbers[int16, int16](a.Int16Values(), a, nd.ptr, f, off)
	case *array.Int32:
		return decodeNumbers[int32, int32](a.Int32Values(), a, nd.ptr, f, off)
	case *array.Int64:
		if nd.num == reflect.Int {
			return decodeNumbers[int64, int](a.Int64Values(), a, nd.ptr, f, off)
		}
		return decodeNumbers[int64, int64](a.Int64Values(), a, nd.ptr, f, off)
	case *array.Uint8:
		return decodeNumbers[uint8, uint8](a.Uint8Values(), a, nd.ptr, f, off)
	case *array.Uint16:
		return decodeNumbers[uint16, uint16](a.Uint16Values(), a, nd.ptr, f, off)
	case *array.Uint32:
		return decodeNumbers[uint32, uint32](a.Uint32Values(), a, nd.ptr, f, off)
	case *array.Uint64:
		if nd.num == reflect.Uint {
			return decodeNumbers[uint64, uint](a.Uint64Values(), a, nd.ptr, f, off)
		}
		return decodeNumbers[uint64, uint64](a.Uint64Values(), a, nd.ptr, f, off)
	case *array.Float32:
		return decodeNumbers[float32, float32](a.Float32Values(), a, nd.ptr, f, off)
	case *array.Float64:
		return decodeNumbers[float64, float64](a.Float64Values(), a, nd.ptr, f, off)
	case *array.Date32:
		return decodeNumbers[arrow.Date32, Date](a.Date32Values(), a, nd.ptr, f, off)
	case *array.Timestamp:
		conv := newTimeConv(a.DataType().(*arrow.TimestampType).Unit, nd.loc)
		vals := a.TimestampValues()
		return decodeValues(a, nd.ptr, f, off, func(i int) (time.Time, error) { return conv.decode(int64(vals[i])), nil })
	case *array.Duration:
		_, nsPer := unitScale(a.DataType().(*arrow.DurationType).Unit)
		vals := a.DurationValues()
		return decodeValues(a, nd.ptr, f, off, func(i int) (time.Duration, error) {
			d, ok := durationFromUnits(int64(vals[i]), nsPer)
			if !ok {
				return 0, fmt.Errorf("column %q: duration %d%s overflows time.Duration", f.col, vals[i], a.DataType().(*arrow.DurationType).Unit)
			}
			return d, nil
		})
	case *array.String, *array.LargeString:
		get := stringGetter(arr)
		return decodeValues(arr, nd.ptr, f, off, func(i int) (string, error) { return get(i), nil })
	case *array.Dictionary:
		dict := a.Dictionary()
		get := stringGetter(dict)
		strs := make([]string, dict.Len())
		for i := range strs {
			strs[i] = get(i) // null dictionary entries read as ""
		}
		return decodeValues(arr, nd.ptr, f, off, func(i int) (string, error) { return strs[a.GetValueIndex(i)], nil })
	case *array.Binary, *array.LargeBinary:
		get := bytesGetter(arr)
		return decodeValues(arr, nd.ptr, f, off, func(i int) ([]byte, error) { return get(i), nil })
	case *array.FixedSizeBinary:
		return decodeFixedBinary(a, nd, f, off)
	case *array.List:
		return decodeList(a, nd, f, off)
	case *array.Struct:
		return decodeStruct(a, nd, f, off)
	}
	panic(fmt.Sprintf("typed: internal error: no decoder for %T into %s", arr, nd.goType))
}

// decodeNumbers decodes a numeric array with values vals (of Arrow element
// type S) into Go values of type G.
func decodeNumbers[S, G number](vals []S, arr arrow.Array, ptr bool, f *field, off uintptr) decodeFunc {
	if ptr || arr.NullN() > 0 {
		return decodeValues(arr, ptr, f, off, func(i int) (G, error) { return G(vals[i]), nil })
	}
	return func(dst unsafe.Pointer, stride uintptr, lo, hi int) (int, error) {
		for i := lo; i < hi; i++ {
			*(*G)(addr(dst, i-lo, stride, off)) = G(vals[i])
		}
		return 0, nil
	}
}

// decodeValues decodes arr element by element with get. For a pointer field
// the values live in one slice, allocated on the first call for all non-null
// values of arr, and the fields point into it: one allocation per column
// chunk, not per value.
func decodeValues[G any](arr arrow.Array, ptr bool, f *field, off uintptr, get func(i int) (G, error)) decodeFunc {
	nulls := arr.NullN() > 0
	var slab []G
	return func(dst unsafe.Pointer, stride uintptr, lo, hi int) (int, error) {
		if ptr && slab == nil {
			slab = make([]G, 0, validCount(arr, 0, arr.Len()))
		}
		for i := lo; i < hi; i++ {
			q := addr(dst, i-lo, stride, off)
			if nulls && arr.IsNull(i) {
				if !ptr {
					return i, nullError(f)
				}
				continue // the pointer is already nil
			}
			v, err := get(i)
			if err != nil {
				return i, err
			}
			if ptr {
				// Callers decode each element at most once, so this stays
				// within capacity; were it to grow, earlier pointers would
				// still point at valid (old) memory.
				slab = append(slab, v)
				*(**G)(q) = &slab[len(slab)-1]
			} else {
				*(*G)(q) = v
			}
		}
		return 0, nil
	}
}

// stringGetter returns the strings of a String or LargeString array. All
// values share one copy of the array's data, so decoding allocates once per
// chunk; a retained string keeps its chunk's bytes alive.
func stringGetter(arr arrow.Array) func(i int) string {
	switch a := arr.(type) {
	case *array.String:
		offs, all := a.ValueOffsets(), string(a.ValueBytes())
		return func(i int) string { return all[offs[i]-offs[0] : offs[i+1]-offs[0]] }
	case *array.LargeString:
		offs, all := a.ValueOffsets(), string(a.ValueBytes())
		return func(i int) string { return all[offs[i]-offs[0] : offs[i+1]-offs[0]] }
	}
	panic(fmt.Sprintf("typed: internal error: %T is not a string array", arr))
}

// bytesGetter is stringGetter for binary arrays. Values are capacity-limited
// subslices of one copy, so appending to one never overwrites another; empty
// values decode as nil.
func bytesGetter(arr arrow.Array) func(i int) []byte {
	sub := func(all []byte, a, b int) []byte {
		if a == b {
			return nil
		}
		return all[a:b:b]
	}
	switch a := arr.(type) {
	case *array.Binary:
		offs, all := a.ValueOffsets(), append([]byte(nil), a.ValueBytes()...)
		return func(i int) []byte { return sub(all, int(offs[i]-offs[0]), int(offs[i+1]-offs[0])) }
	case *array.LargeBinary:
		offs, all := a.ValueOffsets(), append([]byte(nil), a.ValueBytes()...)
		return func(i int) []byte { return sub(all, int(offs[i]-offs[0]), int(offs[i+1]-offs[0])) }
	}
	panic(fmt.Sprintf("typed: internal error: %T is not a binary array", arr))
}

// slab hands out zeroed values of one Go type from a single allocation, for
// pointer fields of types without a generic decoder.
type slab struct {
	base unsafe.Pointer
	size uintptr
	next int
}

func newSlab(t reflect.Type, n int) slab {
	if n == 0 {
		return slab{}
	}
	return slab{base: reflect.MakeSlice(reflect.SliceOf(t), n, n).UnsafePointer(), size: t.Size()}
}

func (s *slab) take() unsafe.Pointer {
	p := unsafe.Add(s.base, uintptr(s.next)*s.size)
	s.next++
	return p
}

// target returns where the value for the field at q goes: q itself, or for
// a pointer field a fresh slab value that q is set to point at.
func (s *slab) target(q unsafe.Pointer, ptr bool) unsafe.Pointer {
	if !ptr {
		return q
	}
	t := s.take()
	*(*unsafe.Pointer)(q) = t
	return t
}

func decodeFixedBinary(a *array.FixedSizeBinary, nd *node, f *field, off uintptr) decodeFunc {
	return func(dst unsafe.Pointer, stride uintptr, lo, hi int) (int, error) {
		var s slab
		if nd.ptr {
			s = newSlab(nd.elemGo, validCount(a, lo, hi))
		}
		for i := lo; i < hi; i++ {
			q := addr(dst, i-lo, stride, off)
			if a.IsNull(i) {
				if !nd.ptr {
					return i, nullError(f)
				}
				continue
			}
			copy(unsafe.Slice((*byte)(s.target(q, nd.ptr)), nd.size), a.Value(i))
		}
		return 0, nil
	}
}

// decodeList decodes lists into slices. The elements of all rows in lo..hi
// share one backing array; each slice's capacity is its length, so an append
// copies instead of overwriting the next row. Empty lists decode as nil.
func decodeList(a *array.List, nd *node, f *field, off uintptr) decodeFunc {
	offs := a.Offsets()[a.Data().Offset():]
	elemType := nd.elem.goType
	elemSize := elemType.Size()
	elem := bindDecode(nd.elem, f, a.ListValues(), 0)
	return func(dst unsafe.Pointer, stride uintptr, lo, hi int) (int, error) {
		start := int(offs[lo])
		elems := newSlab(elemType, int(offs[hi])-start)
		var ptrs slab
		if nd.ptr {
			ptrs = newSlab(nd.elemGo, validCount(a, lo, hi))
		}
		for i := lo; i < hi; i++ {
			q := addr(dst, i-lo, stride, off)
			if a.IsNull(i) {
				if !nd.ptr {
					return i, nullError(f)
				}
				continue
			}
			t := ptrs.target(q, nd.ptr)
			b, e := int(offs[i]), int(offs[i+1])
			if b == e {
				continue
			}
			data := unsafe.Add(elems.base, uintptr(b-start)*elemSize)
			if _, err := elem(data, elemSize, b, e); err != nil {
				return i, fmt.Errorf("list element: %w", err)
			}
			*(*sliceHeader)(t) = sliceHeader{data: data, len: e - b, cap: e - b}
		}
		return 0, nil
	}
}

// decodeStruct decodes a struct column into a nested struct. Children are
// matched by name like top-level columns.
func decodeStruct(a *array.Struct, nd *node, f *field, off uintptr) decodeFunc {
	st := a.DataType().(*arrow.StructType)
	children := make([]decodeFunc, len(nd.fields))
	for j, cf := range nd.fields {
		i, _ := structFieldIndex(st, cf) // checked by checkDecodable
		children[j] = bindDecode(cf.node, cf, a.Field(i), cf.off)
	}
	return func(dst unsafe.Pointer, stride uintptr, lo, hi int) (int, error) {
		if !nd.ptr {
			for i := lo; i < hi; i++ {
				if a.IsNull(i) {
					return i, nullError(f)
				}
			}
			base := unsafe.Add(dst, off)
			for _, c := range children {
				if bad, err := c(base, stride, lo, hi); err != nil {
					return bad, err
				}
			}
			return 0, nil
		}
		s := newSlab(nd.elemGo, validCount(a, lo, hi))
		for i := lo; i < hi; i++ {
			if a.IsNull(i) {
				continue
			}
			t := s.target(addr(dst, i-lo, stride, off), true)
			for _, c := range children {
				if _, err := c(t, 0, i, i+1); err != nil {
					return i, err
				}
			}
		}
		return 0, nil
	}
}
