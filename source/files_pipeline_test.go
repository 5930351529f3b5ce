package source

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs/blobtest"
	"github.com/kiln-data/kiln/lineage"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// status returns the status of a node's task for a partition.
func status(res *kiln.Result, node string, p kiln.Partition) kiln.Status {
	for _, n := range res.Nodes {
		if n.Node == node && n.Partition == p {
			return n.Status
		}
	}
	return ""
}

// committed reads a committed lake dataset (all partitions).
func committed(t *testing.T, dir string) []string {
	t.Helper()
	tbl, err := Parquet(dir).Read(kiln.NewContext(t.Context(), "check", kiln.All))
	require.NoError(t, err)
	defer tbl.Release()
	return ftRows(tbl)
}

func manifestOf(t *testing.T, dir string) *lineage.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "_kiln", "manifest.json"))
	require.NoError(t, err)
	m, err := lineage.UnmarshalManifest(b)
	require.NoError(t, err)
	return m
}

func TestCSVPipelineResumeAndRerun(t *testing.T) {
	landing, lake := t.TempDir(), t.TempDir()
	ftWrite(t, landing, map[string]string{
		"dt=2024-01-29/a.csv": "id,v\n1,a\n2,b\n",
		"dt=2024-01-30/a.csv": "id,v\n3,c\n4,\"broken\n",
		"dt=2024-01-31/a.csv": "id,v\n5,e\n",
	})
	days, err := kiln.Days("2024-01-29", "2024-01-31")
	require.NoError(t, err)
	schema := ftSchema(ftField("id", ftI64, false), ftField("v", ftStr, true))
	pipeline := func() *kiln.Pipeline {
		p := kiln.New("ingest", kiln.WithLake(lake), kiln.WithLogger(quiet))
		p.Source("bronze.events", CSV(landing, WithSchema(schema)))
		return p
	}

	// A malformed line fails its partition, naming file and line; the
	// others commit.
	b, err := pipeline().Backfill(t.Context(), days)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrBadRecord)
	assert.ErrorContains(t, err, filepath.ToSlash(landing)+"/dt=2024-01-30/a.csv:3:3: unterminated quoted field")
	assert.Equal(t, kiln.StatusComputed, status(b.Runs[0], "bronze.events", days[0]))
	assert.Equal(t, kiln.StatusFailed, status(b.Runs[1], "bronze.events", days[1]))
	assert.Equal(t, kiln.StatusComputed, status(b.Runs[2], "bronze.events", days[2]))
	_, err = os.Stat(filepath.Join(lake, "bronze", "events", "dt=2024-01-30"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "nothing committed for the failed day")

	// Fixed, the rerun resumes: only the failed day is read.
	ftWrite(t, landing, map[string]string{"dt=2024-01-30/a.csv": "id,v\n3,c\n4,d\n"})
	b, err = pipeline().Backfill(t.Context(), days)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusCached, status(b.Runs[0], "bronze.events", days[0]))
	assert.Equal(t, kiln.StatusComputed, status(b.Runs[1], "bronze.events", days[1]))
	assert.Equal(t, kiln.StatusCached, status(b.Runs[2], "bronze.events", days[2]))

	// A forced rerun gives the same data, once.
	_, err = pipeline().Backfill(t.Context(), days, kiln.Force())
	require.NoError(t, err)
	assert.Equal(t, []string{"1|a", "2|b", "3|c", "4|d", "5|e"}, committed(t, filepath.Join(lake, "bronze", "events")))
	m := manifestOf(t, filepath.Join(lake, "bronze", "events", "dt=2024-01-30"))
	var v kiln.SchemaVersion
	require.NoError(t, json.Unmarshal(m.Extra[kiln.SchemaExtraKey], &v))
	assert.Equal(t, 1, v.Version)
}

func TestCSVPipelineRejected(t *testing.T) {
	landing, lake := t.TempDir(), t.TempDir()
	ftWrite(t, landing, map[string]string{"dt=2024-01-30/a.csv": "id,amount\n1,2.5\n2,abc\n3,\n4,1,extra\n"})
	day := kiln.Date(2024, 1, 30)
	run := func() *kiln.Result {
		p := kiln.New("ingest", kiln.WithLake(lake), kiln.WithLogger(quiet))
		p.Source("bronze.pay", CSV(landing, OnBadRecord(Reject), InferRows(1)))
		res, err := p.Run(t.Context(), day)
		require.NoError(t, err)
		return res
	}
	res := run()
	for _, n := range res.Nodes {
		if n.Node == "bronze.pay" {
			assert.Equal(t, int64(2), n.Rejected)
			assert.Equal(t, int64(2), n.Rows)
		}
	}
	file := filepath.ToSlash(landing) + "/dt=2024-01-30/a.csv"
	assert.Equal(t, []string{"1|2.5", "3|(null)"}, committed(t, filepath.Join(lake, "bronze", "pay")))
	assert.Equal(t, []string{
		file + `:3:3|column "amount": cannot parse "abc" as float64|2,abc`,
		file + ":5|record has 3 fields, want 2|4,1,extra",
	}, committed(t, filepath.Join(lake, "bronze", "pay_rejected")))

	m := manifestOf(t, filepath.Join(lake, "bronze", "pay", "dt=2024-01-30"))
	var inf InferredSchema
	require.NoError(t, json.Unmarshal(m.Extra["inferred_schema"], &inf))
	assert.Equal(t, InferredSchema{File: file, Rows: 1, Fields: []lineage.Field{
		{Name: "id", Type: "int64", Nullable: true}, {Name: "amount", Type: "float64", Nullable: true}}}, inf)

	// A fixed file clears the rejected records.
	ftWrite(t, landing, map[string]string{"dt=2024-01-30/a.csv": "id,amount\n1,2.5\n2,3\n"})
	run()
	assert.Empty(t, committed(t, filepath.Join(lake, "bronze", "pay_rejected")))
	assert.Equal(t, []string{"1|2.5", "2|3"}, committed(t, filepath.Join(lake, "bronze", "pay")))
}

func TestS3PipelineOutage(t *testing.T) {
	s3 := blobtest.New(t)
	blobtest.Put(t, s3.URL("landing"), map[string]string{
		"dt=2024-01-30/a.ndjson": `{"id":1}` + "\n" + `{"id":2}`,
	})
	lake := t.TempDir()
	day := kiln.Date(2024, 1, 30)
	schema := ftSchema(ftField("id", ftI64, false))
	run := func() (*kiln.Result, error) {
		p := kiln.New("ingest", kiln.WithLake(lake), kiln.WithLogger(quiet))
		p.Source("bronze.events", NDJSON(s3.URL("landing/"), WithSchema(schema)))
		return p.Run(t.Context(), day)
	}
	s3.Down.Store(true)
	_, err := run()
	require.Error(t, err)
	assert.ErrorContains(t, err, "403")
	_, err = os.Stat(filepath.Join(lake, "bronze", "events"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "nothing committed while the store is down")

	s3.Down.Store(false)
	res, err := run()
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusComputed, status(res, "bronze.events", day))
	gets := s3.Gets.Load()
	res, err = run()
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusCached, status(res, "bronze.events", day))
	assert.Equal(t, []string{"1", "2"}, committed(t, filepath.Join(lake, "bronze", "events")))
	assert.Equal(t, int64(2), s3.Gets.Load()-gets, "a cache hit lists two directory levels and reads no object")
}
