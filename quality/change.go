package quality

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// CompareCheck compares the current partition with a reference (by default
// the previous committed partition; see Against): RowCountChange,
// NullRateChange, MeanShift, SchemaChange, and the drift checks PSI, KS and
// ChiSquare. Freshness, which compares with the run's logical time, is one
// too.
//
// When there is no reference yet (the first partition), or the reference
// has no profile of the column (it was committed before the check was
// added), the check passes and says so in its message. Each check records
// what the next partition will need in the current manifest (see
// ProfileKey and SummaryKey). Methods return a modified copy.
//
// Previous means the latest partition committed when the check runs. A
// Backfill may compute partitions concurrently, so run partitions in order
// (one Run at a time) when comparing with Previous matters, or compare with
// a Committed or Fixed reference.
type CompareCheck struct {
	cfg compareConfig
	err error
}

type compareConfig struct {
	common
	Kind       string    `json:"kind"`
	Column     string    `json:"column,omitempty"`
	Max        *float64  `json:"max,omitempty"`
	MinPValue  *float64  `json:"min_p_value,omitempty"`
	Stddevs    bool      `json:"stddevs,omitempty"`
	MaxLag     string    `json:"max_lag,omitempty"`
	AllowAdded bool      `json:"allow_added,omitempty"`
	Bins       int       `json:"bins,omitempty"`
	Reference  Reference `json:"reference"`
}

// Compare check kinds.
const (
	kindRowCountChange = "row_count_change"
	kindNullRateChange = "null_rate_change"
	kindMeanShift      = "mean_shift"
	kindFreshness      = "freshness"
	kindSchemaChange   = "schema_change"
	kindPSI            = "psi"
	kindKS             = "ks"
	kindChiSquare      = "chi_square"
)

// DefaultRowCountChange is the usual alert threshold for RowCountChange:
// more than 20% up or down.
const DefaultRowCountChange = 0.2

func newCompare(kind, column string, max float64) *CompareCheck {
	c := &CompareCheck{cfg: compareConfig{Kind: kind, Column: column, Max: ptr(max)}}
	c.err = checkBound(&c.cfg.Max, "threshold")
	if max < 0 {
		c.err = firstErr(c.err, fmt.Errorf("quality: %s threshold %v is negative", kind, max))
	}
	return c
}

// RowCountChange fails when the row count changed by more than maxFraction
// (0.2 = 20%, see DefaultRowCountChange) relative to the reference's. The
// observed value is the signed relative change.
func RowCountChange(maxFraction float64) *CompareCheck {
	return newCompare(kindRowCountChange, "", maxFraction)
}

// NullRateChange fails when the fraction of nulls in column moved by more
// than maxDelta (absolute, 0.01 = one percentage point) from the
// reference's. The observed value is the signed change.
func NullRateChange(column string, maxDelta float64) *CompareCheck {
	return newCompare(kindNullRateChange, column, maxDelta)
}

// MeanShift fails when the mean of the finite values of a numeric column
// moved by more than maxRelative times the reference's absolute mean (or, with
// InStddevs, by more than that many reference standard deviations). The
// observed value is the signed shift in those units.
func MeanShift(column string, maxRelative float64) *CompareCheck {
	return newCompare(kindMeanShift, column, maxRelative)
}

// Freshness fails when the latest value of a timestamp or date column is
// older than maxLag at the run's logical time (the end of the partition;
// see kiln.Context.Time): now − max(column) <= maxLag. Dates count from
// their midnight UTC. An empty column fails.
func Freshness(column string, maxLag time.Duration) *CompareCheck {
	c := &CompareCheck{cfg: compareConfig{Kind: kindFreshness, Column: column, MaxLag: maxLag.String()}}
	if maxLag < 0 {
		c.err = fmt.Errorf("quality: freshness bound %v is negative", maxLag)
	}
	return c
}

// SchemaChange fails when columns were added, removed or retyped compared
// with the reference's schema. The observed value lists them.
func SchemaChange() *CompareCheck {
	return &CompareCheck{cfg: compareConfig{Kind: kindSchemaChange}}
}

func (c *CompareCheck) with(f func(*CompareCheck)) *CompareCheck {
	d := *c
	f(&d)
	return &d
}

// Against sets the reference to compare with.
// Sequential implements kiln.Sequential: a check against the previous
// committed partition makes the engine run the node's partitions in order,
// so a backfill compares each partition with the one before it, never with
// whatever happened to commit first.
func (c *CompareCheck) Sequential() bool {
	return c.cfg.Kind != kindFreshness && c.cfg.Reference == Reference{}
}

// Against sets what the check compares with (default Previous()).
func (c *CompareCheck) Against(ref Reference) *CompareCheck {
	return c.with(func(d *CompareCheck) {
		d.cfg.Reference = ref
		d.err = firstErr(d.err, ref.validate())
		if d.cfg.Kind == kindFreshness {
			d.err = firstErr(d.err, fmt.Errorf("quality: freshness compares with the run's logical time, not a reference"))
		}
	})
}

// InStddevs makes MeanShift measure the shift in reference standard
// deviations instead of relative to the reference mean.
func (c *CompareCheck) InStddevs() *CompareCheck {
	return c.with(func(d *CompareCheck) {
		d.cfg.Stddevs = true
		if d.cfg.Kind != kindMeanShift {
			d.err = firstErr(d.err, fmt.Errorf("quality: InStddevs applies to mean_shift, not %s", d.cfg.Kind))
		}
	})
}

// AllowAdded lets SchemaChange pass when columns were only added.
func (c *CompareCheck) AllowAdded() *CompareCheck {
	return c.with(func(d *CompareCheck) {
		d.cfg.AllowAdded = true
		if d.cfg.Kind != kindSchemaChange {
			d.err = firstErr(d.err, fmt.Errorf("quality: AllowAdded applies to schema_change, not %s", d.cfg.Kind))
		}
	})
}

// Warn makes a failure a warning: recorded, and the run goes on.
func (c *CompareCheck) Warn() *CompareCheck {
	return c.with(func(d *CompareCheck) { d.cfg.Severity = kiln.SeverityWarn })
}

// Named sets the name results carry.
func (c *CompareCheck) Named(name string) *CompareCheck {
	return c.with(func(d *CompareCheck) { d.cfg.Name = name })
}

// Spec implements kiln.Check.
func (c *CompareCheck) Spec() kiln.Spec {
	return kiln.Spec{Name: "quality." + c.cfg.Kind, Version: specVersion, Config: c.cfg}
}

// ValidateSchema implements kiln.SchemaValidator.
func (c *CompareCheck) ValidateSchema(s *arrow.Schema) error {
	if c.err != nil {
		return c.err
	}
	var doms []domain
	switch c.cfg.Kind {
	case kindRowCountChange, kindSchemaChange:
		return nil
	case kindNullRateChange:
		doms = nil
	case kindMeanShift, kindPSI, kindKS:
		doms = []domain{domInt, domUint, domFloat}
	case kindChiSquare:
		doms = []domain{domInt, domUint, domString, domBool}
	case kindFreshness:
		f, err := lookupField(s, c.cfg.Column)
		if err != nil {
			return err
		}
		if id := f.Type.ID(); id != arrow.TIMESTAMP && id != arrow.DATE32 && id != arrow.DATE64 {
			return &kiln.SchemaError{Column: f.Name, Problem: fmt.Sprintf("has type %s, want a timestamp or date", f.Type), Input: -1}
		}
		return nil
	}
	_, err := lookupField(s, c.cfg.Column, doms...)
	return err
}

func (c *CompareCheck) expected(refDesc string) string {
	cfg := c.cfg
	var s string
	switch cfg.Kind {
	case kindRowCountChange:
		s = fmt.Sprintf("|row count change| <= %s%%", fmtNum(*cfg.Max*100))
	case kindNullRateChange:
		s = fmt.Sprintf("|null rate change| <= %s", fmtNum(*cfg.Max))
	case kindMeanShift:
		if cfg.Stddevs {
			s = fmt.Sprintf("|mean shift| <= %s stddevs", fmtNum(*cfg.Max))
		} else {
			s = fmt.Sprintf("|mean shift| <= %s%%", fmtNum(*cfg.Max*100))
		}
	case kindFreshness:
		return "lag <= " + cfg.MaxLag
	case kindSchemaChange:
		s = "same schema"
		if cfg.AllowAdded {
			s = "no column removed or retyped"
		}
	case kindPSI:
		s = fmt.Sprintf("PSI <= %s", fmtNum(*cfg.Max))
	case kindKS, kindChiSquare:
		var parts []string
		if cfg.Max != nil {
			parts = append(parts, "statistic <= "+fmtNum(*cfg.Max))
		}
		if cfg.MinPValue != nil {
			parts = append(parts, "p-value >= "+fmtNum(*cfg.MinPValue))
		}
		s = joinAnd(parts)
	}
	return s + " vs " + refDesc
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return "any"
	case 1:
		return parts[0]
	}
	return parts[0] + " and " + parts[1]
}

// Evaluate implements kiln.Check.
func (c *CompareCheck) Evaluate(ctx *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	if err := c.ValidateSchema(t.Schema()); err != nil {
		return kiln.CheckResult{}, err
	}
	cfg := c.cfg
	res := kiln.CheckResult{Check: cfg.checkName(cfg.Kind), Column: cfg.Column, Severity: cfg.severity(), ElementCount: t.NumRows()}
	if cfg.Kind == kindFreshness {
		return c.freshness(ctx, t, res)
	}
	// Record what the next partition needs first: it does not depend on
	// the reference.
	var cur profiled
	var col *column
	if cfg.Column != "" {
		var err error
		if col, err = newColumn(t, cfg.Column); err != nil {
			return res, err
		}
		full := cfg.Kind == kindPSI || cfg.Kind == kindKS || cfg.Kind == kindChiSquare
		if full {
			cur, err = profileColumn(ctx, col)
		} else {
			cur.ColumnProfile, err = summarizeColumn(ctx, col)
		}
		if err != nil {
			return res, err
		}
		if err := recordProfile(ctx, &cur.ColumnProfile, full); err != nil {
			return res, err
		}
		res.MissingCount, res.MissingPercent = cur.Nulls, percent(cur.Nulls, cur.Rows)
	}
	ref, desc, err := cfg.Reference.resolve(ctx)
	if err != nil {
		return res, err
	}
	res.Expected = c.expected(desc)
	if ref == nil {
		res.Success, res.Message = true, "no reference to compare with ("+desc+" not found)"
		return res, nil
	}
	var refCol *ColumnProfile
	if cfg.Column != "" {
		if refCol = ref.Column(cfg.Column); refCol == nil {
			res.Success, res.Message = true, fmt.Sprintf("the reference (%s) has no profile of column %q; this partition records one", desc, cfg.Column)
			return res, nil
		}
	}
	switch cfg.Kind {
	case kindRowCountChange:
		rowCountChange(&res, t.NumRows(), ref.Rows, *cfg.Max)
	case kindNullRateChange:
		rate := func(p *ColumnProfile) float64 { return ratio(p.Nulls, p.Rows) }
		d := rate(&cur.ColumnProfile) - rate(refCol)
		res.Observed = d
		res.Success = math.Abs(d) <= *cfg.Max
		res.Message = fmt.Sprintf("null rate %.4g%% vs %.4g%%", 100*rate(&cur.ColumnProfile), 100*rate(refCol))
	case kindMeanShift:
		meanShift(&res, &cur.ColumnProfile, refCol, cfg)
	case kindSchemaChange:
		schemaChange(&res, schemaOf(t.Schema()), ref.Schema, cfg.AllowAdded)
	case kindPSI:
		psiCheck(&res, &cur, refCol, cfg)
	case kindKS:
		ksCheck(&res, &cur, refCol, cfg)
	case kindChiSquare:
		err = chiSquareCheck(ctx, &res, col, refCol, cfg)
	}
	return res, err
}

func ratio(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

func rowCountChange(res *kiln.CheckResult, n, ref int64, max float64) {
	res.Message = fmt.Sprintf("%d rows vs %d", n, ref)
	if ref == 0 {
		res.Success = n == 0
		if n == 0 {
			res.Observed = 0.0
		} else {
			res.Observed = "+Inf"
			res.Message += ": the reference has no rows"
		}
		return
	}
	d := float64(n-ref) / float64(ref)
	res.Observed = d
	res.Success = math.Abs(d) <= max
}

func meanShift(res *kiln.CheckResult, cur, ref *ColumnProfile, cfg compareConfig) {
	if cur.Mean == nil || ref.Mean == nil {
		res.Message = "no finite values to take the mean of"
		if cur.Mean != nil {
			res.Success, res.Message = true, "the reference has no finite values; nothing to compare"
		}
		return
	}
	den := math.Abs(*ref.Mean)
	if cfg.Stddevs {
		den = 0
		if ref.Std != nil {
			den = *ref.Std
		}
	}
	d := *cur.Mean - *ref.Mean
	shift := d / den
	if d == 0 {
		shift = 0
	}
	res.Observed = jsonFloat(shift)
	res.Success = math.Abs(shift) <= *cfg.Max
	res.Message = fmt.Sprintf("mean %.6g vs %.6g", *cur.Mean, *ref.Mean)
}

func schemaChange(res *kiln.CheckResult, cur, ref []Field, allowAdded bool) {
	var added, removed []string
	var retyped []map[string]string
	for _, f := range cur {
		i := slices.IndexFunc(ref, func(g Field) bool { return g.Name == f.Name })
		switch {
		case i < 0:
			added = append(added, f.Name)
		case ref[i].Type != f.Type:
			retyped = append(retyped, map[string]string{"column": f.Name, "from": ref[i].Type, "to": f.Type})
		}
	}
	for _, g := range ref {
		if !slices.ContainsFunc(cur, func(f Field) bool { return f.Name == g.Name }) {
			removed = append(removed, g.Name)
		}
	}
	obs := map[string]any{}
	if len(added) > 0 {
		obs["added"] = added
	}
	if len(removed) > 0 {
		obs["removed"] = removed
	}
	if len(retyped) > 0 {
		obs["retyped"] = retyped
	}
	res.Observed = obs
	res.Success = len(removed) == 0 && len(retyped) == 0 && (allowAdded || len(added) == 0)
}

func (c *CompareCheck) freshness(ctx *kiln.Context, t arrow.Table, res kiln.CheckResult) (kiln.CheckResult, error) {
	res.Expected = c.expected("")
	col, err := newColumn(t, c.cfg.Column)
	if err != nil {
		return res, err
	}
	maxLag, err := time.ParseDuration(c.cfg.MaxLag)
	if err != nil {
		return res, fmt.Errorf("quality: freshness bound: %w", err)
	}
	s, err := summarize(ctx, col, false)
	if err != nil {
		return res, err
	}
	res.MissingCount, res.MissingPercent = s.nulls, percent(s.nulls, s.rows)
	if !s.has() {
		res.Message = "no non-null values: nothing is fresh"
		return res, nil
	}
	var latest time.Time
	switch dt := col.typ.(type) {
	case *arrow.TimestampType:
		latest = timeOf(dt, s.imax)
	case *arrow.Date32Type:
		latest = arrow.Date32(s.imax).ToTime()
	case *arrow.Date64Type:
		latest = arrow.Date64(s.imax).ToTime()
	}
	lag := ctx.Time().Sub(latest)
	res.Observed = map[string]any{"latest": latest.Format(time.RFC3339Nano), "lag": lag.String(), "lag_seconds": lag.Seconds()}
	res.Success = lag <= maxLag
	if lag < 0 {
		res.Message = fmt.Sprintf("the latest value is %v after the logical time %s", -lag, ctx.Time().Format(time.RFC3339))
	}
	return res, nil
}
