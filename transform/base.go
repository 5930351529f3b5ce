package transform

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// spec returns the Spec of a built-in transform: its name is prefixed with
// "transform." and cfg must be plain data.
func spec(name, version string, cfg any) kiln.Spec {
	return kiln.Spec{Name: "transform." + name, Version: version, Config: cfg}
}

// field looks up a column of input schema in (input index i) and checks that
// its type is one of types (any type when none are given). The error is a
// *kiln.SchemaError naming the column.
func field(s *arrow.Schema, i int, name string, types ...arrow.Type) (int, arrow.Field, error) {
	idx := s.FieldIndices(name)
	switch {
	case len(idx) == 0:
		return -1, arrow.Field{}, &kiln.SchemaError{Column: name, Problem: "missing", Input: i}
	case len(idx) > 1:
		return -1, arrow.Field{}, &kiln.SchemaError{Column: name, Problem: "ambiguous: appears more than once", Input: i}
	}
	f := s.Field(idx[0])
	if len(types) > 0 && !slices.Contains(types, f.Type.ID()) {
		want := make([]string, len(types))
		for j, t := range types {
			want[j] = t.String()
		}
		return -1, arrow.Field{}, &kiln.SchemaError{Column: name, Problem: fmt.Sprintf("has type %s, want one of %v", f.Type, want), Input: i}
	}
	return idx[0], f, nil
}

// oneInput checks that a transform got exactly one input schema.
func oneInput(name string, in []*arrow.Schema) error {
	if len(in) != 1 {
		return fmt.Errorf("transform.%s takes 1 input, got %d", name, len(in))
	}
	return nil
}

// identityLineage maps every column of schema s (input 0) to itself.
func identityLineage(s *arrow.Schema) map[string][]kiln.ColumnRef {
	out := make(map[string][]kiln.ColumnRef, s.NumFields())
	for _, f := range s.Fields() {
		out[f.Name] = []kiln.ColumnRef{{Input: 0, Column: f.Name, Kind: "DIRECT", Subtype: "IDENTITY"}}
	}
	return out
}
