package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/expr"
)

// TargetEncoder replaces categories by a smoothed mean of a target. Create
// one with TargetEncode.
type TargetEncoder struct {
	target    string
	cols      []string
	smoothing float64
}

// TargetEncode returns a preprocessor replacing each categorical column
// (strings or integers) by a float64: the mean of the numeric (or bool)
// target column over the training rows of that category, shrunk toward the
// overall mean:
//
//	encoded(c) = (n_c * mean_c + m * prior) / (n_c + m)
//
// where n_c and mean_c are the count and target mean of category c, prior
// is the target mean over all training rows, and m is the smoothing
// (default 1; 0 gives plain category means). Categories unseen at fit
// encode as prior; null categories stay null. Rows with a null or NaN
// target are ignored when fitting. The target column is not needed to
// apply. Fitting on the same rows a model trains on leaks the target into
// the feature: fit on a separate partition.
func TargetEncode(target string, cols ...string) *TargetEncoder {
	return &TargetEncoder{target: target, cols: cols, smoothing: 1}
}

// Smoothing returns a copy with smoothing m (>= 0).
func (e *TargetEncoder) Smoothing(m float64) *TargetEncoder {
	f := *e
	f.smoothing = m
	return &f
}

type targetParams struct {
	Target    string         `json:"target"`
	Smoothing prepFloat      `json:"smoothing"`
	Count     int64          `json:"count"`
	Prior     prepFloat      `json:"prior"`
	Columns   []targetColumn `json:"columns"`
}

type targetColumn struct {
	Name string `json:"name"`
	prepCategories
	// Means are the categories' target means, Encoded their encodings.
	Means   []prepFloat `json:"means"`
	Encoded []prepFloat `json:"encoded"`
}

// targetAcc accumulates a category's target count and sum.
type targetAcc struct {
	n   int64
	sum float64
}

// Fit implements Preprocessor.
func (e *TargetEncoder) Fit(ctx context.Context, t arrow.Table) (*Artifact, error) {
	const kind = kindTargetEncoder
	if e.smoothing < 0 || math.IsNaN(e.smoothing) || math.IsInf(e.smoothing, 0) {
		return nil, fmt.Errorf("%s: smoothing %v, want a finite number >= 0", kind, e.smoothing)
	}
	ti, err := prepColumns(kind, t.Schema(), []string{e.target}, func(f arrow.Field) string {
		if f.Type.ID() == arrow.BOOL {
			return ""
		}
		return prepNumeric(f)
	})
	if err != nil {
		return nil, err
	}
	idx, err := prepColumns(kind, t.Schema(), e.cols, prepCategorical)
	if err != nil {
		return nil, err
	}
	if slices.Contains(idx, ti[0]) {
		return nil, fmt.Errorf("%s: the target %q cannot also be encoded", kind, e.target)
	}
	tgt := ti[0]
	// The prior: the target mean, summed over fixed chunks in order.
	count, sum, err := prepSum(ctx, t, tgt)
	if err != nil {
		return nil, fmt.Errorf("%s target %q: %w", kind, e.target, err)
	}
	if count == 0 {
		return nil, fmt.Errorf("%s target %q: no non-null values to fit", kind, e.target)
	}
	prior := sum / float64(count)
	params := targetParams{Target: e.target, Smoothing: prepFloat(e.smoothing), Count: count, Prior: prepFloat(prior)}
	for k, i := range idx {
		c, err := targetFitColumn(ctx, t, i, tgt, e.smoothing, prior)
		if err != nil {
			return nil, fmt.Errorf("%s column %q: %w", kind, e.cols[k], err)
		}
		params.Columns = append(params.Columns, c)
	}
	return newArtifact(kind, "1", params)
}

// targetFitColumn computes per-category target sums over fixed chunks,
// merged in chunk order, and the encoded values.
func targetFitColumn(ctx context.Context, t arrow.Table, i, tgt int, m, prior float64) (targetColumn, error) {
	f := t.Schema().Field(i)
	keyType, _ := expr.IsCategorical(f.Type)
	parts, err := prepChunks(ctx, t, []int{i, tgt}, func(pieces []expr.Piece) (map[string]*targetAcc, error) {
		acc := map[string]*targetAcc{}
		for _, pc := range pieces {
			k, err := expr.NewKeyer(pc.Cols[i])
			if err != nil {
				return nil, err
			}
			y, valid, err := expr.Float64s(pc.Cols[tgt])
			if err != nil {
				return nil, err
			}
			for j, v := range y {
				if v != v || !expr.Valid(valid, j) {
					continue
				}
				key, ok := k.Key(j)
				if !ok {
					continue
				}
				a := acc[string(key)]
				if a == nil {
					a = &targetAcc{}
					acc[string(key)] = a
				}
				a.n++
				a.sum += v
			}
		}
		return acc, nil
	})
	if err != nil {
		return targetColumn{}, err
	}
	total := map[string]*targetAcc{}
	for _, p := range parts { // chunk order: each category's sum adds up in that order
		for key, a := range p {
			if tot := total[key]; tot != nil {
				tot.n += a.n
				tot.sum += a.sum
			} else {
				c := *a
				total[key] = &c
			}
		}
	}
	keys := make([]string, 0, len(total))
	for key := range total {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	c := targetColumn{Name: f.Name, prepCategories: prepCategories{KeyType: keyType, Counts: []int64{}}, Means: []prepFloat{}, Encoded: []prepFloat{}}
	for _, key := range keys {
		a := total[key]
		if err := c.add(key, a.n); err != nil {
			return c, err
		}
		c.Means = append(c.Means, prepFloat(a.sum/float64(a.n)))
		c.Encoded = append(c.Encoded, prepFloat((a.sum+m*prior)/(float64(a.n)+m)))
	}
	return c, nil
}

func decodeTargetEncoder(version string, raw json.RawMessage) (*prepModel, error) {
	if err := prepVersion(version, "1"); err != nil {
		return nil, err
	}
	var p targetParams
	if err := prepUnmarshal(raw, &p); err != nil {
		return nil, err
	}
	m := &prepModel{}
	for _, c := range p.Columns {
		l, err := newPrepLookup(c.Name, c.prepCategories)
		if err != nil {
			return nil, err
		}
		if len(c.Encoded) != l.k {
			return nil, fmt.Errorf("column %q: %d encoded values for %d categories", c.Name, len(c.Encoded), l.k)
		}
		// values[0] is the unknown bucket (the prior), values[j] category j.
		values := make([]float64, l.k+1)
		values[0] = float64(p.Prior)
		for j, v := range c.Encoded {
			values[j+1] = float64(v)
		}
		m.steps = append(m.steps, prepStep{
			col:   c.Name,
			check: prepSameKind(l.keyType),
			fields: func(f arrow.Field) []arrow.Field {
				return []arrow.Field{{Name: f.Name, Type: arrow.PrimitiveTypes.Float64, Nullable: f.Nullable, Metadata: f.Metadata}}
			},
			apply: func(a arrow.Array, _ int64) ([]arrow.Array, error) {
				codes, valid, err := l.codes(a)
				if err != nil {
					return nil, err
				}
				out := make([]float64, len(codes))
				for i, code := range codes {
					out[i] = values[code]
				}
				return []arrow.Array{expr.NewFloat64(out, valid)}, nil
			},
		})
	}
	return m, nil
}
