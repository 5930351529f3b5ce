package quality

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/stats"
)

// AggregateCheck checks one statistic of a column or of the table against
// bounds (a Great Expectations "column aggregate" or "table" expectation):
// Mean, Median, Stddev, Min, Max, Sum, Quantiles, DistinctCount,
// ProportionUnique, RowCount, ColumnSetEquals/Contains and OfType. The
// result's observed_value is the statistic; a statistic of a column with no
// non-null values is null and fails; NaN observed values fail.
//
// Set bounds with Between, AtLeast or AtMost (inclusive unless Strict);
// without bounds the check only needs the statistic to exist. Methods
// return a modified copy.
type AggregateCheck struct {
	cfg aggConfig
	err error
}

type aggConfig struct {
	common
	bounds
	Kind      string          `json:"kind"`
	Column    string          `json:"column,omitempty"`
	Columns   []string        `json:"columns,omitempty"`
	Quantiles []quantileRange `json:"quantiles,omitempty"`
	Type      string          `json:"type,omitempty"`
}

type quantileRange struct {
	Q   float64  `json:"q"`
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Aggregate check kinds.
const (
	kindMean       = "mean"
	kindMedian     = "median"
	kindStddev     = "stddev"
	kindMin        = "min"
	kindMax        = "max"
	kindSum        = "sum"
	kindQuantiles  = "quantiles"
	kindDistinct   = "distinct_count"
	kindPropUnique = "proportion_unique"
	kindRowCount   = "row_count"
	kindColSetEq   = "column_set_equals"
	kindColSetHas  = "column_set_contains"
	kindOfType     = "of_type"
)

// numericKinds need a non-temporal numeric column; anyValueKinds take any
// comparable column.
var (
	numericKinds  = []string{kindMean, kindMedian, kindStddev, kindSum, kindQuantiles}
	anyValueKinds = []string{kindDistinct, kindPropUnique}
)

func newAgg(kind, column string) *AggregateCheck {
	return &AggregateCheck{cfg: aggConfig{Kind: kind, Column: column}}
}

// Mean checks the mean of the non-null values of a numeric column
// (expect_column_mean_to_be_between).
func Mean(column string) *AggregateCheck { return newAgg(kindMean, column) }

// Median checks the median of the non-null values, the mean of the two
// middle values for an even count (expect_column_median_to_be_between).
func Median(column string) *AggregateCheck { return newAgg(kindMedian, column) }

// Stddev checks the sample standard deviation (ddof=1) of the non-null
// values; fewer than two values give null
// (expect_column_stdev_to_be_between).
func Stddev(column string) *AggregateCheck { return newAgg(kindStddev, column) }

// Min checks the smallest non-null value (expect_column_min_to_be_between).
// Timestamp and date columns take TimeBetween bounds.
func Min(column string) *AggregateCheck { return newAgg(kindMin, column) }

// Max checks the largest non-null value (expect_column_max_to_be_between).
func Max(column string) *AggregateCheck { return newAgg(kindMax, column) }

// Sum checks the sum of the non-null values; exact for integers unless it
// overflows int64 (then a float). A column with no non-null values has a
// null sum, which fails (expect_column_sum_to_be_between).
func Sum(column string) *AggregateCheck { return newAgg(kindSum, column) }

// DistinctCount checks the number of distinct non-null values
// (expect_column_unique_value_count_to_be_between).
func DistinctCount(column string) *AggregateCheck { return newAgg(kindDistinct, column) }

// ProportionUnique checks distinct non-null values / non-null values
// (expect_column_proportion_of_unique_values_to_be_between).
func ProportionUnique(column string) *AggregateCheck { return newAgg(kindPropUnique, column) }

// RowCount checks the number of rows (expect_table_row_count_to_be_between).
func RowCount() *AggregateCheck { return newAgg(kindRowCount, "") }

// ColumnSetEquals expects the table's columns to be exactly columns, in any
// order (expect_table_columns_to_match_set with exact_match).
func ColumnSetEquals(columns ...string) *AggregateCheck {
	c := newAgg(kindColSetEq, "")
	c.cfg.Columns = sortedCopy(columns)
	return c
}

// ColumnSetContains expects the table to have at least columns
// (expect_table_columns_to_match_set without exact_match).
func ColumnSetContains(columns ...string) *AggregateCheck {
	c := newAgg(kindColSetHas, "")
	c.cfg.Columns = sortedCopy(columns)
	return c
}

// OfType expects column to have the type typeName: kiln's canonical type
// name as in manifests ("int64", "utf8", "timestamp[us,UTC]") or Arrow's
// ("timestamp[us, tz=UTC]") (expect_column_values_to_be_of_type).
// Arrow columns have one type, so this is all or nothing; the observed
// value is the canonical type name.
func OfType(column, typeName string) *AggregateCheck {
	c := newAgg(kindOfType, column)
	c.cfg.Type = typeName
	return c
}

// QuantileRange is one quantile and its allowed range for Quantiles; an
// infinite bound is open.
type QuantileRange struct {
	Quantile float64
	Min, Max float64
}

// Quantiles checks quantiles of the non-null values, each within its range
// (inclusive) (expect_column_quantile_values_to_be_between). Quantiles use
// the nearest-rank method of pandas and Great Expectations: the value at
// sorted index round(q·(n−1)), ties to even. The observed value is
// {"quantiles": [...], "values": [...]}.
func Quantiles(column string, ranges ...QuantileRange) *AggregateCheck {
	c := newAgg(kindQuantiles, column)
	for _, r := range ranges {
		q := quantileRange{Q: r.Quantile, Min: ptr(r.Min), Max: ptr(r.Max)}
		c.err = firstErr(c.err, checkBound(&q.Min, "quantile min"), checkBound(&q.Max, "quantile max"))
		if !(r.Quantile >= 0 && r.Quantile <= 1) {
			c.err = firstErr(c.err, fmt.Errorf("quality: quantile %v is outside [0, 1]", r.Quantile))
		}
		c.cfg.Quantiles = append(c.cfg.Quantiles, q)
	}
	if len(ranges) == 0 {
		c.err = fmt.Errorf("quality: Quantiles needs at least one range")
	}
	return c
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func (c *AggregateCheck) with(f func(*AggregateCheck)) *AggregateCheck {
	d := *c
	f(&d)
	return &d
}

func (c *AggregateCheck) setBounds(b bounds) *AggregateCheck {
	return c.with(func(d *AggregateCheck) {
		b.StrictMin, b.StrictMax = d.cfg.StrictMin, d.cfg.StrictMax
		d.cfg.bounds = b
		d.err = firstErr(d.err, d.cfg.bounds.check())
		if d.cfg.Kind == kindQuantiles || d.cfg.Kind == kindColSetEq || d.cfg.Kind == kindColSetHas || d.cfg.Kind == kindOfType {
			d.err = firstErr(d.err, fmt.Errorf("quality: %s takes no bounds", d.cfg.Kind))
		}
	})
}

// Between sets the bounds [min, max]; an infinite bound is open.
func (c *AggregateCheck) Between(min, max float64) *AggregateCheck {
	return c.setBounds(bounds{Min: ptr(min), Max: ptr(max)})
}

// AtLeast sets the lower bound only.
func (c *AggregateCheck) AtLeast(min float64) *AggregateCheck {
	return c.setBounds(bounds{Min: ptr(min)})
}

// AtMost sets the upper bound only.
func (c *AggregateCheck) AtMost(max float64) *AggregateCheck {
	return c.setBounds(bounds{Max: ptr(max)})
}

// TimeBetween sets time bounds for Min or Max of a timestamp or date
// column; a zero time is open.
func (c *AggregateCheck) TimeBetween(min, max time.Time) *AggregateCheck {
	var b bounds
	if !min.IsZero() {
		b.MinTime = ptr(min.UTC())
	}
	if !max.IsZero() {
		b.MaxTime = ptr(max.UTC())
	}
	return c.setBounds(b)
}

// Strict excludes both bounds.
func (c *AggregateCheck) Strict() *AggregateCheck {
	return c.with(func(d *AggregateCheck) { d.cfg.StrictMin, d.cfg.StrictMax = true, true })
}

// StrictMin excludes the lower bound.
func (c *AggregateCheck) StrictMin() *AggregateCheck {
	return c.with(func(d *AggregateCheck) { d.cfg.StrictMin = true })
}

// StrictMax excludes the upper bound.
func (c *AggregateCheck) StrictMax() *AggregateCheck {
	return c.with(func(d *AggregateCheck) { d.cfg.StrictMax = true })
}

// Warn makes a failure a warning: recorded, and the run goes on.
// (Aggregate checks cannot quarantine: no single row is at fault.)
func (c *AggregateCheck) Warn() *AggregateCheck {
	return c.with(func(d *AggregateCheck) { d.cfg.Severity = kiln.SeverityWarn })
}

// Named sets the name results carry.
func (c *AggregateCheck) Named(name string) *AggregateCheck {
	return c.with(func(d *AggregateCheck) { d.cfg.Name = name })
}

// Spec implements kiln.Check.
func (c *AggregateCheck) Spec() kiln.Spec {
	return kiln.Spec{Name: "quality." + c.cfg.Kind, Version: specVersion, Config: c.cfg}
}

// ValidateSchema implements kiln.SchemaValidator.
func (c *AggregateCheck) ValidateSchema(s *arrow.Schema) error {
	if c.err != nil {
		return c.err
	}
	k := c.cfg.Kind
	switch {
	case k == kindRowCount || k == kindColSetEq || k == kindColSetHas:
		return nil
	case k == kindOfType:
		_, err := lookupField(s, c.cfg.Column)
		return err
	case slices.Contains(anyValueKinds, k):
		_, err := lookupField(s, c.cfg.Column, domInt, domUint, domFloat, domString, domBool)
		return err
	}
	f, err := lookupField(s, c.cfg.Column, domInt, domUint, domFloat)
	if err != nil {
		return err
	}
	timeBounds := c.cfg.MinTime != nil || c.cfg.MaxTime != nil
	if slices.Contains(numericKinds, k) && temporal(f.Type) {
		return &kiln.SchemaError{Column: f.Name, Problem: fmt.Sprintf("has type %s: %s needs a numeric column", f.Type, k), Input: -1}
	}
	isTime := f.Type.ID() == arrow.TIMESTAMP || f.Type.ID() == arrow.DATE32 || f.Type.ID() == arrow.DATE64
	if timeBounds && !isTime {
		return &kiln.SchemaError{Column: f.Name, Problem: fmt.Sprintf("has type %s, want a timestamp or date for time bounds", f.Type), Input: -1}
	}
	if isTime && (c.cfg.Min != nil || c.cfg.Max != nil) {
		return &kiln.SchemaError{Column: f.Name, Problem: fmt.Sprintf("has type %s: use TimeBetween bounds", f.Type), Input: -1}
	}
	return nil
}

func (c *AggregateCheck) expected() string {
	cfg := c.cfg
	switch cfg.Kind {
	case kindColSetEq:
		return fmt.Sprintf("columns = %v", cfg.Columns)
	case kindColSetHas:
		return fmt.Sprintf("columns include %v", cfg.Columns)
	case kindOfType:
		return "type " + cfg.Type
	case kindQuantiles:
		parts := make([]string, len(cfg.Quantiles))
		for i, q := range cfg.Quantiles {
			parts[i] = fmt.Sprintf("q%s %s", fmtNum(q.Q), bounds{Min: q.Min, Max: q.Max}.text())
		}
		return strings.Join(parts, "; ")
	}
	return cfg.Kind + " " + cfg.bounds.text()
}

// Evaluate implements kiln.Check.
func (c *AggregateCheck) Evaluate(ctx *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	if err := c.ValidateSchema(t.Schema()); err != nil {
		return kiln.CheckResult{}, err
	}
	cfg := c.cfg
	res := kiln.CheckResult{Check: cfg.checkName(cfg.Kind), Column: cfg.Column, Severity: cfg.severity(), Expected: c.expected(), ElementCount: t.NumRows()}
	switch cfg.Kind {
	case kindRowCount:
		obs := number{kind: 'i', i: t.NumRows()}
		res.Observed = obs.i
		ok, err := cfg.bounds.contains(obs, nil)
		res.Success = ok
		return res, err
	case kindColSetEq, kindColSetHas:
		return columnSet(res, t.Schema(), cfg), nil
	case kindOfType:
		f, _ := lookupField(t.Schema(), cfg.Column)
		got := canonicalType(f.Type)
		res.Observed = got
		res.Success = got == cfg.Type || f.Type.String() == cfg.Type
		return res, nil
	}
	col, err := newColumn(t, cfg.Column)
	if err != nil {
		return res, err
	}
	var obs number
	switch cfg.Kind {
	case kindMean, kindStddev, kindSum, kindMin, kindMax:
		s, err := summarize(ctx, col, cfg.Kind != kindMin && cfg.Kind != kindMax)
		if err != nil {
			return res, err
		}
		res.MissingCount, res.MissingPercent = s.nulls, percent(s.nulls, s.rows)
		obs = aggregateOf(cfg.Kind, &s, col.dom)
	case kindMedian, kindQuantiles:
		keys, err := sortedKeysOf(ctx, col)
		if err != nil {
			return res, err
		}
		res.MissingCount = col.n - int64(len(keys))
		res.MissingPercent = percent(res.MissingCount, col.n)
		if cfg.Kind == kindQuantiles {
			return quantiles(res, cfg, keys, col), nil
		}
		if len(keys) > 0 {
			lo, hi := stats.MedianIndexes(len(keys))
			a, b := keyNumber(col.dom, keys[lo]).float(), keyNumber(col.dom, keys[hi]).float()
			obs = floatNumber(a)
			if lo != hi {
				obs = floatNumber((a + b) / 2)
			}
		}
	case kindDistinct, kindPropUnique:
		count, missing, err := distinct(ctx, col)
		if err != nil {
			return res, err
		}
		res.MissingCount, res.MissingPercent = missing, percent(missing, col.n)
		obs = number{kind: 'i', i: count}
		if cfg.Kind == kindPropUnique {
			obs = number{}
			if nonnull := col.n - missing; nonnull > 0 {
				obs = floatNumber(float64(count) / float64(nonnull))
			}
		}
	}
	res.Observed = obs.json(col.typ)
	switch {
	case obs.null():
		res.Message = "no non-null values: the statistic is null"
	case obs.kind == 'f' && math.IsNaN(obs.f):
		res.Message = "the statistic is NaN"
	}
	res.Success, err = cfg.bounds.contains(obs, col.typ)
	return res, err
}

// aggregateOf picks a statistic out of a summary.
func aggregateOf(kind string, s *summary, d domain) number {
	if s.count() == 0 {
		return number{}
	}
	switch kind {
	case kindMean:
		m, _ := s.mean()
		return floatNumber(m)
	case kindStddev:
		if sd, ok := s.std(); ok {
			return floatNumber(sd)
		}
		return number{}
	case kindSum:
		switch d {
		case domInt:
			if v, ok := s.intSum(); ok {
				return number{kind: 'i', i: v}
			}
		case domUint:
			if v, ok := s.uintSum(); ok {
				return number{kind: 'u', u: v}
			}
		}
		m, _ := s.mean()
		if math.IsInf(m, 0) || math.IsNaN(m) {
			return floatNumber(m)
		}
		return floatNumber(s.finite.Sum)
	case kindMin, kindMax:
		return s.extreme(d, kind == kindMin)
	}
	return number{}
}

func quantiles(res kiln.CheckResult, cfg aggConfig, keys []uint64, col *column) kiln.CheckResult {
	qs := make([]float64, len(cfg.Quantiles))
	vals := make([]any, len(cfg.Quantiles))
	res.Success = len(keys) > 0
	for i, q := range cfg.Quantiles {
		qs[i] = q.Q
		if len(keys) == 0 {
			continue
		}
		n := keyNumber(col.dom, keys[stats.NearestRank(len(keys), q.Q)])
		vals[i] = n.json(col.typ)
		ok, _ := bounds{Min: q.Min, Max: q.Max}.contains(n, col.typ)
		res.Success = res.Success && ok
	}
	res.Observed = map[string]any{"quantiles": qs, "values": vals}
	if len(keys) == 0 {
		res.Message = "no non-null values: the quantiles are null"
	}
	return res
}

func columnSet(res kiln.CheckResult, s *arrow.Schema, cfg aggConfig) kiln.CheckResult {
	have := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		have[i] = f.Name
	}
	res.Observed = have
	var missing, extra []string
	for _, c := range cfg.Columns {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	if cfg.Kind == kindColSetEq {
		for _, h := range have {
			if !slices.Contains(cfg.Columns, h) {
				extra = append(extra, h)
			}
		}
	}
	res.Success = len(missing) == 0 && len(extra) == 0
	var msg []string
	if len(missing) > 0 {
		msg = append(msg, fmt.Sprintf("missing %q", missing))
	}
	if len(extra) > 0 {
		msg = append(msg, fmt.Sprintf("unexpected %q", extra))
	}
	res.Message = strings.Join(msg, "; ")
	return res
}
