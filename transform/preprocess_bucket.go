package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/expr"
)

// Bucketizer maps numbers to bucket indexes. Create one with Bucketize or
// QuantileBuckets.
type Bucketizer struct {
	col       string
	bounds    []float64
	quantiles int
}

// Bucketize returns a preprocessor replacing numeric column col by the
// int64 index of its bucket: with boundaries b_0 < b_1 < ... < b_{k-1}
// (finite, strictly increasing), bucket 0 is x < b_0, bucket i is
// b_{i-1} <= x < b_i, bucket k is x >= b_{k-1}. Nulls and NaN give null.
// Fitting only checks the schema and the boundaries.
func Bucketize(col string, bounds ...float64) *Bucketizer {
	return &Bucketizer{col: col, bounds: slices.Clone(bounds)}
}

// QuantileBuckets is Bucketize with boundaries fitted at the k-quantiles of
// the training values (i/k for i = 1..k-1, linear interpolation between
// ranks as NumPy's default; repeated boundaries merge), so buckets hold
// about equal shares of the training rows. k must be at least 2.
func QuantileBuckets(col string, k int) *Bucketizer { return &Bucketizer{col: col, quantiles: k} }

type bucketParams struct {
	Column    string      `json:"column"`
	Quantiles int         `json:"quantiles"`
	Count     int64       `json:"count"`
	Bounds    []prepFloat `json:"bounds"`
}

func bucketCheck(bounds []float64) error {
	for i, b := range bounds {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return fmt.Errorf("boundary %d is %v, want a finite number", i, b)
		}
		if i > 0 && !(bounds[i-1] < b) {
			return fmt.Errorf("boundaries must increase strictly: %v then %v", bounds[i-1], b)
		}
	}
	return nil
}

// Fit implements Preprocessor.
func (b *Bucketizer) Fit(ctx context.Context, t arrow.Table) (*Artifact, error) {
	idx, err := prepColumns(kindBucketize, t.Schema(), []string{b.col}, prepNumeric)
	if err != nil {
		return nil, err
	}
	p := bucketParams{Column: b.col, Quantiles: b.quantiles}
	bounds := b.bounds
	if b.quantiles != 0 {
		if b.quantiles < 2 {
			return nil, fmt.Errorf("%s column %q: %d quantiles, want at least 2", kindBucketize, b.col, b.quantiles)
		}
		v, err := imputeValues(ctx, t, idx[0])
		if err != nil {
			return nil, fmt.Errorf("%s column %q: %w", kindBucketize, b.col, err)
		}
		if len(v) == 0 {
			return nil, fmt.Errorf("%s column %q: no non-null values to fit", kindBucketize, b.col)
		}
		slices.Sort(v)
		p.Count = int64(len(v))
		bounds = nil
		for i := 1; i < b.quantiles; i++ {
			q := prepQuantile(v, float64(i)/float64(b.quantiles))
			if len(bounds) == 0 || q > bounds[len(bounds)-1] {
				bounds = append(bounds, q)
			}
		}
	}
	if err := bucketCheck(bounds); err != nil {
		return nil, fmt.Errorf("%s column %q: %w", kindBucketize, b.col, err)
	}
	p.Bounds = prepFloats(bounds)
	if p.Bounds == nil {
		p.Bounds = []prepFloat{}
	}
	return newArtifact(kindBucketize, "1", p)
}

func decodeBucketizer(version string, raw json.RawMessage) (*prepModel, error) {
	if err := prepVersion(version, "1"); err != nil {
		return nil, err
	}
	var p bucketParams
	if err := prepUnmarshal(raw, &p); err != nil {
		return nil, err
	}
	bounds := make([]float64, len(p.Bounds))
	for i, b := range p.Bounds {
		bounds[i] = float64(b)
	}
	if err := bucketCheck(bounds); err != nil {
		return nil, err
	}
	step := prepStep{
		col:   p.Column,
		check: prepNumeric,
		fields: func(f arrow.Field) []arrow.Field {
			return []arrow.Field{{Name: f.Name, Type: arrow.PrimitiveTypes.Int64, Nullable: f.Nullable, Metadata: f.Metadata}}
		},
		apply: func(a arrow.Array, _ int64) ([]arrow.Array, error) {
			x, valid, err := expr.Float64s(a)
			if err != nil {
				return nil, err
			}
			out := make([]int64, len(x))
			var nan []byte
			for i, v := range x {
				if v != v {
					if nan == nil {
						nan = make([]byte, len(x))
					}
					nan[i] = 1
					continue
				}
				// Number of bounds <= v (binary search).
				lo, hi := 0, len(bounds)
				for lo < hi {
					mid := int(uint(lo+hi) >> 1)
					if bounds[mid] <= v {
						lo = mid + 1
					} else {
						hi = mid
					}
				}
				out[i] = int64(lo)
			}
			if nan != nil {
				v2 := expr.NewBitmap(len(x))
				for i := range x {
					if nan[i] == 0 && expr.Valid(valid, i) {
						expr.SetBit(v2, i)
					}
				}
				valid = v2
			}
			return []arrow.Array{expr.NewInt64(out, valid)}, nil
		},
	}
	return &prepModel{steps: []prepStep{step}}, nil
}

// Hasher maps categories to a fixed number of buckets (the hashing trick).
// Create one with HashBuckets.
type Hasher struct {
	col     string
	buckets int64
}

// HashBuckets returns a preprocessor replacing categorical column col
// (strings or integers) by an int64 bucket in [0, n): FNV-1a (64-bit) of
// the value's UTF-8 bytes (integers: of their decimal text, so 42 and "42"
// share a bucket), modulo n. The hash is fixed by this definition, never
// by the process, so buckets are the same in every run and language. Nulls
// stay null. Fitting needs no data (only the schema).
func HashBuckets(col string, n int64) *Hasher { return &Hasher{col: col, buckets: n} }

type hashParams struct {
	Column  string `json:"column"`
	KeyType string `json:"key_type"`
	Buckets int64  `json:"buckets"`
	Hash    string `json:"hash"`
}

// Fit implements Preprocessor.
func (h *Hasher) Fit(_ context.Context, t arrow.Table) (*Artifact, error) {
	idx, err := prepColumns(kindHashBuckets, t.Schema(), []string{h.col}, prepCategorical)
	if err != nil {
		return nil, err
	}
	if h.buckets < 1 {
		return nil, fmt.Errorf("%s column %q: %d buckets, want at least 1", kindHashBuckets, h.col, h.buckets)
	}
	keyType, _ := expr.IsCategorical(t.Schema().Field(idx[0]).Type)
	return newArtifact(kindHashBuckets, "1", hashParams{Column: h.col, KeyType: keyType, Buckets: h.buckets, Hash: "fnv1a64"})
}

// fnv1a64 is the 64-bit FNV-1a hash.
func fnv1a64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func decodeHasher(version string, raw json.RawMessage) (*prepModel, error) {
	if err := prepVersion(version, "1"); err != nil {
		return nil, err
	}
	var p hashParams
	if err := prepUnmarshal(raw, &p); err != nil {
		return nil, err
	}
	if p.Hash != "fnv1a64" || p.Buckets < 1 {
		return nil, fmt.Errorf("hash %q with %d buckets, want fnv1a64 and at least 1", p.Hash, p.Buckets)
	}
	n := uint64(p.Buckets)
	step := prepStep{
		col:   p.Column,
		check: prepSameKind(p.KeyType),
		fields: func(f arrow.Field) []arrow.Field {
			return []arrow.Field{{Name: f.Name, Type: arrow.PrimitiveTypes.Int64, Nullable: f.Nullable, Metadata: f.Metadata}}
		},
		apply: func(a arrow.Array, _ int64) ([]arrow.Array, error) {
			out := make([]int64, a.Len())
			if p.KeyType == "utf8" {
				s, valid, err := expr.StringsOf(a)
				if err != nil {
					return nil, err
				}
				for i := range out {
					if expr.Valid(valid, i) {
						out[i] = int64(fnv1a64(s.Value(i)) % n)
					}
				}
				return []arrow.Array{expr.NewInt64(out, valid)}, nil
			}
			v, valid, err := expr.Int64s(a, "value")
			if err != nil {
				return nil, err
			}
			var buf []byte
			for i, x := range v {
				if expr.Valid(valid, i) {
					buf = strconv.AppendInt(buf[:0], x, 10)
					out[i] = int64(fnv1a64(buf) % n)
				}
			}
			return []arrow.Array{expr.NewInt64(out, valid)}, nil
		},
	}
	return &prepModel{steps: []prepStep{step}}, nil
}
