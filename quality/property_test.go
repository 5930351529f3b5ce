package quality_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/quality"
)

// TestAgainstNaiveImplementations compares the vectorized kernels with
// plain loops on random data with nulls, NaN and ties, split into chunks of
// random sizes (so validity bitmaps start at odd bit offsets).
func TestAgainstNaiveImplementations(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for round := range 20 {
		n := 1 + r.IntN(150_000)
		if round < 5 {
			n = 1 + r.IntN(40)
		}
		nullRate := []float64{0, 0.01, 0.5, 0.97, 1}[round%5]
		fv := make([]any, n)
		iv := make([]any, n)
		for i := range n {
			if r.Float64() < nullRate {
				continue
			}
			fv[i] = math.Round(r.NormFloat64()*100) / 4
			if r.IntN(50) == 0 {
				fv[i] = nan
			}
			iv[i] = r.IntN(n/3 + 2)
		}
		chunk := int64(1 + r.IntN(n+10))
		tbl := rechunk(t, table(t, "f", f64(fv...), "i", i64(iv...)), chunk)
		name := fmt.Sprintf("round %d n=%d nulls=%v chunk=%d", round, n, nullRate, chunk)

		var nulls []int64
		var outside, notInSet, dups, inc []int64
		lastF := math.NaN()
		seen := map[int]int{}
		for i := range n {
			if fv[i] == nil {
				nulls = append(nulls, int64(i))
			} else {
				x := fv[i].(float64)
				if !(x >= -10 && x <= 10) {
					outside = append(outside, int64(i))
				}
				switch {
				case x != x:
					inc = append(inc, int64(i))
				case lastF == lastF && x < lastF:
					inc = append(inc, int64(i))
					lastF = x
				default:
					lastF = x
				}
			}
			if iv[i] != nil {
				v := iv[i].(int)
				if v%3 != 0 {
					notInSet = append(notInSet, int64(i))
				}
				seen[v]++
			}
		}
		for i := range n {
			if iv[i] != nil && seen[iv[i].(int)] > 1 {
				dups = append(dups, int64(i)) // rows of duplicated values
			}
		}
		set := make([]int, 0, n/3+2)
		for v := 0; v < n/3+3; v += 3 {
			set = append(set, v)
		}
		failed := func(res []int64) []int64 {
			if res == nil {
				return []int64{}
			}
			return res
		}
		want := func(rows []int64) []int64 { return failed(slices.Clone(rows)) }

		assert.Equal(t, want(nulls), failed(eval(t, quality.NotNull("f").Quarantine(), tbl).FailedRows), name)
		assert.Equal(t, want(outside), failed(eval(t, quality.Between("f", -10, 10).Quarantine(), tbl).FailedRows), name)
		assert.Equal(t, want(inc), failed(eval(t, quality.Increasing("f").Quarantine(), tbl).FailedRows), name)
		assert.Equal(t, want(notInSet), failed(eval(t, quality.InSet("i", set...).Quarantine(), tbl).FailedRows), name)
		assert.Equal(t, want(dups), failed(eval(t, quality.Unique("i").Quarantine(), tbl).FailedRows), name)

		distinct := eval(t, quality.DistinctCount("i"), tbl)
		assert.Equal(t, int64(len(seen)), distinct.Observed, name)

		// Aggregates of the non-null ints.
		var ints []int64
		for _, v := range iv {
			if v != nil {
				ints = append(ints, int64(v.(int)))
			}
		}
		maxRes := eval(t, quality.Max("i"), tbl)
		meanRes := eval(t, quality.Mean("i"), tbl)
		if len(ints) == 0 {
			assert.Nil(t, maxRes.Observed, name)
			assert.Nil(t, meanRes.Observed, name)
			continue
		}
		assert.Equal(t, slices.Max(ints), maxRes.Observed, name)
		var sum int64
		for _, v := range ints {
			sum += v
		}
		assert.Equal(t, sum, eval(t, quality.Sum("i"), tbl).Observed, name)
		require.IsType(t, 0.0, meanRes.Observed)
		assert.InEpsilon(t, float64(sum)/float64(len(ints))+1, meanRes.Observed.(float64)+1, 1e-12, name)
	}
}
