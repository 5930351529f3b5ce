package digest

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Canonical NaN bit patterns: the positive quiet NaN of each width.
const (
	canonNaN16 = 0x7E00
	canonNaN32 = 0x7FC00000
	canonNaN64 = 0x7FF8000000000000
)

// hasNaN reports whether the little-endian floats of width fw in b hold a
// NaN.
func hasNaN(b []byte, fw int) bool {
	switch fw {
	case 8:
		b = b[:len(b)&^7]
		for i := 0; i < len(b); i += 8 {
			if binary.LittleEndian.Uint64(b[i:])&math.MaxInt64 > 0x7FF0000000000000 {
				return true
			}
		}
	case 4:
		b = b[:len(b)&^3]
		for i := 0; i < len(b); i += 4 {
			if binary.LittleEndian.Uint32(b[i:])&math.MaxInt32 > 0x7F800000 {
				return true
			}
		}
	case 2:
		b = b[:len(b)&^1]
		for i := 0; i < len(b); i += 2 {
			if binary.LittleEndian.Uint16(b[i:])&math.MaxInt16 > 0x7C00 {
				return true
			}
		}
	}
	return false
}

// canonNaN rewrites every NaN among the little-endian floats of width fw
// in b to the canonical NaN of that width.
func canonNaN(b []byte, fw int) {
	switch fw {
	case 8:
		b = b[:len(b)&^7]
		for i := 0; i < len(b); i += 8 {
			if binary.LittleEndian.Uint64(b[i:])&math.MaxInt64 > 0x7FF0000000000000 {
				binary.LittleEndian.PutUint64(b[i:], canonNaN64)
			}
		}
	case 4:
		b = b[:len(b)&^3]
		for i := 0; i < len(b); i += 4 {
			if binary.LittleEndian.Uint32(b[i:])&math.MaxInt32 > 0x7F800000 {
				binary.LittleEndian.PutUint32(b[i:], canonNaN32)
			}
		}
	case 2:
		b = b[:len(b)&^1]
		for i := 0; i < len(b); i += 2 {
			if binary.LittleEndian.Uint16(b[i:])&math.MaxInt16 > 0x7C00 {
				binary.LittleEndian.PutUint16(b[i:], canonNaN16)
			}
		}
	}
}

// zeroNulls clears the width-w slots of b whose bit among the k bits of bm
// from pos is unset.
func zeroNulls(b []byte, w int, bm []byte, pos, k int) {
	for i := 0; i < k; i += 64 {
		m := min(64, k-i)
		inv := ^loadBits(bm, pos+i, m) & lowMask(m)
		for inv != 0 {
			j := i + trailingZerosN(inv, 64)
			clear(b[j*w : (j+1)*w])
			inv &= inv - 1
		}
	}
}

// blockRows returns the rows per scratch block for values of width w.
func blockRows(w int) int { return max(1, scratchSize/w) }

func (nd *node) feedBool(d arrow.ArrayData, bm []byte, pos, n int) error {
	vb, err := buffer(d, 1, (pos+n+7)/8)
	if err != nil {
		return err
	}
	if bm == nil {
		nd.bools.bits(vb, pos, n)
		return nil
	}
	for i := 0; i < n; i += 64 {
		k := min(64, n-i)
		nd.bools.word(loadBits(vb, pos+i, k)&loadBits(bm, pos+i, k), uint(k))
	}
	return nil
}

func (nd *node) feedFixed(d arrow.ArrayData, bm []byte, pos, n int) error {
	w, fw := nd.p.width, nd.p.float
	buf, err := buffer(d, 1, (pos+n)*w)
	if err != nil {
		return err
	}
	vals := buf[pos*w : (pos+n)*w]
	if bm == nil && fw == 0 {
		// Fast path: the Arrow buffer is already the canonical stream.
		_, _ = nd.values.Write(vals)
		return nil
	}
	block := blockRows(w)
	scratch := nd.w.valScratch(block * w)
	for i := 0; i < n; i += block {
		k := min(block, n-i)
		src := vals[i*w : (i+k)*w]
		if bm == nil && !hasNaN(src, fw) {
			// Floats without NaN: hash the block in place, while it is
			// still in cache from the scan.
			_, _ = nd.values.Write(src)
			continue
		}
		b := scratch[:k*w]
		copy(b, src)
		if bm != nil {
			zeroNulls(b, w, bm, pos+i, k)
		}
		if fw != 0 {
			canonNaN(b, fw)
		}
		_, _ = nd.values.Write(b)
	}
	return nil
}

func (nd *node) feedBinary(d arrow.ArrayData, ow int, bm []byte, pos, n int) error {
	ob, err := buffer(d, 1, (pos+n+1)*ow)
	if err != nil {
		return err
	}
	data, _ := buffer(d, 2, 0)
	for i := 0; i < n; i += offsetBlock {
		k := min(offsetBlock, n-i)
		offs := nd.w.decodeOffsets(ob, ow, pos+i, k+1)
		if err := nd.w.writeLengths(nd.values, offs, bm, pos+i, k); err != nil {
			return fmt.Errorf("%s array: %w", d.DataType(), err)
		}
		runs := validRuns(nd.w.runs[:0], bm, pos+i, k)
		for _, r := range runs {
			lo, hi := offs[r[0]], offs[r[1]]
			if lo < 0 || hi < lo || hi > int64(len(data)) {
				return fmt.Errorf("%s array: value bytes [%d, %d) out of bounds of data buffer of %d bytes", d.DataType(), lo, hi, len(data))
			}
			_, _ = nd.data.Write(data[lo:hi])
		}
		nd.w.runs = runs[:0]
	}
	return nil
}

// viewBytes returns the bytes of the 16-byte view header h whose variadic
// data buffers are bufs.
func viewBytes(h []byte, bufs []*memory.Buffer) ([]byte, error) {
	size := int64(int32(binary.LittleEndian.Uint32(h)))
	if size < 0 {
		return nil, fmt.Errorf("negative view size %d", size)
	}
	if size <= 12 {
		return h[4 : 4+size], nil
	}
	bi := int64(int32(binary.LittleEndian.Uint32(h[8:])))
	off := int64(int32(binary.LittleEndian.Uint32(h[12:])))
	if bi < 0 || bi >= int64(len(bufs)) || bufs[bi] == nil {
		return nil, fmt.Errorf("view refers to missing data buffer %d", bi)
	}
	b := bufs[bi].Bytes()
	if off < 0 || off+size > int64(len(b)) {
		return nil, fmt.Errorf("view bytes [%d, %d) out of bounds of data buffer %d of %d bytes", off, off+size, bi, len(b))
	}
	return b[off : off+size], nil
}

// gather accumulates length and byte streams of variable-length values
// picked one at a time (views, dictionaries) in worker scratch.
type gather struct {
	nd    *node
	lens  []byte
	nlens int
	nData int
}

func (g *gather) add(v []byte) {
	binary.LittleEndian.PutUint32(g.lens[g.nlens:], uint32(len(v)))
	g.nlens += 4
	if g.nlens == len(g.lens) {
		_, _ = g.nd.values.Write(g.lens)
		g.nlens = 0
	}
	data := g.nd.w.data
	if g.nData+len(v) > len(data) {
		_, _ = g.nd.data.Write(data[:g.nData])
		g.nData = 0
		if len(v) >= len(data) {
			_, _ = g.nd.data.Write(v)
			return
		}
	}
	g.nData += copy(data[g.nData:], v)
}

func (g *gather) flush() {
	_, _ = g.nd.values.Write(g.lens[:g.nlens])
	_, _ = g.nd.data.Write(g.nd.w.data[:g.nData])
	g.nlens, g.nData = 0, 0
}

func (nd *node) newGather() gather {
	return gather{nd: nd, lens: nd.w.vals[:offsetBlock*4]}
}

func (nd *node) feedView(d arrow.ArrayData, bm []byte, pos, n int) error {
	hb, err := buffer(d, 1, (pos+n)*16)
	if err != nil {
		return err
	}
	bufs := d.Buffers()[2:]
	g := nd.newGather()
	for j := 0; j < n; j++ {
		p := pos + j
		if bm != nil && bm[p>>3]>>uint(p&7)&1 == 0 {
			g.add(nil)
			continue
		}
		v, err := viewBytes(hb[p*16:p*16+16], bufs)
		if err != nil {
			return fmt.Errorf("%s array: row %d: %w", d.DataType(), p, err)
		}
		g.add(v)
	}
	g.flush()
	return nil
}
