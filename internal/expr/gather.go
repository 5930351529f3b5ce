package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// gather builds an array of n rows of type typ taking row i from
// vals[which[i]] (constants stand for every row); which[i] < 0 gives null.
// Every val must already have type typ.
func gather(typ arrow.DataType, n int, vals []val, which []int16) (arrow.Array, error) {
	valid := make([]byte, bitmapBytes(n))
	vbits := make([][]byte, len(vals))
	constNull := make([]bool, len(vals))
	for k, v := range vals {
		if v.a == nil {
			continue
		}
		if v.scalar {
			constNull[k] = isNullAt(v.a, 0)
		} else {
			vbits[k] = validity(v.a)
		}
	}
	for i, k := range which {
		if k >= 0 && vals[k].a != nil && !constNull[k] && (vbits[k] == nil || getBit(vbits[k], i)) {
			setBit(valid, i)
		}
	}
	idx := func(k int16, i int) int {
		if vals[k].scalar {
			return 0
		}
		return i
	}
	switch catOf(typ) {
	case catNull:
		return makeNull(n), nil
	case catBool:
		bits := make([][]byte, len(vals))
		for k, v := range vals {
			if v.a != nil && !constNull[k] {
				bits[k] = boolBits(v.a)
			}
		}
		out := make([]byte, bitmapBytes(n))
		for i, k := range which {
			if getBit(valid, i) && getBit(bits[k], idx(k, i)) {
				setBit(out, i)
			}
		}
		return makeBool(n, out, valid), nil
	case catString:
		strs := make([]strVec, len(vals))
		for k, v := range vals {
			if v.a != nil && !constNull[k] {
				strs[k] = stringsOf(v.a)
			}
		}
		b := newStrBuilder(n, 0)
		for i, k := range which {
			if getBit(valid, i) {
				b.data = append(b.data, strs[k].value(idx(k, i))...)
				if len(b.data) > 1<<31-1 {
					return nil, fmt.Errorf("string data over 2 GiB in one batch")
				}
			}
			b.next()
		}
		out := b.finish(valid)
		if typ.ID() != arrow.STRING {
			return fromUTF8(out, typ), nil
		}
		return out, nil
	}
	fw, ok := typ.(arrow.FixedWidthDataType)
	if !ok {
		return nil, fmt.Errorf("cannot select values of type %s", TypeName(typ))
	}
	switch fw.Bytes() {
	case 1:
		return gatherFixed[uint8](typ, n, vals, which, valid), nil
	case 2:
		return gatherFixed[uint16](typ, n, vals, which, valid), nil
	case 4:
		return gatherFixed[uint32](typ, n, vals, which, valid), nil
	case 8:
		return gatherFixed[uint64](typ, n, vals, which, valid), nil
	}
	return nil, fmt.Errorf("cannot select values of type %s", TypeName(typ))
}

func gatherFixed[T uint8 | uint16 | uint32 | uint64](typ arrow.DataType, n int, vals []val, which []int16, valid []byte) arrow.Array {
	src := make([][]T, len(vals))
	for k, v := range vals {
		if v.a != nil && v.a.DataType().ID() != arrow.NULL {
			src[k] = fixedValues[T](v.a)
		}
	}
	out := make([]T, n)
	for i, k := range which {
		if !getBit(valid, i) {
			continue
		}
		if vals[k].scalar {
			out[i] = src[k][0]
		} else {
			out[i] = src[k][i]
		}
	}
	return makeFixed(typ, out, valid)
}
