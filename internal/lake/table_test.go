package lake

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/internal/pq"
)

func intTable(n int64, chunk int64) arrow.Table {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var recs []arrow.RecordBatch
	for lo := int64(0); lo < n; lo += chunk {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		for i := lo; i < min(lo+chunk, n); i++ {
			b.Append(i * 7)
		}
		a := b.NewArray()
		recs = append(recs, array.NewRecordBatch(schema, []arrow.Array{a}, int64(a.Len())))
	}
	return array.NewTableFromRecords(schema, recs)
}

func TestCommitTableSplitsLargePartitionsByRows(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	n := int64(FileRows + 1000)
	commit := func(tbl arrow.Table, final string) []FileInfo {
		var got []FileInfo
		require.NoError(t, CommitTable(ctx, final, filepath.Join(root, "_staging"), tbl, pq.Defaults(), func(files []FileInfo) ([]byte, error) {
			got = files
			return []byte("{}"), nil
		}, nil))
		return got
	}
	a := commit(intTable(n, 300_000), filepath.Join(root, "a", "dt=2024-01-01"))
	b := commit(intTable(n, 77_777), filepath.Join(root, "b", "dt=2024-01-01"))
	require.Len(t, a, 2)
	assert.Equal(t, "part-00000.parquet", a[0].Path)
	assert.Equal(t, "part-00001.parquet", a[1].Path)
	assert.EqualValues(t, FileRows, a[0].Rows)
	assert.EqualValues(t, 1000, a[1].Rows)
	assert.Equal(t, a, b, "the split and the bytes depend only on the content")
	tbl, err := pq.ReadFile(ctx, filepath.Join(root, "a", "dt=2024-01-01", "part-00001.parquet"), pq.ReadOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, FileRows*7, tbl.Column(0).Data().Chunk(0).(*array.Int64).Value(0))
	_, err = os.Stat(ManifestPath(filepath.Join(root, "a", "dt=2024-01-01")))
	assert.NoError(t, err)
}
