package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
	"github.com/kiln-data/kiln/internal/par"
)

// Grouping is the first half of a group-by: the key columns. Call Agg on it.
type Grouping struct {
	keys []string
}

// GroupBy starts a group-by aggregation on key columns:
//
//	daily := transform.GroupBy("user_id", "dt").Agg(
//		transform.Count().As("n_events"),
//		transform.Sum("amount").As("revenue"),
//	)
//
// With no keys, the whole input is one group and the output has exactly one
// row, even for an empty input (as SQL aggregates without GROUP BY).
func GroupBy(keys ...string) Grouping { return Grouping{keys: keys} }

// Agg returns the transform computing aggs per group. The output has the key
// columns (their input types) followed by one column per aggregation, in
// the order given, named by Aggregation.Output. Rows: one per distinct key,
// ordered by the keys ascending with nulls last (see SortKey): nulls form
// their own group, as in SQL. The result never depends on GOMAXPROCS: each
// aggregate visits a group's values in input row order.
func (g Grouping) Agg(aggs ...Aggregation) *GroupByTransform {
	return &GroupByTransform{keys: g.keys, aggs: aggs}
}

// GroupByTransform is a group-by aggregation. Create one with GroupBy(...).Agg.
type GroupByTransform struct {
	keys []string
	aggs []Aggregation
}

type groupByConfig struct {
	Keys []string      `json:"keys"`
	Aggs []Aggregation `json:"aggs"`
}

// Spec implements kiln.Transform.
func (t *GroupByTransform) Spec() kiln.Spec {
	keys := t.keys
	if keys == nil {
		keys = []string{}
	}
	return spec("group_by", "1", groupByConfig{Keys: keys, Aggs: t.aggs})
}

// OutputSchema implements kiln.Transform.
func (t *GroupByTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("group_by", in); err != nil {
		return nil, err
	}
	_, kf, err := keyFields(in[0], 0, t.keys)
	if err != nil {
		return nil, err
	}
	fields := kf
	for _, a := range t.aggs {
		f, _, err := a.field(in[0], 0)
		if err != nil {
			return nil, err
		}
		fields = append(fields, f)
	}
	if err := checkNames(fields); err != nil {
		return nil, err
	}
	return arrow.NewSchema(fields, nil), nil
}

// Apply implements kiln.Transform.
func (t *GroupByTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	s, err := t.OutputSchema(schemasOf(in))
	if err != nil {
		return nil, err
	}
	tbl := in[0]
	if err := checkRows(tbl); err != nil {
		return nil, fmt.Errorf("transform.group_by: %w", err)
	}
	cols := tableCols(tbl)
	kidx, _, _ := keyFields(tbl.Schema(), 0, t.keys)
	keys := pick(cols, kidx)
	ids, first, err := groupSorted(keys, int(tbl.NumRows()))
	if err != nil {
		return nil, fmt.Errorf("transform.group_by: %w", err)
	}
	n := len(first)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mem := ctx.Allocator()
	ai := &aggInput{mem: mem, ids: ids, n: n, cols: cols, s: tbl.Schema(), first: first}
	out := make([]arrow.Array, len(keys)+len(t.aggs))
	err = par.Do(ctx, len(out), func(i int) error {
		var err error
		if i < len(keys) {
			out[i], err = kernels.Take(mem, keys[i], first)
			return err
		}
		a := t.aggs[i-len(keys)]
		out[i], err = ai.compute(a)
		if err != nil {
			return fmt.Errorf("transform.group_by: %s: %w", a.Output(), err)
		}
		return nil
	})
	if err != nil {
		for _, a := range out {
			if a != nil {
				a.Release()
			}
		}
		return nil, err
	}
	return newTable(s, out, n), nil
}

// groupSorted groups n rows by keys and numbers the groups in key order
// (ascending, nulls last): it returns each row's group and each group's
// first row. With no keys, all rows (even none) form one group.
func groupSorted(keys []kernels.Col, n int) ([]int32, []int32, error) {
	if len(keys) == 0 {
		first := int32(-1)
		if n > 0 {
			first = 0
		}
		return make([]int32, n), []int32{first}, nil
	}
	g, err := kernels.Group(keys)
	if err != nil {
		return nil, nil, err
	}
	// Sort the groups by their key values (taken at their first rows).
	sk := make([]kernels.SortKey, len(keys))
	for i, k := range keys {
		a, err := kernels.Take(memory.DefaultAllocator, k, g.First)
		if err != nil {
			return nil, nil, err
		}
		defer a.Release()
		sk[i] = kernels.SortKey{Col: kernels.ColOf(k.Type, a)}
	}
	perm, err := kernels.SortPerm(g.N, sk)
	if err != nil {
		return nil, nil, err
	}
	if isIdentity(perm, g.N) {
		return g.IDs, g.First, nil
	}
	rank := make([]int32, g.N)
	first := make([]int32, g.N)
	for pos, id := range perm {
		rank[id] = int32(pos)
		first[pos] = g.First[id]
	}
	ids := g.IDs
	for i, id := range ids {
		ids[i] = rank[id]
	}
	return ids, first, nil
}

// ColumnLineage implements kiln.ColumnLineager: keys are themselves,
// aggregates aggregate their column; every output column depends
// indirectly on the group keys.
func (t *GroupByTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if _, err := t.OutputSchema(in); err != nil {
		return nil, err
	}
	out := map[string][]kiln.ColumnRef{}
	by := indirect(0, t.keys, "GROUP_BY")
	for _, k := range t.keys {
		out[k] = append([]kiln.ColumnRef{ref(0, k, "DIRECT", "IDENTITY")}, by...)
	}
	for _, a := range t.aggs {
		out[a.Output()] = append(a.lineage(0), by...)
	}
	return out, nil
}
