package expr

import (
	"context"
	"encoding/binary"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
)

// Selection is the set of rows a filter keeps: a bitmap of the rows that
// are true and valid in a boolean mask. Take walks it 64 rows at a time,
// copying whole words of kept rows in bulk and single rows otherwise, so
// both dense and sparse selections cost little more than the copy.
type Selection struct {
	bits  []byte // n bits, padded with zeros to a multiple of 8 bytes
	n     int
	count int
}

// Select returns the rows of a boolean mask that are true and valid.
func Select(mask arrow.Array) Selection {
	n := mask.Len()
	if mask.DataType().ID() != arrow.BOOL {
		return Selection{n: n}
	}
	sel := make([]byte, (n+63)/64*8)
	copy(sel, boolBits(mask))
	if v := validity(mask); v != nil {
		for i := range v {
			sel[i] &= v[i]
		}
	}
	if r := n & 7; r != 0 {
		sel[n>>3] &= 1<<uint(r) - 1
	}
	for i := bitmapBytes(n); i < len(sel); i++ {
		sel[i] = 0
	}
	return Selection{bits: sel, n: n, count: countSet(sel, n)}
}

// Len returns the number of rows kept.
func (s Selection) Len() int { return s.count }

// word returns the selection bits of rows [64w, 64w+64).
func (s Selection) word(w int) uint64 { return binary.LittleEndian.Uint64(s.bits[w*8:]) }

// words returns the number of 64-row words.
func (s Selection) words() int { return len(s.bits) / 8 }

// Take returns the selected rows of a (which must have the mask's length).
// Fixed-width, boolean and (large) string or binary arrays are gathered
// here; other types go through Arrow's take kernel.
func (s Selection) Take(ctx context.Context, a arrow.Array) (arrow.Array, error) {
	dt := a.DataType()
	var outValid []byte
	if valid := validity(a); valid != nil {
		outValid = s.takeBits(valid)
	}
	switch dt.ID() {
	case arrow.BOOL:
		return makeBool(s.count, s.takeBits(boolBits(a)), outValid), nil
	case arrow.STRING, arrow.BINARY:
		return takeBinary[int32](a, s, outValid), nil
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return takeBinary[int64](a, s, outValid), nil
	case arrow.NULL:
		return makeNull(s.count), nil
	}
	if fw, ok := dt.(arrow.FixedWidthDataType); ok && dt.ID() != arrow.DICTIONARY && dt.ID() != arrow.EXTENSION {
		switch fw.BitWidth() {
		case 8:
			return makeFixed(dt, takeFixed[uint8](a, s), outValid), nil
		case 16:
			return makeFixed(dt, takeFixed[uint16](a, s), outValid), nil
		case 32:
			return makeFixed(dt, takeFixed[uint32](a, s), outValid), nil
		case 64:
			return makeFixed(dt, takeFixed[uint64](a, s), outValid), nil
		}
	}
	idx := make([]int32, 0, s.count)
	for w := range s.words() {
		for m := s.word(w); m != 0; m &= m - 1 {
			idx = append(idx, int32(w*64+bits.TrailingZeros64(m)))
		}
	}
	ia := makeFixed(arrow.PrimitiveTypes.Int32, idx, nil)
	defer ia.Release()
	return compute.TakeArray(ctx, a, ia)
}

// bitAppender writes bits one word at a time.
type bitAppender struct {
	out  []byte
	acc  uint64
	nacc uint
	at   int // bytes written
}

func (b *bitAppender) add(v uint64, k uint) {
	b.acc |= v << b.nacc
	if b.nacc+k >= 64 {
		binary.LittleEndian.PutUint64(b.out[b.at:], b.acc)
		b.at += 8
		spill := b.nacc + k - 64
		if spill == 0 {
			b.acc = 0
		} else {
			b.acc = v >> (k - spill)
		}
		b.nacc = spill
		return
	}
	b.nacc += k
}

func (b *bitAppender) finish() {
	var tail [8]byte
	binary.LittleEndian.PutUint64(tail[:], b.acc)
	copy(b.out[b.at:], tail[:])
}

// takeBits gathers the selected bits of a bitmap (aligned at bit 0).
func (s Selection) takeBits(in []byte) []byte {
	padded := in
	if len(in) < len(s.bits) {
		padded = make([]byte, len(s.bits))
		copy(padded, in)
	}
	b := bitAppender{out: make([]byte, (s.count+63)/64*8+8)}
	for w := range s.words() {
		m := s.word(w)
		switch m {
		case 0:
		case ^uint64(0):
			b.add(binary.LittleEndian.Uint64(padded[w*8:]), 64)
		default:
			v := binary.LittleEndian.Uint64(padded[w*8:])
			for ; m != 0; m &= m - 1 {
				b.add(v>>uint(bits.TrailingZeros64(m))&1, 1)
			}
		}
	}
	b.finish()
	return b.out[:bitmapBytes(s.count)]
}

func takeFixed[T uint8 | uint16 | uint32 | uint64](a arrow.Array, s Selection) []T {
	in := fixedValues[T](a)
	out := make([]T, 0, s.count)
	for w := range s.words() {
		m := s.word(w)
		base := w * 64
		if m == ^uint64(0) {
			out = append(out, in[base:base+64]...)
			continue
		}
		for ; m != 0; m &= m - 1 {
			out = append(out, in[base+bits.TrailingZeros64(m)])
		}
	}
	return out
}

func takeBinary[O int32 | int64](a arrow.Array, s Selection, valid []byte) arrow.Array {
	d := a.Data()
	offs := fixedValuesAt[O](d.Buffers()[1].Bytes(), d.Offset(), d.Len()+1)
	var data []byte
	if b := d.Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	size := 0
	for w := range s.words() {
		base := w * 64
		m := s.word(w)
		if m == ^uint64(0) {
			size += int(offs[base+64] - offs[base])
			continue
		}
		for ; m != 0; m &= m - 1 {
			i := base + bits.TrailingZeros64(m)
			size += int(offs[i+1] - offs[i])
		}
	}
	outOffs := make([]O, 1, s.count+1)
	out := make([]byte, 0, size)
	for w := range s.words() {
		base := w * 64
		m := s.word(w)
		if m == ^uint64(0) {
			shift := O(len(out)) - offs[base]
			out = append(out, data[offs[base]:offs[base+64]]...)
			for _, o := range offs[base+1 : base+65] {
				outOffs = append(outOffs, o+shift)
			}
			continue
		}
		for ; m != 0; m &= m - 1 {
			i := base + bits.TrailingZeros64(m)
			out = append(out, data[offs[i]:offs[i+1]]...)
			outOffs = append(outOffs, O(len(out)))
		}
	}
	return makeArray(a.DataType(), s.count, valid, bytesOf(outOffs), out)
}

// AppendRows appends base+i for every selected row i, ascending, to dst.
func (s Selection) AppendRows(dst []int32, base int32) []int32 {
	for w := range s.words() {
		for x := s.word(w); x != 0; x &= x - 1 {
			dst = append(dst, base+int32(w*64+bits.TrailingZeros64(x)))
		}
	}
	return dst
}
