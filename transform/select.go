package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// SelectTransform keeps, reorders, renames or drops columns without
// touching the data. Create one with Select, Rename or DropColumns.
type SelectTransform struct {
	op   string
	cols []string
	ren  map[string]string
}

// Select returns a transform keeping only cols, in the order given (so it
// also reorders). A missing or repeated column is a plan-time error. Output
// order: input order (rows are not touched).
func Select(cols ...string) *SelectTransform { return &SelectTransform{op: "select", cols: cols} }

// Rename returns a transform renaming columns (old name to new name),
// keeping their positions. A missing old name, or a rename that makes two
// columns share a name, is a plan-time error.
func Rename(oldToNew map[string]string) *SelectTransform {
	return &SelectTransform{op: "rename", ren: oldToNew}
}

// DropColumns returns a transform removing cols (each must exist).
func DropColumns(cols ...string) *SelectTransform {
	return &SelectTransform{op: "drop_columns", cols: cols}
}

type selectConfig struct {
	Columns []string          `json:"columns,omitempty"`
	Rename  map[string]string `json:"rename,omitempty"`
}

// Spec implements kiln.Transform.
func (s *SelectTransform) Spec() kiln.Spec {
	return spec(s.op, "1", selectConfig{Columns: s.cols, Rename: s.ren})
}

// plan returns the output schema and, per output field, its input index.
func (s *SelectTransform) plan(in *arrow.Schema) (*arrow.Schema, []int, error) {
	var fields []arrow.Field
	var src []int
	switch s.op {
	case "select":
		seen := map[string]bool{}
		for _, c := range s.cols {
			if seen[c] {
				return nil, nil, fmt.Errorf("transform.select: column %q listed twice", c)
			}
			seen[c] = true
			i, f, err := field(in, 0, c)
			if err != nil {
				return nil, nil, fmt.Errorf("transform.select: %w", err)
			}
			fields, src = append(fields, f), append(src, i)
		}
	case "drop_columns":
		drop := map[int]bool{}
		for _, c := range s.cols {
			i, _, err := field(in, 0, c)
			if err != nil {
				return nil, nil, fmt.Errorf("transform.drop_columns: %w", err)
			}
			drop[i] = true
		}
		for i, f := range in.Fields() {
			if !drop[i] {
				fields, src = append(fields, f), append(src, i)
			}
		}
	default:
		for old := range s.ren {
			if _, _, err := field(in, 0, old); err != nil {
				return nil, nil, fmt.Errorf("transform.rename: %w", err)
			}
		}
		seen := map[string]bool{}
		for i, f := range in.Fields() {
			if to, ok := s.ren[f.Name]; ok {
				if to == "" {
					return nil, nil, fmt.Errorf("transform.rename: column %q: empty new name", f.Name)
				}
				f.Name = to
			}
			if seen[f.Name] {
				return nil, nil, fmt.Errorf("transform.rename: %w", &kiln.SchemaError{Column: f.Name, Problem: "two columns would have this name after renaming"})
			}
			seen[f.Name] = true
			fields, src = append(fields, f), append(src, i)
		}
	}
	md := in.Metadata()
	return arrow.NewSchema(fields, &md), src, nil
}

// OutputSchema implements kiln.Transform.
func (s *SelectTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	if err := oneInput(s.op, in); err != nil {
		return nil, err
	}
	out, _, err := s.plan(in[0])
	return out, err
}

// Apply implements kiln.Transform.
func (s *SelectTransform) Apply(_ *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	if err := exprOneTable(s.op, in); err != nil {
		return nil, err
	}
	t := in[0]
	out, src, err := s.plan(t.Schema())
	if err != nil {
		return nil, err
	}
	cols := make([]*arrow.Chunked, len(src))
	for i, j := range src {
		cols[i] = exprRetained(t, j)
	}
	return exprTable(out, cols, t.NumRows()), nil
}

// ColumnLineage implements kiln.ColumnLineager: each output column is the
// input column it came from.
func (s *SelectTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if err := oneInput(s.op, in); err != nil {
		return nil, err
	}
	out, src, err := s.plan(in[0])
	if err != nil {
		return nil, err
	}
	m := make(map[string][]kiln.ColumnRef, len(src))
	for i, j := range src {
		m[out.Field(i).Name] = exprRefs([]string{in[0].Field(j).Name}, "DIRECT", "IDENTITY")
	}
	return m, nil
}
