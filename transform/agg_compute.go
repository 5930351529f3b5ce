package transform

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/kernels"
)

// aggInput is what computing one aggregation over groups needs.
type aggInput struct {
	mem   memory.Allocator
	ids   []int32 // group of each row
	n     int     // number of groups
	cols  []kernels.Col
	s     *arrow.Schema
	first []int32 // first row of each group (input order)
}

// compute returns the aggregation's output array (one value per group).
func (in *aggInput) compute(a Aggregation) (arrow.Array, error) {
	f, j, err := a.field(in.s, 0)
	if err != nil {
		return nil, err
	}
	if a.Func == "count" {
		return int64Array(in.mem, kernels.CountRows(in.ids, in.n), nil), nil
	}
	c := in.cols[j]
	switch a.Func {
	case "count_non_null":
		return int64Array(in.mem, kernels.CountValid(in.ids, in.n, c), nil), nil
	case "count_distinct":
		d, err := kernels.CountDistinct(in.ids, in.n, c)
		if err != nil {
			return nil, err
		}
		return int64Array(in.mem, d, nil), nil
	case "sum":
		if isFloat(c.Type) {
			sums, cnt := kernels.SumFloat(in.ids, in.n, c)
			return float64Array(in.mem, sums, positive(cnt)), nil
		}
		sums, cnt, err := kernels.SumInt(in.ids, in.n, c)
		if err != nil {
			return nil, fmt.Errorf("sum of %q: %w", a.Column, err)
		}
		return int64Array(in.mem, sums, positive(cnt)), nil
	case "mean":
		means, cnt := in.mean(c)
		return float64Array(in.mem, means, positive(cnt)), nil
	case "var", "var_pop", "std", "std_pop":
		means, cnt := in.mean(c)
		ss := kernels.SquaredDeviations(in.ids, in.n, c, means)
		ok := make([]bool, in.n)
		for g := range ss {
			d := float64(cnt[g])
			if a.Func == "var" || a.Func == "std" {
				d--
			}
			ok[g] = d > 0
			if ok[g] {
				ss[g] /= d
				if a.Func == "std" || a.Func == "std_pop" {
					ss[g] = math.Sqrt(ss[g])
				}
			}
		}
		return float64Array(in.mem, ss, ok), nil
	case "quantile":
		q, ok := kernels.Quantile(in.ids, in.n, c, a.Q)
		return float64Array(in.mem, q, ok), nil
	case "min", "max":
		rows, err := kernels.ArgMin(in.ids, in.n, c, a.Func == "max", false, nil)
		if err != nil {
			return nil, err
		}
		return kernels.Take(in.mem, c, rows)
	case "first", "last":
		last := a.Func == "last"
		var rows []int32
		switch {
		case a.OrderBy != "":
			k := in.s.FieldIndices(a.OrderBy)[0]
			var mask []bool
			if a.IgnoreNulls && c.Nulls > 0 {
				mask = notNull(c)
			}
			rows, err = kernels.ArgMin(in.ids, in.n, in.cols[k], last, last, mask)
			if err != nil {
				return nil, err
			}
		case !last && !a.IgnoreNulls && in.first != nil:
			rows = in.first
		default:
			rows = kernels.FirstRows(in.ids, in.n, c, last, a.IgnoreNulls)
		}
		return kernels.Take(in.mem, c, rows)
	}
	return nil, fmt.Errorf("aggregation %s: unknown function %q (%s)", a.Output(), a.Func, f.Name)
}

// mean returns each group's mean of c and its count of values. Integer
// columns are summed exactly when the sum fits in int64.
func (in *aggInput) mean(c kernels.Col) ([]float64, []int64) {
	var means []float64
	var cnt []int64
	if !isFloat(c.Type) {
		sums, n, err := kernels.SumInt(in.ids, in.n, c)
		if err == nil {
			means = make([]float64, in.n)
			for g, s := range sums {
				means[g] = float64(s)
			}
			cnt = n
		} // else the sum overflows int64: average in float64 below
	}
	if means == nil {
		means, cnt = kernels.SumAsFloat(in.ids, in.n, c)
	}
	for g := range means {
		if cnt[g] > 0 {
			means[g] /= float64(cnt[g])
		}
	}
	return means, cnt
}

// notNull returns, per row, whether c is not null.
func notNull(c kernels.Col) []bool {
	m := c.NullMask()
	for i := range m {
		m[i] = !m[i]
	}
	return m
}
