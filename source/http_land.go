package source

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/jsonarrow"
)

// landColumnSpec is one column of a JSON mapping as it goes into a source's
// fingerprint: the canonical type, not an Arrow value.
type landColumnSpec struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable,omitempty"`
	Path     string `json:"path,omitempty"`
	Raw      bool   `json:"raw,omitempty"`
}

// landPath splits a dotted path ("user.id") into keys.
func landPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

// landJSONColumns turns an explicit schema, paths (column → dotted path) and
// raw column names into decoder columns and their fingerprint form. Unknown
// column names and unsupported types are errors.
func landJSONColumns(schema *arrow.Schema, paths map[string]string, raw []string) ([]jsonarrow.Column, []landColumnSpec, error) {
	if schema == nil || schema.NumFields() == 0 {
		return nil, nil, fmt.Errorf("an explicit schema with at least one column is required")
	}
	rawSet := map[string]bool{}
	for _, r := range raw {
		if !schema.HasField(r) {
			return nil, nil, fmt.Errorf("raw column %q is not in the schema", r)
		}
		rawSet[r] = true
	}
	names := make([]string, 0, len(paths))
	for name := range paths {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !schema.HasField(name) {
			return nil, nil, fmt.Errorf("path for column %q, which is not in the schema", name)
		}
		if p := paths[name]; p == "" || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
			return nil, nil, fmt.Errorf("column %q: path %q: want dot-separated keys like \"user.id\"", name, p)
		}
	}
	cols := make([]jsonarrow.Column, schema.NumFields())
	specs := make([]landColumnSpec, schema.NumFields())
	for i, f := range schema.Fields() {
		typ, err := digest.CanonicalType(f.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		cols[i] = jsonarrow.Column{Field: f, Path: landPath(paths[f.Name]), Raw: rawSet[f.Name]}
		specs[i] = landColumnSpec{Name: f.Name, Type: typ, Nullable: f.Nullable, Path: paths[f.Name], Raw: rawSet[f.Name]}
	}
	d, err := jsonarrow.NewDecoder(memory.DefaultAllocator, cols)
	if err != nil {
		return nil, nil, err
	}
	d.Release()
	return cols, specs, nil
}

// landStateOf decodes the source state stored in a committed manifest into
// v. It reports false when m is nil or holds no state.
func landStateOf(m *kiln.Manifest, v any) (bool, error) {
	if m == nil || len(m.SourceState) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(m.SourceState, v); err != nil {
		return false, fmt.Errorf("state of %s %s: %w", m.Dataset, m.Partition, err)
	}
	return true, nil
}

// landRawMax caps the raw text kept with a rejected record.
const landRawMax = 64 << 10

// landRejected is a record set aside with Context.Reject: where it is, why,
// and its raw text up to landRawMax bytes.
func landRejected(where string, err error, raw []byte) kiln.Rejected {
	if len(raw) > landRawMax {
		raw = raw[:landRawMax]
	}
	return kiln.Rejected{Where: where, Reason: err.Error(), Raw: string(raw)}
}
