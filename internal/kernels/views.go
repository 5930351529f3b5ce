package kernels

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// Kind is the family of a column type the kernels support.
type Kind int

// Kinds.
const (
	// KindUnsupported is any other type.
	KindUnsupported Kind = iota
	// KindInt covers signed and unsigned integers, booleans (0 and 1),
	// dates, times, timestamps and durations: types whose values are
	// integers.
	KindInt
	// KindFloat covers float32 and float64.
	KindFloat
	// KindBytes covers string, binary, large_string and large_binary.
	KindBytes
)

// KindOf returns the kind of a data type.
func KindOf(dt arrow.DataType) Kind {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.BOOL,
		arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return KindInt
	case arrow.FLOAT32, arrow.FLOAT64:
		return KindFloat
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return KindBytes
	}
	return KindUnsupported
}

const bias = uint64(1) << 63

// intView returns the values of chunk a (of KindInt) as int64. With
// ordered, uint64 values are shifted by -2^63 so that int64 order is their
// order; without it they are reinterpreted (values >= 2^63 become
// negative). Narrower types are widened into scratch (grown as needed);
// 64-bit signed types are returned without copying. Values under nulls are
// unspecified.
func intView(a arrow.Array, scratch *[]int64, ordered bool) []int64 {
	d := a.Data()
	n := a.Len()
	switch a.DataType().ID() {
	case arrow.INT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		return arrow.GetValues[int64](d, 1)
	}
	out := grow(scratch, n)
	switch a.DataType().ID() {
	case arrow.INT8:
		widen(out, arrow.GetValues[int8](d, 1))
	case arrow.INT16:
		widen(out, arrow.GetValues[int16](d, 1))
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		widen(out, arrow.GetValues[int32](d, 1))
	case arrow.UINT8:
		widen(out, arrow.GetValues[uint8](d, 1))
	case arrow.UINT16:
		widen(out, arrow.GetValues[uint16](d, 1))
	case arrow.UINT32:
		widen(out, arrow.GetValues[uint32](d, 1))
	case arrow.UINT64:
		v := arrow.GetValues[uint64](d, 1)
		if ordered {
			for i, x := range v {
				out[i] = int64(x ^ bias)
			}
		} else {
			for i, x := range v {
				out[i] = int64(x)
			}
		}
	case arrow.BOOL:
		bm := d.Buffers()[1].Bytes()
		off := d.Offset()
		for i := range out {
			if bitutil.BitIsSet(bm, off+i) {
				out[i] = 1
			} else {
				out[i] = 0
			}
		}
	default:
		panic("kernels: intView of " + a.DataType().String())
	}
	return out
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func widen[T integer](out []int64, in []T) {
	for i, x := range in {
		out[i] = int64(x)
	}
}

// floatView returns the values of chunk a (of KindFloat) as float64,
// widening float32 into scratch.
func floatView(a arrow.Array, scratch *[]float64) []float64 {
	d := a.Data()
	if a.DataType().ID() == arrow.FLOAT64 {
		return arrow.GetValues[float64](d, 1)
	}
	out := grow(scratch, a.Len())
	for i, x := range arrow.GetValues[float32](d, 1) {
		out[i] = float64(x)
	}
	return out
}

// canonFloat returns the bits of x with every NaN made the same quiet NaN
// and -0 made +0, so that bit equality is SQL equality (NaN equals NaN).
func canonFloat(x float64) uint64 {
	if x != x {
		return 0x7ff8000000000001
	}
	if x == 0 {
		return 0
	}
	return math.Float64bits(x)
}

// bytesView is a chunk of KindBytes.
type bytesView struct {
	o32  []int32
	o64  []int64
	data []byte
}

func newBytesView(a arrow.Array) bytesView {
	d := a.Data()
	var v bytesView
	if b := d.Buffers()[2]; b != nil {
		v.data = b.Bytes()
	}
	switch a.DataType().ID() {
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		v.o64 = arrow.GetOffsets[int64](d, 1)
	default:
		v.o32 = arrow.GetOffsets[int32](d, 1)
	}
	return v
}

func (v bytesView) at(i int) []byte {
	if v.o32 != nil {
		return v.data[v.o32[i]:v.o32[i+1]]
	}
	return v.data[v.o64[i]:v.o64[i+1]]
}

func grow[T any](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n)
	}
	return (*s)[:n]
}

// Int64s returns the values of an integer-kind column as int64 (uint64
// shifted by -2^63 to keep their order), each multiplied by mul with
// saturation at the int64 range. Values of null rows are 0.
func Int64s(c Col, mul int64) []int64 {
	out := make([]int64, c.Len)
	var scratch []int64
	for ci, a := range c.Chunks {
		o := out[c.Starts[ci]:c.Starts[ci+1]]
		copy(o, intView(a, &scratch, true))
		if mul != 1 {
			for i, v := range o {
				o[i] = satMul(v, mul)
			}
		}
		bm, off := validity(a)
		if bm != nil {
			for i := range o {
				if !valid(bm, off, i) {
					o[i] = 0
				}
			}
		}
	}
	return out
}

func satMul(v, m int64) int64 {
	if v == 0 || m == 0 {
		return 0
	}
	p := v * m
	if p/m != v || (v == -1 && m == math.MinInt64) || (m == -1 && v == math.MinInt64) {
		if (v < 0) != (m < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return p
}
