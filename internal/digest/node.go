package digest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/zeebo/blake3"
)

// Domains of the content hash; see the package documentation.
const (
	domainContent = "kiln.content.v1"
	domainColumn  = "kiln.column.v1"
	domainNode    = "kiln.node.v1"
)

// Scratch sizes. They affect speed only, never digests.
const (
	scratchSize = 64 << 10 // bytes of value/length blocks and gathered bytes
	offsetBlock = 8192     // rows per block of decoded offsets / lengths
	dictBlock   = 4096     // rows per block of decoded dictionary indices
)

// worker holds the reusable scratch buffers of one goroutine. A node tree
// is fed by one worker at a time; a feed call never keeps data in scratch
// across a call into a child node.
type worker struct {
	vals []byte   // value blocks and uint32 length blocks
	data []byte   // gathered variable-length bytes
	offs []int64  // decoded offsets
	idx  []int64  // decoded dictionary indices, -1 for null
	vbm  []byte   // validity bitmap computed for a dictionary block
	runs [][2]int // valid-row runs of the current feed, reused
}

func newWorker() *worker {
	return &worker{
		vals: make([]byte, scratchSize),
		data: make([]byte, scratchSize),
		offs: make([]int64, offsetBlock+1),
		idx:  make([]int64, dictBlock),
		vbm:  make([]byte, dictBlock/8),
	}
}

// valScratch returns w.vals grown to at least n bytes.
func (w *worker) valScratch(n int) []byte {
	if len(w.vals) < n {
		w.vals = make([]byte, n)
	}
	return w.vals[:n]
}

// node accumulates the streams of one logical type over a sequence of rows
// fed to it in order, possibly from many arrays (chunks).
type node struct {
	p        *plan
	w        *worker
	rows     uint64
	valid    *bitStream     // all kinds but null
	bools    *bitStream     // kindBool values
	values   *blake3.Hasher // kindFixed values; lengths of kindBinary, kindList
	data     *blake3.Hasher // kindBinary bytes
	children []*node
	ranges   [][2]int64 // child ranges collected before feeding children
}

func newNode(p *plan, w *worker) *node {
	nd := &node{p: p, w: w}
	if p.kind == kindNull {
		return nd
	}
	nd.valid = getBitStream()
	switch p.kind {
	case kindBool:
		nd.bools = getBitStream()
	case kindFixed, kindList:
		nd.values = getHasher()
	case kindBinary:
		nd.values = getHasher()
		nd.data = getHasher()
	}
	for _, cp := range p.children {
		nd.children = append(nd.children, newNode(cp, w))
	}
	return nd
}

// finish returns the node digest and recycles the node's hashers.
func (nd *node) finish() Sum {
	b := newPooledBuilder(domainNode)
	defer b.release()
	b.String("type", nd.p.typ).Uint("rows", nd.rows)
	if nd.p.kind == kindNull {
		return b.Digest()
	}
	b.Sum("validity", nd.valid.finish())
	putBitStream(nd.valid)
	switch nd.p.kind {
	case kindBool:
		b.Sum("values", nd.bools.finish())
		putBitStream(nd.bools)
	case kindFixed:
		b.Sum("values", sumOf(nd.values))
		putHasher(nd.values)
	case kindBinary:
		b.Sum("lengths", sumOf(nd.values)).Sum("data", sumOf(nd.data))
		putHasher(nd.values)
		putHasher(nd.data)
	case kindList:
		b.Sum("lengths", sumOf(nd.values))
		putHasher(nd.values)
	}
	for _, c := range nd.children {
		b.Sum("child", c.finish())
	}
	return b.Digest()
}

// storageType returns the physical type of dt: the storage type of an
// extension type, dt itself otherwise.
func storageType(dt arrow.DataType) arrow.DataType {
	if et, ok := dt.(arrow.ExtensionType); ok {
		return et.StorageType()
	}
	return dt
}

// buffer returns the bytes of buffer i of d, or an error if d has fewer
// than need bytes there.
func buffer(d arrow.ArrayData, i, need int) ([]byte, error) {
	bufs := d.Buffers()
	var b []byte
	if i < len(bufs) && bufs[i] != nil {
		b = bufs[i].Bytes()
	}
	if len(b) < need {
		return nil, fmt.Errorf("%s array: buffer %d holds %d bytes, need %d", d.DataType(), i, len(b), need)
	}
	return b, nil
}

// validity returns the validity bitmap of d for rows [pos, pos+n) (pos is
// physical, offset included), or nil when those rows are all valid. As in
// arrow-go's IsValid, a present bitmap is authoritative and an absent one
// means all valid.
func validity(d arrow.ArrayData, pos, n int) ([]byte, error) {
	bufs := d.Buffers()
	if len(bufs) == 0 || bufs[0] == nil || bufs[0].Len() == 0 {
		return nil, nil
	}
	bm := bufs[0].Bytes()
	if len(bm) < (pos+n+7)/8 {
		return nil, fmt.Errorf("%s array: validity bitmap holds %d bytes, need %d", d.DataType(), len(bm), (pos+n+7)/8)
	}
	if countOnes(bm, pos, n) == n {
		return nil, nil
	}
	return bm, nil
}

// validRuns appends to runs the maximal runs [a, b) of set bits among the n
// bits of bm from pos (a and b relative to pos). A nil bm is all set.
func validRuns(runs [][2]int, bm []byte, pos, n int) [][2]int {
	if bm == nil {
		if n > 0 {
			runs = append(runs, [2]int{0, n})
		}
		return runs
	}
	start := -1
	for i := 0; i < n; i += 64 {
		k := min(64, n-i)
		v := loadBits(bm, pos+i, k)
		if v == lowMask(k) {
			if start < 0 {
				start = i
			}
			continue
		}
		for j := 0; j < k; {
			if v>>uint(j)&1 == 1 {
				if start < 0 {
					start = i + j
				}
				j += trailingOnes(v >> uint(j))
			} else {
				if start >= 0 {
					runs = append(runs, [2]int{start, i + j})
					start = -1
				}
				j += trailingZerosN(v>>uint(j), k-j)
			}
		}
	}
	if start >= 0 {
		runs = append(runs, [2]int{start, n})
	}
	return runs
}

// feed appends rows [start, end) of d (logical indices, before d's offset)
// to the node.
func (nd *node) feed(d arrow.ArrayData, start, end int) error {
	if start < 0 || end < start || end > d.Len() {
		return fmt.Errorf("%s array of length %d: row range [%d, %d) out of bounds", d.DataType(), d.Len(), start, end)
	}
	n := end - start
	if n == 0 {
		return nil
	}
	nd.rows += uint64(n)
	if nd.p.kind == kindNull {
		return nil
	}
	st := storageType(d.DataType())
	if st.ID() == arrow.DICTIONARY {
		return nd.feedDict(d, st.(*arrow.DictionaryType), d.Offset()+start, n)
	}
	pos := d.Offset() + start
	bm, err := validity(d, pos, n)
	if err != nil {
		return err
	}
	if bm == nil {
		nd.valid.ones(n)
	} else {
		nd.valid.bits(bm, pos, n)
	}
	switch nd.p.kind {
	case kindBool:
		return nd.feedBool(d, bm, pos, n)
	case kindFixed:
		return nd.feedFixed(d, bm, pos, n)
	case kindBinary:
		switch st.ID() {
		case arrow.STRING, arrow.BINARY:
			return nd.feedBinary(d, 4, bm, pos, n)
		case arrow.LARGE_STRING, arrow.LARGE_BINARY:
			return nd.feedBinary(d, 8, bm, pos, n)
		case arrow.STRING_VIEW, arrow.BINARY_VIEW:
			return nd.feedView(d, bm, pos, n)
		}
	case kindList:
		switch st.ID() {
		case arrow.LIST, arrow.MAP:
			return nd.feedList(d, 4, bm, pos, n)
		case arrow.LARGE_LIST:
			return nd.feedList(d, 8, bm, pos, n)
		case arrow.LIST_VIEW:
			return nd.feedListView(d, 4, bm, pos, n)
		case arrow.LARGE_LIST_VIEW:
			return nd.feedListView(d, 8, bm, pos, n)
		}
	case kindFixedList:
		return nd.feedFixedList(d, bm, pos, n)
	case kindStruct:
		return nd.feedStruct(d, bm, pos, n)
	}
	return fmt.Errorf("array of type %s does not match hashed type %s", d.DataType(), nd.p.typ)
}

// child returns child i of d, or an error if it is missing.
func child(d arrow.ArrayData, i int) (arrow.ArrayData, error) {
	ch := d.Children()
	if i >= len(ch) || isNilData(ch[i]) {
		return nil, fmt.Errorf("%s array: missing child %d", d.DataType(), i)
	}
	return ch[i], nil
}

func (nd *node) feedStruct(d arrow.ArrayData, bm []byte, pos, n int) error {
	for i := 0; i < n; i += offsetBlock {
		k := min(offsetBlock, n-i)
		nd.collectRuns(bm, pos+i, k, 1)
		for c, cn := range nd.children {
			cd, err := child(d, c)
			if err != nil {
				return err
			}
			for _, r := range nd.ranges {
				if err := cn.feed(cd, int(r[0]), int(r[1])); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (nd *node) feedFixedList(d arrow.ArrayData, bm []byte, pos, n int) error {
	cd, err := child(d, 0)
	if err != nil {
		return err
	}
	if nd.p.width == 0 {
		return nil
	}
	for i := 0; i < n; i += offsetBlock {
		k := min(offsetBlock, n-i)
		nd.collectRuns(bm, pos+i, k, int64(nd.p.width))
		if err := nd.feedRanges(cd); err != nil {
			return err
		}
	}
	return nil
}

// collectRuns sets nd.ranges to the runs of valid rows among the k rows
// from physical row pos, as physical row ranges scaled by scale.
func (nd *node) collectRuns(bm []byte, pos, k int, scale int64) {
	runs := validRuns(nd.w.runs[:0], bm, pos, k)
	nd.ranges = nd.ranges[:0]
	for _, r := range runs {
		nd.ranges = append(nd.ranges, [2]int64{int64(pos+r[0]) * scale, int64(pos+r[1]) * scale})
	}
	nd.w.runs = runs[:0]
}

// feedRanges feeds the collected child ranges to the single child node.
func (nd *node) feedRanges(cd arrow.ArrayData) error {
	c := nd.children[0]
	for _, r := range nd.ranges {
		if r[0] < 0 || r[1] < r[0] || r[1] > int64(cd.Len()) {
			return fmt.Errorf("%s array: child range [%d, %d) out of bounds of child length %d", nd.p.typ, r[0], r[1], cd.Len())
		}
		if err := c.feed(cd, int(r[0]), int(r[1])); err != nil {
			return err
		}
	}
	return nil
}

// addRange appends [lo, hi) to nd.ranges, merging it with the previous
// range when they touch.
func (nd *node) addRange(lo, hi int64) {
	if lo == hi {
		return
	}
	if k := len(nd.ranges); k > 0 && nd.ranges[k-1][1] == lo {
		nd.ranges[k-1][1] = hi
		return
	}
	nd.ranges = append(nd.ranges, [2]int64{lo, hi})
}

// decodeOffsets decodes cnt offsets of width ow (4 or 8) starting at
// element index from of b into the worker's offset scratch.
func (w *worker) decodeOffsets(b []byte, ow, from, cnt int) []int64 {
	out := w.offs[:cnt]
	if ow == 4 {
		src := b[from*4 : (from+cnt)*4]
		for j := range out {
			out[j] = int64(int32(binary.LittleEndian.Uint32(src[j*4:])))
		}
	} else {
		src := b[from*8 : (from+cnt)*8]
		for j := range out {
			out[j] = int64(binary.LittleEndian.Uint64(src[j*8:]))
		}
	}
	return out
}

// writeLengths computes the uint32 length stream of k rows from k+1
// offsets (0 for null rows, per bm from pos), writes it to h, and reports
// an error for a negative or too large length of a valid row.
func (w *worker) writeLengths(h *blake3.Hasher, offs []int64, bm []byte, pos, k int) error {
	lens := w.vals[:k*4]
	for j := 0; j < k; j++ {
		l := offs[j+1] - offs[j]
		if bm != nil && bm[(pos+j)>>3]>>uint((pos+j)&7)&1 == 0 {
			l = 0
		}
		if l < 0 || l > math.MaxUint32 {
			return fmt.Errorf("row %d: invalid length %d (offsets %d..%d)", pos+j, l, offs[j], offs[j+1])
		}
		binary.LittleEndian.PutUint32(lens[j*4:], uint32(l))
	}
	_, _ = h.Write(lens)
	return nil
}

func (nd *node) feedList(d arrow.ArrayData, ow int, bm []byte, pos, n int) error {
	cd, err := child(d, 0)
	if err != nil {
		return err
	}
	ob, err := buffer(d, 1, (pos+n+1)*ow)
	if err != nil {
		return err
	}
	for i := 0; i < n; i += offsetBlock {
		k := min(offsetBlock, n-i)
		offs := nd.w.decodeOffsets(ob, ow, pos+i, k+1)
		if err := nd.w.writeLengths(nd.values, offs, bm, pos+i, k); err != nil {
			return fmt.Errorf("%s array: %w", d.DataType(), err)
		}
		nd.ranges = nd.ranges[:0]
		runs := validRuns(nd.w.runs[:0], bm, pos+i, k)
		for _, r := range runs {
			nd.addRange(offs[r[0]], offs[r[1]])
		}
		nd.w.runs = runs[:0]
		if err := nd.feedRanges(cd); err != nil {
			return err
		}
	}
	return nil
}

func (nd *node) feedListView(d arrow.ArrayData, ow int, bm []byte, pos, n int) error {
	cd, err := child(d, 0)
	if err != nil {
		return err
	}
	ob, err := buffer(d, 1, (pos+n)*ow)
	if err != nil {
		return err
	}
	sb, err := buffer(d, 2, (pos+n)*ow)
	if err != nil {
		return err
	}
	for i := 0; i < n; i += offsetBlock {
		k := min(offsetBlock, n-i)
		nd.ranges = nd.ranges[:0]
		lens := nd.w.vals[:k*4]
		for j := 0; j < k; j++ {
			p := pos + i + j
			var off, size int64
			if ow == 4 {
				off = int64(int32(binary.LittleEndian.Uint32(ob[p*4:])))
				size = int64(int32(binary.LittleEndian.Uint32(sb[p*4:])))
			} else {
				off = int64(binary.LittleEndian.Uint64(ob[p*8:]))
				size = int64(binary.LittleEndian.Uint64(sb[p*8:]))
			}
			if bm != nil && bm[p>>3]>>uint(p&7)&1 == 0 {
				off, size = 0, 0
			}
			if size < 0 || size > math.MaxUint32 || off < 0 {
				return fmt.Errorf("%s array: row %d: invalid view offset %d size %d", d.DataType(), p, off, size)
			}
			binary.LittleEndian.PutUint32(lens[j*4:], uint32(size))
			nd.addRange(off, off+size)
		}
		_, _ = nd.values.Write(lens)
		if err := nd.feedRanges(cd); err != nil {
			return err
		}
	}
	return nil
}

// trailingOnes returns the number of trailing set bits of v.
func trailingOnes(v uint64) int { return trailingZerosN(^v, 64) }

// trailingZerosN returns the number of trailing zero bits of v, at most n.
func trailingZerosN(v uint64, n int) int {
	if v == 0 {
		return n
	}
	return min(n, bits.TrailingZeros64(v))
}

// isNilData reports whether d is nil, including a nil *array.Data.
func isNilData(d arrow.ArrayData) bool {
	dd, ok := d.(*array.Data)
	return d == nil || ok && dd == nil
}
