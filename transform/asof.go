package transform

import (
	"fmt"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
)

// AsOf configures an as-of join. It is plain data.
type AsOf struct {
	// By are the entity key columns, matched by equality as in InnerJoin
	// (a null key matches nothing). Empty: every left row may match every
	// right row.
	By []string `json:"by"`
	// RightBy names the right keys when they differ from By (paired in
	// order).
	RightBy []string `json:"right_by,omitempty"`
	// LeftTime and RightTime are the time columns: timestamps of any unit
	// or time zone, date32 or date64. They are compared as instants (a
	// date is its midnight UTC).
	LeftTime  string `json:"left_time"`
	RightTime string `json:"right_time"`
	// Tolerance, when positive, rejects matches older than the left time
	// minus Tolerance: the match must have right time >= left time -
	// Tolerance. Zero means no limit. It must be a whole number of the
	// finest unit of the time columns.
	Tolerance time.Duration `json:"tolerance,omitempty"`
	// RightOffset is added to every right time before comparing (the
	// output keeps the column as it is): with RightOffset = kiln.Day, a
	// feature row stamped with its day dt counts as known from dt + 1 day,
	// the end of that day. It must be a whole number of the finer unit.
	RightOffset time.Duration `json:"right_offset,omitempty"`
	// Strict requires right time < left time (else <=).
	Strict bool `json:"strict,omitempty"`
	// CreatedTime optionally names a right time column saying when each
	// right row was written (a timestamp or date, compared as an instant).
	// Of several right rows with the latest time, the one with the greatest
	// created time wins, then the last in right input order. A null created
	// time counts as the row's right time (plus RightOffset): the row was
	// written when it became known.
	CreatedTime string `json:"created_time,omitempty"`
	// ExcludeCreatedAfter skips right rows created after the left time (a
	// value backfilled later was not known then): the match is the latest
	// remaining row of the key, still within Tolerance. It needs
	// CreatedTime.
	ExcludeCreatedAfter bool `json:"exclude_created_after,omitempty"`
	// Suffix is appended to right column names that clash with left ones
	// ("" means "_right").
	Suffix string `json:"suffix,omitempty"`
}

// AsOfTransform is an as-of join. Create one with AsOfJoin.
type AsOfTransform struct {
	cfg AsOf
}

// AsOfJoin returns a transform joining each row of its left input (input
// 0) with the right (input 1) row of the same By keys whose time is the
// latest at or before the left row's time (strictly before with Strict),
// and not older than Tolerance. Of several right rows with that same
// latest time, the one with the greatest CreatedTime wins when it is set,
// then the last in right input order (as pandas' merge_asof): the order
// (right time, created time, right input row) is total, so the match is
// always a single, well-defined row. With ExcludeCreatedAfter, rows created
// after the left time are passed over.
//
// The output keeps every left row, once, in input order, with all left
// columns, followed by the right columns except the right keys (the right
// time column included), all nullable: they are null when no right row
// matches, or when the left key or time is null. Right rows with a null
// key or time never match. Right columns whose names clash with left ones
// get Suffix.
//
// This is the engine of point-in-time training sets: a label at time t sees
// only feature rows stamped at or before t, never the future (package
// feature builds its training sets with it). The right input is laid out
// once by key, time and created time (keys already in time order, as data
// arriving day by day is, are not sorted); each left row is then a binary
// search within its key.
func AsOfJoin(cfg AsOf) *AsOfTransform { return &AsOfTransform{cfg: cfg} }

// Spec implements kiln.Transform.
func (t *AsOfTransform) Spec() kiln.Spec {
	c := t.cfg
	if c.By == nil {
		c.By = []string{}
	}
	return spec("asof_join", "1", c)
}

type asofPlan struct {
	*joinPlan
	lt, rt, ct       int   // time column indexes (ct -1: no created time)
	lmul, rmul, cmul int64 // time unit multipliers to the common unit
	opt              kernels.AsOfOptions
	offset           int64 // right offset in the common unit
}

func (t *AsOfTransform) plan(in []*arrow.Schema) (*asofPlan, error) {
	c := t.cfg
	rightBy := c.RightBy
	if rightBy == nil {
		rightBy = c.By
	}
	suffix := c.Suffix
	if suffix == "" {
		suffix = "_right"
	}
	jp, err := planJoin("asof_join", in, c.By, rightBy, suffix, true)
	if err != nil {
		return nil, err
	}
	p := &asofPlan{joinPlan: jp, ct: -1}
	lt, lf, err := field(in[0], 0, c.LeftTime, timeTypes...)
	if err != nil {
		return nil, err
	}
	rt, rf, err := field(in[1], 1, c.RightTime, timeTypes...)
	if err != nil {
		return nil, err
	}
	units := []time.Duration{kernels.TimeUnit(lf.Type), kernels.TimeUnit(rf.Type)}
	p.lt, p.rt = lt, rt
	if c.CreatedTime != "" {
		ct, cf, err := field(in[1], 1, c.CreatedTime, timeTypes...)
		if err != nil {
			return nil, err
		}
		p.ct = ct
		units = append(units, kernels.TimeUnit(cf.Type))
	} else if c.ExcludeCreatedAfter {
		return nil, fmt.Errorf("transform.asof_join: ExcludeCreatedAfter needs CreatedTime")
	}
	for _, k := range jp.right {
		switch k {
		case rt:
			return nil, &kiln.SchemaError{Column: c.RightTime, Input: 1, Problem: "is both a key and the time column"}
		case p.ct:
			return nil, &kiln.SchemaError{Column: c.CreatedTime, Input: 1, Problem: "is both a key and the created time column"}
		}
	}
	u := slices.Min(units)
	p.lmul, p.rmul = int64(units[0]/u), int64(units[1]/u)
	if p.ct >= 0 {
		p.cmul = int64(units[2] / u)
	}
	if c.Tolerance < 0 {
		return nil, fmt.Errorf("transform.asof_join: negative tolerance %s", c.Tolerance)
	}
	p.opt = kernels.AsOfOptions{Strict: c.Strict, ExcludeCreatedAfter: c.ExcludeCreatedAfter}
	if p.opt.Tolerance, err = unitsOf(c.Tolerance, u, "tolerance"); err != nil {
		return nil, fmt.Errorf("transform.asof_join: %w", err)
	}
	if p.offset, err = unitsOf(c.RightOffset, u, "right offset"); err != nil {
		return nil, fmt.Errorf("transform.asof_join: %w", err)
	}
	return p, nil
}

// OutputSchema implements kiln.Transform.
func (t *AsOfTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	p, err := t.plan(in)
	if err != nil {
		return nil, err
	}
	return p.schema, nil
}

// Apply implements kiln.Transform.
func (t *AsOfTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	p, ri, err := t.match(ctx, in)
	if err != nil {
		return nil, err
	}
	return joinOutput(ctx, p.joinPlan, in[0], in[1], nil, ri)
}

// Match returns, for each row of left, the index of the right row it is
// joined with (-1: none): the rows Apply gathers. It serves callers that
// assemble their own output from the same match (package feature's
// training sets). The tables need only the columns the config names.
func (t *AsOfTransform) Match(ctx *kiln.Context, left, right arrow.Table) ([]int32, error) {
	_, ri, err := t.match(ctx, []arrow.Table{left, right})
	return ri, err
}

func (t *AsOfTransform) match(ctx *kiln.Context, in []arrow.Table) (*asofPlan, []int32, error) {
	p, err := t.plan(schemasOf(in))
	if err != nil {
		return nil, nil, err
	}
	nl, nr := int(in[0].NumRows()), int(in[1].NumRows())
	if err := kernels.CheckRows(nl + nr); err != nil {
		return nil, nil, fmt.Errorf("transform.asof_join: %w", err)
	}
	ri, err := asofMatch(ctx, p, in[0], in[1])
	if err != nil {
		return nil, nil, fmt.Errorf("transform.asof_join: %w", err)
	}
	return p, ri, nil
}

// asofMatch returns, per left row, its matching right row or -1.
func asofMatch(ctx *kiln.Context, p *asofPlan, left, right arrow.Table) ([]int32, error) {
	nl, nr := int(left.NumRows()), int(right.NumRows())
	var ids []int32
	var nullKey []bool
	ngroups := 1
	if len(p.left) > 0 {
		g, err := joinGroups(left, right, p.left, p.right)
		if err != nil {
			return nil, err
		}
		ids, nullKey, ngroups = g.IDs, g.NullKey, g.N
	} else {
		ids = make([]int32, nl+nr)
	}
	r := kernels.AsOfRight{IDs: ids[nl:], N: ngroups, Time: kernels.NewCol(right.Column(p.rt).Data()), TimeMul: p.rmul, Offset: p.offset}
	if nullKey != nil {
		r.KeyNull = nullKey[nl:]
	}
	if p.ct >= 0 {
		c := kernels.NewCol(right.Column(p.ct).Data())
		r.Created, r.CreatedMul = &c, p.cmul
	}
	ix := kernels.NewAsOfIndex(r)

	ltc := kernels.NewCol(left.Column(p.lt).Data())
	skip := ltc.NullMask()
	if nullKey != nil {
		if skip == nil {
			skip = nullKey[:nl]
		} else {
			for i, k := range nullKey[:nl] {
				skip[i] = skip[i] || k
			}
		}
	}
	return ix.Match(ctx, ids[:nl], kernels.Int64s(ltc, p.lmul), skip, p.opt)
}

// ColumnLineage implements kiln.ColumnLineager: each column comes from its
// side; every column depends indirectly on the keys and time columns
// (the created time included).
func (t *AsOfTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	p, err := t.plan(in)
	if err != nil {
		return nil, err
	}
	rightBy := t.cfg.RightBy
	if rightBy == nil {
		rightBy = t.cfg.By
	}
	rind := append(append([]string(nil), rightBy...), t.cfg.RightTime)
	if t.cfg.CreatedTime != "" {
		rind = append(rind, t.cfg.CreatedTime)
	}
	ind := append(indirect(0, append(append([]string(nil), t.cfg.By...), t.cfg.LeftTime), "JOIN"), indirect(1, rind, "JOIN")...)
	return p.lineage(in, ind), nil
}
