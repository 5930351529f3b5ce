package kernels

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/par"
)

// Take returns the rows idx of c as one array: out[k] = c[idx[k]], and null
// where idx[k] < 0. Fixed-width, boolean, string and binary columns are
// gathered directly; other types go through Arrow's take kernel.
func Take(mem memory.Allocator, c Col, idx []int32) (arrow.Array, error) {
	if len(c.Chunks) == 0 {
		return array.MakeArrayOfNull(mem, c.Type, len(idx)), nil
	}
	switch c.Type.ID() {
	case arrow.BOOL:
		return takeBool(mem, c, idx), nil
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return takeBytes(mem, c, idx)
	}
	if fw, ok := c.Type.(arrow.FixedWidthDataType); ok && c.Type.ID() != arrow.DICTIONARY {
		switch fw.BitWidth() {
		case 8:
			return takeFixed[uint8](mem, c, idx, 1), nil
		case 16:
			return takeFixed[uint16](mem, c, idx, 2), nil
		case 32:
			return takeFixed[uint32](mem, c, idx, 4), nil
		case 64:
			return takeFixed[uint64](mem, c, idx, 8), nil
		}
	}
	return takeGeneric(mem, c, idx)
}

// TakeAll takes the rows idx of every column, one column per task.
func TakeAll(ctx context.Context, mem memory.Allocator, cols []Col, idx []int32) ([]arrow.Array, error) {
	return takeAll(ctx, mem, cols, idx, false)
}

// TakeAllDropping is TakeAll that takes one column at a time (each in
// parallel over row ranges) and clears cols[i] as soon as column i is
// taken: a caller holding the only references to the columns frees each
// input column before the next one is copied, so one column's copy at most
// is in flight.
func TakeAllDropping(ctx context.Context, mem memory.Allocator, cols []Col, idx []int32) ([]arrow.Array, error) {
	return takeAll(ctx, mem, cols, idx, true)
}

func takeAll(ctx context.Context, mem memory.Allocator, cols []Col, idx []int32, drop bool) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(cols))
	take := func(i int) error {
		a, err := Take(mem, cols[i], idx)
		if drop {
			cols[i] = Col{}
		}
		out[i] = a
		return err
	}
	var err error
	if drop {
		for i := range cols {
			if err = ctx.Err(); err == nil {
				err = take(i)
			}
			if err != nil {
				break
			}
		}
	} else {
		err = par.Do(ctx, len(cols), take)
	}
	if err != nil {
		for _, a := range out {
			if a != nil {
				a.Release()
			}
		}
		return nil, err
	}
	return out, nil
}

func newBuffer(mem memory.Allocator, size int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	return b
}

// validityOut builds the output validity bitmap of a take, or nil when
// every output row is valid.
func validityOut(mem memory.Allocator, c Col, idx []int32, loc *locator) (*memory.Buffer, int) {
	anyNeg := false
	for _, j := range idx {
		if j < 0 {
			anyNeg = true
			break
		}
	}
	if c.Nulls == 0 && !anyNeg {
		return nil, 0
	}
	buf := newBuffer(mem, (len(idx)+7)/8)
	bm := buf.Bytes()
	clear(bm)
	bms := make([][]byte, len(c.Chunks))
	offs := make([]int, len(c.Chunks))
	for ci, a := range c.Chunks {
		bms[ci], offs[ci] = validity(a)
	}
	rs := par.Ranges(len(idx), par.ChunkRows) // ranges of whole bytes
	nulls := make([]int, len(rs))
	_ = par.Do(context.Background(), len(rs), func(r int) error {
		lo, hi := rs[r][0], rs[r][1]
		for k := lo; k < hi; k++ {
			j := idx[k]
			ok := j >= 0
			if ok && c.Nulls > 0 {
				ci := 0
				if loc != nil {
					ci = loc.find(int(j))
				}
				ok = valid(bms[ci], offs[ci], int(j)-c.Starts[ci])
			}
			if ok {
				bm[k>>3] |= 1 << (k & 7)
			} else {
				nulls[r]++
			}
		}
		return nil
	})
	total := 0
	for _, x := range nulls {
		total += x
	}
	return buf, total
}

// ranges calls fn on fixed row ranges of [0, n), in parallel when n is
// large. fn must only write to its own range.
func ranges(n int, fn func(lo, hi int)) {
	if n < 2*par.ChunkRows {
		fn(0, n)
		return
	}
	rs := par.Ranges(n, par.ChunkRows)
	_ = par.Do(context.Background(), len(rs), func(r int) error {
		fn(rs[r][0], rs[r][1])
		return nil
	})
}

func makeArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
	d := array.NewData(dt, n, bufs, nil, nulls, 0)
	a := array.MakeFromData(d)
	d.Release()
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	return a
}

func takeFixed[T uint8 | uint16 | uint32 | uint64](mem memory.Allocator, c Col, idx []int32, size int) arrow.Array {
	n := len(idx)
	var loc *locator
	if len(c.Chunks) > 1 {
		loc = newLocator(c)
	}
	vb := newBuffer(mem, n*size)
	out := arrow.GetData[T](vb.Bytes())[:n]
	srcs := make([][]T, len(c.Chunks))
	for ci, a := range c.Chunks {
		srcs[ci] = arrow.GetValues[T](a.Data(), 1)
	}
	ranges(n, func(lo, hi int) {
		if loc == nil {
			src := srcs[0]
			for k, j := range idx[lo:hi] {
				if j >= 0 {
					out[lo+k] = src[j]
				} else {
					out[lo+k] = 0
				}
			}
			return
		}
		for k, j := range idx[lo:hi] {
			if j >= 0 {
				ci := loc.find(int(j))
				out[lo+k] = srcs[ci][int(j)-c.Starts[ci]]
			} else {
				out[lo+k] = 0
			}
		}
	})
	bm, nulls := validityOut(mem, c, idx, loc)
	return makeArray(c.Type, n, []*memory.Buffer{bm, vb}, nulls)
}

func takeBool(mem memory.Allocator, c Col, idx []int32) arrow.Array {
	n := len(idx)
	var loc *locator
	if len(c.Chunks) > 1 {
		loc = newLocator(c)
	}
	vb := newBuffer(mem, (n+7)/8)
	out := vb.Bytes()
	clear(out)
	for k, j := range idx {
		if j < 0 {
			continue
		}
		ci := 0
		if loc != nil {
			ci = loc.find(int(j))
		}
		d := c.Chunks[ci].Data()
		bit := d.Offset() + int(j) - c.Starts[ci]
		if d.Buffers()[1].Bytes()[bit>>3]&(1<<(bit&7)) != 0 {
			out[k>>3] |= 1 << (k & 7)
		}
	}
	bm, nulls := validityOut(mem, c, idx, loc)
	return makeArray(c.Type, n, []*memory.Buffer{bm, vb}, nulls)
}

func takeBytes(mem memory.Allocator, c Col, idx []int32) (arrow.Array, error) {
	n := len(idx)
	var loc *locator
	if len(c.Chunks) > 1 {
		loc = newLocator(c)
	}
	views := make([]bytesView, len(c.Chunks))
	for ci, a := range c.Chunks {
		views[ci] = newBytesView(a)
	}
	at := func(j int32) []byte {
		ci := 0
		if loc != nil {
			ci = loc.find(int(j))
		}
		return views[ci].at(int(j) - c.Starts[ci])
	}
	// Rows in fixed ranges, in parallel: each range's byte count, then its
	// offsets and bytes from where the ranges before it end.
	rs := [][2]int{{0, n}}
	if n >= 2*par.ChunkRows {
		rs = par.Ranges(n, par.ChunkRows)
	}
	starts := make([]int, len(rs)+1)
	_ = par.Do(context.Background(), len(rs), func(r int) error {
		for _, j := range idx[rs[r][0]:rs[r][1]] {
			if j >= 0 {
				starts[r+1] += len(at(j))
			}
		}
		return nil
	})
	for r := range rs {
		starts[r+1] += starts[r]
	}
	total := starts[len(rs)]
	large := c.Type.ID() == arrow.LARGE_STRING || c.Type.ID() == arrow.LARGE_BINARY
	if !large && total > math.MaxInt32 {
		return nil, fmt.Errorf("kernels: take of %d bytes overflows a %s column (use large_string)", total, c.Type)
	}
	db := newBuffer(mem, total)
	data := db.Bytes()
	var ob *memory.Buffer
	var offs32 []int32
	var offs64 []int64
	if large {
		ob = newBuffer(mem, 8*(n+1))
		offs64 = arrow.GetData[int64](ob.Bytes())[:n+1]
		offs64[n] = int64(total)
	} else {
		ob = newBuffer(mem, 4*(n+1))
		offs32 = arrow.GetData[int32](ob.Bytes())[:n+1]
		offs32[n] = int32(total)
	}
	_ = par.Do(context.Background(), len(rs), func(r int) error {
		pos := starts[r]
		for k := rs[r][0]; k < rs[r][1]; k++ {
			if large {
				offs64[k] = int64(pos)
			} else {
				offs32[k] = int32(pos)
			}
			if j := idx[k]; j >= 0 {
				pos += copy(data[pos:], at(j))
			}
		}
		return nil
	})
	bm, nulls := validityOut(mem, c, idx, loc)
	return makeArray(c.Type, n, []*memory.Buffer{bm, ob, db}, nulls), nil
}

// takeGeneric uses Arrow's take kernel (negative indexes become null
// indexes, which take to null).
func takeGeneric(mem memory.Allocator, c Col, idx []int32) (a arrow.Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kernels: take of %s: %v", c.Type, r)
		}
	}()
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(len(idx))
	for _, j := range idx {
		if j < 0 {
			b.UnsafeAppendBoolToBitmap(false)
		} else {
			b.UnsafeAppend(j)
		}
	}
	ix := b.NewArray()
	defer ix.Release()
	ch := arrow.NewChunked(c.Type, c.Chunks)
	defer ch.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.Take(ctx, *compute.DefaultTakeOptions(), &compute.ChunkedDatum{Value: ch}, &compute.ArrayDatum{Value: ix.Data()})
	if err != nil {
		return nil, fmt.Errorf("kernels: take of %s: %w", c.Type, err)
	}
	defer out.Release()
	switch d := out.(type) {
	case *compute.ArrayDatum:
		return d.MakeArray(), nil
	case *compute.ChunkedDatum:
		return array.Concatenate(d.Value.Chunks(), mem)
	}
	return nil, fmt.Errorf("kernels: take of %s returned %s", c.Type, out.Kind())
}
