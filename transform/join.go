package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/kernels"
	"github.com/kiln-data/kiln/internal/par"
)

// JoinTransform is a hash join of two inputs, left (input 0) and right
// (input 1). Create one with InnerJoin or LeftJoin.
type JoinTransform struct {
	cfg joinConfig
}

type joinConfig struct {
	Kind    string   `json:"kind"`
	LeftOn  []string `json:"left_on"`
	RightOn []string `json:"right_on"`
	Suffix  string   `json:"suffix"`
}

// InnerJoin returns a transform joining its two inputs on equal values of
// the columns on (present in both; use RightOn when the right names
// differ). The output has every left column, then every right column but
// the right keys; a right column whose name is already taken gets the
// suffix "_right" (see Suffix).
//
// Output order: left rows in input order; a left row matching several right
// rows is repeated once per match, in right input order. Left rows without a
// match are dropped. Keys match as SQL's = does: a null key never matches
// anything; floats compare numerically (NaN matches NaN, -0 matches +0).
// Key columns must have the same types on both sides.
func InnerJoin(on ...string) *JoinTransform {
	return &JoinTransform{cfg: joinConfig{Kind: "inner", LeftOn: on, RightOn: on, Suffix: "_right"}}
}

// LeftJoin is InnerJoin keeping left rows without a match, once, with null
// right columns (so the right columns are all nullable). When every left row
// matches at most one right row, the output has exactly the left rows in
// input order.
func LeftJoin(on ...string) *JoinTransform {
	j := InnerJoin(on...)
	j.cfg.Kind = "left"
	return j
}

// RightOn returns the join with different names for the right keys, paired
// in order with the left keys.
func (j *JoinTransform) RightOn(cols ...string) *JoinTransform {
	c := *j
	c.cfg.RightOn = cols
	return &c
}

// Suffix returns the join with suffix appended to the names of right columns
// that clash with left ones.
func (j *JoinTransform) Suffix(suffix string) *JoinTransform {
	c := *j
	c.cfg.Suffix = suffix
	return &c
}

// Spec implements kiln.Transform.
func (j *JoinTransform) Spec() kiln.Spec {
	return spec(j.cfg.Kind+"_join", "1", j.cfg)
}

// joinPlan is a resolved join: key indexes and the right columns kept.
type joinPlan struct {
	left, right []int // key column indexes
	keep        []int // right columns in the output
	schema      *arrow.Schema
}

// planJoin resolves keys and builds the output schema of a join-like
// transform: left fields, then right fields other than the right keys
// (nullable when rightNullable), renamed with suffix on a clash.
func planJoin(name string, in []*arrow.Schema, leftOn, rightOn []string, suffix string, rightNullable bool) (*joinPlan, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("transform.%s takes 2 inputs (left, right), got %d", name, len(in))
	}
	if len(leftOn) != len(rightOn) {
		return nil, fmt.Errorf("transform.%s: %d left keys and %d right keys", name, len(leftOn), len(rightOn))
	}
	p := &joinPlan{}
	var lf, rf []arrow.Field
	var err error
	if p.left, lf, err = keyFields(in[0], 0, leftOn); err != nil {
		return nil, err
	}
	if p.right, rf, err = keyFields(in[1], 1, rightOn); err != nil {
		return nil, err
	}
	for i := range lf {
		if !arrow.TypeEqual(lf[i].Type, rf[i].Type) {
			return nil, &kiln.SchemaError{Column: rightOn[i], Input: 1,
				Problem: fmt.Sprintf("has type %s but left key %q has type %s (cast one side)", rf[i].Type, leftOn[i], lf[i].Type)}
		}
	}
	fields := append([]arrow.Field(nil), in[0].Fields()...)
	taken := map[string]bool{}
	for _, f := range fields {
		taken[f.Name] = true
	}
	isKey := map[int]bool{}
	for _, k := range p.right {
		isKey[k] = true
	}
	for i, f := range in[1].Fields() {
		if isKey[i] {
			continue
		}
		if taken[f.Name] {
			f.Name += suffix
			if taken[f.Name] {
				return nil, &kiln.SchemaError{Column: f.Name, Input: 1, Problem: "right column clashes with a left column even with the suffix"}
			}
		}
		taken[f.Name] = true
		if rightNullable {
			f.Nullable = true
		}
		fields = append(fields, f)
		p.keep = append(p.keep, i)
	}
	p.schema = arrow.NewSchema(fields, nil)
	return p, nil
}

func (j *JoinTransform) plan(in []*arrow.Schema) (*joinPlan, error) {
	if j.cfg.Kind != "inner" && j.cfg.Kind != "left" {
		return nil, fmt.Errorf("transform.join: kind %q, want inner or left", j.cfg.Kind)
	}
	if len(j.cfg.LeftOn) == 0 {
		return nil, fmt.Errorf("transform.%s_join: no key columns", j.cfg.Kind)
	}
	return planJoin(j.cfg.Kind+"_join", in, j.cfg.LeftOn, j.cfg.RightOn, j.cfg.Suffix, j.cfg.Kind == "left")
}

// OutputSchema implements kiln.Transform.
func (j *JoinTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	p, err := j.plan(in)
	if err != nil {
		return nil, err
	}
	return p.schema, nil
}

// joinGroups groups the keys of both sides together: ids[:nl] are the left
// rows' groups, ids[nl:] the right rows'; null[i] marks rows with a null key.
func joinGroups(left, right arrow.Table, lk, rk []int) (*kernels.Groups, error) {
	lc, rc := tableCols(left), tableCols(right)
	keys := make([]kernels.Col, len(lk))
	for i := range lk {
		c, err := kernels.Concat(lc[lk[i]], rc[rk[i]])
		if err != nil {
			return nil, err
		}
		keys[i] = c
	}
	return kernels.Group(keys)
}

// Apply implements kiln.Transform.
func (j *JoinTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	p, err := j.plan(schemasOf(in))
	if err != nil {
		return nil, err
	}
	left, right := in[0], in[1]
	if err := checkRows(left); err != nil {
		return nil, fmt.Errorf("transform.join: left: %w", err)
	}
	if err := checkRows(right); err != nil {
		return nil, fmt.Errorf("transform.join: right: %w", err)
	}
	nl, nr := int(left.NumRows()), int(right.NumRows())
	if err := kernels.CheckRows(nl + nr); err != nil {
		return nil, fmt.Errorf("transform.join: %w", err)
	}
	g, err := joinGroups(left, right, p.left, p.right)
	if err != nil {
		return nil, fmt.Errorf("transform.join: %w", err)
	}
	// The right rows of each group, in input order (CSR layout).
	start := make([]int32, g.N+1)
	for i := nl; i < nl+nr; i++ {
		if g.NullKey == nil || !g.NullKey[i] {
			start[g.IDs[i]+1]++
		}
	}
	for k := range g.N {
		start[k+1] += start[k]
	}
	rows := make([]int32, start[g.N])
	pos := append([]int32(nil), start[:g.N]...)
	for i := nl; i < nl+nr; i++ {
		if g.NullKey == nil || !g.NullKey[i] {
			id := g.IDs[i]
			rows[pos[id]] = int32(i - nl)
			pos[id]++
		}
	}
	li, ri, err := probe(ctx, g, nl, start, rows, j.cfg.Kind == "left")
	if err != nil {
		return nil, err
	}
	return joinOutput(ctx, p, left, right, li, ri)
}

// probe pairs each left row with its right rows: left row li[k] with right
// row ri[k] (-1: none). Chunks of left rows are probed in parallel and
// concatenated in chunk order.
func probe(ctx *kiln.Context, g *kernels.Groups, nl int, start, rows []int32, keepUnmatched bool) ([]int32, []int32, error) {
	rs := par.Ranges(nl, par.ChunkRows)
	counts := make([]int, len(rs)+1)
	matches := func(i int) (int32, int32) {
		if g.NullKey != nil && g.NullKey[i] {
			return 0, 0
		}
		id := g.IDs[i]
		return start[id], start[id+1]
	}
	err := par.Do(ctx, len(rs), func(r int) error {
		c := 0
		for i := rs[r][0]; i < rs[r][1]; i++ {
			lo, hi := matches(i)
			if hi > lo {
				c += int(hi - lo)
			} else if keepUnmatched {
				c++
			}
		}
		counts[r+1] = c
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for r := range rs {
		counts[r+1] += counts[r]
	}
	total := counts[len(rs)]
	if err := kernels.CheckRows(total); err != nil {
		return nil, nil, fmt.Errorf("transform.join: output: %w", err)
	}
	li := make([]int32, total)
	ri := make([]int32, total)
	err = par.Do(ctx, len(rs), func(r int) error {
		k := counts[r]
		for i := rs[r][0]; i < rs[r][1]; i++ {
			lo, hi := matches(i)
			if hi == lo {
				if keepUnmatched {
					li[k], ri[k] = int32(i), -1
					k++
				}
				continue
			}
			for _, m := range rows[lo:hi] {
				li[k], ri[k] = int32(i), m
				k++
			}
		}
		return nil
	})
	return li, ri, err
}

// takeRows returns the columns keep of t at the rows idx (negative:
// null). An input kiln handed over is freed as it is copied:
// chunk by chunk when idx is in order (a join's left rows), else column by
// column.
func takeRows(ctx *kiln.Context, t arrow.Table, keep []int, idx []int32) ([]*arrow.Chunked, error) {
	if o, ok := t.(*arrowx.Owned); ok {
		names := make([]string, len(keep)) // not nil: consumeRows reads nil as all
		for k, i := range keep {
			names[k] = o.Schema().Field(i).Name
		}
		res, err := consumeRows(ctx, o.Schema(), names, o, idx)
		if err != nil {
			return nil, err
		}
		defer res.Release()
		cols := make([]*arrow.Chunked, res.NumCols())
		for i := range cols {
			cols[i] = res.Column(i).Data()
			cols[i].Retain()
		}
		return cols, nil
	}
	arrs, err := kernels.TakeAll(ctx, ctx.Allocator(), pick(tableCols(t), keep), idx)
	if err != nil {
		return nil, err
	}
	cols := make([]*arrow.Chunked, len(arrs))
	for i, a := range arrs {
		cols[i] = chunkedOf(a)
	}
	return cols, nil
}

// joinOutput assembles the output of a join: the left rows li (reused as
// they are when li is nil or the identity) and the kept right columns at ri.
func joinOutput(ctx *kiln.Context, p *joinPlan, left, right arrow.Table, li, ri []int32) (arrow.Table, error) {
	var cols []*arrow.Chunked
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	if li == nil || isIdentity(li, int(left.NumRows())) {
		for i := range int(left.NumCols()) {
			c := left.Column(i).Data()
			c.Retain()
			cols = append(cols, c)
		}
	} else {
		all := make([]int, left.NumCols())
		for i := range all {
			all[i] = i
		}
		lc, err := takeRows(ctx, left, all, li)
		if err != nil {
			return nil, fmt.Errorf("transform.join: %w", err)
		}
		cols = append(cols, lc...)
	}
	rc, err := takeRows(ctx, right, p.keep, ri)
	if err != nil {
		release()
		return nil, fmt.Errorf("transform.join: %w", err)
	}
	cols = append(cols, rc...)
	t := tableOf(p.schema, cols, len(ri))
	release()
	return t, nil
}

// ColumnLineage implements kiln.ColumnLineager: each column comes from its
// side; every column depends indirectly on the keys of both sides.
func (j *JoinTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	p, err := j.plan(in)
	if err != nil {
		return nil, err
	}
	keys := append(indirect(0, j.cfg.LeftOn, "JOIN"), indirect(1, j.cfg.RightOn, "JOIN")...)
	return p.lineage(in, keys), nil
}

// lineage maps output columns to their side's column plus the indirect refs.
func (p *joinPlan) lineage(in []*arrow.Schema, ind []kiln.ColumnRef) map[string][]kiln.ColumnRef {
	out := map[string][]kiln.ColumnRef{}
	nl := in[0].NumFields()
	for i, f := range p.schema.Fields() {
		var r kiln.ColumnRef
		if i < nl {
			r = ref(0, f.Name, "DIRECT", "IDENTITY")
		} else {
			r = ref(1, in[1].Field(p.keep[i-nl]).Name, "DIRECT", "IDENTITY")
		}
		out[f.Name] = append([]kiln.ColumnRef{r}, ind...)
	}
	return out
}
