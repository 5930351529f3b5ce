package source

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs"
	"github.com/kiln-data/kiln/internal/blobfs/blobtest"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

func TestS3TextSources(t *testing.T) {
	s3 := blobtest.New(t)
	blobtest.Put(t, s3.URL("landing"), map[string]string{
		"csv/dt=2024-01-29/a.csv":      "id,name\n1,a\n",
		"csv/dt=2024-01-30/a.csv":      "id,name\n2,b\n3,\"c,d\"\n",
		"csv/dt=2024-01-30/b.csv":      "id,name\n4,x\nbad,y\n",
		"json/dt=2024-01-30/e.ndjson":  `{"id":5,"u":{"n":"e"}}` + "\n",
		"json/dt=2024-01-30/f.json.gz": "not gzip",
	})
	day := kiln.Date(2024, 1, 30)

	tbl, rej := ftMust(t, CSV(s3.URL("landing/csv/"), OnBadRecord(Reject), WithSchema(ftSchema(ftField("id", ftI64, false), ftField("name", ftStr, true)))), day)
	assert.Equal(t, []string{"2|b", "3|c,d", "4|x"}, ftRows(tbl))
	require.Len(t, rej, 1)
	assert.Equal(t, "s3://lake/landing/csv/dt=2024-01-30/b.csv:3:1", rej[0].Where, "the location names the object, without the query")

	s := NDJSON(s3.URL("landing/json/dt={dt}/*.ndjson"), WithSchema(ftSchema(ftField("id", ftI64, false), ftField("u.n", ftStr, true))))
	tbl, _ = ftMust(t, s, day)
	assert.Equal(t, []string{"5|e"}, ftRows(tbl))
	assert.Equal(t, "s3://lake/landing/json/dt={dt}/*.ndjson", s.Spec().Config.(fileConfig).Location)

	_, _, err := ftRead(t, NDJSON(s3.URL("landing/json/"), WithSchema(ftSchema(ftField("id", ftI64, true)))), day)
	assert.ErrorContains(t, err, "s3://lake/landing/json/dt=2024-01-30/f.json.gz: gzip")

	v, err := CSV(s3.URL("landing/csv/")).SourceVersion(kiln.NewContext(t.Context(), "x", day))
	require.NoError(t, err)
	assert.NotEmpty(t, v)

	s3.Down.Store(true)
	_, _, err = ftRead(t, CSV(s3.URL("landing/csv/"), WithSchema(ftSchema(ftField("id", ftI64, true)))), day)
	assert.ErrorContains(t, err, "403")
}

func TestMemBucket(t *testing.T) {
	name := "mem://" + strings.ToLower(t.Name())
	blobtest.Put(t, name, map[string]string{"x/a.csv": "a\n1\n"})
	tbl, _ := ftMust(t, CSV(name+"/x/"), kiln.All)
	assert.Equal(t, []string{"1"}, ftRows(tbl), "mem:// buckets with the same name are the same bucket")
}

// testTable builds a small table.
func testTable(t testing.TB, ids ...int64) arrow.Table {
	t.Helper()
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(ids, nil)
	arr := b.NewArray()
	defer arr.Release()
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecordBatch(s, []arrow.Array{arr}, int64(len(ids)))
	defer rec.Release()
	return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
}

// commitBlob commits a table as a kiln partition at root/dir.
func commitBlob(t testing.TB, root, dir string, tbl arrow.Table) {
	t.Helper()
	fsys, err := blobfs.Open(context.Background(), root)
	require.NoError(t, err)
	err = fsys.CommitTable(context.Background(), dir, tbl, pq.Defaults(), func(files []lake.FileInfo) ([]byte, error) {
		m := &lineage.Manifest{Format: lineage.ManifestFormat, Dataset: "x", Partition: strings.TrimSuffix(dir, "/"), Rows: tbl.NumRows()}
		for _, f := range files {
			m.Files = append(m.Files, lineage.File{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Hash: f.Hash})
		}
		return m.Marshal()
	}, nil)
	require.NoError(t, err)
}

func TestParquetOverS3(t *testing.T) {
	s3 := blobtest.New(t)
	root := s3.URL("gold/x")
	for i, dt := range []string{"dt=2024-01-29/", "dt=2024-01-30/"} {
		tbl := testTable(t, int64(i), int64(i+10))
		commitBlob(t, root, dt, tbl)
		tbl.Release()
	}
	// Uncommitted leftovers are ignored: readers trust only manifests.
	blobtest.Put(t, root, map[string]string{"dt=2024-01-30/part-00000-deadbeef.parquet": "junk", "dt=2024-02-01/part-0.parquet": "junk"})

	src := Parquet(root)
	ctx := kiln.NewContext(t.Context(), "x", kiln.Date(2024, 1, 30))
	sc, err := src.Schema(ctx)
	require.NoError(t, err)
	assert.Equal(t, "id", sc.Field(0).Name)
	tbl, err := src.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "11"}, ftRows(tbl))
	tbl.Release()

	all, err := src.Read(kiln.NewContext(t.Context(), "x", kiln.All))
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "10", "1", "11"}, ftRows(all))
	all.Release()

	_, err = src.Read(kiln.NewContext(t.Context(), "x", kiln.Date(2024, 2, 1)))
	assert.ErrorIs(t, err, kiln.ErrNoPartition, "a partition without a manifest is not committed")

	// A data object changed after commit is refused.
	fsys, err := blobfs.Open(t.Context(), root)
	require.NoError(t, err)
	m, err := fsys.ReadManifest(t.Context(), "dt=2024-01-30/")
	require.NoError(t, err)
	blobtest.Put(t, root, map[string]string{"dt=2024-01-30/" + m.Files[0].Path: "tampered"})
	_, err = src.Read(ctx)
	assert.ErrorContains(t, err, "changed after commit")
}
