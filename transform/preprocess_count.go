package transform

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/expr"
)

// prepCounts are the distinct non-missing values of a column with their
// counts, in value order (keys as made by expr.Keyer).
type prepCounts struct {
	keys   []string
	counts []int64
}

// prepCount counts the distinct non-null (and non-NaN) values of column i.
// Counts are integers, so the chunk partials merge in any order; the keys
// come out sorted.
func prepCount(ctx context.Context, t arrow.Table, i int) (*prepCounts, error) {
	parts, err := prepChunks(ctx, t, []int{i}, func(pieces []expr.Piece) (map[string]*int64, error) {
		m := map[string]*int64{}
		for _, pc := range pieces {
			k, err := expr.NewKeyer(pc.Cols[i])
			if err != nil {
				return nil, err
			}
			for j := range pc.Rows {
				key, ok := k.Key(j)
				if !ok {
					continue
				}
				if c := m[string(key)]; c != nil {
					*c++
				} else {
					one := int64(1)
					m[string(key)] = &one
				}
			}
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	total := map[string]int64{}
	for _, p := range parts {
		for k, c := range p {
			total[k] += *c
		}
	}
	out := &prepCounts{keys: make([]string, 0, len(total))}
	for k := range total {
		out.keys = append(out.keys, k)
	}
	slices.Sort(out.keys)
	out.counts = make([]int64, len(out.keys))
	for j, k := range out.keys {
		out.counts[j] = total[k]
	}
	return out, nil
}

// mode returns the index of the most frequent value (the smallest on ties).
func (c *prepCounts) mode() int {
	best := 0
	for j, n := range c.counts {
		if n > c.counts[best] {
			best = j
		}
	}
	return best
}

// total returns the number of values counted.
func (c *prepCounts) total() int64 {
	var n int64
	for _, x := range c.counts {
		n += x
	}
	return n
}

// keep returns the indexes of the values to keep as categories: those seen
// at least minCount times, then the maxCategories most frequent (ties to
// the smaller value; 0 means no limit), in value order.
func (c *prepCounts) keep(minCount int64, maxCategories int) []int {
	var idx []int
	for j, n := range c.counts {
		if n >= minCount {
			idx = append(idx, j)
		}
	}
	if maxCategories > 0 && len(idx) > maxCategories {
		byFreq := slices.Clone(idx)
		slices.SortStableFunc(byFreq, func(a, b int) int {
			switch {
			case c.counts[a] > c.counts[b]:
				return -1
			case c.counts[a] < c.counts[b]:
				return 1
			}
			return a - b
		})
		idx = byFreq[:maxCategories]
		slices.Sort(idx)
	}
	return idx
}
