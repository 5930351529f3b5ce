package sink

import (
	"errors"
	"iter"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs/blobtest"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/source"
)

type arrowTable = arrow.Table // shorter in helpers

type row struct {
	ID int64 `kiln:"id"`
}

type genCfg struct {
	Rows int `json:"rows"`
}

func rowsOf(ctx *kiln.Context, cfg genCfg) iter.Seq2[row, error] {
	return func(yield func(row, error) bool) {
		base := ctx.Partition().Start().Unix() / 86400 * 1000
		for i := range cfg.Rows {
			if !yield(row{ID: base + int64(i)}, nil) {
				return
			}
		}
	}
}

func ids(t *testing.T, url string, p kiln.Partition) []int64 {
	t.Helper()
	tbl, err := source.Parquet(url).Read(kiln.NewContext(t.Context(), "read", p))
	require.NoError(t, err)
	defer tbl.Release()
	var out []int64
	for _, ch := range tbl.Column(0).Data().Chunks() {
		for i := range ch.Len() {
			v := ch.ValueStr(i)
			var n int64
			for _, c := range v {
				n = n*10 + int64(c-'0')
			}
			out = append(out, n)
		}
	}
	return out
}

func TestParquetSinkToS3(t *testing.T) {
	s3 := blobtest.New(t)
	url := s3.URL("export/events")
	day := kiln.Date(2024, 1, 30)
	run := func(rows int) *kiln.Result {
		p := kiln.New("export", kiln.WithLake(t.TempDir()+"/lake"))
		n := p.Source("bronze.events", kiln.SourceFunc("gen", "v1", rowsOf).With(genCfg{Rows: rows}))
		p.Sink(n, Parquet(url))
		res, err := p.Run(t.Context(), day)
		require.NoError(t, err)
		return res
	}
	run(3)
	base := day.Start().Unix() / 86400 * 1000
	assert.Equal(t, []int64{base, base + 1, base + 2}, ids(t, url, day))
	keys := blobtest.Keys(t, url)
	require.Len(t, keys, 2)
	assert.Equal(t, "dt=2024-01-30/_kiln/manifest.json", keys[0])
	assert.True(t, strings.HasPrefix(keys[1], "dt=2024-01-30/part-00000-"), keys[1])
	assert.Equal(t, "s3://lake/export/events", Parquet(url).Spec().Config.(parquetConfig).Dir, "no endpoint in the spec")

	// New content: a new object, the old one cleaned up.
	run(2)
	assert.Equal(t, []int64{base, base + 1}, ids(t, url, day))
	keys2 := blobtest.Keys(t, url)
	require.Len(t, keys2, 2)
	assert.NotEqual(t, keys[1], keys2[1])
}

func TestBlobCommitFailureKeepsPrevious(t *testing.T) {
	s3 := blobtest.New(t)
	url := s3.URL("x")
	day := kiln.Date(2024, 1, 30)
	ctx := kiln.NewContext(t.Context(), "x", day)
	read := func(rows int) arrowTable {
		t.Helper()
		tb, err := kiln.SourceFunc("gen", "v1", rowsOf).With(genCfg{Rows: rows}).Read(ctx)
		require.NoError(t, err)
		return tb
	}
	m := &kiln.Manifest{Format: 1, Dataset: "x", Partition: day.String()}
	require.NoError(t, blobWrite(ctx, url, read(3), m, nil))
	before := blobtest.Keys(t, url)

	// Fail after the data is written, before the manifest.
	tb5 := read(5)
	boom := errors.New("killed")
	err := blobWrite(ctx, url, tb5, m, &lake.Hooks{AfterData: func() error { return boom }})
	require.ErrorIs(t, err, boom)
	assert.Len(t, ids(t, url, day), 3, "the previous partition is still what readers see")
	assert.Len(t, blobtest.Keys(t, url), len(before)+1, "the orphan object stays until the next commit")

	// The rerun converges and cleans up.
	require.NoError(t, blobWrite(ctx, url, tb5, m, nil))
	assert.Len(t, ids(t, url, day), 5)
	assert.Len(t, blobtest.Keys(t, url), 2)
	puts := s3.Puts.Load()
	require.NoError(t, blobWrite(ctx, url, tb5, m, nil))
	assert.Equal(t, puts+1, s3.Puts.Load(), "an identical rerun uploads only the manifest")

	cur, err := blobCurrent(ctx, url, m)
	require.NoError(t, err)
	assert.True(t, cur)
	s3.Down.Store(true)
	_, err = blobCurrent(ctx, url, m)
	assert.Error(t, err)
}

func TestParquetSinkFileURL(t *testing.T) {
	dir := t.TempDir()
	url := "file://" + filepath.ToSlash(dir) + "/out"
	day := kiln.Date(2024, 1, 30)
	p := kiln.New("export", kiln.WithLake(t.TempDir()))
	n := p.Source("bronze.events", kiln.SourceFunc("gen", "v1", rowsOf).With(genCfg{Rows: 2}))
	p.Sink(n, Parquet(url))
	_, err := p.Run(t.Context(), day)
	require.NoError(t, err)
	assert.Len(t, ids(t, dir+"/out", day), 2, "a local reader trusts the manifest's content-addressed file")
	assert.Len(t, ids(t, url, day), 2)
}
