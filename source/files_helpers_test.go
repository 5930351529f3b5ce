package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// ftWrite writes files (relative path → content) under dir.
func ftWrite(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// ftRead plans s and reads partition part, returning the table, the
// rejected records and the error.
func ftRead(t testing.TB, s *FileSource, part kiln.Partition) (arrow.Table, []kiln.Rejected, error) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.plan(ctx); err != nil {
		return nil, nil, err
	}
	tbl, rej, _, err := s.read(ctx, part, memory.DefaultAllocator)
	return tbl, rej, err
}

// ftMust reads a partition that must read without error.
func ftMust(t testing.TB, s *FileSource, part kiln.Partition) (arrow.Table, []kiln.Rejected) {
	t.Helper()
	tbl, rej, err := ftRead(t, s, part)
	require.NoError(t, err)
	t.Cleanup(tbl.Release)
	return tbl, rej
}

// ftRows renders a table's rows as "v1|v2|..." strings, nulls as "(null)".
func ftRows(tbl arrow.Table) []string {
	out := make([]string, tbl.NumRows())
	var parts [][]string
	for c := range int(tbl.NumCols()) {
		var vals []string
		for _, ch := range tbl.Column(c).Data().Chunks() {
			for i := range ch.Len() {
				vals = append(vals, ch.ValueStr(i))
			}
		}
		parts = append(parts, vals)
	}
	for r := range out {
		cells := make([]string, len(parts))
		for c := range parts {
			cells[c] = parts[c][r]
		}
		out[r] = strings.Join(cells, "|")
	}
	return out
}

func ftSchema(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }

func ftField(name string, typ arrow.DataType, nullable bool) arrow.Field {
	return arrow.Field{Name: name, Type: typ, Nullable: nullable}
}

var (
	ftI64 = arrow.PrimitiveTypes.Int64
	ftF64 = arrow.PrimitiveTypes.Float64
	ftStr = arrow.BinaryTypes.String
	ftTS  = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)
