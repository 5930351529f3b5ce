package kernels

import (
	"bytes"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// The aggregation kernels below take the group id of every row (ids, all
// in [0, n)) and a value column of the same length, and return one result
// per group. Each group's values are visited in input row order, so float
// results equal those of a sequential loop over the rows, whatever the
// number of threads running other kernels beside them.

// CountRows returns the number of rows of each group.
func CountRows(ids []int32, n int) []int64 {
	out := make([]int64, n)
	for _, g := range ids {
		out[g]++
	}
	return out
}

// CountValid returns the number of non-null values of c in each group.
func CountValid(ids []int32, n int, c Col) []int64 {
	out := make([]int64, n)
	for ci, a := range c.Chunks {
		gs := ids[c.Starts[ci]:c.Starts[ci+1]]
		bm, off := validity(a)
		for i, g := range gs {
			if valid(bm, off, i) {
				out[g]++
			}
		}
	}
	return out
}

// ErrOverflow reports an integer sum that does not fit in int64.
var ErrOverflow = fmt.Errorf("integer overflow")

// SumInt returns, per group, the sum of the non-null values of the integer
// column c and their count. A sum outside int64 (or a uint64 value above
// the int64 range) is an error wrapping ErrOverflow.
func SumInt(ids []int32, n int, c Col) ([]int64, []int64, error) {
	acc := make([]accum[int64], n)
	var scratch []int64
	unsigned64 := c.Type.ID() == arrow.UINT64
	for ci, a := range c.Chunks {
		gs := ids[c.Starts[ci]:c.Starts[ci+1]]
		bm, off := validity(a)
		// Values of at most 32 bits cannot overflow: fewer than 2^31 rows.
		switch a.DataType().ID() {
		case arrow.INT8:
			sumNarrow(arrow.GetValues[int8](a.Data(), 1), gs, bm, off, acc)
			continue
		case arrow.INT16:
			sumNarrow(arrow.GetValues[int16](a.Data(), 1), gs, bm, off, acc)
			continue
		case arrow.INT32:
			sumNarrow(arrow.GetValues[int32](a.Data(), 1), gs, bm, off, acc)
			continue
		case arrow.UINT8:
			sumNarrow(arrow.GetValues[uint8](a.Data(), 1), gs, bm, off, acc)
			continue
		case arrow.UINT16:
			sumNarrow(arrow.GetValues[uint16](a.Data(), 1), gs, bm, off, acc)
			continue
		case arrow.UINT32:
			sumNarrow(arrow.GetValues[uint32](a.Data(), 1), gs, bm, off, acc)
			continue
		}
		vals := intView(a, &scratch, false)
		for i, g := range gs {
			if bm != nil && !valid(bm, off, i) {
				continue
			}
			v := vals[i]
			if unsigned64 && v < 0 {
				return nil, nil, fmt.Errorf("value %d at row %d: %w", uint64(v), c.Starts[ci]+i, ErrOverflow)
			}
			a := &acc[g]
			s := a.sum + v
			if (s > a.sum) != (v > 0) {
				return nil, nil, fmt.Errorf("sum at row %d: %w", c.Starts[ci]+i, ErrOverflow)
			}
			a.sum = s
			a.n++
		}
	}
	sums, cnt := splitAccum(acc)
	return sums, cnt, nil
}

// accum is a sum and a count side by side: one cache line per group.
type accum[T int64 | float64] struct {
	sum T
	n   int64
}

func splitAccum[T int64 | float64](acc []accum[T]) ([]T, []int64) {
	sums := make([]T, len(acc))
	cnt := make([]int64, len(acc))
	for g, a := range acc {
		sums[g], cnt[g] = a.sum, a.n
	}
	return sums, cnt
}

func sumNarrow[T int8 | int16 | int32 | uint8 | uint16 | uint32](vals []T, gs []int32, bm []byte, off int, acc []accum[int64]) {
	if bm == nil {
		for i, g := range gs {
			acc[g].sum += int64(vals[i])
			acc[g].n++
		}
		return
	}
	for i, g := range gs {
		if valid(bm, off, i) {
			acc[g].sum += int64(vals[i])
			acc[g].n++
		}
	}
}

// SumFloat returns, per group, the sum of the non-null values of the float
// column c (added in row order) and their count.
func SumFloat(ids []int32, n int, c Col) ([]float64, []int64) {
	acc := make([]accum[float64], n)
	var scratch []float64
	for ci, a := range c.Chunks {
		gs := ids[c.Starts[ci]:c.Starts[ci+1]]
		vals := floatView(a, &scratch)
		bm, off := validity(a)
		if bm == nil {
			for i, g := range gs {
				acc[g].sum += vals[i]
				acc[g].n++
			}
			continue
		}
		for i, g := range gs {
			if valid(bm, off, i) {
				acc[g].sum += vals[i]
				acc[g].n++
			}
		}
	}
	return splitAccum(acc)
}

// SumAsFloat is SumFloat for a column of any numeric kind: integers are
// converted to float64 before they are added.
func SumAsFloat(ids []int32, n int, c Col) ([]float64, []int64) {
	if KindOf(c.Type) == KindFloat {
		return SumFloat(ids, n, c)
	}
	sums := make([]float64, n)
	cnt := make([]int64, n)
	var scratch []int64
	for ci, a := range c.Chunks {
		gs := ids[c.Starts[ci]:c.Starts[ci+1]]
		vals := intView(a, &scratch, false)
		bm, off := validity(a)
		u64 := c.Type.ID() == arrow.UINT64
		for i, g := range gs {
			if valid(bm, off, i) {
				if u64 {
					sums[g] += float64(uint64(vals[i]))
				} else {
					sums[g] += float64(vals[i])
				}
				cnt[g]++
			}
		}
	}
	return sums, cnt
}

// SquaredDeviations returns, per group, the sum over non-null values of
// (x - mean[g])^2, in row order.
func SquaredDeviations(ids []int32, n int, c Col, mean []float64) []float64 {
	out := make([]float64, n)
	if KindOf(c.Type) == KindFloat {
		var scratch []float64
		for ci, a := range c.Chunks {
			gs := ids[c.Starts[ci]:c.Starts[ci+1]]
			vals := floatView(a, &scratch)
			bm, off := validity(a)
			for i, g := range gs {
				if valid(bm, off, i) {
					d := vals[i] - mean[g]
					out[g] += d * d
				}
			}
		}
		return out
	}
	var scratch []int64
	u64 := c.Type.ID() == arrow.UINT64
	for ci, a := range c.Chunks {
		gs := ids[c.Starts[ci]:c.Starts[ci+1]]
		vals := intView(a, &scratch, false)
		bm, off := validity(a)
		for i, g := range gs {
			if valid(bm, off, i) {
				x := float64(vals[i])
				if u64 {
					x = float64(uint64(vals[i]))
				}
				d := x - mean[g]
				out[g] += d * d
			}
		}
	}
	return out
}

// ArgMin returns, per group, the row holding the smallest non-null value of
// c, or -1 when the group has none; with max, the largest. Ties go to the
// first such row in input order, or the last with lastTie. Rows where mask
// is false are skipped (nil mask: none). Order is that of SortPerm: NaN is
// the largest float.
func ArgMin(ids []int32, n int, c Col, max, lastTie bool, mask []bool) ([]int32, error) {
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = -1
	}
	// better reports whether cmp (new vs best) makes the new row win.
	better := func(cmp int) bool {
		if cmp == 0 {
			return lastTie
		}
		return (cmp < 0) != max
	}
	switch KindOf(c.Type) {
	case KindInt, KindFloat:
		best := make([]uint64, n)
		var is []int64
		var fs []float64
		isFloat := KindOf(c.Type) == KindFloat
		for ci, a := range c.Chunks {
			gs := ids[c.Starts[ci]:c.Starts[ci+1]]
			bm, off := validity(a)
			var iv []int64
			var fv []float64
			if isFloat {
				fv = floatView(a, &fs)
			} else {
				iv = intView(a, &is, true)
			}
			for i, g := range gs {
				if !valid(bm, off, i) || (mask != nil && !mask[c.Starts[ci]+i]) {
					continue
				}
				var code uint64
				if isFloat {
					code = floatOrder(fv[i])
				} else {
					code = uint64(iv[i]) ^ bias
				}
				if rows[g] < 0 || better(cmp3(code, best[g])) {
					best[g] = code
					rows[g] = int32(c.Starts[ci] + i)
				}
			}
		}
	case KindBytes:
		best := make([][]byte, n)
		for ci, a := range c.Chunks {
			gs := ids[c.Starts[ci]:c.Starts[ci+1]]
			bm, off := validity(a)
			v := newBytesView(a)
			for i, g := range gs {
				if !valid(bm, off, i) || (mask != nil && !mask[c.Starts[ci]+i]) {
					continue
				}
				b := v.at(i)
				if rows[g] < 0 {
					best[g], rows[g] = b, int32(c.Starts[ci]+i)
					continue
				}
				if better(bytes.Compare(b, best[g])) {
					best[g], rows[g] = b, int32(c.Starts[ci]+i)
				}
			}
		}
	default:
		return nil, fmt.Errorf("kernels: min/max of unsupported type %s", c.Type)
	}
	return rows, nil
}

func cmp3(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FirstRows returns, per group, its first row (last with last) in input
// order; with skipNulls, the first (last) row where c is not null, or -1.
func FirstRows(ids []int32, n int, c Col, last, skipNulls bool) []int32 {
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = -1
	}
	for ci, a := range c.Chunks {
		gs := ids[c.Starts[ci]:c.Starts[ci+1]]
		var bm []byte
		off := 0
		if skipNulls {
			bm, off = validity(a)
		}
		for i, g := range gs {
			if (last || rows[g] < 0) && valid(bm, off, i) {
				rows[g] = int32(c.Starts[ci] + i)
			}
		}
	}
	return rows
}

// CountDistinct returns, per group, the number of distinct non-null values
// of c (SQL equality: NaN equals NaN, -0 equals +0).
func CountDistinct(ids []int32, n int, c Col) ([]int64, error) {
	codes := make([]uint32, c.Len)
	space, err := columnCodes(c, codes)
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	t := newU64Table(min(c.Len, 1<<16))
	for i, code := range codes {
		if code == 0 {
			continue
		}
		k := uint64(ids[i])*space + uint64(code)
		before := t.len()
		t.insert(k)
		if t.len() > before {
			out[ids[i]]++
		}
	}
	return out, nil
}

// RowsByGroup returns the rows of each group, grouped: the rows of group g
// are rows[start[g]:start[g+1]], in input order.
func RowsByGroup(ids []int32, n int) (rows []int32, start []int32) {
	start = make([]int32, n+1)
	for _, g := range ids {
		start[g+1]++
	}
	for g := range n {
		start[g+1] += start[g]
	}
	rows = make([]int32, len(ids))
	pos := slices.Clone(start[:n])
	for i, g := range ids {
		rows[pos[g]] = int32(i)
		pos[g]++
	}
	return rows, start
}

// Quantile returns, per group, the q-quantile of the non-null values of the
// numeric column c, interpolating linearly between the two nearest ranks
// (DuckDB's quantile_cont), and whether the group had any value. NaN sorts
// above every other value.
func Quantile(ids []int32, n int, c Col, q float64) ([]float64, []bool) {
	rows, start := RowsByGroup(ids, n)
	vals := make([]float64, c.Len)
	ok := make([]bool, c.Len)
	var is []int64
	var fs []float64
	for ci, a := range c.Chunks {
		bm, off := validity(a)
		o := vals[c.Starts[ci]:c.Starts[ci+1]]
		if KindOf(c.Type) == KindFloat {
			copy(o, floatView(a, &fs))
		} else {
			u64 := c.Type.ID() == arrow.UINT64
			for i, v := range intView(a, &is, false) {
				if u64 {
					o[i] = float64(uint64(v))
				} else {
					o[i] = float64(v)
				}
			}
		}
		for i := range o {
			ok[c.Starts[ci]+i] = valid(bm, off, i)
		}
	}
	out := make([]float64, n)
	has := make([]bool, n)
	var buf []float64
	for g := range n {
		buf = buf[:0]
		for _, r := range rows[start[g]:start[g+1]] {
			if ok[r] {
				buf = append(buf, vals[r])
			}
		}
		if len(buf) == 0 {
			continue
		}
		slices.SortFunc(buf, func(a, b float64) int {
			ca, cb := floatOrder(a), floatOrder(b)
			switch {
			case ca < cb:
				return -1
			case ca > cb:
				return 1
			}
			return 0
		})
		pos := q * float64(len(buf)-1)
		lo := math.Floor(pos)
		i := int(lo)
		v := buf[i]
		if frac := pos - lo; frac > 0 && i+1 < len(buf) {
			v += frac * (buf[i+1] - buf[i])
		}
		out[g], has[g] = v, true
	}
	return out, has
}
