package quality

import (
	"context"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/par"
	"github.com/kiln-data/kiln/internal/stats"
)

// summary is a one-pass numeric summary of a column: counts, extremes,
// sums and moments. Moments and sums cover the finite values only;
// non-finite values are counted apart. Segments are summarized in parallel
// and merged in segment order, so the floats are the same at any
// GOMAXPROCS (and for any chunking of the column).
type summary struct {
	rows, nulls         int64
	nan, posInf, negInf int64
	// finite holds the count, mean, M2 and sum of the finite values.
	finite stats.Moments
	// finMin and finMax are the extremes of the finite values (valid when
	// finite.N > 0).
	finMin, finMax float64
	// Exact extremes of integer columns (valid when finite.N > 0).
	imin, imax int64
	umin, umax uint64
	// sumHi:sumLo is the exact 128-bit sum of an integer column (two's
	// complement for domInt).
	sumHi, sumLo uint64
}

// count returns the number of non-null values.
func (s *summary) count() int64 { return s.rows - s.nulls }

// has reports whether there is a non-null, non-NaN value.
func (s *summary) has() bool { return s.finite.N+s.posInf+s.negInf > 0 }

// summarize computes the summary of col; without moments it skips the
// moments (finite.Mean, M2 and Sum stay zero), which is faster.
func summarize(ctx context.Context, col *column, moments bool) (summary, error) {
	segs := segments(col.n)
	parts := make([]summary, len(segs))
	err := par.Do(ctx, len(segs), func(si int) error {
		lo, hi := int64(segs[si][0]), int64(segs[si][1])
		sc := getScratch()
		defer putScratch(sc)
		s := summary{rows: hi - lo}
		k := 0 // finite values gathered in sc.buf
		col.pieces(lo, hi, func(a arrow.Array, off, n int, _ int64) {
			v := validityOf(a)
			s.nulls += int64(nulls(a, off, n))
			var dst []float64
			if moments {
				dst = sc.buf[k:]
			}
			switch col.dom {
			case domInt:
				k += s.addInts(compact(intValues(a, off, n, sc.ints), v, off, sc.kept), dst)
			case domUint:
				k += s.addUints(compact(uintValues(a, off, n), v, off, sc.keptU), dst)
			case domFloat:
				k += s.addFloats(compact(floatValues(a, off, n, sc), v, off, sc.floats), dst)
			}
		})
		s.finite = stats.Moments{N: int64(k)}
		if moments {
			s.finite = stats.MomentsOf(sc.buf[:k])
		}
		if col.dom == domInt {
			s.finMin, s.finMax = float64(s.imin), float64(s.imax)
		} else if col.dom == domUint {
			s.finMin, s.finMax = float64(s.umin), float64(s.umax)
		}
		parts[si] = s
		return nil
	})
	if err != nil {
		return summary{}, err
	}
	var out summary
	for i := range parts {
		out.merge(&parts[i])
	}
	return out, nil
}

// compact returns the valid values of vals (a piece starting at row off of
// its array), copying them into buf when there are nulls. buf may be the
// array backing vals (compaction only moves values forward). It moves
// eight rows at a time when they are all valid.
func compact[T int64 | uint64 | float64](vals []T, v validity, off int, buf []T) []T {
	switch {
	case v.all:
		return vals
	case v.none:
		return vals[:0]
	}
	k, i, n := 0, 0, len(vals)
	for ; i+8 <= n; i += 8 {
		switch b := v.byteAt(off + i); b {
		case 0xff:
			copy(buf[k:k+8], vals[i:i+8])
			k += 8
		case 0:
		default:
			for j := range 8 {
				if b>>j&1 != 0 {
					buf[k] = vals[i+j]
					k++
				}
			}
		}
	}
	for ; i < n; i++ {
		if v.valid(off + i) {
			buf[k] = vals[i]
			k++
		}
	}
	return buf[:k]
}

// addInts folds non-null integers into s and writes them as floats to dst
// (unless dst is nil).
func (s *summary) addInts(vals []int64, dst []float64) int {
	if len(vals) > 0 {
		s.imin, s.imax, s.sumLo, s.sumHi = foldIntegers(vals, dst, s.imin, s.imax, s.finite.N == 0, s.sumLo, s.sumHi, true)
		s.finite.N += int64(len(vals)) // provisional: summarize recomputes the moments
	}
	return len(vals)
}

// addUints is addInts for uint64 columns.
func (s *summary) addUints(vals []uint64, dst []float64) int {
	if len(vals) > 0 {
		s.umin, s.umax, s.sumLo, s.sumHi = foldIntegers(vals, dst, s.umin, s.umax, s.finite.N == 0, s.sumLo, s.sumHi, false)
		s.finite.N += int64(len(vals))
	}
	return len(vals)
}

// foldIntegers updates the extremes mn, mx (taken from vals when first) and
// the 128-bit sum hi:lo (two's complement when signed) with vals, and
// writes vals as floats to dst unless it is nil.
func foldIntegers[T int64 | uint64](vals []T, dst []float64, mn, mx T, first bool, lo, hi uint64, signed bool) (T, T, uint64, uint64) {
	if first {
		mn, mx = vals[0], vals[0]
	}
	if dst != nil {
		dst = dst[:len(vals)]
		for i, x := range vals {
			dst[i] = float64(x)
		}
	}
	for _, x := range vals {
		mn, mx = min(mn, x), max(mx, x)
		var c uint64
		lo, c = bits.Add64(lo, uint64(x), 0)
		hi += c
		if signed {
			hi += uint64(int64(x) >> 63)
		}
	}
	return mn, mx, lo, hi
}

// addFloats counts non-finite values and writes the finite ones to dst
// (unless dst is nil).
func (s *summary) addFloats(vals []float64, dst []float64) int {
	k := 0
	mn, mx := math.Inf(1), math.Inf(-1)
	if s.finite.N > 0 {
		mn, mx = s.finMin, s.finMax
	}
	for _, x := range vals {
		if x-x == 0 { // finite
			if dst != nil {
				dst[k] = x
			}
			k++
			mn, mx = min(mn, x), max(mx, x)
			continue
		}
		switch {
		case x != x:
			s.nan++
		case x > 0:
			s.posInf++
		default:
			s.negInf++
		}
	}
	s.finMin, s.finMax = mn, mx
	s.finite.N += int64(k)
	return k
}

func (s *summary) merge(o *summary) {
	s.rows += o.rows
	s.nulls += o.nulls
	s.nan += o.nan
	s.posInf += o.posInf
	s.negInf += o.negInf
	if o.finite.N > 0 {
		if s.finite.N == 0 {
			s.finMin, s.finMax = o.finMin, o.finMax
			s.imin, s.imax, s.umin, s.umax = o.imin, o.imax, o.umin, o.umax
		}
		s.finMin, s.finMax = min(s.finMin, o.finMin), max(s.finMax, o.finMax)
		s.imin, s.imax = min(s.imin, o.imin), max(s.imax, o.imax)
		s.umin, s.umax = min(s.umin, o.umin), max(s.umax, o.umax)
	}
	s.finite = s.finite.Merge(o.finite)
	var c uint64
	s.sumLo, c = bits.Add64(s.sumLo, o.sumLo, 0)
	s.sumHi += o.sumHi + c
}

// intSum returns the exact sum of an integer column, and whether it fits in
// an int64.
func (s *summary) intSum() (int64, bool) {
	return int64(s.sumLo), s.sumHi == uint64(int64(s.sumLo)>>63)
}

// uintSum returns the exact sum of a uint64 column, and whether it fits.
func (s *summary) uintSum() (uint64, bool) { return s.sumLo, s.sumHi == 0 }

// min and max return the extremes of the non-NaN values as numbers of the
// column's domain (infinities included), or null.
func (s *summary) extreme(d domain, wantMin bool) number {
	switch {
	case s.nan > 0:
		return floatNumber(math.NaN())
	case !s.has():
		return number{}
	case d == domInt:
		return number{kind: 'i', i: pick(wantMin, s.imin, s.imax)}
	case d == domUint:
		return number{kind: 'u', u: pick(wantMin, s.umin, s.umax)}
	case wantMin && s.negInf > 0:
		return floatNumber(math.Inf(-1))
	case !wantMin && s.posInf > 0:
		return floatNumber(math.Inf(1))
	case s.finite.N == 0 && wantMin:
		return floatNumber(math.Inf(1)) // only +Inf values
	case s.finite.N == 0:
		return floatNumber(math.Inf(-1))
	}
	return floatNumber(pick(wantMin, s.finMin, s.finMax))
}

func pick[T any](first bool, a, b T) T {
	if first {
		return a
	}
	return b
}

// mean returns the mean of the non-null values with IEEE semantics for
// non-finite values (NaN when any is NaN or both infinities occur), or
// false when there are none.
func (s *summary) mean() (float64, bool) {
	switch {
	case s.count() == 0:
		return 0, false
	case s.nan > 0 || (s.posInf > 0 && s.negInf > 0):
		return math.NaN(), true
	case s.posInf > 0:
		return math.Inf(1), true
	case s.negInf > 0:
		return math.Inf(-1), true
	}
	return s.finite.Mean, true
}

// std returns the sample standard deviation (ddof=1), NaN with non-finite
// values, or false with fewer than two values.
func (s *summary) std() (float64, bool) {
	switch {
	case s.count() < 2:
		return 0, false
	case s.nan+s.posInf+s.negInf > 0:
		return math.NaN(), true
	}
	return s.finite.Std(1), true
}

// sortedKeysOf returns the order keys of col's non-null values, sorted
// (stats.IntKey for integers, stats.FloatKey for floats, the value for
// uint64).
func sortedKeysOf(ctx context.Context, col *column) ([]uint64, error) {
	keys, _, err := gatherKeys(ctx, col, false)
	if err != nil {
		return nil, err
	}
	stats.SortKeys(keys, make([]uint64, len(keys)))
	return keys, nil
}

// gatherKeys returns the keys of col's non-null values in row order, and
// their rows when withRows. Segments fill their share in parallel.
func gatherKeys(ctx context.Context, col *column, withRows bool) ([]uint64, []int32, error) {
	if err := checkRows(col.n); err != nil {
		return nil, nil, err
	}
	segs := segments(col.n)
	starts := make([]int, len(segs)+1)
	for s, seg := range segs {
		k := 0
		col.pieces(int64(seg[0]), int64(seg[1]), func(a arrow.Array, off, n int, _ int64) { k += n - nulls(a, off, n) })
		starts[s+1] = starts[s] + k
	}
	keys := make([]uint64, starts[len(segs)])
	var rows []int32
	if withRows {
		rows = make([]int32, len(keys))
	}
	err := par.Do(ctx, len(segs), func(s int) error {
		sc := getScratch()
		defer putScratch(sc)
		w := starts[s]
		col.pieces(int64(segs[s][0]), int64(segs[s][1]), func(a arrow.Array, off, n int, at int64) {
			buf := sc.keys[:n]
			fillKeys(col.dom, a, off, n, buf, sc)
			v := validityOf(a)
			for i, k := range buf {
				if v.valid(off + i) {
					keys[w] = k
					if withRows {
						rows[w] = int32(at) + int32(i)
					}
					w++
				}
			}
		})
		return nil
	})
	return keys, rows, err
}

// keyNumber converts an order key of domain d back to a number.
func keyNumber(d domain, k uint64) number {
	switch d {
	case domInt:
		return number{kind: 'i', i: stats.KeyInt(k)}
	case domUint:
		return number{kind: 'u', u: k}
	}
	return number{kind: 'f', f: stats.KeyFloat(k)}
}
