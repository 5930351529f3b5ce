package stats

import "math"

// NearestRank returns the index into n sorted values of the q-quantile with
// numpy's "nearest" interpolation (the method pandas and Great Expectations
// use for quantile checks): round(q*(n-1)) with ties to even. q is clamped
// to [0, 1]; n must be positive.
func NearestRank(n int, q float64) int {
	q = min(max(q, 0), 1)
	i := int(math.RoundToEven(q * float64(n-1)))
	return min(max(i, 0), n-1)
}

// MedianIndexes returns the one or two middle indexes of n sorted values;
// the median is their mean (pandas semantics).
func MedianIndexes(n int) (lo, hi int) {
	return (n - 1) / 2, n / 2
}

// UpperBound returns the number of elements of the sorted slice xs that are
// <= v.
func UpperBound[T int64 | uint64 | float64](xs []T, v T) int {
	lo, hi := 0, len(xs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if xs[m] <= v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// LowerBound returns the number of elements of the sorted slice xs that are
// < v.
func LowerBound[T int64 | uint64 | float64](xs []T, v T) int {
	lo, hi := 0, len(xs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if xs[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
