package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/expr"
	"github.com/kiln-data/kiln/internal/stats"
)

// Artifact kinds.
const (
	kindStandardScaler = "standard_scaler"
	kindMinMaxScaler   = "min_max_scaler"
	kindImputer        = "imputer"
	kindOneHot         = "one_hot"
	kindOrdinal        = "ordinal"
	kindTargetEncoder  = "target_encoder"
	kindBucketize      = "bucketize"
	kindHashBuckets    = "hash_buckets"
)

// Scaler is a StandardScaler or MinMaxScaler.
type Scaler struct {
	kind string
	cols []string
}

// StandardScaler returns a preprocessor that centers numeric columns on
// their mean and divides by their population standard deviation (as
// scikit-learn's StandardScaler): x' = (x - mean) / std, a float64 column.
// Nulls and NaN are skipped when fitting; nulls stay null and NaN stays NaN
// when applying. A column with zero variance gets std 1 (so it maps to 0);
// a column with no non-null values cannot be fitted. Infinite values make
// the parameters non-finite.
func StandardScaler(cols ...string) *Scaler { return &Scaler{kind: kindStandardScaler, cols: cols} }

// MinMaxScaler returns a preprocessor mapping numeric columns onto [0, 1]
// by their training minimum and maximum: x' = (x - min) / (max - min), a
// float64 column (values outside the training range map outside [0, 1]).
// A constant column gets range 1 (so it maps to 0). Nulls and NaN as for
// StandardScaler.
func MinMaxScaler(cols ...string) *Scaler { return &Scaler{kind: kindMinMaxScaler, cols: cols} }

// scalerParams is the artifact form of both scalers: x' = (x - center) / scale.
type scalerParams struct {
	Columns []scalerColumn `json:"columns"`
}

type scalerColumn struct {
	Name   string    `json:"name"`
	Count  int64     `json:"count"`
	Mean   prepFloat `json:"mean"`
	Std    prepFloat `json:"std"`
	Min    prepFloat `json:"min"`
	Max    prepFloat `json:"max"`
	Center prepFloat `json:"center"`
	Scale  prepFloat `json:"scale"`
}

// scalerPartial summarizes one chunk: its moments (count, mean, squared
// deviations) and its min and max.
type scalerPartial struct {
	m        stats.Moments
	min, max float64
}

// merge combines b (the next chunk) into a; moments merge as Chan et al.'s
// pairwise update, in chunk order.
func (a scalerPartial) merge(b scalerPartial) scalerPartial {
	switch {
	case b.m.N == 0:
		return a
	case a.m.N == 0:
		return b
	}
	out := scalerPartial{m: a.m.Merge(b.m), min: a.min, max: a.max}
	if b.min < out.min {
		out.min = b.min
	}
	if b.max > out.max {
		out.max = b.max
	}
	return out
}

// scalerChunk summarizes the values of a chunk's pieces (two passes: mean,
// then squared deviations), skipping nulls and NaN.
func scalerChunk(pieces []expr.Piece, col int) (scalerPartial, error) {
	var p scalerPartial
	p.min, p.max = math.Inf(1), math.Inf(-1)
	vals := make([][]float64, len(pieces))
	valid := make([][]byte, len(pieces))
	for k, pc := range pieces {
		v, ok, err := expr.Float64s(pc.Cols[col])
		if err != nil {
			return p, err
		}
		vals[k], valid[k] = v, ok
		for i, x := range v {
			if x != x || ok != nil && !expr.Valid(ok, i) {
				continue
			}
			p.m.N++
			p.m.Sum += x
			// Plain comparisons: NaN is excluded above, and on ties (-0, +0)
			// the first value in row order stays.
			if x < p.min {
				p.min = x
			}
			if x > p.max {
				p.max = x
			}
		}
	}
	if p.m.N == 0 {
		return p, nil
	}
	p.m.Mean = p.m.Sum / float64(p.m.N)
	for k, v := range vals {
		for i, x := range v {
			if x != x || !expr.Valid(valid[k], i) {
				continue
			}
			d := x - p.m.Mean
			p.m.M2 += d * d
		}
	}
	return p, nil
}

// Fit implements Preprocessor.
func (s *Scaler) Fit(ctx context.Context, t arrow.Table) (*Artifact, error) {
	idx, err := prepColumns(s.kind, t.Schema(), s.cols, prepNumeric)
	if err != nil {
		return nil, err
	}
	params := scalerParams{Columns: make([]scalerColumn, len(idx))}
	for k, i := range idx {
		parts, err := prepChunks(ctx, t, []int{i}, func(pieces []expr.Piece) (scalerPartial, error) {
			return scalerChunk(pieces, i)
		})
		if err != nil {
			return nil, fmt.Errorf("%s column %q: %w", s.kind, s.cols[k], err)
		}
		var total scalerPartial
		for _, p := range parts {
			total = total.merge(p)
		}
		if total.m.N == 0 {
			return nil, fmt.Errorf("%s column %q: no non-null values to fit", s.kind, s.cols[k])
		}
		c := scalerColumn{Name: s.cols[k], Count: total.m.N, Mean: prepFloat(total.m.Mean), Std: prepFloat(total.m.Std(0)),
			Min: prepFloat(total.min), Max: prepFloat(total.max)}
		if s.kind == kindStandardScaler {
			c.Center, c.Scale = c.Mean, c.Std
		} else {
			c.Center, c.Scale = c.Min, prepFloat(total.max-total.min)
		}
		if c.Scale == 0 {
			c.Scale = 1
		}
		params.Columns[k] = c
	}
	return newArtifact(s.kind, "1", params)
}

func decodeScaler(version string, raw json.RawMessage) (*prepModel, error) {
	if err := prepVersion(version, "1"); err != nil {
		return nil, err
	}
	var p scalerParams
	if err := prepUnmarshal(raw, &p); err != nil {
		return nil, err
	}
	m := &prepModel{}
	for _, c := range p.Columns {
		center, scale := float64(c.Center), float64(c.Scale)
		m.steps = append(m.steps, prepStep{
			col:   c.Name,
			check: prepNumeric,
			fields: func(f arrow.Field) []arrow.Field {
				return []arrow.Field{{Name: f.Name, Type: arrow.PrimitiveTypes.Float64, Nullable: f.Nullable, Metadata: f.Metadata}}
			},
			apply: func(a arrow.Array, _ int64) ([]arrow.Array, error) {
				x, valid, err := expr.Float64s(a)
				if err != nil {
					return nil, err
				}
				out := make([]float64, len(x))
				for i, v := range x {
					out[i] = (v - center) / scale
				}
				return []arrow.Array{expr.NewFloat64(out, valid)}, nil
			},
		})
	}
	return m, nil
}
