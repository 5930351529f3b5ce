package expr

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Bitmaps here are Arrow bit-packed bitmaps (least significant bit first)
// starting at bit 0 of the slice, with n bits used. nil stands for "all
// set" where a function says so.

func bitmapBytes(n int) int { return (n + 7) >> 3 }

func getBit(bm []byte, i int) bool { return bm[i>>3]&(1<<(uint(i)&7)) != 0 }

func setBit(bm []byte, i int) { bm[i>>3] |= 1 << (uint(i) & 7) }

func clearBit(bm []byte, i int) { bm[i>>3] &^= 1 << (uint(i) & 7) }

// aligned returns a copy of the n bits of bm starting at bit off, as a
// bitmap starting at bit 0. Copying (n/8 bytes) keeps results from ever
// aliasing input buffers, whose memory may come from an allocator that
// reuses it after release.
func aligned(bm []byte, off, n int) []byte {
	if bm == nil {
		return nil
	}
	out := make([]byte, bitmapBytes(n))
	if off&7 == 0 {
		copy(out, bm[off>>3:])
	} else {
		bitutil.CopyBitmap(bm, off, n, out, 0)
	}
	return out
}

// validity returns a's validity bitmap aligned to bit 0, or nil when a has
// no nulls. A null-typed array is all null.
func validity(a arrow.Array) []byte {
	if a.DataType().ID() == arrow.NULL {
		return make([]byte, bitmapBytes(a.Len()))
	}
	if a.NullN() == 0 {
		return nil
	}
	d := a.Data()
	buf := d.Buffers()[0]
	if buf == nil {
		return nil
	}
	return aligned(buf.Bytes(), d.Offset(), d.Len())
}

// boolBits returns the values bitmap of a boolean array aligned to bit 0.
func boolBits(a arrow.Array) []byte {
	d := a.Data()
	return aligned(d.Buffers()[1].Bytes(), d.Offset(), d.Len())
}

// andBitmaps returns the AND of bitmaps of n bits, treating nil as all set.
// It returns nil when all are nil. The result may alias an input.
func andBitmaps(n int, bms ...[]byte) []byte {
	var out []byte
	owned := false
	for _, bm := range bms {
		if bm == nil {
			continue
		}
		if out == nil {
			out = bm
			continue
		}
		if !owned {
			out = append([]byte(nil), out[:bitmapBytes(n)]...)
			owned = true
		}
		for i := range out {
			out[i] &= bm[i]
		}
	}
	return out
}

// countSet counts the set bits among the first n of bm.
func countSet(bm []byte, n int) int { return bitutil.CountSetBits(bm, 0, n) }

// nullsOf returns the null count of a validity bitmap of n bits (nil: 0).
func nullsOf(valid []byte, n int) int {
	if valid == nil {
		return 0
	}
	return n - countSet(valid, n)
}

// allBits returns a bitmap of n set bits.
func allBits(n int) []byte {
	out := make([]byte, bitmapBytes(n))
	for i := range out {
		out[i] = 0xFF
	}
	return out
}

// fixedValues returns the values of a fixed-width array as a []T of its
// length (offset applied), sharing its memory.
func fixedValues[T any](a arrow.Array) []T {
	d := a.Data()
	if d.Len() == 0 {
		return nil
	}
	return fixedValuesAt[T](d.Buffers()[1].Bytes(), d.Offset(), d.Len())
}

// fixedValuesAt views n values of type T starting at value off of b.
func fixedValuesAt[T any](b []byte, off, n int) []T {
	if n == 0 {
		return nil
	}
	var z T
	size := int(unsafe.Sizeof(z))
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/size)
	return all[off : off+n]
}

// bytesOf views a slice of fixed-width values as bytes.
func bytesOf[T any](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(z)))
}

// makeArray wraps Go memory into an array without copying. valid may be
// nil (no nulls).
func makeArray(dt arrow.DataType, n int, valid []byte, bufs ...[]byte) arrow.Array {
	nulls := nullsOf(valid, n)
	if nulls == 0 {
		valid = nil
	}
	buffers := make([]*memory.Buffer, 1+len(bufs))
	if valid != nil {
		buffers[0] = memory.NewBufferBytes(valid)
	}
	for i, b := range bufs {
		buffers[i+1] = memory.NewBufferBytes(b)
	}
	d := array.NewData(dt, n, buffers, nil, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// makeFixed builds a fixed-width array of type dt from values and validity.
func makeFixed[T any](dt arrow.DataType, vals []T, valid []byte) arrow.Array {
	return makeArray(dt, len(vals), valid, bytesOf(vals))
}

// makeBool builds a boolean array from a values bitmap and validity.
func makeBool(n int, values, valid []byte) arrow.Array {
	return makeArray(arrow.FixedWidthTypes.Boolean, n, valid, values)
}

// makeNull returns a null-typed array of n rows.
func makeNull(n int) arrow.Array { return array.NewNull(n) }

// allNull returns an array of type dt with n nulls.
func allNull(dt arrow.DataType, n int) arrow.Array {
	return array.MakeArrayOfNull(memory.DefaultAllocator, dt, n)
}

// AllValid returns a boolean array (without nulls) of n rows that is true
// where every array of cols is valid.
func AllValid(n int, cols []arrow.Array) arrow.Array {
	bms := make([][]byte, len(cols))
	for i, c := range cols {
		bms[i] = validity(c)
	}
	v := andBitmaps(n, bms...)
	if v == nil {
		v = allBits(n)
	}
	out := make([]byte, bitmapBytes(n))
	copy(out, v)
	return makeBool(n, out, nil)
}

// isNullAt reports whether row i of a is null (every row of a null-typed
// array is).
func isNullAt(a arrow.Array, i int) bool { return a.DataType().ID() == arrow.NULL || a.IsNull(i) }
