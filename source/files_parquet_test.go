package source

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/pq"
)

func TestParquetLocal(t *testing.T) {
	lake, raw := t.TempDir(), t.TempDir()
	p := kiln.New("w", kiln.WithLake(lake), kiln.WithLogger(quiet))
	p.Source("bronze.x", CSV(raw+"/in/"))
	ftWrite(t, raw, map[string]string{
		"in/dt=2024-01-29/a.csv": "id,s\n1,a\n",
		"in/dt=2024-01-30/a.csv": "id,s\n2,b\n3,c\n",
	})
	days, err := kiln.Days("2024-01-29", "2024-01-30")
	require.NoError(t, err)
	_, err = p.Backfill(t.Context(), days)
	require.NoError(t, err)

	dir := filepath.Join(lake, "bronze", "x")
	ctx := kiln.NewContext(t.Context(), "r", kiln.Date(2024, 1, 30))
	tbl, err := Parquet(dir, Columns("s")).Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, ftRows(tbl))
	tbl.Release()
	assert.Equal(t, []string{"1|a", "2|b", "3|c"}, committed(t, dir))

	v1, err := Parquet(dir).SourceVersion(ctx)
	require.NoError(t, err)
	v2, err := Parquet(dir, Columns("s")).SourceVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, v1, v2, "the version is the committed content")

	_, err = Parquet(dir).Read(kiln.NewContext(t.Context(), "r", kiln.Date(2024, 2, 1)))
	assert.ErrorIs(t, err, kiln.ErrNoPartition)

	_, err = Parquet(dir, WithSchema(ftSchema(ftField("id", ftStr, true)))).Read(ctx)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)

	_, err = Parquet(dir, Delimiter(';')).Schema(ctx)
	assert.ErrorContains(t, err, "option Delimiter does not apply to parquet sources")
}

func TestParquetUncommitted(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		path string
		ids  []int64
	}{{"dt=2024-01-30/b.parquet", []int64{3}}, {"dt=2024-01-30/a.parquet", []int64{1, 2}}, {"dt=2024-01-31/a.parquet", []int64{4}}} {
		tbl := testTable(t, f.ids...)
		ftWrite(t, dir, map[string]string{f.path: ""})
		_, err := pq.WriteFile(t.Context(), filepath.Join(dir, f.path), tbl, pq.Defaults())
		require.NoError(t, err)
		tbl.Release()
	}
	ctx := kiln.NewContext(t.Context(), "r", kiln.Date(2024, 1, 30))
	_, err := Parquet(dir).Read(ctx)
	assert.ErrorIs(t, err, kiln.ErrNoPartition, "not committed")
	tbl, err := Parquet(dir, AllowUncommitted()).Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "3"}, ftRows(tbl), "files in name order")
	tbl.Release()
	tbl, err = Parquet(dir, AllowUncommitted()).Read(kiln.NewContext(t.Context(), "r", kiln.All))
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "3", "4"}, ftRows(tbl))
	tbl.Release()
}
