package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFloatKeyOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -1, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 1, 1e300, math.Inf(1), math.NaN()}
	for i := 1; i < len(vals); i++ {
		assert.Less(t, FloatKey(vals[i-1]), FloatKey(vals[i]), "%v < %v", vals[i-1], vals[i])
	}
	assert.Equal(t, FloatKey(0), FloatKey(math.Copysign(0, -1)), "-0 == +0")
	assert.Equal(t, FloatKey(math.NaN()), FloatKey(math.Float64frombits(0xfff8000000000123)), "all NaNs are one key")
	for _, v := range vals[:len(vals)-1] {
		assert.Equal(t, v, KeyFloat(FloatKey(v)))
	}
	assert.True(t, math.IsNaN(KeyFloat(FloatKey(math.NaN()))))
	assert.Less(t, IntKey(math.MinInt64), IntKey(-1))
	assert.Less(t, IntKey(-1), IntKey(0))
	assert.Equal(t, int64(-42), KeyInt(IntKey(-42)))
}

func TestSortKeysMatchesSlicesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 64, 65, 1000, 100_000} {
		for _, mask := range []uint64{0xff, 0xffff_ffff, ^uint64(0)} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = r.Uint64() & mask
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			SortKeys(keys, make([]uint64, n))
			require.Equal(t, want, keys, "n=%d mask=%x", n, mask)
			SortKeys(keys, make([]uint64, n))
			require.Equal(t, want, keys, "already sorted")
			slices.Reverse(keys)
			SortKeys(keys, make([]uint64, n))
			require.Equal(t, want, keys, "reversed")
		}
	}
}

func TestSortPairsIsStable(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{10, 70, 50_000} {
		keys := make([]uint64, n)
		rows := make([]int32, n)
		for i := range keys {
			keys[i] = uint64(r.IntN(100)) << 40
			rows[i] = int32(i)
		}
		SortPairs(keys, make([]uint64, n), rows, make([]int32, n))
		for i := 1; i < n; i++ {
			require.LessOrEqual(t, keys[i-1], keys[i])
			if keys[i-1] == keys[i] {
				require.Less(t, rows[i-1], rows[i], "equal keys keep input order")
			}
		}
	}
}

func TestMomentsMergeMatchesTwoPass(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, 10_001)
	for i := range x {
		x[i] = 1e6 + r.NormFloat64()*3
	}
	whole := MomentsOf(x)
	var merged Moments
	for lo := 0; lo < len(x); lo += 997 {
		merged = merged.Merge(MomentsOf(x[lo:min(lo+997, len(x))]))
	}
	assert.Equal(t, whole.N, merged.N)
	assert.InEpsilon(t, whole.Mean, merged.Mean, 1e-14)
	assert.InEpsilon(t, whole.Variance(1), merged.Variance(1), 1e-9)
	assert.InDelta(t, 3, merged.Std(1), 0.1)
	// Sample variance of 2, 4, 4, 4, 5, 5, 7, 9 is 32/7.
	assert.InDelta(t, 32.0/7, MomentsOf([]float64{2, 4, 4, 4, 5, 5, 7, 9}).Variance(1), 1e-15)
	assert.True(t, math.IsNaN(MomentsOf([]float64{1}).Variance(1)), "one value has no sample variance")
}

func TestNearestRankAndMedian(t *testing.T) {
	// numpy.quantile([10,20,30,40], q, method="nearest"): index round(q*3),
	// ties to even: q=0.5 → 1.5 → 2.
	assert.Equal(t, 2, NearestRank(4, 0.5))
	assert.Equal(t, 0, NearestRank(4, 0))
	assert.Equal(t, 3, NearestRank(4, 1))
	assert.Equal(t, 0, NearestRank(4, 1.0/6)) // 0.5 rounds to even: 0
	lo, hi := MedianIndexes(5)
	assert.Equal(t, [2]int{2, 2}, [2]int{lo, hi})
	lo, hi = MedianIndexes(4)
	assert.Equal(t, [2]int{1, 2}, [2]int{lo, hi})
	xs := []float64{1, 2, 2, 2, 5}
	assert.Equal(t, 4, UpperBound(xs, 2))
	assert.Equal(t, 1, LowerBound(xs, 2))
	assert.Equal(t, 0, UpperBound(xs, 0))
	assert.Equal(t, 5, LowerBound(xs, 9))
}

func TestPSIHandComputed(t *testing.T) {
	// (0.25−0.5)·ln(0.25/0.5) + (0.75−0.5)·ln(0.75/0.5)
	assert.InDelta(t, 0.2746530721670274, PSI([]int64{50, 50}, []int64{25, 75}), 1e-15)
	// An empty reference bin uses ε = 1e-4:
	// (0.5−1)·ln(0.5/1) + (0.5−1e-4)·ln(0.5/1e-4)
	assert.InDelta(t, 4.60431846666895, PSI([]int64{100, 0}, []int64{50, 50}), 1e-12)
	assert.Zero(t, PSI([]int64{3, 0, 7}, []int64{30, 0, 70}), "same proportions, empty bin on both sides")
	assert.True(t, math.IsNaN(PSI([]int64{0, 0}, []int64{1, 2})))
}

func TestKSStatisticHandComputed(t *testing.T) {
	// F_a − F_b after each pooled value of a=1..5, b=3..8:
	// 1: .2  2: .4  3: .6−1/6  4: .8−2/6  5: 1−3/6 = .5  6: 1−4/6 ... → D = 0.5
	assert.InDelta(t, 0.5, KSSorted([]float64{1, 2, 3, 4, 5}, []float64{3, 4, 5, 6, 7, 8}), 1e-15)
	// Ties: a=[1,1,2], b=[1,2,2]: after 1: 2/3 vs 1/3; after 2: 1 vs 1 → 1/3.
	assert.InDelta(t, 1.0/3, KSSorted([]float64{1, 1, 2}, []float64{1, 2, 2}), 1e-15)
	assert.Equal(t, 1.0, KSSorted([]float64{1, 2}, []float64{3, 4}))
	assert.Zero(t, KSSorted([]float64{1, 2, 3}, []float64{1, 2, 3}))
	assert.True(t, math.IsNaN(KSSorted(nil, []float64{1})))

	// The same statistic from counts at the pooled points 1, 2.
	le := func(xs []float64, x float64) int64 { return int64(UpperBound(xs, x)) }
	lt := func(xs []float64, x float64) int64 { return int64(LowerBound(xs, x)) }
	a, b := []float64{1, 1, 2}, []float64{1, 2, 2}
	pts := []float64{1, 2}
	var leA, ltA, leB, ltB []int64
	for _, x := range pts {
		leA, ltA, leB, ltB = append(leA, le(a, x)), append(ltA, lt(a, x)), append(leB, le(b, x)), append(ltB, lt(b, x))
	}
	assert.InDelta(t, 1.0/3, KSFromCounts(3, 3, leA, ltA, leB, ltB), 1e-15)
}

func TestKolmogorovReferenceValues(t *testing.T) {
	// scipy.special.kolmogorov([0, 0.5, 1.0]) = [1, 0.96394524, 0.26999967]
	// (the example in its documentation).
	assert.Equal(t, 1.0, KolmogorovSF(0))
	assert.InDelta(t, 0.96394524, KolmogorovSF(0.5), 5e-9)
	assert.InDelta(t, 0.26999967, KolmogorovSF(1.0), 5e-9)
	// Critical values of the limiting distribution (Smirnov 1948 tables):
	// K(α) = 1.22385 (α=0.10), 1.35810 (0.05), 1.62762 (0.01).
	assert.InDelta(t, 0.10, KolmogorovSF(1.22385), 2e-5)
	assert.InDelta(t, 0.05, KolmogorovSF(1.35810), 2e-5)
	assert.InDelta(t, 0.01, KolmogorovSF(1.62762), 2e-5)
	// The two series agree where they switch.
	assert.InDelta(t, KolmogorovSF(1.18-1e-12), KolmogorovSF(1.18), 1e-12)
	// Two samples of 100: en = 50, √50·0.2 = √2, so the p-value is
	// Q(√2) = 2(e^−4 − e^−16 + e^−36 − …) = 0.0366310527071…
	assert.InDelta(t, 0.03663105270711932, KSPValue(0.2, 100, 100), 1e-9)
}

func TestChiSquareReferenceValues(t *testing.T) {
	// Closed forms: df=2 → exp(−x/2); df=1 → erfc(√(x/2)); even df=2k →
	// exp(−x/2) Σ_{i<k} (x/2)^i / i!.
	for _, x := range []float64{0.01, 0.5, 1, 3.2, 10, 40, 200} {
		assert.InEpsilon(t, math.Exp(-x/2), ChiSquareSF(x, 2), 1e-12, "df=2 x=%v", x)
		assert.InEpsilon(t, math.Erfc(math.Sqrt(x/2)), ChiSquareSF(x, 1), 1e-10, "df=1 x=%v", x)
		for _, k := range []int{2, 5} {
			s, term := 0.0, 1.0
			for i := range k {
				if i > 0 {
					term *= x / 2 / float64(i)
				}
				s += term
			}
			assert.InEpsilon(t, math.Exp(-x/2)*s, ChiSquareSF(x, 2*k), 1e-10, "df=%d x=%v", 2*k, x)
		}
	}
	// Critical values from the standard table (3 decimals).
	assert.InDelta(t, 0.05, ChiSquareSF(3.841, 1), 1e-4)
	assert.InDelta(t, 0.05, ChiSquareSF(7.815, 3), 1e-4)
	assert.InDelta(t, 0.01, ChiSquareSF(23.209, 10), 1e-5)
	assert.Equal(t, 1.0, ChiSquareSF(0, 3))

	// scipy.stats.chi2_contingency([[10, 10, 20], [20, 20, 20]]) (the
	// example in its documentation): statistic 2.7777777777777777, p-value
	// 0.24935220877729619, dof 2 (no correction applies when dof > 1).
	stat, df := ChiSquareHomogeneity([]int64{10, 10, 20}, []int64{20, 20, 20})
	assert.InDelta(t, 2.7777777777777777, stat, 1e-13)
	assert.Equal(t, 2, df)
	assert.InDelta(t, 0.24935220877729619, ChiSquareSF(stat, df), 1e-13)
	// Empty categories on both sides are dropped.
	stat2, df2 := ChiSquareHomogeneity([]int64{10, 0, 10, 20}, []int64{20, 0, 20, 20})
	assert.Equal(t, stat, stat2)
	assert.Equal(t, 2, df2)
	_, df3 := ChiSquareHomogeneity([]int64{5}, []int64{7})
	assert.Zero(t, df3)
}
