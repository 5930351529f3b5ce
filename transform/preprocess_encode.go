package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/expr"
)

// Encoder encodes categorical columns. Create one with OneHot or Ordinal.
type Encoder struct {
	kind          string
	cols          []string
	minCount      int64
	maxCategories int
}

// OneHot returns a preprocessor replacing each categorical column (strings
// or integers) by one int8 indicator column per training category, named
// <col>_<value> in value order (strings by UTF-8 bytes, integers
// numerically), plus <col>__other for values not among them (unseen at
// fit, or dropped by MinCount / MaxCategories): the unknown bucket. A
// null input gives null in every indicator column.
func OneHot(cols ...string) *Encoder { return &Encoder{kind: kindOneHot, cols: cols, minCount: 1} }

// Ordinal returns a preprocessor replacing each categorical column by an
// int64 code (label encoding): 1..k for the training categories in value
// order, 0 for the unknown bucket (values unseen at fit, or dropped by
// MinCount / MaxCategories). Nulls stay null.
func Ordinal(cols ...string) *Encoder { return &Encoder{kind: kindOrdinal, cols: cols, minCount: 1} }

// MinCount returns a copy keeping only categories seen at least n times in
// training; rarer ones go to the unknown bucket.
func (e *Encoder) MinCount(n int64) *Encoder {
	f := *e
	f.minCount = max(n, 1)
	return &f
}

// MaxCategories returns a copy keeping at most k categories per column, the
// most frequent (ties to the smaller value); the rest go to the unknown
// bucket. 0 means no limit.
func (e *Encoder) MaxCategories(k int) *Encoder {
	f := *e
	f.maxCategories = max(k, 0)
	return &f
}

type encoderParams struct {
	MinCount      int64           `json:"min_count"`
	MaxCategories int             `json:"max_categories"`
	Columns       []encoderColumn `json:"columns"`
}

// encoderColumn lists one column's categories in value order.
type encoderColumn struct {
	Name string `json:"name"`
	prepCategories
	// Other counts training values that went to the unknown bucket.
	Other int64 `json:"other"`
}

// prepCategories are a column's categories in value order, with their
// training counts. Its fields are inlined in the artifact JSON.
type prepCategories struct {
	// KeyType is "utf8" (Strings holds the categories) or "int64" (Ints).
	KeyType string   `json:"key_type"`
	Strings []string `json:"strings,omitempty"`
	Ints    []int64  `json:"ints,omitempty"`
	Counts  []int64  `json:"counts"`
}

// add appends the category of a key (as made by expr.Keyer).
func (c *prepCategories) add(key string, count int64) error {
	if c.KeyType == "utf8" {
		if !utf8.ValidString(key) {
			return fmt.Errorf("category %q is not valid UTF-8", key)
		}
		c.Strings = append(c.Strings, key)
	} else {
		c.Ints = append(c.Ints, expr.DecodeIntKey([]byte(key)))
	}
	c.Counts = append(c.Counts, count)
	return nil
}

// Fit implements Preprocessor.
func (e *Encoder) Fit(ctx context.Context, t arrow.Table) (*Artifact, error) {
	idx, err := prepColumns(e.kind, t.Schema(), e.cols, prepCategorical)
	if err != nil {
		return nil, err
	}
	params := encoderParams{MinCount: e.minCount, MaxCategories: e.maxCategories}
	for k, i := range idx {
		c, err := prepFitCategories(ctx, t, i, e.minCount, e.maxCategories)
		if err != nil {
			return nil, fmt.Errorf("%s column %q: %w", e.kind, e.cols[k], err)
		}
		params.Columns = append(params.Columns, c)
	}
	return newArtifact(e.kind, "1", params)
}

// prepFitCategories counts column i's values and keeps the categories.
func prepFitCategories(ctx context.Context, t arrow.Table, i int, minCount int64, maxCategories int) (encoderColumn, error) {
	f := t.Schema().Field(i)
	keyType, _ := expr.IsCategorical(f.Type)
	counts, err := prepCount(ctx, t, i)
	if err != nil {
		return encoderColumn{}, err
	}
	c := encoderColumn{Name: f.Name, prepCategories: prepCategories{KeyType: keyType, Counts: []int64{}}}
	var kept int64
	for _, j := range counts.keep(minCount, maxCategories) {
		if err := c.add(counts.keys[j], counts.counts[j]); err != nil {
			return c, err
		}
		kept += counts.counts[j]
	}
	c.Other = counts.total() - kept
	return c, nil
}

// prepLookup maps a column's values to codes: 1..k for the categories, 0
// for anything else.
type prepLookup struct {
	keyType string
	strs    map[string]int32
	ints    map[int64]int32
	k       int
}

func newPrepLookup(name string, c prepCategories) (*prepLookup, error) {
	l := &prepLookup{keyType: c.KeyType}
	switch c.KeyType {
	case "utf8":
		l.strs = make(map[string]int32, len(c.Strings))
		for j, s := range c.Strings {
			if _, dup := l.strs[s]; dup {
				return nil, fmt.Errorf("column %q: category %q listed twice", name, s)
			}
			l.strs[s] = int32(j + 1)
		}
		l.k = len(c.Strings)
	case "int64":
		l.ints = make(map[int64]int32, len(c.Ints))
		for j, v := range c.Ints {
			if _, dup := l.ints[v]; dup {
				return nil, fmt.Errorf("column %q: category %d listed twice", name, v)
			}
			l.ints[v] = int32(j + 1)
		}
		l.k = len(c.Ints)
	default:
		return nil, fmt.Errorf("column %q: unknown key type %q", name, c.KeyType)
	}
	if len(c.Counts) != l.k {
		return nil, fmt.Errorf("column %q: %d counts for %d categories", name, len(c.Counts), l.k)
	}
	return l, nil
}

// codes returns each row's code and the validity of a.
func (l *prepLookup) codes(a arrow.Array) ([]int32, []byte, error) {
	n := a.Len()
	out := make([]int32, n)
	if l.keyType == "utf8" {
		s, valid, err := expr.StringsOf(a)
		if err != nil {
			return nil, nil, err
		}
		for i := range n {
			if expr.Valid(valid, i) {
				out[i] = l.strs[string(s.Value(i))]
			}
		}
		return out, valid, nil
	}
	v, valid, err := expr.Int64s(a, "value")
	if err != nil {
		return nil, nil, err
	}
	for i, x := range v {
		if expr.Valid(valid, i) {
			out[i] = l.ints[x]
		}
	}
	return out, valid, nil
}

func decodeOneHot(version string, raw json.RawMessage) (*prepModel, error) {
	return decodeEncoderKind(kindOneHot, version, raw)
}

func decodeOrdinal(version string, raw json.RawMessage) (*prepModel, error) {
	return decodeEncoderKind(kindOrdinal, version, raw)
}

func decodeEncoderKind(kind, version string, raw json.RawMessage) (*prepModel, error) {
	if err := prepVersion(version, "1"); err != nil {
		return nil, err
	}
	var p encoderParams
	if err := prepUnmarshal(raw, &p); err != nil {
		return nil, err
	}
	m := &prepModel{}
	for _, c := range p.Columns {
		l, err := newPrepLookup(c.Name, c.prepCategories)
		if err != nil {
			return nil, err
		}
		if kind == kindOrdinal {
			m.steps = append(m.steps, ordinalStep(c.Name, l))
		} else {
			m.steps = append(m.steps, oneHotStep(c, l))
		}
	}
	return m, nil
}

func ordinalStep(col string, l *prepLookup) prepStep {
	return prepStep{
		col:   col,
		check: prepSameKind(l.keyType),
		fields: func(f arrow.Field) []arrow.Field {
			return []arrow.Field{{Name: f.Name, Type: arrow.PrimitiveTypes.Int64, Nullable: f.Nullable, Metadata: f.Metadata}}
		},
		apply: func(a arrow.Array, _ int64) ([]arrow.Array, error) {
			codes, valid, err := l.codes(a)
			if err != nil {
				return nil, err
			}
			out := make([]int64, len(codes))
			for i, c := range codes {
				out[i] = int64(c)
			}
			return []arrow.Array{expr.NewInt64(out, valid)}, nil
		},
	}
}

// oneHotNames returns the indicator column names of a column.
func oneHotNames(c encoderColumn) []string {
	var names []string
	if c.KeyType == "utf8" {
		for _, s := range c.Strings {
			names = append(names, c.Name+"_"+s)
		}
	} else {
		for _, v := range c.Ints {
			names = append(names, c.Name+"_"+strconv.FormatInt(v, 10))
		}
	}
	return append(names, c.Name+"__other")
}

func oneHotStep(c encoderColumn, l *prepLookup) prepStep {
	names := oneHotNames(c)
	return prepStep{
		col:   c.Name,
		check: prepSameKind(l.keyType),
		fields: func(f arrow.Field) []arrow.Field {
			out := make([]arrow.Field, len(names))
			for j, n := range names {
				out[j] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int8, Nullable: f.Nullable}
			}
			return out
		},
		apply: func(a arrow.Array, _ int64) ([]arrow.Array, error) {
			codes, valid, err := l.codes(a)
			if err != nil {
				return nil, err
			}
			n := len(codes)
			cols := make([][]int8, l.k+1)
			for j := range cols {
				cols[j] = make([]int8, n)
			}
			for i, c := range codes {
				if !expr.Valid(valid, i) {
					continue
				}
				j := int(c) - 1 // category j, or -1 for the unknown bucket
				if j < 0 {
					j = l.k
				}
				cols[j][i] = 1
			}
			out := make([]arrow.Array, len(cols))
			for j, v := range cols {
				var vj []byte
				if valid != nil {
					vj = append([]byte(nil), valid...)
				}
				out[j] = expr.NewInt8(v, vj)
			}
			return out, nil
		},
	}
}
