package feature

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// take gathers col's values at idx (-1: null) into one array. Values of 4
// and 8 bytes are copied straight from the chunks; other types go through
// Arrow's take kernel.
func take(ctx context.Context, mem memory.Allocator, col *arrow.Chunked, idx []int32) (arrow.Array, error) {
	if fw, ok := col.DataType().(arrow.FixedWidthDataType); ok && col.DataType().ID() != arrow.BOOL {
		switch fw.BitWidth() {
		case 64:
			if a, ok := gather[uint64](mem, col, arrow.Uint64Traits.CastFromBytes, 8, idx); ok {
				return a, nil
			}
		case 32:
			if a, ok := gather[uint32](mem, col, arrow.Uint32Traits.CastFromBytes, 4, idx); ok {
				return a, nil
			}
		}
	}
	var src arrow.Array
	switch len(col.Chunks()) {
	case 0:
		src = array.MakeArrayOfNull(mem, col.DataType(), 0)
	case 1:
		src = col.Chunk(0)
		src.Retain()
	default:
		a, err := array.Concatenate(col.Chunks(), mem)
		if err != nil {
			return nil, fmt.Errorf("concatenate column: %w", err)
		}
		src = a
	}
	defer src.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.Reserve(len(idx))
	for _, i := range idx {
		if i < 0 {
			ib.UnsafeAppendBoolToBitmap(false)
		} else {
			ib.UnsafeAppend(i)
		}
	}
	ia := ib.NewArray()
	defer ia.Release()
	out, err := compute.TakeArray(compute.WithAllocator(ctx, mem), src, ia)
	if err != nil {
		return nil, fmt.Errorf("take %s values: %w", src.DataType(), err)
	}
	return out, nil
}

// gather copies w-byte values (as T) at idx from the chunks of col, without
// concatenating them first. It reports false for layouts it does not
// handle.
func gather[T uint32 | uint64](mem memory.Allocator, col *arrow.Chunked, cast func([]byte) []T, w int, idx []int32) (arrow.Array, bool) {
	chunks := col.Chunks()
	starts := make([]int32, len(chunks)+1)
	vals := make([][]T, len(chunks))
	bitsOf := make([][]byte, len(chunks))
	offs := make([]int, len(chunks))
	for i, c := range chunks {
		d := c.Data()
		if len(d.Buffers()) != 2 || d.Buffers()[1] == nil {
			return nil, false
		}
		starts[i+1] = starts[i] + int32(c.Len())
		offs[i] = d.Offset()
		vals[i] = cast(d.Buffers()[1].Bytes())[offs[i] : offs[i]+c.Len()]
		if c.NullN() > 0 {
			bitsOf[i] = d.Buffers()[0].Bytes()
		}
	}
	n := len(idx)
	vbuf := memory.NewResizableBuffer(mem)
	vbuf.Resize(n * w)
	out := cast(vbuf.Bytes())
	nbuf := memory.NewResizableBuffer(mem)
	nbuf.Resize(int(bitutil.BytesForBits(int64(n))))
	bits := nbuf.Bytes()
	clear(bits)
	nulls := 0
	c := 0 // the chunk of the previous index: matches often come in runs
	for i, j := range idx {
		if j >= 0 && (j < starts[c] || j >= starts[c+1]) {
			lo, hi := 0, len(chunks)
			for lo+1 < hi {
				m := (lo + hi) / 2
				if starts[m] <= j {
					lo = m
				} else {
					hi = m
				}
			}
			c = lo
		}
		if j < 0 || (bitsOf[c] != nil && !bitutil.BitIsSet(bitsOf[c], offs[c]+int(j-starts[c]))) {
			out[i] = 0
			nulls++
			continue
		}
		out[i] = vals[c][j-starts[c]]
		bitutil.SetBit(bits, i)
	}
	var validity *memory.Buffer
	if nulls > 0 {
		validity = nbuf
	}
	data := array.NewData(col.DataType(), n, []*memory.Buffer{validity, vbuf}, nil, nulls, 0)
	vbuf.Release()
	nbuf.Release()
	defer data.Release()
	return array.MakeFromData(data), true
}
