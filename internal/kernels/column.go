package kernels

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
)

// MaxRows is the largest number of rows a kernel accepts: row indexes are
// int32 to halve the memory of permutations and group ids.
const MaxRows = math.MaxInt32

// Col is a read-only view of a chunked column: its non-empty chunks and the
// row at which each starts. It borrows the arrays; it does not retain them.
type Col struct {
	// Type is the column's data type.
	Type arrow.DataType
	// Chunks are the non-empty chunks in order.
	Chunks []arrow.Array
	// Starts[i] is the first row of Chunks[i]; Starts[len(Chunks)] is Len.
	Starts []int
	// Len is the number of rows.
	Len int
	// Nulls is the number of null rows.
	Nulls int
}

// NewCol returns the view of a chunked column.
func NewCol(c *arrow.Chunked) Col {
	return ColOf(c.DataType(), c.Chunks()...)
}

// ColOf returns the view of arrays of type dt taken one after another.
func ColOf(dt arrow.DataType, arrs ...arrow.Array) Col {
	c := Col{Type: dt, Starts: []int{0}}
	for _, a := range arrs {
		if a.Len() == 0 {
			continue
		}
		c.Chunks = append(c.Chunks, a)
		c.Len += a.Len()
		c.Nulls += a.NullN()
		c.Starts = append(c.Starts, c.Len)
	}
	return c
}

// Concat returns the view of cols taken one after another. They must have
// equal types.
func Concat(cols ...Col) (Col, error) {
	if len(cols) == 0 {
		return Col{}, fmt.Errorf("kernels: concat of no columns")
	}
	var arrs []arrow.Array
	for _, c := range cols {
		if !arrow.TypeEqual(c.Type, cols[0].Type) {
			return Col{}, fmt.Errorf("kernels: concat of %s and %s", cols[0].Type, c.Type)
		}
		arrs = append(arrs, c.Chunks...)
	}
	return ColOf(cols[0].Type, arrs...), nil
}

// CheckRows returns an error when n exceeds MaxRows.
func CheckRows(n int) error {
	if n > MaxRows {
		return fmt.Errorf("kernels: %d rows, at most %d are supported", n, MaxRows)
	}
	return nil
}

// validity returns a chunk's validity bitmap and bit offset, or nil when the
// chunk has no nulls.
func validity(a arrow.Array) ([]byte, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	return a.NullBitmapBytes(), a.Data().Offset()
}

// valid reports whether bit off+i of bm is set (nil bm: all valid).
func valid(bm []byte, off, i int) bool {
	if bm == nil {
		return true
	}
	j := off + i
	return bm[j>>3]&(1<<(j&7)) != 0
}

// NullMask returns, per row, whether the row is null; nil when the column
// has no nulls.
func (c Col) NullMask() []bool {
	if c.Nulls == 0 {
		return nil
	}
	out := make([]bool, c.Len)
	for ci, a := range c.Chunks {
		bm, off := validity(a)
		if bm == nil {
			continue
		}
		base := c.Starts[ci]
		for i := range a.Len() {
			out[base+i] = !valid(bm, off, i)
		}
	}
	return out
}

// locator finds the chunk of a row in O(1) on average: blocks[r>>locShift]
// is the chunk holding the first row of that block.
type locator struct {
	starts []int
	blocks []int32
}

const locShift = 10

func newLocator(c Col) *locator {
	l := &locator{starts: c.Starts, blocks: make([]int32, (c.Len>>locShift)+1)}
	ci := 0
	for b := range l.blocks {
		r := b << locShift
		for ci+1 < len(c.Chunks) && c.Starts[ci+1] <= r {
			ci++
		}
		l.blocks[b] = int32(ci)
	}
	return l
}

func (l *locator) find(r int) int {
	ci := int(l.blocks[r>>locShift])
	for l.starts[ci+1] <= r {
		ci++
	}
	return ci
}
