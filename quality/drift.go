package quality

import (
	"context"
	"fmt"
	"math"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/stats"
)

// DefaultPSIBins is the number of bins PSI uses unless set with Bins.
const DefaultPSIBins = 10

// PSI fails when the population stability index of a numeric column
// against the reference exceeds max (common readings: < 0.1 stable,
// 0.1–0.25 moderate shift, > 0.25 major shift).
//
// Binning: the bins are the reference's quantile bins, B of them (10 unless
// set with Bins): edges at the reference values where its empirical CDF
// first reaches i/B, i = 1..B−1 (equal edges merged), giving bins
// (−∞, e1], (e1, e2], …, (e_{B−1}, +∞). Reference counts per bin are exact
// (from its stored sketch), current counts are exact. An empty bin's
// proportion is replaced by stats.PSIEpsilon (1e-4). Nulls, NaN and
// infinities are not part of the distribution (see NullRateChange).
func PSI(column string, max float64) *CompareCheck {
	c := newCompare(kindPSI, column, max)
	c.cfg.Bins = DefaultPSIBins
	return c
}

// KS fails when the two-sample Kolmogorov–Smirnov statistic
// D = sup |F_current − F_reference| of a numeric column exceeds
// maxStatistic (set MinPValue to also require a p-value). The p-value is
// the asymptotic one, Q_KS(√(nm/(n+m))·D) (scipy's kstwobign). Against a
// stored sketch D is exact when the reference had at most 201 distinct
// values (Sketch.Exact) and otherwise evaluated at its 201 quantile points,
// a lower bound within about 1/200 of the exact statistic. The observed
// value is {"statistic": D, "p_value": p}.
func KS(column string, maxStatistic float64) *CompareCheck {
	return newCompare(kindKS, column, maxStatistic)
}

// ChiSquare fails when Pearson's chi-square test of homogeneity between the
// category counts of column and the reference's gives a p-value below
// minPValue (scipy.stats.chi2_contingency without continuity correction).
// Categories are the reference's top values (TopValues) plus one for all
// others; categories empty on both sides are dropped. The observed value is
// {"statistic": x, "p_value": p, "dof": k}. With large partitions even tiny
// shifts are significant: consider a statistic bound too (MaxStatistic).
func ChiSquare(column string, minPValue float64) *CompareCheck {
	c := &CompareCheck{cfg: compareConfig{Kind: kindChiSquare, Column: column, MinPValue: ptr(minPValue)}}
	if !(minPValue >= 0 && minPValue <= 1) {
		c.err = fmt.Errorf("quality: p-value threshold %v is outside [0, 1]", minPValue)
	}
	return c
}

// MinPValue makes KS or ChiSquare also fail when the p-value is below p.
func (c *CompareCheck) MinPValue(p float64) *CompareCheck {
	return c.with(func(d *CompareCheck) {
		d.cfg.MinPValue = ptr(p)
		if d.cfg.Kind != kindKS && d.cfg.Kind != kindChiSquare {
			d.err = firstErr(d.err, fmt.Errorf("quality: MinPValue applies to ks and chi_square, not %s", d.cfg.Kind))
		}
		if !(p >= 0 && p <= 1) {
			d.err = firstErr(d.err, fmt.Errorf("quality: p-value threshold %v is outside [0, 1]", p))
		}
	})
}

// MaxStatistic makes ChiSquare (or KS) also fail when the statistic exceeds
// x.
func (c *CompareCheck) MaxStatistic(x float64) *CompareCheck {
	return c.with(func(d *CompareCheck) {
		d.cfg.Max = ptr(x)
		d.err = firstErr(d.err, checkBound(&d.cfg.Max, "statistic bound"))
		if d.cfg.Kind != kindKS && d.cfg.Kind != kindChiSquare {
			d.err = firstErr(d.err, fmt.Errorf("quality: MaxStatistic applies to ks and chi_square, not %s", d.cfg.Kind))
		}
	})
}

// Bins sets the number of PSI bins (at least 2).
func (c *CompareCheck) Bins(n int) *CompareCheck {
	return c.with(func(d *CompareCheck) {
		d.cfg.Bins = n
		if d.cfg.Kind != kindPSI {
			d.err = firstErr(d.err, fmt.Errorf("quality: Bins applies to psi, not %s", d.cfg.Kind))
		}
		if n < 2 {
			d.err = firstErr(d.err, fmt.Errorf("quality: PSI needs at least 2 bins, not %d", n))
		}
	})
}

// psiEdges returns the reference quantile bin edges of a sketch: for
// i = 1..bins−1 the first sketch value whose count reaches i/bins of the
// total, equal edges merged.
func psiEdges(s *Sketch, bins int) []float64 {
	n := s.Count()
	var edges []float64
	k := 0
	for i := 1; i < bins; i++ {
		for k < len(s.Values) && s.AtOrBelow[k]*int64(bins) < int64(i)*n {
			k++
		}
		if k == len(s.Values) {
			break
		}
		if len(edges) == 0 || edges[len(edges)-1] != s.Values[k] {
			edges = append(edges, s.Values[k])
		}
	}
	return edges
}

// sketchAtOrBelow returns the reference count <= x for a sketch value x.
func sketchAtOrBelow(s *Sketch, x float64) int64 {
	i := stats.UpperBound(s.Values, x)
	if i == 0 {
		return 0
	}
	return s.AtOrBelow[i-1]
}

// binCounts counts sorted values into the bins (−∞, e1], (e1, e2], …,
// (e_last, +∞).
func binCounts(sorted []float64, edges []float64) []int64 {
	out := make([]int64, len(edges)+1)
	below := 0
	for i, e := range edges {
		k := stats.UpperBound(sorted, e)
		out[i] = int64(k - below)
		below = k
	}
	out[len(edges)] = int64(len(sorted) - below)
	return out
}

func psiCheck(res *kiln.CheckResult, cur *profiled, ref *ColumnProfile, cfg compareConfig) {
	if ref.Sketch == nil {
		res.Success, res.Message = true, "the reference has no finite values; nothing to compare"
		return
	}
	if len(cur.sorted) == 0 {
		res.Message = "no finite values to compare"
		return
	}
	edges := psiEdges(ref.Sketch, cfg.Bins)
	refCounts := make([]int64, len(edges)+1)
	below := int64(0)
	for i, e := range edges {
		k := sketchAtOrBelow(ref.Sketch, e)
		refCounts[i] = k - below
		below = k
	}
	refCounts[len(edges)] = ref.Sketch.Count() - below
	psi := stats.PSI(refCounts, binCounts(cur.sorted, edges))
	res.Observed = jsonFloat(psi)
	res.Success = psi <= *cfg.Max
	res.Message = fmt.Sprintf("%d reference quantile bins", len(edges)+1)
}

func ksCheck(res *kiln.CheckResult, cur *profiled, ref *ColumnProfile, cfg compareConfig) {
	s := ref.Sketch
	if s == nil {
		res.Success, res.Message = true, "the reference has no finite values; nothing to compare"
		return
	}
	if len(cur.sorted) == 0 {
		res.Message = "no finite values to compare"
		return
	}
	k := len(s.Values)
	leR, ltR, leC, ltC := make([]int64, k), make([]int64, k), make([]int64, k), make([]int64, k)
	for i, x := range s.Values {
		leR[i] = s.AtOrBelow[i]
		if i > 0 {
			ltR[i] = s.AtOrBelow[i-1]
		}
		leC[i] = int64(stats.UpperBound(cur.sorted, x))
		ltC[i] = int64(stats.LowerBound(cur.sorted, x))
	}
	nR, nC := s.Count(), int64(len(cur.sorted))
	d := stats.KSFromCounts(nR, nC, leR, ltR, leC, ltC)
	p := stats.KSPValue(d, nR, nC)
	res.Observed = map[string]any{"statistic": jsonFloat(d), "p_value": jsonFloat(p)}
	res.Success = (cfg.Max == nil || d <= *cfg.Max) && (cfg.MinPValue == nil || p >= *cfg.MinPValue)
	if !s.Exact {
		res.Message = fmt.Sprintf("statistic at %d reference quantiles (lower bound within ~%.3g)", k, 1.0/SketchLevels)
	}
}

func chiSquareCheck(ctx context.Context, res *kiln.CheckResult, col *column, ref *ColumnProfile, cfg compareConfig) error {
	if len(ref.Top) == 0 {
		if ref.Rows-ref.Nulls-ref.NaN > 0 {
			res.Success, res.Message = true, "the reference profile lists no categories (too many distinct values); nothing to compare"
		} else {
			res.Success, res.Message = true, "the reference has no values; nothing to compare"
		}
		return nil
	}
	var groups []group
	var err error
	if col.dom == domString || col.dom == domBool {
		groups, err = categoryGroups(ctx, col)
	} else {
		var keys []uint64
		keys, err = sortedKeysOf(ctx, col)
		groups = numericGroups(col.dom, keys)
	}
	if err != nil {
		return err
	}
	k := len(ref.Top)
	refCounts, curCounts := make([]int64, k+1), make([]int64, k+1)
	index := make(map[string]int, k)
	for i, v := range ref.Top {
		index[v.Value] = i
		refCounts[i] = v.Count
	}
	refCounts[k] = ref.Other
	var n int64
	for _, g := range groups {
		n += g.count
		if i, ok := index[g.label]; ok {
			curCounts[i] += g.count
		} else {
			curCounts[k] += g.count
		}
	}
	if n == 0 {
		res.Message = "no values to compare"
		return nil
	}
	stat, df := stats.ChiSquareHomogeneity(refCounts, curCounts)
	p := 1.0
	if df > 0 {
		p = stats.ChiSquareSF(stat, df)
	}
	res.Observed = map[string]any{"statistic": jsonFloat(stat), "p_value": jsonFloat(p), "dof": df}
	res.Success = (cfg.Max == nil || stat <= *cfg.Max) && (cfg.MinPValue == nil || p >= *cfg.MinPValue) && !math.IsNaN(stat)
	return nil
}
