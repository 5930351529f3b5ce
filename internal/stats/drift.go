package stats

import "math"

// PSIEpsilon is the proportion used in place of zero for an empty bin when
// computing the population stability index, so that a bin empty on one side
// contributes a large but finite term. It is not renormalized.
const PSIEpsilon = 1e-4

// PSI returns the population stability index of the binned counts cur
// against ref (same bins, same order):
//
//	PSI = Σ_i (c_i − r_i) · ln(c_i / r_i)
//
// where r_i and c_i are the bin proportions (count / total), with
// PSIEpsilon in place of a zero proportion. It returns NaN when either side
// has no values or the lengths differ.
func PSI(ref, cur []int64) float64 {
	if len(ref) != len(cur) {
		return math.NaN()
	}
	var nr, nc int64
	for i := range ref {
		nr += ref[i]
		nc += cur[i]
	}
	if nr == 0 || nc == 0 {
		return math.NaN()
	}
	psi := 0.0
	for i := range ref {
		r := float64(ref[i]) / float64(nr)
		c := float64(cur[i]) / float64(nc)
		if ref[i] == 0 {
			r = PSIEpsilon
		}
		if cur[i] == 0 {
			c = PSIEpsilon
		}
		psi += (c - r) * math.Log(c/r)
	}
	return psi
}

// KSSorted returns the two-sample Kolmogorov–Smirnov statistic
// D = sup_x |F_a(x) − F_b(x)| of two sorted samples without NaN, evaluating
// both empirical distribution functions after every distinct pooled value
// (so ties are handled exactly, like scipy.stats.ks_2samp). It returns NaN
// when either sample is empty.
func KSSorted(a, b []float64) float64 {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return math.NaN()
	}
	i, j, d := 0, 0, 0.0
	for i < n && j < m {
		x := min(a[i], b[j])
		for i < n && a[i] <= x {
			i++
		}
		for j < m && b[j] <= x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(n)-float64(j)/float64(m)))
	}
	return d
}

// KSFromCounts returns sup |F_a − F_b| over a set of evaluation points x_k,
// given at each point the counts of values <= x_k (le) and < x_k (lt) of
// both samples and their sizes. With every distinct value of both samples
// among the points this is the exact two-sample statistic; with fewer points
// it is a lower bound.
func KSFromCounts(nA, nB int64, leA, ltA, leB, ltB []int64) float64 {
	if nA == 0 || nB == 0 {
		return math.NaN()
	}
	fa, fb := float64(nA), float64(nB)
	d := 0.0
	for k := range leA {
		d = max(d, math.Abs(float64(leA[k])/fa-float64(leB[k])/fb), math.Abs(float64(ltA[k])/fa-float64(ltB[k])/fb))
	}
	return d
}

// KolmogorovSF returns the survival function of the limiting Kolmogorov
// distribution, Q(x) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²x²) (scipy's
// special.kolmogorov, stats.kstwobign.sf).
func KolmogorovSF(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 1
	case x < 1.18:
		// 1 − Q(x) = √(2π)/x Σ_{k≥1} exp(−(2k−1)²π²/(8x²)), which converges
		// fast for small x.
		w := -math.Pi * math.Pi / (8 * x * x)
		s := 0.0
		for k := 1; k <= 20; k++ {
			t := math.Exp(float64((2*k-1)*(2*k-1)) * w)
			s += t
			if t < 1e-17*s {
				break
			}
		}
		return 1 - math.Sqrt(2*math.Pi)/x*s
	}
	s, sign := 0.0, 1.0
	for k := 1; k <= 100; k++ {
		t := math.Exp(-2 * float64(k*k) * x * x)
		s += sign * t
		if t < 1e-17 {
			break
		}
		sign = -sign
	}
	return min(max(2*s, 0), 1)
}

// KSPValue returns the asymptotic two-sided p-value of a two-sample
// Kolmogorov–Smirnov statistic d for samples of sizes n and m:
// Q(√(nm/(n+m)) · d) with Q the limiting Kolmogorov distribution. It is
// accurate for large samples (the partitions kiln checks); for small ones it
// is conservative compared with the exact distribution.
func KSPValue(d float64, n, m int64) float64 {
	if n <= 0 || m <= 0 || math.IsNaN(d) {
		return math.NaN()
	}
	en := float64(n) * float64(m) / (float64(n) + float64(m))
	return KolmogorovSF(math.Sqrt(en) * d)
}

// ChiSquareHomogeneity returns Pearson's chi-square statistic of the 2×k
// contingency table with rows a and b (category counts of two samples, same
// categories in the same order) and its degrees of freedom. Categories empty
// in both samples are dropped; no continuity correction is applied
// (scipy.stats.chi2_contingency(..., correction=False)). With fewer than two
// categories left, or an empty sample, the statistic is 0 with 0 degrees of
// freedom.
func ChiSquareHomogeneity(a, b []int64) (stat float64, df int) {
	var na, nb int64
	k := 0
	for i := range a {
		na += a[i]
		nb += b[i]
		if a[i]+b[i] > 0 {
			k++
		}
	}
	if na == 0 || nb == 0 || k < 2 {
		return 0, 0
	}
	n := float64(na + nb)
	for i := range a {
		col := float64(a[i] + b[i])
		if col == 0 {
			continue
		}
		ea := float64(na) * col / n
		eb := float64(nb) * col / n
		da := float64(a[i]) - ea
		db := float64(b[i]) - eb
		stat += da*da/ea + db*db/eb
	}
	return stat, k - 1
}

// ChiSquareSF returns P(X > x) for X chi-square distributed with df degrees
// of freedom (scipy.stats.chi2.sf). It returns 1 for x <= 0 and NaN for
// df < 1.
func ChiSquareSF(x float64, df int) float64 {
	switch {
	case df < 1 || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 1
	}
	return GammaQ(float64(df)/2, x/2)
}

// GammaQ returns the regularized upper incomplete gamma function
// Q(a, x) = Γ(a, x)/Γ(a) for a > 0, x >= 0, by series or continued fraction
// (Numerical Recipes §6.2), to about 1e-14 relative accuracy.
func GammaQ(a, x float64) float64 {
	switch {
	case a <= 0 || x < 0 || math.IsNaN(a) || math.IsNaN(x):
		return math.NaN()
	case x == 0:
		return 1
	case math.IsInf(x, 1):
		return 0
	}
	lg, _ := math.Lgamma(a)
	front := -x + a*math.Log(x) - lg
	if x < a+1 {
		// Series for P(a, x).
		ap, del := a, 1/a
		sum := del
		for range 1000 {
			ap++
			del *= x / ap
			sum += del
			if math.Abs(del) < math.Abs(sum)*1e-16 {
				break
			}
		}
		return max(0, 1-sum*math.Exp(front))
	}
	// Continued fraction for Q(a, x) (modified Lentz).
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i <= 1000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-16 {
			break
		}
	}
	return min(1, math.Exp(front)*h)
}
