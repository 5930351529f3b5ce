package kernels

import (
	"fmt"
	"math"
)

// The window kernels work on rows laid out by entity and time: positions
// [start[g], start[g+1]) hold entity g's rows in time order, times[p] their
// times. A window is a range of positions [lo[p], hi[p]) of the same entity;
// lo and hi never decrease from one position to the next.

// WindowHi returns, per position, the end of its window: the first
// position of the entity whose time is after the position's time (or at or
// after it, when !inclusive).
func WindowHi(times []int64, start []int32, inclusive bool) []int32 {
	hi := make([]int32, len(times))
	for g := 0; g+1 < len(start); g++ {
		s, e := int(start[g]), int(start[g+1])
		j := s
		for p := s; p < e; p++ {
			t := times[p]
			for j < e && (times[j] < t || (inclusive && times[j] == t)) {
				j++
			}
			hi[p] = int32(j)
		}
	}
	return hi
}

// WindowLo returns, per position, the start of its window of the given
// length: the first position of the entity whose time is after the
// position's time minus length (or at it, when inclusive).
func WindowLo(times []int64, start []int32, length int64, inclusive bool) []int32 {
	lo := make([]int32, len(times))
	for g := 0; g+1 < len(start); g++ {
		s, e := int(start[g]), int(start[g+1])
		j := s
		for p := s; p < e; p++ {
			b := satSub(times[p], length)
			for j < e && (times[j] < b || (!inclusive && times[j] == b)) {
				j++
			}
			lo[p] = int32(j)
		}
	}
	return lo
}

func satSub(a, b int64) int64 {
	if b == math.MinInt64 {
		return SatAdd(SatAdd(a, math.MaxInt64), 1)
	}
	return SatAdd(a, -b)
}

// SatAdd returns a+b, saturated at the int64 range.
func SatAdd(a, b int64) int64 {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// WindowCount returns hi-lo, or the number of valid positions in the
// window when valid is not nil.
func WindowCount(valid []bool, lo, hi []int32) []int64 {
	out := make([]int64, len(lo))
	if valid == nil {
		for p := range lo {
			out[p] = int64(hi[p] - lo[p])
		}
		return out
	}
	prefix := make([]int32, len(valid)+1)
	for p, v := range valid {
		prefix[p+1] = prefix[p]
		if v {
			prefix[p+1]++
		}
	}
	for p := range lo {
		out[p] = int64(prefix[hi[p]] - prefix[lo[p]])
	}
	return out
}

// WindowSum returns the sum of vals over each window, skipping positions
// where valid is false (nil: all valid). It only ever adds values, never
// subtracts them (a two-stack sliding window): a window of one value
// returns it exactly, and a NaN or infinity leaves the sums once it leaves
// the window. Sums depend only on the data and the windows. With
// checkOverflow (integers), a partial sum outside int64 is an error
// wrapping ErrOverflow.
func WindowSum[T int64 | float64](vals []T, valid []bool, lo, hi []int32, checkOverflow bool) ([]T, error) {
	n := len(vals)
	out := make([]T, len(lo))
	suf := make([]T, n) // suffix sums of the front part [L, M)
	var back T          // sum of the back part [M, R)
	L, M, R := 0, 0, 0
	add := func(a, b T) (T, error) {
		s := a + b
		if checkOverflow && (s > a) != (b > 0) {
			return 0, fmt.Errorf("window sum: %w", ErrOverflow)
		}
		return s, nil
	}
	var err error
	for p := range lo {
		l, h := int(lo[p]), int(hi[p])
		if l > R { // the window jumped past everything held
			L, M, R, back = l, l, l, 0
		}
		for R < h {
			if valid == nil || valid[R] {
				if back, err = add(back, vals[R]); err != nil {
					return nil, err
				}
			}
			R++
		}
		L = l
		if L >= M { // front empty: move the back part to the front
			var s T
			for j := R - 1; j >= L; j-- {
				if valid == nil || valid[j] {
					if s, err = add(vals[j], s); err != nil {
						return nil, err
					}
				}
				suf[j] = s
			}
			M, back = R, 0
		}
		var w T
		if L < M {
			w = suf[L]
		}
		if w, err = add(w, back); err != nil {
			return nil, err
		}
		out[p] = w
	}
	return out, nil
}

// WindowArgMin returns, per window, the position of its smallest code
// (largest with max) among valid positions, the earliest on ties, or -1
// for a window with no valid position (a monotonic deque).
func WindowArgMin(codes []uint64, valid []bool, lo, hi []int32, max bool) []int32 {
	out := make([]int32, len(lo))
	dq := make([]int32, 0, 64)
	head := 0
	R := 0
	worse := func(a, b uint64) bool { // a strictly worse than b
		if max {
			return a < b
		}
		return a > b
	}
	for p := range lo {
		l, h := lo[p], hi[p]
		if int(l) > R {
			R = int(l)
			dq, head = dq[:0], 0
		}
		for ; R < int(h); R++ {
			if valid != nil && !valid[R] {
				continue
			}
			c := codes[R]
			for len(dq) > head && worse(codes[dq[len(dq)-1]], c) {
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, int32(R))
		}
		for head < len(dq) && dq[head] < l {
			head++
		}
		if head == len(dq) {
			out[p] = -1
			dq, head = dq[:0], 0
		} else {
			out[p] = dq[head]
		}
		if head > 1024 && head*2 > len(dq) {
			dq = append(dq[:0], dq[head:]...)
			head = 0
		}
	}
	return out
}
