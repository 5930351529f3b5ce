package quality

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/stats"
)

// Profile parameters. They are fixed (not configurable) so that any two
// checks recording the profile of the same column record the same bytes.
const (
	// HistogramBins is the number of equal-width bins of a profile's
	// histogram, spanning the finite minimum to maximum.
	HistogramBins = 20
	// SketchLevels is the resolution of a profile's distribution sketch: the
	// values at the quantile levels k/SketchLevels, k = 0..SketchLevels.
	SketchLevels = 200
	// TopValues is the number of most frequent values a profile keeps.
	TopValues = 32
	// maxNumericCategories is the largest number of distinct values an
	// integer column may have for its profile to list top values.
	maxNumericCategories = 1000
)

// Extra keys under which profiles are stored in a partition's manifest:
// ProfileKey + column holds a full ColumnProfile, SummaryKey + column one
// with the counts and moments only.
const (
	ProfileKey = "quality.profile/"
	SummaryKey = "quality.summary/"
)

// TableProfile describes a table's data compactly enough to store in a
// manifest: its rows, schema, and per-column profiles. Drift checks compare
// the current data with a reference profile instead of rescanning old data.
type TableProfile struct {
	// Rows is the number of rows.
	Rows int64 `json:"rows"`
	// Schema lists the columns with kiln's canonical type names.
	Schema []Field `json:"schema"`
	// Columns are the profiled columns, in schema order.
	Columns []ColumnProfile `json:"columns,omitempty"`
}

// Field is one column of a profile's schema.
type Field struct {
	// Name is the column name.
	Name string `json:"name"`
	// Type is kiln's canonical type name, e.g. "int64" or "timestamp[us,UTC]".
	Type string `json:"type"`
}

// Column returns the profile of the named column, or nil.
func (p *TableProfile) Column(name string) *ColumnProfile {
	if p == nil {
		return nil
	}
	for i := range p.Columns {
		if p.Columns[i].Column == name {
			return &p.Columns[i]
		}
	}
	return nil
}

// ColumnProfile summarizes one column. Statistics are over the finite
// non-null values (NaN and ±Inf are counted apart), so a profile always
// encodes as JSON. Temporal columns are profiled as numbers in their unit.
// Histogram, Sketch and Top are deterministic: bins are fixed by the data's
// range, sketch levels are fixed, and top values are ordered by count
// (descending) then value (ascending).
type ColumnProfile struct {
	// Column is the column name; Type its canonical type name.
	Column string `json:"column"`
	Type   string `json:"type"`
	// Rows is the number of rows; Nulls of them are null.
	Rows  int64 `json:"rows"`
	Nulls int64 `json:"nulls"`
	// NaN and Inf count the NaN and infinite values of float columns.
	NaN int64 `json:"nan,omitempty"`
	Inf int64 `json:"inf,omitempty"`
	// Min, Max, Mean and Std (sample, ddof=1) of the finite values of
	// numeric columns; nil when undefined.
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	Mean *float64 `json:"mean,omitempty"`
	Std  *float64 `json:"std,omitempty"`
	// Distinct is the number of distinct non-null values (full profiles).
	Distinct int64 `json:"distinct,omitempty"`
	// Histogram has HistogramBins equal-width bins over [Min, Max].
	Histogram *Histogram `json:"histogram,omitempty"`
	// Sketch describes the distribution of the finite values for drift
	// checks.
	Sketch *Sketch `json:"sketch,omitempty"`
	// Top holds the most frequent values of string and bool columns (and of
	// integer columns with at most 1000 distinct values); Other counts the
	// non-null values not in Top.
	Top   []ValueCount `json:"top,omitempty"`
	Other int64        `json:"other,omitempty"`
}

// Histogram is a fixed-width histogram: bin i is [Edges[i], Edges[i+1]),
// the last bin also holding Edges[len-1].
type Histogram struct {
	// Edges are the bin edges, one more than the bins.
	Edges []float64 `json:"edges"`
	// Counts are the values per bin.
	Counts []int64 `json:"counts"`
}

// Sketch is a column's empirical distribution at a few points: AtOrBelow[k]
// is the exact number of finite values <= Values[k]. When the column has at
// most SketchLevels+1 distinct finite values they are all listed and Exact
// is true; otherwise Values are the quantiles at levels k/SketchLevels (the
// smallest value v with F(v) >= k/SketchLevels), deduplicated.
type Sketch struct {
	// Values are increasing values of the column.
	Values []float64 `json:"values"`
	// AtOrBelow[k] counts the finite values <= Values[k].
	AtOrBelow []int64 `json:"at_or_below"`
	// Exact reports that Values lists every distinct finite value.
	Exact bool `json:"exact,omitempty"`
}

// Count returns the number of values the sketch describes.
func (s *Sketch) Count() int64 {
	if s == nil || len(s.AtOrBelow) == 0 {
		return 0
	}
	return s.AtOrBelow[len(s.AtOrBelow)-1]
}

// ValueCount is a value (as text) and how often it occurs.
type ValueCount struct {
	// Value is the value as text: strings as they are, numbers and bools
	// in Go's formatting.
	Value string `json:"value"`
	// Count is the number of rows holding it.
	Count int64 `json:"count"`
}

// profiled is a column profile with the sorted finite values it was
// computed from (numeric columns).
type profiled struct {
	ColumnProfile
	sorted []float64
}

// summarizeColumn computes the counts and moments of a column.
func summarizeColumn(ctx context.Context, col *column) (ColumnProfile, error) {
	p := ColumnProfile{Column: col.name, Type: canonicalType(col.typ), Rows: col.n}
	if !col.dom.numeric() {
		p.Nulls = nullCount(col)
		return p, nil
	}
	s, err := summarize(ctx, col, true)
	if err != nil {
		return p, err
	}
	p.Nulls, p.NaN, p.Inf = s.nulls, s.nan, s.posInf+s.negInf
	if s.finite.N > 0 {
		p.Mean = ptr(s.finite.Mean)
		p.Min, p.Max = ptr(s.finMin), ptr(s.finMax)
		if s.finite.N > 1 {
			p.Std = ptr(s.finite.Std(1))
		}
	}
	return p, nil
}

func nullCount(col *column) int64 {
	var k int64
	for _, a := range col.chunks {
		k += int64(a.NullN())
	}
	return k
}

// profileColumn computes a full column profile.
func profileColumn(ctx context.Context, col *column) (profiled, error) {
	sum, err := summarizeColumn(ctx, col)
	if err != nil {
		return profiled{}, err
	}
	p := profiled{ColumnProfile: sum}
	switch {
	case col.dom.numeric():
		keys, err := sortedKeysOf(ctx, col)
		if err != nil {
			return p, err
		}
		p.sorted = finiteValues(col.dom, keys)
		p.Histogram = histogram(p.sorted)
		p.Sketch = sketch(p.sorted)
		p.Distinct = distinctSorted(keys)
		if p.Distinct <= maxNumericCategories && col.dom != domFloat && !temporal(col.typ) {
			p.Top, p.Other = topOf(numericGroups(col.dom, keys))
		}
	case col.dom == domString || col.dom == domBool:
		groups, err := categoryGroups(ctx, col)
		if err != nil {
			return p, err
		}
		p.Distinct = int64(len(groups))
		p.Top, p.Other = topOf(groups)
	}
	return p, nil
}

// finiteValues converts sorted order keys to their float values, dropping
// NaN and infinities (which sort at the ends).
func finiteValues(d domain, keys []uint64) []float64 {
	out := make([]float64, 0, len(keys))
	for _, k := range keys {
		f := keyNumber(d, k).float()
		if !math.IsInf(f, 0) && !math.IsNaN(f) {
			out = append(out, f)
		}
	}
	return out
}

func distinctSorted(keys []uint64) int64 {
	var n int64
	for i := range keys {
		if i == 0 || keys[i] != keys[i-1] {
			n++
		}
	}
	return n
}

func histogram(v []float64) *Histogram {
	if len(v) == 0 {
		return nil
	}
	lo, hi := v[0], v[len(v)-1]
	if lo == hi {
		return &Histogram{Edges: []float64{lo, hi}, Counts: []int64{int64(len(v))}}
	}
	h := &Histogram{Edges: make([]float64, HistogramBins+1), Counts: make([]int64, HistogramBins)}
	w := (hi - lo) / HistogramBins
	for i := range h.Edges {
		h.Edges[i] = lo + float64(i)*w
	}
	h.Edges[HistogramBins] = hi
	below := 0
	for i := range HistogramBins {
		next := len(v)
		if i < HistogramBins-1 {
			next = stats.LowerBound(v, h.Edges[i+1])
		}
		h.Counts[i] = int64(next - below)
		below = next
	}
	return h
}

func sketch(v []float64) *Sketch {
	if len(v) == 0 {
		return nil
	}
	s := &Sketch{}
	distinct := 0
	for i := range v {
		if i == 0 || v[i] != v[i-1] {
			distinct++
		}
	}
	if distinct <= SketchLevels+1 {
		s.Exact = true
		for i := range v {
			if i == len(v)-1 || v[i+1] != v[i] {
				s.Values = append(s.Values, v[i])
				s.AtOrBelow = append(s.AtOrBelow, int64(i+1))
			}
		}
		return s
	}
	m := int64(len(v))
	for k := int64(0); k <= SketchLevels; k++ {
		idx := int64(0)
		if k > 0 {
			idx = (k*m+SketchLevels-1)/SketchLevels - 1 // ceil(k·m/levels) − 1
		}
		x := v[idx]
		if len(s.Values) > 0 && s.Values[len(s.Values)-1] == x {
			continue
		}
		s.Values = append(s.Values, x)
		s.AtOrBelow = append(s.AtOrBelow, int64(stats.UpperBound(v, x)))
	}
	return s
}

// group is a distinct value, as text, and its count; num orders numeric
// groups.
type group struct {
	label string
	count int64
}

// numericGroups lists the distinct values of sorted keys, in value order.
func numericGroups(d domain, keys []uint64) []group {
	var out []group
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		out = append(out, group{label: numberLabel(keyNumber(d, keys[i])), count: int64(j - i)})
		i = j
	}
	return out
}

func numberLabel(n number) string {
	switch n.kind {
	case 'i':
		return strconv.FormatInt(n.i, 10)
	case 'u':
		return strconv.FormatUint(n.u, 10)
	}
	return strconv.FormatFloat(n.f, 'g', -1, 64)
}

// categoryGroups lists the distinct values of a string or bool column, in
// value order.
func categoryGroups(ctx context.Context, col *column) ([]group, error) {
	sk, err := sortColumn(ctx, col)
	if err != nil {
		return nil, err
	}
	var out []group
	sk.groups(func(rows []int32) {
		out = append(out, group{label: valueString(col, int64(rows[0])), count: int64(len(rows))})
	})
	slices.SortFunc(out, func(a, b group) int { return cmp.Compare(a.label, b.label) })
	return out, nil
}

// topOf returns the TopValues most frequent groups (count descending, then
// value order) and the count of the rest. groups must be in value order.
func topOf(groups []group) ([]ValueCount, int64) {
	g := slices.Clone(groups)
	slices.SortStableFunc(g, func(a, b group) int { return cmp.Compare(b.count, a.count) })
	var top []ValueCount
	var other int64
	for i, x := range g {
		if i < TopValues {
			top = append(top, ValueCount{Value: x.label, Count: x.count})
		} else {
			other += x.count
		}
	}
	return top, other
}

// recordProfile stores a column profile in the manifest extras.
func recordProfile(ctx *kiln.Context, p *ColumnProfile, full bool) error {
	key := SummaryKey + p.Column
	if full {
		key = ProfileKey + p.Column
	}
	return ctx.SetExtra(key, p)
}

// ReadProfile assembles the profile stored in a partition's manifest by
// Profile and the drift and change checks. Columns appear in schema order,
// with their full profile when one was recorded, else their summary.
func ReadProfile(m *kiln.Manifest) (*TableProfile, error) {
	if m == nil {
		return nil, nil
	}
	p := &TableProfile{Rows: m.Rows}
	for _, f := range m.Schema {
		p.Schema = append(p.Schema, Field{Name: f.Name, Type: f.Type})
		raw, ok := m.Extra[ProfileKey+f.Name]
		if !ok {
			raw, ok = m.Extra[SummaryKey+f.Name]
		}
		if !ok {
			continue
		}
		var cp ColumnProfile
		if err := json.Unmarshal(raw, &cp); err != nil {
			return nil, fmt.Errorf("quality: profile of column %q in %s %s: %w", f.Name, m.Dataset, m.Partition, err)
		}
		p.Columns = append(p.Columns, cp)
	}
	return p, nil
}

// ProfileTable profiles the given columns of t (all when none), for use as
// a fixed drift reference (see Fixed) or for inspection.
func ProfileTable(ctx context.Context, t arrow.Table, columns ...string) (*TableProfile, error) {
	p := &TableProfile{Rows: t.NumRows(), Schema: schemaOf(t.Schema())}
	if len(columns) == 0 {
		columns = profilable(t.Schema())
	}
	for _, name := range columns {
		col, err := newColumn(t, name, domInt, domUint, domFloat, domString, domBool)
		if err != nil {
			return nil, err
		}
		cp, err := profileColumn(ctx, col)
		if err != nil {
			return nil, err
		}
		p.Columns = append(p.Columns, cp.ColumnProfile)
	}
	return p, nil
}

func schemaOf(s *arrow.Schema) []Field {
	out := make([]Field, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = Field{Name: f.Name, Type: canonicalType(f.Type)}
	}
	return out
}

// profilable lists the columns of s a profile covers: those of a supported
// type, in schema order.
func profilable(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		if domainOf(f.Type) != domNone {
			out = append(out, f.Name)
		}
	}
	return out
}
