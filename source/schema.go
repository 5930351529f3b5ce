package source

import (
	"fmt"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
)

// File-level schema contracts: every file a source reads must fit the
// source's schema. Columns are matched by name (through the declared
// renames); a column the file lacks is null when nullable; a file column
// outside the schema is refused unless declared dropped; a column of another
// type is refused. Partition-level evolution (against the previous committed
// partition) is the engine's job; see kiln.SchemaMapping.

func cleanPath(p string) string { return filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))) }

// fitTable returns the columns of schema out from a file's table.
func fitTable(file string, tbl arrow.Table, full, out *arrow.Schema, m kiln.SchemaMapping) (arrow.Table, error) {
	have := tbl.Schema()
	names := make([]string, have.NumFields())
	for i, f := range have.Fields() {
		names[i] = f.Name
	}
	idx, err := matchColumns(file, names, full, out, m)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Column, out.NumFields())
	defer func() {
		for i := range cols {
			if cols[i].Data() != nil {
				cols[i].Release()
			}
		}
	}()
	for k, f := range out.Fields() {
		if idx[k] < 0 {
			null := array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, int(tbl.NumRows()))
			ch := arrow.NewChunked(f.Type, []arrow.Array{null})
			null.Release()
			cols[k] = *arrow.NewColumn(f, ch)
			ch.Release()
			continue
		}
		hf, data := have.Field(idx[k]), tbl.Column(idx[k]).Data()
		if !arrow.TypeEqual(hf.Type, f.Type) {
			return nil, fmt.Errorf("%w: %s: column %q has type %s, the schema says %s", errSchema, file, hf.Name, hf.Type, f.Type)
		}
		if !f.Nullable && data.NullN() > 0 {
			return nil, fmt.Errorf("%w: %s: column %q has %d nulls but is not nullable", errSchema, file, hf.Name, data.NullN())
		}
		cols[k] = *arrow.NewColumn(f, data)
	}
	return array.NewTable(out, cols, tbl.NumRows()), nil
}
