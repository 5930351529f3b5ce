package quality

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// ColumnCheck is a check on every value of a column (a Great Expectations
// "column map" expectation): NotNull, Unique, Between, InSet, MatchesRegex
// and the others built by this package's functions. Nulls are never
// unexpected except for NotNull; the unexpected percentage is of the
// non-null values; the check passes when the expected fraction of non-null
// values is at least Mostly (1 unless set).
//
// Methods return a modified copy, so a check can be shared and refined:
//
//	quality.Between("amount", 0, 1e6).Mostly(0.99).Warn()
type ColumnCheck struct {
	cfg columnConfig
	re  *regexp.Regexp
	err error
}

// columnConfig is a column check's config: plain data, hashed into the
// node's fingerprint.
type columnConfig struct {
	common
	bounds
	Kind     string   `json:"kind"`
	Column   string   `json:"column,omitempty"`
	Columns  []string `json:"columns,omitempty"`
	Mostly   float64  `json:"mostly"`
	Strictly bool     `json:"strictly,omitempty"`
	Set      []any    `json:"set,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
}

// Column check kinds (the Kind of their config and their default name).
const (
	kindNotNull        = "not_null"
	kindUnique         = "unique"
	kindCompoundUnique = "compound_unique"
	kindBetween        = "between"
	kindInSet          = "in_set"
	kindNotInSet       = "not_in_set"
	kindMatchRegex     = "matches_regex"
	kindNotMatchRegex  = "not_matches_regex"
	kindLengths        = "value_lengths_between"
	kindIncreasing     = "increasing"
	kindDecreasing     = "decreasing"
)

func newColumnCheck(kind, col string) *ColumnCheck {
	return &ColumnCheck{cfg: columnConfig{Kind: kind, Column: col, Mostly: 1}}
}

// NotNull expects no nulls in column (expect_column_values_to_not_be_null).
// Unlike every other column check, its unexpected percentage is of all rows.
// NaN is a value, not a null.
func NotNull(column string) *ColumnCheck { return newColumnCheck(kindNotNull, column) }

// Unique expects no value of column to appear twice
// (expect_column_values_to_be_unique). Every copy of a duplicated value is
// unexpected, the first included; nulls are ignored; NaN equals NaN and
// -0 equals +0. Quarantining a Unique failure therefore diverts all copies
// (use a dedupe transform to keep one).
func Unique(column string) *ColumnCheck { return newColumnCheck(kindUnique, column) }

// UniqueTogether expects no combination of values of columns to appear twice
// (expect_compound_columns_to_be_unique). Rows where every column is null
// are ignored (they count as missing); otherwise null equals null. Every
// copy of a duplicated combination is unexpected.
func UniqueTogether(columns ...string) *ColumnCheck {
	c := newColumnCheck(kindCompoundUnique, "")
	c.cfg.Columns = append([]string(nil), columns...)
	if len(columns) == 0 {
		c.err = fmt.Errorf("quality: UniqueTogether needs at least one column")
	}
	return c
}

// Between expects numeric values in [min, max]
// (expect_column_values_to_be_between), inclusive unless StrictMin,
// StrictMax or Strict is set. An infinite bound leaves that side open (see
// AtLeast and AtMost). NaN is never in range. For integer columns the
// comparison is exact.
func Between(column string, min, max float64) *ColumnCheck {
	c := newColumnCheck(kindBetween, column)
	c.cfg.Min, c.cfg.Max = ptr(min), ptr(max)
	c.err = c.cfg.bounds.check()
	return c
}

// AtLeast expects numeric values >= min (Between with an open upper side).
func AtLeast(column string, min float64) *ColumnCheck { return Between(column, min, math.Inf(1)) }

// AtMost expects numeric values <= max (Between with an open lower side).
func AtMost(column string, max float64) *ColumnCheck { return Between(column, math.Inf(-1), max) }

// TimeBetween expects timestamp or date values in [min, max]; a zero time
// leaves that side open. Dates compare at midnight UTC.
func TimeBetween(column string, min, max time.Time) *ColumnCheck {
	c := newColumnCheck(kindBetween, column)
	if !min.IsZero() {
		c.cfg.MinTime = ptr(min.UTC())
	}
	if !max.IsZero() {
		c.cfg.MaxTime = ptr(max.UTC())
	}
	return c
}

// SetValue is a type a value set can hold.
type SetValue interface {
	~string | ~bool | ~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// InSet expects every value of column to be one of values
// (expect_column_values_to_be_in_set). Strings match string columns, bools
// bool columns, numbers numeric columns (by numeric value).
func InSet[T SetValue](column string, values ...T) *ColumnCheck {
	c := newColumnCheck(kindInSet, column)
	c.cfg.Set, c.err = setValues(values)
	return c
}

// NotInSet expects no value of column to be one of values
// (expect_column_values_to_not_be_in_set).
func NotInSet[T SetValue](column string, values ...T) *ColumnCheck {
	c := newColumnCheck(kindNotInSet, column)
	c.cfg.Set, c.err = setValues(values)
	return c
}

// MatchesRegex expects every string of column to contain a match of the Go
// regular expression pattern (expect_column_values_to_match_regex; search
// semantics like Python's re.search: anchor with ^ and $ to match whole
// values).
func MatchesRegex(column, pattern string) *ColumnCheck {
	return regexCheck(kindMatchRegex, column, pattern)
}

// NotMatchesRegex expects no string of column to contain a match of pattern
// (expect_column_values_to_not_match_regex).
func NotMatchesRegex(column, pattern string) *ColumnCheck {
	return regexCheck(kindNotMatchRegex, column, pattern)
}

func regexCheck(kind, column, pattern string) *ColumnCheck {
	c := newColumnCheck(kind, column)
	c.cfg.Pattern = pattern
	re, err := regexp.Compile(pattern)
	if err != nil {
		c.err = fmt.Errorf("quality: %s pattern: %w", kind, err)
	}
	c.re = re
	return c
}

// ValueLengthsBetween expects string lengths, in Unicode code points (like
// Python's len), in [min, max] (expect_column_value_lengths_to_be_between);
// a negative bound leaves that side open.
func ValueLengthsBetween(column string, min, max int) *ColumnCheck {
	c := newColumnCheck(kindLengths, column)
	if min >= 0 {
		c.cfg.Min = ptr(float64(min))
	}
	if max >= 0 {
		c.cfg.Max = ptr(float64(max))
	}
	return c
}

// Increasing expects each non-null value to be >= the previous non-null
// value in row order (> with Strict) (expect_column_values_to_be_increasing).
// The first value always passes; NaN is unexpected and is not compared with.
func Increasing(column string) *ColumnCheck { return newColumnCheck(kindIncreasing, column) }

// Decreasing is Increasing with the order reversed
// (expect_column_values_to_be_decreasing).
func Decreasing(column string) *ColumnCheck { return newColumnCheck(kindDecreasing, column) }

func (c *ColumnCheck) with(f func(*ColumnCheck)) *ColumnCheck {
	d := *c
	f(&d)
	return &d
}

// Mostly sets the fraction of non-null values that must pass, in [0, 1]
// (Great Expectations' mostly). The check passes when
// (nonnull − unexpected)/nonnull >= fraction.
func (c *ColumnCheck) Mostly(fraction float64) *ColumnCheck {
	return c.with(func(d *ColumnCheck) {
		d.cfg.Mostly = fraction
		if !(fraction >= 0 && fraction <= 1) {
			d.err = firstErr(d.err, fmt.Errorf("quality: mostly %v is outside [0, 1]", fraction))
		}
	})
}

// Warn makes a failure a warning: recorded, and the run goes on.
func (c *ColumnCheck) Warn() *ColumnCheck {
	return c.with(func(d *ColumnCheck) { d.cfg.Severity = kiln.SeverityWarn })
}

// Quarantine makes a failure divert the unexpected rows to the node's
// quarantine dataset (with this check's name and the reason) while the
// other rows go on. Null rows are not unexpected (except for NotNull): pair
// with NotNull(...).Quarantine() to divert them too. A check that passes
// thanks to Mostly quarantines nothing.
func (c *ColumnCheck) Quarantine() *ColumnCheck {
	return c.with(func(d *ColumnCheck) { d.cfg.Severity = kiln.SeverityQuarantine })
}

// Named sets the name results and quarantined rows carry (the kind, such as
// "between", by default).
func (c *ColumnCheck) Named(name string) *ColumnCheck {
	return c.with(func(d *ColumnCheck) { d.cfg.Name = name })
}

// Strict makes Between exclusive at both bounds, ValueLengthsBetween
// likewise, and Increasing/Decreasing strict.
func (c *ColumnCheck) Strict() *ColumnCheck {
	return c.with(func(d *ColumnCheck) {
		switch d.cfg.Kind {
		case kindBetween, kindLengths:
			d.cfg.StrictMin, d.cfg.StrictMax = true, true
		case kindIncreasing, kindDecreasing:
			d.cfg.Strictly = true
		default:
			d.err = firstErr(d.err, fmt.Errorf("quality: Strict does not apply to %s", d.cfg.Kind))
		}
	})
}

// StrictMin makes Between (or ValueLengthsBetween) exclude its lower bound.
func (c *ColumnCheck) StrictMin() *ColumnCheck {
	return c.with(func(d *ColumnCheck) {
		d.cfg.StrictMin = true
		if d.cfg.Kind != kindBetween && d.cfg.Kind != kindLengths {
			d.err = firstErr(d.err, fmt.Errorf("quality: StrictMin does not apply to %s", d.cfg.Kind))
		}
	})
}

// StrictMax makes Between (or ValueLengthsBetween) exclude its upper bound.
func (c *ColumnCheck) StrictMax() *ColumnCheck {
	return c.with(func(d *ColumnCheck) {
		d.cfg.StrictMax = true
		if d.cfg.Kind != kindBetween && d.cfg.Kind != kindLengths {
			d.err = firstErr(d.err, fmt.Errorf("quality: StrictMax does not apply to %s", d.cfg.Kind))
		}
	})
}

// Spec implements kiln.Check.
func (c *ColumnCheck) Spec() kiln.Spec {
	return kiln.Spec{Name: "quality." + c.cfg.Kind, Version: specVersion, Config: c.cfg}
}

// ValidateSchema implements kiln.SchemaValidator: the column must exist with
// a type the check supports, and the check's own settings must be valid.
func (c *ColumnCheck) ValidateSchema(s *arrow.Schema) error {
	if c.err != nil {
		return c.err
	}
	if c.cfg.Kind == kindCompoundUnique {
		for _, col := range c.cfg.Columns {
			if _, err := lookupField(s, col, domInt, domUint, domFloat, domString, domBool); err != nil {
				return err
			}
		}
		return nil
	}
	f, err := lookupField(s, c.cfg.Column, c.domains()...)
	if err != nil {
		return err
	}
	return c.validateType(f)
}

// domains returns the column domains a kind supports (all when none).
func (c *ColumnCheck) domains() []domain {
	switch c.cfg.Kind {
	case kindNotNull:
		return nil
	case kindUnique:
		return []domain{domInt, domUint, domFloat, domString, domBool}
	case kindBetween, kindIncreasing, kindDecreasing:
		return []domain{domInt, domUint, domFloat}
	case kindInSet, kindNotInSet:
		return []domain{domInt, domUint, domFloat, domString, domBool}
	case kindMatchRegex, kindNotMatchRegex, kindLengths:
		return []domain{domString}
	}
	return nil
}

// validateType checks type-specific settings against the column's type.
func (c *ColumnCheck) validateType(f arrow.Field) error {
	switch c.cfg.Kind {
	case kindBetween:
		timeBounds := c.cfg.MinTime != nil || c.cfg.MaxTime != nil
		isTime := f.Type.ID() == arrow.TIMESTAMP || f.Type.ID() == arrow.DATE32 || f.Type.ID() == arrow.DATE64
		if timeBounds && !isTime {
			return &kiln.SchemaError{Column: f.Name, Problem: fmt.Sprintf("has type %s, want a timestamp or date for time bounds", f.Type), Input: -1}
		}
		if !timeBounds && temporal(f.Type) {
			return &kiln.SchemaError{Column: f.Name, Problem: fmt.Sprintf("has type %s: use TimeBetween for temporal columns", f.Type), Input: -1}
		}
	case kindInSet, kindNotInSet:
		_, err := newValueSet(c.cfg.Set, domainOf(f.Type))
		if err != nil {
			return &kiln.SchemaError{Column: f.Name, Problem: err.Error(), Input: -1}
		}
		if temporal(f.Type) {
			return &kiln.SchemaError{Column: f.Name, Problem: fmt.Sprintf("has type %s: value sets hold numbers, strings or bools", f.Type), Input: -1}
		}
	}
	return nil
}

// expected describes the expectation in words.
func (c *ColumnCheck) expected(dt arrow.DataType) string {
	cfg := c.cfg
	var s string
	switch cfg.Kind {
	case kindNotNull:
		s = "not null"
	case kindUnique:
		s = "unique"
	case kindCompoundUnique:
		s = fmt.Sprintf("%q unique together", cfg.Columns)
	case kindBetween:
		s = cfg.bounds.text()
	case kindInSet:
		s = "in " + setText(cfg.Set)
	case kindNotInSet:
		s = "not in " + setText(cfg.Set)
	case kindMatchRegex:
		s = fmt.Sprintf("matches /%s/", cfg.Pattern)
	case kindNotMatchRegex:
		s = fmt.Sprintf("does not match /%s/", cfg.Pattern)
	case kindLengths:
		s = "length " + cfg.bounds.text()
	case kindIncreasing, kindDecreasing:
		s = cfg.Kind
		if cfg.Strictly {
			s = "strictly " + s
		}
	}
	return s + mostlyText(cfg.Mostly)
}

// Evaluate implements kiln.Check.
func (c *ColumnCheck) Evaluate(ctx *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	if err := c.ValidateSchema(t.Schema()); err != nil {
		return kiln.CheckResult{}, err
	}
	res := kiln.CheckResult{Check: c.cfg.checkName(c.cfg.Kind), Column: c.cfg.Column, Columns: c.cfg.Columns, Severity: c.cfg.severity()}
	collect := res.Severity == kiln.SeverityQuarantine
	var out outcome
	var col *column
	var err error
	if c.cfg.Kind == kindCompoundUnique {
		out, err = compoundUnique(ctx, t, c.cfg.Columns, collect)
		res.Expected = c.expected(nil)
	} else {
		if col, err = newColumn(t, c.cfg.Column); err != nil {
			return res, err
		}
		res.Expected = c.expected(col.typ)
		switch c.cfg.Kind {
		case kindNotNull:
			out, err = evalNotNull(ctx, col, collect)
		case kindUnique:
			out, err = uniqueRows(ctx, col, collect)
		case kindIncreasing, kindDecreasing:
			out, err = evalMonotone(ctx, col, c.cfg.Strictly, c.cfg.Kind == kindDecreasing, collect)
		default:
			var m marker
			if m, err = c.marker(col); err == nil {
				out, err = evalMap(ctx, col, m, collect)
			}
		}
	}
	if err != nil {
		return res, err
	}
	finishMap(&res, t.NumRows(), out.missing, out.unexpected, c.cfg.Mostly, c.cfg.Kind == kindNotNull)
	res.Unexpected = out.sampleValues(t, col, c.cfg.Columns)
	if collect {
		res.FailedRows = out.rows
	}
	return res, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
