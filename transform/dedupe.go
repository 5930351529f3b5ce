package transform

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
)

// Keep says which row of a set of duplicates Dedupe keeps.
type Keep struct {
	// Rule is "first", "last" or "first_by".
	Rule string `json:"rule"`
	// By orders the duplicates for "first_by".
	By []SortKey `json:"by,omitempty"`
}

var (
	// KeepFirst keeps the first row of each key in input order.
	KeepFirst = Keep{Rule: "first"}
	// KeepLast keeps the last row of each key in input order.
	KeepLast = Keep{Rule: "last"}
)

// KeepFirstBy keeps, of each key's rows, the one that sorts first by
// sortKeys (see Sort for the order); ties go to the earliest row in input
// order. Use Desc to keep the latest: KeepFirstBy(Desc("updated_at")).
func KeepFirstBy(sortKeys ...SortKey) Keep { return Keep{Rule: "first_by", By: sortKeys} }

// DedupeTransform keeps one row per key. Create one with Dedupe or
// DistinctRows.
type DedupeTransform struct {
	keys     []string
	keep     Keep
	distinct bool
}

// Dedupe returns a transform keeping one row per distinct value of the key
// columns, chosen by keep. Keys are equal as in SQL's DISTINCT: nulls equal
// nulls, NaN equals NaN, -0 equals +0. The kept rows stay in input order
// (the output is a subsequence of the input). The schema is unchanged.
func Dedupe(keys []string, keep Keep) *DedupeTransform {
	return &DedupeTransform{keys: keys, keep: keep}
}

// DistinctRows returns a transform dropping rows that duplicate an earlier
// row in every column (SQL's SELECT DISTINCT, keeping the first copy). The
// kept rows stay in input order.
func DistinctRows() *DedupeTransform {
	return &DedupeTransform{keep: KeepFirst, distinct: true}
}

type dedupeConfig struct {
	Keys     []string `json:"keys,omitempty"`
	Keep     Keep     `json:"keep"`
	Distinct bool     `json:"distinct,omitempty"`
}

// Spec implements kiln.Transform.
func (t *DedupeTransform) Spec() kiln.Spec {
	if t.distinct {
		return spec("distinct", "1", dedupeConfig{Keep: t.keep, Distinct: true})
	}
	return spec("dedupe", "1", dedupeConfig{Keys: t.keys, Keep: t.keep})
}

func (t *DedupeTransform) keyNames(s *arrow.Schema) []string {
	if t.distinct {
		return fieldNames(s)
	}
	return t.keys
}

// OutputSchema implements kiln.Transform.
func (t *DedupeTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("dedupe", in); err != nil {
		return nil, err
	}
	keys := t.keyNames(in[0])
	if len(keys) == 0 {
		if t.distinct {
			return in[0], nil
		}
		return nil, fmt.Errorf("transform.dedupe: no key columns")
	}
	if _, _, err := keyFields(in[0], 0, keys); err != nil {
		return nil, err
	}
	switch t.keep.Rule {
	case "first", "last":
	case "first_by":
		if len(t.keep.By) == 0 {
			return nil, fmt.Errorf("transform.dedupe: keep first_by needs sort keys")
		}
		for _, k := range t.keep.By {
			if _, err := k.check(in[0], 0); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("transform.dedupe: keep rule %q, want first, last or first_by", t.keep.Rule)
	}
	return in[0], nil
}

// Apply implements kiln.Transform.
func (t *DedupeTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	s, err := t.OutputSchema(schemasOf(in))
	if err != nil {
		return nil, err
	}
	if o, ok := owned(in); ok {
		return consumeSelector(ctx, t, s, o)
	}
	rows, all, err := t.selectRows(ctx, in[0])
	if err != nil {
		return nil, err
	}
	if all {
		in[0].Retain()
		return in[0], nil
	}
	return gather(ctx, s, in[0], rows)
}

// selectColumns implements rowSelector: the keys and the keep order's
// columns (every column for DistinctRows).
func (t *DedupeTransform) selectColumns(s *arrow.Schema) []string {
	if t.distinct {
		return nil
	}
	cols := slices.Clone(t.keys)
	for _, k := range t.keep.By {
		cols = append(cols, k.Column)
	}
	return cols
}

// selectKept implements keptSelector: one integer key in order (but for a
// short tail) is read at the kept rows directly.
func (t *DedupeTransform) selectKept(s *arrow.Schema, tbl arrow.Table, kept []int32) ([]int32, bool, bool) {
	keys := t.keyNames(s)
	if len(keys) != 1 || t.keep.Rule == "first_by" || len(kept) == 0 {
		return nil, false, false
	}
	idx, _, err := keyFields(s, 0, keys)
	if err != nil {
		return nil, false, false
	}
	rows, ok := kernels.SortedRunsAt(kernels.NewCol(tbl.Column(idx[0]).Data()), kept, t.keep.Rule == "last")
	return rows, ok && rows == nil, ok
}

// selectRows implements rowSelector. One integer key already in order (an
// id or a time, as most sources deliver them) is deduplicated by comparing
// neighbours, without a hash table.
func (t *DedupeTransform) selectRows(ctx *kiln.Context, tbl arrow.Table) ([]int32, bool, error) {
	s := tbl.Schema()
	if err := checkRows(tbl); err != nil {
		return nil, false, fmt.Errorf("transform.dedupe: %w", err)
	}
	n := int(tbl.NumRows())
	keys := t.keyNames(s)
	if n == 0 || len(keys) == 0 {
		return nil, true, nil
	}
	idx, _, err := keyFields(s, 0, keys)
	if err != nil {
		return nil, false, err
	}
	kcols := pick(tableCols(tbl), idx)
	if len(kcols) == 1 && t.keep.Rule != "first_by" {
		if rows, ok := kernels.SortedRuns(kcols[0], t.keep.Rule == "last"); ok {
			return rows, rows == nil, nil
		}
	}
	g, err := kernels.Group(kcols)
	if err != nil {
		return nil, false, fmt.Errorf("transform.dedupe: %w", err)
	}
	if g.N == n {
		return nil, true, nil
	}
	keep := make([]bool, n)
	switch t.keep.Rule {
	case "first":
		for _, r := range g.First {
			keep[r] = true
		}
	case "last":
		last := make([]int32, g.N)
		for i, id := range g.IDs {
			last[id] = int32(i)
		}
		for _, r := range last {
			keep[r] = true
		}
	case "first_by":
		sk, err := sortKeysOf(tbl, t.keep.By)
		if err != nil {
			return nil, false, err
		}
		perm, err := kernels.SortPerm(n, sk)
		if err != nil {
			return nil, false, fmt.Errorf("transform.dedupe: %w", err)
		}
		done := make([]bool, g.N)
		for _, r := range perm {
			if id := g.IDs[r]; !done[id] {
				done[id], keep[r] = true, true
			}
		}
	}
	rows := make([]int32, 0, g.N)
	for i, k := range keep {
		if k {
			rows = append(rows, int32(i))
		}
	}
	return rows, false, nil
}

// ColumnLineage implements kiln.ColumnLineager: every column is itself,
// filtered by the keys (and the keep order).
func (t *DedupeTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	s, err := t.OutputSchema(in)
	if err != nil {
		return nil, err
	}
	out := identityLineage(s)
	ind := indirect(0, t.keyNames(s), "FILTER")
	for _, k := range t.keep.By {
		ind = append(ind, ref(0, k.Column, "INDIRECT", "SORT"))
	}
	for c := range out {
		out[c] = append(out[c], ind...)
	}
	return out, nil
}
