package feature

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
)

// TrainingSpec says which features a training set holds and how labels
// meet them. It is plain data (plus the on-demand transforms) and is hashed
// into the training set's fingerprint.
type TrainingSpec struct {
	// Features are feature references: "group:feature", "group" for all
	// of a group's features, "on_demand:output" or "on_demand".
	Features []string `json:"features"`
	// Time is the label table's timestamp column: each label row sees the
	// feature values known at that instant.
	Time string `json:"time"`
	// KeyColumns maps an entity key column to the label column holding it,
	// when their names differ (default: the same name).
	KeyColumns map[string]string `json:"key_columns,omitempty"`
	// Prefix names feature columns "group__feature" instead of "feature".
	Prefix bool `json:"prefix,omitempty"`
	// ExcludeCreatedAfter ignores feature rows whose created time (see
	// Group.CreatedTime) is after the label time: values backfilled later
	// were not known then.
	ExcludeCreatedAfter bool `json:"exclude_created_after,omitempty"`
	// OnDemand are on-demand feature sets the references may name.
	OnDemand []*OnDemand `json:"-"`
}

// GroupData is a feature group's offline data passed directly as a table
// (for tests and small inputs): the entity keys, event time, created time
// when declared, and the features, in any column order. Row order matters
// only for ties (see PointInTimeJoin).
type GroupData struct {
	Group *Group
	Table arrow.Table
}

// PointInTimeJoin joins a label table with feature values as they were at
// each label's time. For each label row and each group, it takes the group
// row with the same entity key whose event time is the greatest that is <=
// the label time and >= the label time minus the group's TTL (inclusive;
// no lower bound when the TTL is zero); ties on event time go to the
// greatest created time, then to the row that comes last in the group's
// data order (partition order, then row order in the committed file). With
// no such row, the group's features are null. Null label keys or times
// match nothing. Keys compare by value: integer key columns of different
// types match when their values are equal, and string, large_string and
// string_view columns by their bytes; other key types must be the same on
// both sides.
//
// The match is transform.AsOfJoin's, kiln's one as-of kernel: By the entity
// keys, the label time against the event time, CreatedTime the group's
// created time, Tolerance the TTL, and ExcludeCreatedAfter from the spec
// (a row without a created time counts as created at its event time).
//
// The output has every label row, once, in input order, with all label
// columns unchanged, followed by the referenced features in reference
// order (named "feature", or "group__feature" with Prefix) and then any
// referenced on-demand features. A feature name that collides with a label
// column or another feature is an error that suggests Prefix.
//
// The result depends only on the inputs: it is the same at any GOMAXPROCS.
func PointInTimeJoin(ctx context.Context, labels arrow.Table, spec TrainingSpec, data ...GroupData) (arrow.Table, error) {
	groups := make([]*Group, len(data))
	for i, d := range data {
		if d.Group == nil || d.Table == nil {
			return nil, fmt.Errorf("%w: group data %d has no group or no table", ErrDefinition, i)
		}
		if err := d.Group.validate(); err != nil {
			return nil, err
		}
		if !d.Group.resolved() {
			if err := d.Group.resolveSchema(d.Table.Schema()); err != nil {
				return nil, err
			}
		}
		groups[i] = d.Group
	}
	for i := range groups {
		for j := range i {
			if groups[i] == groups[j] || (groups[i].Name == groups[j].Name && groups[i].Version == groups[j].Version) {
				return nil, fmt.Errorf("%w: group %s given twice", ErrDefinition, groups[i].ID())
			}
		}
	}
	return pointInTime(ctx, memory.DefaultAllocator, labels, spec, data)
}

// pointInTime is PointInTimeJoin on validated inputs.
func pointInTime(ctx context.Context, mem memory.Allocator, labels arrow.Table, spec TrainingSpec, data []GroupData) (arrow.Table, error) {
	groups := make([]*Group, len(data))
	for i, d := range data {
		groups[i] = d.Group
	}
	ods, err := planOnDemand(spec.OnDemand, groups)
	if err != nil {
		return nil, err
	}
	sel, err := resolveRefs(spec.Features, groups, ods)
	if err != nil {
		return nil, err
	}
	names, err := outputNames(labels.Schema(), sel, spec.Prefix)
	if err != nil {
		return nil, err
	}
	if _, err := kiln.FieldIndex(labels.Schema(), spec.Time, nil); err != nil {
		return nil, fmt.Errorf("label table: time column: %w", err)
	}

	// Match and gather, group by group.
	values := map[string]arrow.Array{} // "group@v:feature" → gathered
	defer func() {
		for _, a := range values {
			a.Release()
		}
	}()
	for _, n := range sel.needs() {
		var gd GroupData
		for _, d := range data {
			if d.Group == n.g {
				gd = d
			}
		}
		idx, err := matchGroup(ctx, labels, spec, gd)
		if err != nil {
			return nil, err
		}
		cols := make([]kernels.Col, len(n.feats))
		for i, f := range n.feats {
			c, err := kiln.Column(gd.Table, f, n.g.Feature(f).Type)
			if err != nil {
				return nil, fmt.Errorf("feature group %s data: %w", n.g.ID(), err)
			}
			cols[i] = kernels.NewCol(c)
		}
		out, err := kernels.TakeAll(ctx, mem, cols, idx)
		if err != nil {
			return nil, fmt.Errorf("feature group %s: gather features: %w", n.g.ID(), err)
		}
		for i, a := range out {
			values[n.g.ID()+":"+n.feats[i]] = a
		}
	}

	// On-demand features, computed on the joined values.
	odOut := map[*odPlan]arrow.Table{}
	defer func() {
		for _, t := range odOut {
			t.Release()
		}
	}()
	for _, p := range sel.onDemands() {
		in, err := onDemandInput(mem, p, labels, spec.Time, func(c selCol) arrow.Array { return values[c.group.ID()+":"+c.feature] })
		if err != nil {
			return nil, err
		}
		t, err := p.apply(ctx, in)
		in.Release()
		if err != nil {
			return nil, err
		}
		odOut[p] = t
	}

	// Assemble: label columns, then the features in reference order.
	fields := slices.Clone(labels.Schema().Fields())
	cols := make([]arrow.Column, 0, len(fields)+len(sel.cols))
	defer func() {
		for i := range cols {
			cols[i].Release()
		}
	}()
	for i := range fields {
		c := labels.Column(i)
		c.Retain()
		cols = append(cols, *c)
	}
	for i, c := range sel.cols {
		var ch *arrow.Chunked
		var typ arrow.DataType
		if c.od == nil {
			a := values[c.group.ID()+":"+c.feature]
			typ = a.DataType()
			ch = arrow.NewChunked(typ, []arrow.Array{a})
		} else {
			t := odOut[c.od]
			j := t.Schema().FieldIndices(c.feature)[0]
			typ = t.Schema().Field(j).Type
			ch = t.Column(j).Data()
			ch.Retain()
		}
		f := arrow.Field{Name: names[i], Type: typ, Nullable: true}
		fields = append(fields, f)
		cols = append(cols, *arrow.NewColumn(f, ch))
		ch.Release()
	}
	md := labels.Schema().Metadata()
	return array.NewTable(arrow.NewSchema(fields, &md), cols, labels.NumRows()), nil
}

// outputNames names the selected features' output columns and refuses
// collisions.
func outputNames(labels *arrow.Schema, sel *selection, prefix bool) ([]string, error) {
	taken := map[string]string{}
	for _, f := range labels.Fields() {
		taken[f.Name] = "label column " + f.Name
	}
	out := make([]string, len(sel.cols))
	for i, c := range sel.cols {
		name := c.outName(prefix)
		what := fmt.Sprintf("feature %s:%s", c.source(), c.feature)
		if prev, dup := taken[name]; dup {
			hint := "; set TrainingSpec.Prefix to name features group__feature"
			if prefix {
				hint = "; rename the label column"
			}
			return nil, fmt.Errorf("%w: output column %q: %s collides with %s%s", ErrDefinition, name, what, prev, hint)
		}
		taken[name] = what
		out[i] = name
	}
	return out, nil
}

// onDemandInput builds an on-demand transform's input table from the label
// (or request) table and the looked-up values.
func onDemandInput(mem memory.Allocator, p *odPlan, req arrow.Table, timeCol string, value func(selCol) arrow.Array) (arrow.Table, error) {
	n := int(req.NumRows())
	cols := make([]arrow.Column, 0, p.in.NumFields())
	defer func() {
		for i := range cols {
			cols[i].Release()
		}
	}()
	for _, f := range p.od.Request {
		ch, err := kiln.Column(req, f.Name, f.Type)
		if err != nil {
			return nil, fmt.Errorf("on-demand %q: request data: %w", p.od.Name, err)
		}
		cols = append(cols, *arrow.NewColumn(p.in.Field(len(cols)), ch))
	}
	if p.od.RequestTime != "" {
		tc, err := kiln.Column(req, timeCol, nil)
		if err != nil {
			return nil, fmt.Errorf("on-demand %q: request time: %w", p.od.Name, err)
		}
		a, err := microTimes(mem, tc)
		if err != nil {
			return nil, fmt.Errorf("on-demand %q: request time column %q: %w", p.od.Name, timeCol, err)
		}
		ch := arrow.NewChunked(a.DataType(), []arrow.Array{a})
		a.Release()
		cols = append(cols, *arrow.NewColumn(p.in.Field(len(cols)), ch))
		ch.Release()
	}
	for _, c := range p.inputs {
		a := value(c)
		if a == nil || a.Len() != n {
			return nil, fmt.Errorf("on-demand %q: input %s:%s has no values", p.od.Name, c.group.ID(), c.feature)
		}
		ch := arrow.NewChunked(a.DataType(), []arrow.Array{a})
		cols = append(cols, *arrow.NewColumn(p.in.Field(len(cols)), ch))
		ch.Release()
	}
	return array.NewTable(p.in, cols, int64(n)), nil
}

// microTimes converts a time column to timestamp[us, UTC] (truncating
// finer units toward negative infinity).
func microTimes(mem memory.Allocator, c *arrow.Chunked) (arrow.Array, error) {
	own := kernels.TimeUnit(c.DataType())
	if own == 0 {
		return nil, fmt.Errorf("type %s is not a timestamp or date", c.DataType())
	}
	col := kernels.NewCol(c)
	vals := kernels.Int64s(col, 1)
	null := col.NullMask()
	b := array.NewTimestampBuilder(mem, requestTimeType)
	defer b.Release()
	b.Reserve(len(vals))
	for i, v := range vals {
		if null != nil && null[i] {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		if own >= time.Microsecond {
			mul := int64(own / time.Microsecond)
			if v > math.MaxInt64/mul || v < math.MinInt64/mul {
				return nil, fmt.Errorf("row %d: time %d overflows in microseconds", i, v)
			}
			b.UnsafeAppend(arrow.Timestamp(v * mul))
			continue
		}
		div := int64(time.Microsecond / own)
		q := v / div
		if v%div < 0 {
			q--
		}
		b.UnsafeAppend(arrow.Timestamp(q))
	}
	return b.NewArray(), nil
}
