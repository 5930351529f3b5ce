package digest

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// dictValues describes the physical layout of a dictionary's values so
// that single values can be picked by index.
type dictValues struct {
	d      arrow.ArrayData
	pos    int    // dictionary offset
	n      int    // dictionary length
	bm     []byte // validity, nil if all valid
	vals   []byte // fixed-width values, bool bits, offsets or view headers
	ow     int    // offsets width (4, 8) or 16 for views, for binary kinds
	data   []byte // binary bytes (offset layouts)
	isView bool
}

func newDictValues(p *plan, d arrow.ArrayData) (*dictValues, error) {
	if isNilData(d) {
		return nil, fmt.Errorf("dictionary array without dictionary")
	}
	dv := &dictValues{d: d, pos: d.Offset(), n: d.Len()}
	var err error
	if dv.bm, err = validity(d, dv.pos, dv.n); err != nil {
		return nil, err
	}
	end := dv.pos + dv.n
	switch p.kind {
	case kindBool:
		dv.vals, err = buffer(d, 1, (end+7)/8)
	case kindFixed:
		dv.vals, err = buffer(d, 1, end*p.width)
	case kindBinary:
		switch storageType(d.DataType()).ID() {
		case arrow.STRING, arrow.BINARY:
			dv.ow = 4
		case arrow.LARGE_STRING, arrow.LARGE_BINARY:
			dv.ow = 8
		case arrow.STRING_VIEW, arrow.BINARY_VIEW:
			dv.ow, dv.isView = 16, true
		default:
			return nil, fmt.Errorf("dictionary of type %s does not match hashed type %s", d.DataType(), p.typ)
		}
		if dv.isView {
			dv.vals, err = buffer(d, 1, end*16)
		} else {
			dv.vals, err = buffer(d, 1, (end+1)*dv.ow)
			if err == nil {
				dv.data, _ = buffer(d, 2, 0)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	return dv, nil
}

// valid reports whether dictionary entry i is valid.
func (dv *dictValues) valid(i int64) bool {
	if dv.bm == nil {
		return true
	}
	p := dv.pos + int(i)
	return dv.bm[p>>3]>>uint(p&7)&1 == 1
}

// bytesAt returns the value bytes of dictionary entry i (binary kinds).
func (dv *dictValues) bytesAt(i int64) ([]byte, error) {
	p := int64(dv.pos) + i
	if dv.isView {
		return viewBytes(dv.vals[p*16:p*16+16], dv.d.Buffers()[2:])
	}
	var lo, hi int64
	if dv.ow == 4 {
		lo = int64(int32(binary.LittleEndian.Uint32(dv.vals[p*4:])))
		hi = int64(int32(binary.LittleEndian.Uint32(dv.vals[p*4+4:])))
	} else {
		lo = int64(binary.LittleEndian.Uint64(dv.vals[p*8:]))
		hi = int64(binary.LittleEndian.Uint64(dv.vals[p*8+8:]))
	}
	if lo < 0 || hi < lo || hi > int64(len(dv.data)) {
		return nil, fmt.Errorf("value bytes [%d, %d) out of bounds of data buffer of %d bytes", lo, hi, len(dv.data))
	}
	return dv.data[lo:hi], nil
}

// decodeIndices decodes the k dictionary indices from physical row pos of
// idx (integer type id, little-endian) into out; rows that are null per bm
// get -1.
func decodeIndices(out []int64, id arrow.Type, idx []byte, bm []byte, pos, k int) {
	switch id {
	case arrow.INT8:
		for j := range out[:k] {
			out[j] = int64(int8(idx[pos+j]))
		}
	case arrow.UINT8:
		for j := range out[:k] {
			out[j] = int64(idx[pos+j])
		}
	case arrow.INT16:
		for j := range out[:k] {
			out[j] = int64(int16(binary.LittleEndian.Uint16(idx[(pos+j)*2:])))
		}
	case arrow.UINT16:
		for j := range out[:k] {
			out[j] = int64(binary.LittleEndian.Uint16(idx[(pos+j)*2:]))
		}
	case arrow.INT32:
		for j := range out[:k] {
			out[j] = int64(int32(binary.LittleEndian.Uint32(idx[(pos+j)*4:])))
		}
	case arrow.UINT32:
		for j := range out[:k] {
			out[j] = int64(binary.LittleEndian.Uint32(idx[(pos+j)*4:]))
		}
	case arrow.INT64, arrow.UINT64:
		// uint64 indices above MaxInt64 become negative and are rejected
		// as out of range by the caller.
		for j := range out[:k] {
			out[j] = int64(binary.LittleEndian.Uint64(idx[(pos+j)*8:]))
		}
	}
	if bm != nil {
		for j := range out[:k] {
			p := pos + j
			if bm[p>>3]>>uint(p&7)&1 == 0 {
				out[j] = -1
			}
		}
	}
}

// feedDict appends n rows of dictionary array d from physical row pos. A
// row hashes as the dictionary value it refers to; it is null if its index
// is null or the referenced dictionary entry is null.
func (nd *node) feedDict(d arrow.ArrayData, dt *arrow.DictionaryType, pos, n int) error {
	iw := dt.IndexType.(arrow.FixedWidthDataType).Bytes()
	idxBuf, err := buffer(d, 1, (pos+n)*iw)
	if err != nil {
		return err
	}
	bm, err := validity(d, pos, n)
	if err != nil {
		return err
	}
	dv, err := newDictValues(nd.p, d.Dictionary())
	if err != nil {
		return fmt.Errorf("%s array: %w", d.DataType(), err)
	}
	w := nd.w
	block := dictBlock
	if nd.p.kind == kindFixed {
		block = min(block, blockRows(nd.p.width))
	}
	for i := 0; i < n; i += block {
		k := min(block, n-i)
		idx := w.idx[:k]
		decodeIndices(idx, dt.IndexType.ID(), idxBuf, bm, pos+i, k)
		vbm := w.vbm[:(k+7)/8]
		clear(vbm)
		for j, x := range idx {
			if x >= int64(dv.n) || x < -1 {
				return fmt.Errorf("%s array: row %d: dictionary index %d out of range [0, %d)", d.DataType(), pos+i+j, x, dv.n)
			}
			if x >= 0 && !dv.valid(x) {
				idx[j], x = -1, -1
			}
			if x >= 0 {
				vbm[j>>3] |= 1 << uint(j&7)
			}
		}
		nd.valid.bits(vbm, 0, k)
		switch nd.p.kind {
		case kindBool:
			for j := 0; j < k; j += 64 {
				m := min(64, k-j)
				var word uint64
				for t, x := range idx[j : j+m] {
					if x >= 0 {
						p := dv.pos + int(x)
						word |= uint64(dv.vals[p>>3]>>uint(p&7)&1) << uint(t)
					}
				}
				nd.bools.word(word, uint(m))
			}
		case kindFixed:
			vw := nd.p.width
			out := w.valScratch(k * vw)
			for j, x := range idx {
				if x < 0 {
					clear(out[j*vw : (j+1)*vw])
				} else {
					p := (dv.pos + int(x)) * vw
					copy(out[j*vw:(j+1)*vw], dv.vals[p:p+vw])
				}
			}
			if nd.p.float != 0 {
				canonNaN(out, nd.p.float)
			}
			_, _ = nd.values.Write(out)
		case kindBinary:
			g := nd.newGather()
			for j, x := range idx {
				if x < 0 {
					g.add(nil)
					continue
				}
				v, err := dv.bytesAt(x)
				if err != nil {
					return fmt.Errorf("%s array: row %d: %w", d.DataType(), pos+i+j, err)
				}
				g.add(v)
			}
			g.flush()
		}
	}
	return nil
}
