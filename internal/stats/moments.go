package stats

import "math"

// Moments are the count, mean and sum of squared deviations from the mean
// (M2) of a set of values. Partial moments of consecutive chunks merge
// exactly in the sense of Chan, Golub and LeVeque (1979), so a parallel
// reduction that merges chunk moments in chunk order is deterministic and
// numerically stable.
type Moments struct {
	N    int64
	Mean float64
	M2   float64
	// Sum is the sum of the values, added in order (chunk sums merged in
	// chunk order).
	Sum float64
}

// MomentsOf returns the moments of x with two passes (mean first, then the
// squared deviations), summing in index order.
func MomentsOf(x []float64) Moments {
	if len(x) == 0 {
		return Moments{}
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	mean := s / float64(len(x))
	m2 := 0.0
	for _, v := range x {
		d := v - mean
		m2 += d * d
	}
	return Moments{N: int64(len(x)), Mean: mean, M2: m2, Sum: s}
}

// Merge returns the moments of the union of the values of m and o (m's
// values first).
func (m Moments) Merge(o Moments) Moments {
	switch {
	case o.N == 0:
		return m
	case m.N == 0:
		return o
	}
	n := m.N + o.N
	d := o.Mean - m.Mean
	mean := m.Mean + d*float64(o.N)/float64(n)
	m2 := m.M2 + o.M2 + d*d*float64(m.N)*float64(o.N)/float64(n)
	return Moments{N: n, Mean: mean, M2: m2, Sum: m.Sum + o.Sum}
}

// Variance returns the variance with ddof delta degrees of freedom (1 for
// the sample variance), or NaN when N <= ddof.
func (m Moments) Variance(ddof int64) float64 {
	if m.N <= ddof {
		return math.NaN()
	}
	return m.M2 / float64(m.N-ddof)
}

// Std returns the standard deviation with ddof degrees of freedom, or NaN
// when N <= ddof.
func (m Moments) Std(ddof int64) float64 { return math.Sqrt(m.Variance(ddof)) }
