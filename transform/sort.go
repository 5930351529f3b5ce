package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
)

// SortKey is one key of a sort: a column, its direction, and where its nulls
// go. Build one with Asc or Desc.
//
// Values compare as SQL orders them: integers, dates, times and timestamps
// as numbers; floats numerically with NaN greater than every other value and
// -0 equal to +0; strings and binaries bytewise (UTF-8 byte order, not a
// locale's collation); false before true. Nulls go last in either direction
// unless NullsFirst is called (DuckDB's default).
type SortKey struct {
	// Column is the column name.
	Column string `json:"column"`
	// Descending reverses the value order.
	Descending bool `json:"descending,omitempty"`
	// Nulls is "first" or "last" ("" means last).
	Nulls string `json:"nulls,omitempty"`
}

// Asc sorts by col in ascending order, nulls last.
func Asc(col string) SortKey { return SortKey{Column: col} }

// Desc sorts by col in descending order, nulls last.
func Desc(col string) SortKey { return SortKey{Column: col, Descending: true} }

// NullsFirst returns the key with nulls before all values.
func (k SortKey) NullsFirst() SortKey { k.Nulls = "first"; return k }

// NullsLast returns the key with nulls after all values (the default).
func (k SortKey) NullsLast() SortKey { k.Nulls = "last"; return k }

func (k SortKey) check(s *arrow.Schema, input int) (int, error) {
	if k.Nulls != "" && k.Nulls != "first" && k.Nulls != "last" {
		return -1, fmt.Errorf("sort key %q: nulls %q, want \"first\" or \"last\"", k.Column, k.Nulls)
	}
	i, _, err := field(s, input, k.Column, keyTypes...)
	return i, err
}

// sortKeysOf resolves sort keys against a table for the kernels.
func sortKeysOf(t arrow.Table, keys []SortKey) ([]kernels.SortKey, error) {
	out := make([]kernels.SortKey, len(keys))
	for i, k := range keys {
		j, err := k.check(t.Schema(), 0)
		if err != nil {
			return nil, err
		}
		out[i] = kernels.SortKey{Col: kernels.NewCol(t.Column(j).Data()), Desc: k.Descending, NullsFirst: k.Nulls == "first"}
	}
	return out, nil
}

// SortTransform orders rows by keys. Create one with Sort.
type SortTransform struct {
	keys []SortKey
}

// Sort returns a transform ordering rows by keys, the first key most
// significant. The sort is stable: rows with equal keys keep their input
// order, so the output order is total and deterministic. The schema is
// unchanged.
func Sort(keys ...SortKey) *SortTransform {
	return &SortTransform{keys: keys}
}

type sortConfig struct {
	Keys []SortKey `json:"keys"`
}

// Spec implements kiln.Transform.
func (t *SortTransform) Spec() kiln.Spec {
	return spec("sort", "1", sortConfig{Keys: t.keys})
}

// OutputSchema implements kiln.Transform.
func (t *SortTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput("sort", in); err != nil {
		return nil, err
	}
	if len(t.keys) == 0 {
		return nil, fmt.Errorf("transform.sort: no sort keys")
	}
	for _, k := range t.keys {
		if _, err := k.check(in[0], 0); err != nil {
			return nil, err
		}
	}
	return in[0], nil
}

// Apply implements kiln.Transform.
func (t *SortTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	s, err := t.OutputSchema(schemasOf(in))
	if err != nil {
		return nil, err
	}
	tbl := in[0]
	if err := checkRows(tbl); err != nil {
		return nil, fmt.Errorf("transform.sort: %w", err)
	}
	keys, err := sortKeysOf(tbl, t.keys)
	if err != nil {
		return nil, err
	}
	perm, err := kernels.SortPerm(int(tbl.NumRows()), keys)
	if err != nil {
		return nil, fmt.Errorf("transform.sort: %w", err)
	}
	if isIdentity(perm, int(tbl.NumRows())) {
		tbl.Retain()
		return tbl, nil
	}
	return gather(ctx, s, tbl, perm)
}

// ColumnLineage implements kiln.ColumnLineager: every column is itself,
// ordered by the sort keys.
func (t *SortTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if _, err := t.OutputSchema(in); err != nil {
		return nil, err
	}
	out := identityLineage(in[0])
	keys := make([]string, len(t.keys))
	for i, k := range t.keys {
		keys[i] = k.Column
	}
	for c := range out {
		out[c] = append(out[c], indirect(0, keys, "SORT")...)
	}
	return out, nil
}

// schemasOf returns the schemas of tables.
func schemasOf(in []arrow.Table) []*arrow.Schema {
	out := make([]*arrow.Schema, len(in))
	for i, t := range in {
		out[i] = t.Schema()
	}
	return out
}
