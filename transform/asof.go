package transform

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
	"github.com/kiln-data/kiln/internal/par"
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
	// finer of the two time columns' units.
	Tolerance time.Duration `json:"tolerance,omitempty"`
	// RightOffset is added to every right time before comparing (the
	// output keeps the column as it is): with RightOffset = kiln.Day, a
	// feature row stamped with its day dt counts as known from dt + 1 day,
	// the end of that day. It must be a whole number of the finer unit.
	RightOffset time.Duration `json:"right_offset,omitempty"`
	// Strict requires right time < left time (else <=).
	Strict bool `json:"strict,omitempty"`
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
// latest time, the last in right input order wins (as pandas' merge_asof):
// the match is always a single, well-defined row.
//
// The output keeps every left row, once, in input order, with all left
// columns, followed by the right columns except the right keys (the right
// time column included), all nullable: they are null when no right row
// matches, or when the left key or time is null. Right rows with a null
// key or time never match. Right columns whose names clash with left ones
// get Suffix.
//
// This is the engine of point-in-time training sets: a label at time t sees
// only feature rows stamped at or before t, never the future. The right
// input is sorted once by keys and time; each left row is a binary search.
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
	lt, rt     int   // time column indexes
	lmul, rmul int64 // time unit multipliers to the common unit
	tol        int64 // tolerance in the common unit (0: none)
	offset     int64 // right offset in the common unit
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
	p := &asofPlan{joinPlan: jp}
	lt, lf, err := field(in[0], 0, c.LeftTime, timeTypes...)
	if err != nil {
		return nil, err
	}
	rt, rf, err := field(in[1], 1, c.RightTime, timeTypes...)
	if err != nil {
		return nil, err
	}
	for _, k := range jp.right {
		if k == rt {
			return nil, &kiln.SchemaError{Column: c.RightTime, Input: 1, Problem: "is both a key and the time column"}
		}
	}
	p.lt, p.rt = lt, rt
	lu, ru := timeUnit(lf.Type), timeUnit(rf.Type)
	u := min(lu, ru)
	p.lmul, p.rmul = int64(lu/u), int64(ru/u)
	if c.Tolerance < 0 {
		return nil, fmt.Errorf("transform.asof_join: negative tolerance %s", c.Tolerance)
	}
	if p.tol, err = unitsOf(c.Tolerance, u, "tolerance"); err != nil {
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
	p, err := t.plan(schemasOf(in))
	if err != nil {
		return nil, err
	}
	left, right := in[0], in[1]
	nl, nr := int(left.NumRows()), int(right.NumRows())
	if err := kernels.CheckRows(nl + nr); err != nil {
		return nil, fmt.Errorf("transform.asof_join: %w", err)
	}
	ri, err := asofMatch(ctx, p, left, right, t.cfg.Strict)
	if err != nil {
		return nil, fmt.Errorf("transform.asof_join: %w", err)
	}
	return joinOutput(ctx, p.joinPlan, left, right, nil, ri)
}

// asofMatch returns, per left row, its matching right row or -1.
func asofMatch(ctx *kiln.Context, p *asofPlan, left, right arrow.Table, strict bool) ([]int32, error) {
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
	ltc := kernels.NewCol(left.Column(p.lt).Data())
	rtc := kernels.NewCol(right.Column(p.rt).Data())
	lt := kernels.Int64s(ltc, p.lmul)
	rt := kernels.Int64s(rtc, p.rmul)
	if p.offset != 0 {
		for i, v := range rt {
			rt[i] = kernels.SatAdd(v, p.offset)
		}
	}
	rnull := rtc.NullMask()

	// Usable right rows, laid out by group, then time, then input order.
	use := make([]bool, nr)
	for i := range use {
		use[i] = (nullKey == nil || !nullKey[nl+i]) && (rnull == nil || !rnull[i])
	}
	o := kernels.OrderByEntity(ids[nl:], ngroups, rt, use)
	rows, times, start := o.Rows, o.Times, o.Start

	lnull := ltc.NullMask()
	ri := make([]int32, nl)
	rs := par.Ranges(nl, par.ChunkRows)
	err := par.Do(ctx, len(rs), func(c int) error {
		for i := rs[c][0]; i < rs[c][1]; i++ {
			ri[i] = -1
			if (nullKey != nil && nullKey[i]) || (lnull != nil && lnull[i]) {
				continue
			}
			g := ids[i]
			lo, hi := int(start[g]), int(start[g+1])
			if lo == hi {
				continue
			}
			tl := lt[i]
			// First position in [lo, hi) with time > tl (>= tl if strict).
			a, b := lo, hi
			for a < b {
				m := int(uint(a+b) >> 1)
				if times[m] < tl || (!strict && times[m] == tl) {
					a = m + 1
				} else {
					b = m
				}
			}
			k := a - 1
			if k < lo {
				continue
			}
			if p.tol > 0 && times[k] < kernels.SatAdd(tl, -p.tol) {
				continue
			}
			ri[i] = rows[k]
		}
		return nil
	})
	return ri, err
}

// ColumnLineage implements kiln.ColumnLineager: each column comes from its
// side; every column depends indirectly on the keys and time columns.
func (t *AsOfTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	p, err := t.plan(in)
	if err != nil {
		return nil, err
	}
	rightBy := t.cfg.RightBy
	if rightBy == nil {
		rightBy = t.cfg.By
	}
	ind := append(indirect(0, append(append([]string(nil), t.cfg.By...), t.cfg.LeftTime), "JOIN"),
		indirect(1, append(append([]string(nil), rightBy...), t.cfg.RightTime), "JOIN")...)
	return p.lineage(in, ind), nil
}
