package kiln

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/lineage"
)

// SchemaMapping declares intended schema changes of a source, so that they
// pass the schema contract and older committed partitions are read back in
// the new shape. The zero value declares nothing.
//
// The contract: every committed source partition records its schema in its
// manifest. When a source's planned schema differs from the schema of its
// previous committed partition (Context.Previous; for the first or the All
// partition, the partition's own earlier commit), kiln classifies each
// difference:
//
//   - a new nullable column, a column that became nullable, or a new column
//     order is compatible: the partition is committed with the next schema
//     version (manifest extra SchemaExtraKey, see SchemaVersion), and older
//     partitions read back later (lookback windows, cached inputs) get nulls
//     for the new column;
//   - a removed, renamed or retyped column, a new non-nullable column, or a
//     column that became non-nullable fails the run with an error wrapping
//     ErrSchemaMismatch that lists the differences, unless the source
//     declares the change with a SchemaMapping (a SchemaMapper source, or
//     one wrapped with MapSchema).
//
// To pin a schema instead, declare it on the source (package source's
// WithSchema): files that do not fit it fail the run.
type SchemaMapping struct {
	// Renamed maps old column names to new ones.
	Renamed map[string]string `json:"renamed,omitempty"`
	// Dropped lists columns (by old name) that may disappear.
	Dropped []string `json:"dropped,omitempty"`
	// Retyped lists columns (by new name) whose type may change; older
	// partitions are cast to the new type when read back, and the read
	// fails if a value does not fit.
	Retyped []string `json:"retyped,omitempty"`
}

// SchemaMapper is implemented by sources that declare intended schema
// changes (package source's file sources take source.WithMapping).
type SchemaMapper interface {
	SchemaMapping() SchemaMapping
}

// MapSchema returns src with the schema mapping m declared, for sources that
// take no mapping option themselves. The mapping is not part of the source's
// spec: it changes how committed partitions are checked and read back, not
// what the source reads.
func MapSchema(src Source, m SchemaMapping) Source {
	ms := mappedSource{Source: src, m: m}
	if v, ok := src.(SourceVersioner); ok {
		return mappedVersioner{mappedSource: ms, v: v}
	}
	return ms
}

type mappedSource struct {
	Source
	m SchemaMapping
}

func (s mappedSource) SchemaMapping() SchemaMapping { return s.m }

type mappedVersioner struct {
	mappedSource
	v SourceVersioner
}

func (s mappedVersioner) SourceVersion(c *Context) (string, error) { return s.v.SourceVersion(c) }

// SchemaExtraKey is the manifest extra under which a source partition's
// schema version is recorded (see SchemaVersion).
const SchemaExtraKey = "schema"

// SchemaVersion is the schema version recorded with a source partition: 1
// for the first schema, incremented at each compatible change, with the
// changes made since the reference partition.
type SchemaVersion struct {
	// Version is 1 for a source's first schema, one more at each
	// compatible change.
	Version int `json:"version"`
	// Since names the partition the changes are relative to.
	Since string `json:"since,omitempty"`
	// Changes describes each difference, one per column.
	Changes []string `json:"changes,omitempty"`
}

// schemaChange is one difference between a committed schema and a plan.
type schemaChange struct {
	text string
	ok   bool
}

// compareSchemas lists how the planned fields differ from the committed
// ones, given the declared mapping. Old columns come first, in their order,
// then new ones.
func compareSchemas(old, planned []lineage.Field, m SchemaMapping) []schemaChange {
	var out []schemaChange
	byName := func(fs []lineage.Field, name string) (lineage.Field, int) {
		for i, f := range fs {
			if f.Name == name {
				return f, i
			}
		}
		return lineage.Field{}, -1
	}
	used := make([]bool, len(planned))
	for _, of := range old {
		name := of.Name
		nf, j := byName(planned, name)
		if j < 0 {
			if to, ok := m.Renamed[name]; ok {
				if nf, j = byName(planned, to); j >= 0 {
					out = append(out, schemaChange{fmt.Sprintf("column %q: renamed to %q", name, to), true})
					name = to
				}
			}
		}
		if j < 0 {
			if slices.Contains(m.Dropped, name) {
				out = append(out, schemaChange{fmt.Sprintf("column %q: dropped (was %s)", name, of.Type), true})
				continue
			}
			text := fmt.Sprintf("column %q: removed (was %s)", name, of.Type)
			if hint := renameHint(of, old, planned); hint != "" {
				text += "; renamed to " + hint + "? declare SchemaMapping.Renamed"
			}
			out = append(out, schemaChange{text, false})
			continue
		}
		used[j] = true
		if nf.Type != of.Type {
			out = append(out, schemaChange{fmt.Sprintf("column %q: type changed from %s to %s", name, of.Type, nf.Type), slices.Contains(m.Retyped, name)})
		}
		switch {
		case of.Nullable && !nf.Nullable:
			out = append(out, schemaChange{fmt.Sprintf("column %q: became non-nullable", name), false})
		case !of.Nullable && nf.Nullable:
			out = append(out, schemaChange{fmt.Sprintf("column %q: became nullable", name), true})
		}
	}
	for j, nf := range planned {
		if used[j] {
			continue
		}
		if nf.Nullable {
			out = append(out, schemaChange{fmt.Sprintf("column %q: added (%s, nullable)", nf.Name, nf.Type), true})
		} else {
			out = append(out, schemaChange{fmt.Sprintf("column %q: added as non-nullable (%s): older partitions have no values for it", nf.Name, nf.Type), false})
		}
	}
	if len(out) == 0 && !slices.Equal(fieldNames(old), fieldNames(planned)) {
		out = append(out, schemaChange{"column order changed", true})
	}
	return out
}

// renameHint names a new column of the same type that could be the removed
// column of; "" when there is no single candidate.
func renameHint(of lineage.Field, old, planned []lineage.Field) string {
	var cands []string
	for _, nf := range planned {
		if nf.Type != of.Type || slices.ContainsFunc(old, func(f lineage.Field) bool { return f.Name == nf.Name }) {
			continue
		}
		cands = append(cands, fmt.Sprintf("%q", nf.Name))
	}
	if len(cands) != 1 {
		return ""
	}
	return cands[0]
}

func fieldNames(fs []lineage.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// nodeMapping returns the schema mapping the node's source declares.
func nodeMapping(n *PlanNode) SchemaMapping {
	if n.node == nil || n.node.source == nil {
		return SchemaMapping{}
	}
	if sm, ok := n.node.source.(SchemaMapper); ok {
		return sm.SchemaMapping()
	}
	return SchemaMapping{}
}

// checkSourceSchema compares a source's output schema with the schema of its
// previous committed partition (or, when there is none, of the partition's
// own earlier commit) and refuses incompatible changes. It records the
// partition's schema version in the manifest extra SchemaExtraKey.
func (t *task) checkSourceSchema(c *Context, out *arrow.Schema) error {
	ref, err := c.Previous()
	if err != nil {
		return fmt.Errorf("schema contract: previous partition: %w", err)
	}
	if ref == nil {
		if ref, err = t.r.readManifest(t.node.Name, t.part); err != nil {
			return fmt.Errorf("schema contract: committed partition: %w", err)
		}
	}
	if ref == nil {
		return c.SetExtra(SchemaExtraKey, SchemaVersion{Version: 1})
	}
	changes := compareSchemas(ref.Schema, schemaFields(out), nodeMapping(t.node))
	var bad, all []string
	for _, ch := range changes {
		all = append(all, ch.text)
		if !ch.ok {
			bad = append(bad, ch.text)
		}
	}
	version := previousVersion(ref)
	if len(bad) > 0 {
		return fmt.Errorf("%w: the source's schema changed incompatibly since partition %s (schema version %d):\n  %s\n"+
			"declare intended changes with a kiln.SchemaMapping on the source (Renamed, Dropped, Retyped)",
			ErrSchemaMismatch, ref.Partition, version, strings.Join(bad, "\n  "))
	}
	if len(all) == 0 {
		return c.SetExtra(SchemaExtraKey, SchemaVersion{Version: version})
	}
	c.Logger().Info("source schema evolved", "since", ref.Partition, "version", version+1, "changes", all)
	return c.SetExtra(SchemaExtraKey, SchemaVersion{Version: version + 1, Since: ref.Partition, Changes: all})
}

// previousVersion reads the schema version of a committed partition (1 when
// it has none recorded).
func previousVersion(m *Manifest) int {
	var v SchemaVersion
	if raw, ok := m.Extra[SchemaExtraKey]; ok && json.Unmarshal(raw, &v) == nil && v.Version > 0 {
		return v.Version
	}
	return 1
}

// adaptCommitted makes a committed partition's table fit the planned schema
// n.Schema, or explains why it cannot. Columns are matched by name (through
// the source's declared renames); columns missing from the committed data
// are filled with nulls when the plan allows nulls; declared retyped columns
// are cast; declared dropped columns are left out. Anything else is a
// mismatch that only recomputing (Force) can fix.
func adaptCommitted(n *PlanNode, part Partition, tbl arrow.Table) (arrow.Table, error) {
	if arrowx.SchemaEqual(n.Schema, tbl.Schema()) {
		return arrowx.WithSchema(tbl, n.Schema), nil
	}
	out, err := adaptTable(n.Schema, tbl, nodeMapping(n))
	if err != nil {
		return nil, fmt.Errorf("%s partition %s: %w: committed data differs from the plan (rerun with Force): %v\n%s",
			n.Name, part, ErrSchemaMismatch, err, arrowx.SchemaDiff(n.Schema, tbl.Schema()))
	}
	return out, nil
}

func adaptTable(want *arrow.Schema, tbl arrow.Table, m SchemaMapping) (arrow.Table, error) {
	have := tbl.Schema()
	used := make([]bool, have.NumFields())
	cols := make([]arrow.Column, 0, want.NumFields())
	defer func() {
		for i := range cols {
			cols[i].Release()
		}
	}()
	for _, f := range want.Fields() {
		idx := have.FieldIndices(f.Name)
		if len(idx) == 0 {
			for old, to := range m.Renamed {
				if to == f.Name {
					idx = have.FieldIndices(old)
				}
			}
		}
		if len(idx) == 0 {
			if !f.Nullable {
				return nil, fmt.Errorf("column %q is missing and not nullable", f.Name)
			}
			null := array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, int(tbl.NumRows()))
			ch := arrow.NewChunked(f.Type, []arrow.Array{null})
			null.Release()
			cols = append(cols, *arrow.NewColumn(f, ch))
			ch.Release()
			continue
		}
		used[idx[0]] = true
		hf, data := have.Field(idx[0]), tbl.Column(idx[0]).Data()
		if hf.Nullable && !f.Nullable && data.NullN() > 0 {
			return nil, fmt.Errorf("column %q has nulls but the plan says it is not nullable", f.Name)
		}
		if arrow.TypeEqual(hf.Type, f.Type) {
			cols = append(cols, *arrow.NewColumn(f, data))
			continue
		}
		if !slices.Contains(m.Retyped, f.Name) {
			return nil, fmt.Errorf("column %q has type %s, the plan %s", f.Name, hf.Type, f.Type)
		}
		ch, err := castChunked(data, f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: cast %s to %s: %w", f.Name, hf.Type, f.Type, err)
		}
		cols = append(cols, *arrow.NewColumn(f, ch))
		ch.Release()
	}
	for i, u := range used {
		name := have.Field(i).Name
		if !u && !slices.Contains(m.Dropped, name) {
			return nil, fmt.Errorf("column %q is not in the plan", name)
		}
	}
	return array.NewTable(want, cols, tbl.NumRows()), nil
}

func castChunked(c *arrow.Chunked, to arrow.DataType) (*arrow.Chunked, error) {
	out := make([]arrow.Array, 0, len(c.Chunks()))
	defer func() {
		for _, a := range out {
			a.Release()
		}
	}()
	for _, a := range c.Chunks() {
		r, err := compute.CastArray(context.Background(), a, compute.SafeCastOptions(to))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return arrow.NewChunked(to, out), nil
}
