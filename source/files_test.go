package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs"
	"github.com/kiln-data/kiln/internal/digest"
)

// listed returns the keys a source lists for a partition.
func listed(t *testing.T, s *FileSource, p kiln.Partition) ([]string, error) {
	t.Helper()
	_, files, err := s.list(t.Context(), p)
	var keys []string
	for _, f := range files {
		keys = append(keys, f.key)
	}
	return keys, err
}

func TestFileListing(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{
		"hive/dt=2024-01-29/a.csv":           "x\n1\n",
		"hive/dt=2024-01-30/b.csv":           "x\n2\n",
		"hive/dt=2024-01-30/a.csv":           "x\n3\n",
		"hive/dt=2024-01-30/_SUCCESS":        "",
		"hive/dt=2024-01-30/.hidden.csv":     "x\n9\n",
		"hive/dt=2024-01-30/notes.md":        "",
		"hive/dt=2024-01-30/sub/c.csv.gz":    "",
		"hive/_tmp/dt=2024-01-30/z.csv":      "x\n9\n",
		"hive/readme.csv":                    "x\n9\n",
		"hourly/dt=2024-01-30/hour=13/a.csv": "x\n1\n",
		"hourly/dt=2024-01-30/hour=14/a.csv": "x\n2\n",
		"static/region=eu/a.csv":             "x\n1\n",
		"static/region=us/a.csv":             "x\n2\n",
		"named/events_2024-01-30.csv":        "x\n1\n",
		"named/events_2024-01-31.csv":        "x\n2\n",
		"ymd/2024/01/30/x.csv":               "x\n1\n",
		"flat/a.csv":                         "x\n1\n",
		"flat/deep/er/b.csv":                 "x\n1\n",
		"flat/deep/c.csv":                    "x\n1\n",
	})
	day := kiln.Date(2024, 1, 30)
	hour := kiln.HourOf(time.Date(2024, 1, 30, 13, 0, 0, 0, time.UTC))
	eu, err := kiln.Static("region", "eu")
	require.NoError(t, err)
	cases := []struct {
		name, loc string
		part      kiln.Partition
		want      []string
		err       string
	}{
		{"hive day", "hive", day, []string{"hive/dt=2024-01-30/a.csv", "hive/dt=2024-01-30/b.csv", "hive/dt=2024-01-30/sub/c.csv.gz"}, ""},
		{"hive all", "hive/", kiln.All, []string{"dt=2024-01-29/a.csv", "dt=2024-01-30/a.csv", "dt=2024-01-30/b.csv", "dt=2024-01-30/sub/c.csv.gz", "readme.csv"}, ""},
		{"hive glob", "hive/dt=*/*.csv", day, []string{"dt=2024-01-30/a.csv", "dt=2024-01-30/b.csv"}, ""},
		{"hive absent day", "hive", kiln.Date(2024, 2, 1), nil, ""},
		{"hourly hour", "hourly", hour, []string{"hourly/dt=2024-01-30/hour=13/a.csv"}, ""},
		{"hourly day", "hourly/", day, []string{"dt=2024-01-30/hour=13/a.csv", "dt=2024-01-30/hour=14/a.csv"}, ""},
		{"static", "static/", eu, []string{"region=eu/a.csv"}, ""},
		{"placeholder", "named/events_{dt}.csv", day, []string{"events_2024-01-30.csv"}, ""},
		{"placeholder all", "named/events_{dt}.csv", kiln.All, []string{"events_2024-01-30.csv", "events_2024-01-31.csv"}, ""},
		{"placeholder ymd", "ymd/{yyyy}/{mm}/{dd}/*.csv", day, []string{"2024/01/30/x.csv"}, ""},
		{"placeholder missing", "named/events_{hour}.csv", day, nil, "placeholder {hour} has no value"},
		{"not partitioned", "flat/", day, nil, "files are not partitioned by dt"},
		{"double star", "flat/**/*.csv", kiln.All, []string{"a.csv", "deep/c.csv", "deep/er/b.csv"}, ""},
		{"double star inner", "flat/**/er/*.csv", kiln.All, []string{"deep/er/b.csv"}, ""},
		{"single file", "flat/a.csv", kiln.All, []string{"a.csv"}, ""},
		{"missing dir", "nope/", kiln.All, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := listed(t, CSV(dir+"/"+tc.loc), tc.part)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFileSourcePartitionRead(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{
		"dt=2024-01-29/a.csv": "id,v\n1,a\n",
		"dt=2024-01-30/b.csv": "id,v\n3,c\n",
		"dt=2024-01-30/a.csv": "id,v\n2,b\n",
	})
	s := CSV(dir)
	ctx := kiln.NewContext(t.Context(), "bronze.x", kiln.Date(2024, 1, 30))
	sc, err := s.Schema(ctx)
	require.NoError(t, err)
	assert.Equal(t, "id", sc.Field(0).Name)
	tbl, err := s.Read(ctx)
	require.NoError(t, err)
	defer tbl.Release()
	assert.Equal(t, []string{"2|b", "3|c"}, ftRows(tbl), "files in key order")

	v1, err := s.SourceVersion(ctx)
	require.NoError(t, err)
	v2, err := s.SourceVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, v1, v2)
	ftWrite(t, dir, map[string]string{"dt=2024-01-30/b.csv": "id,v\n3,c\n4,d\n"})
	v3, err := s.SourceVersion(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, v1, v3, "a changed file changes the version")

	_, err = s.SourceVersion(kiln.NewContext(t.Context(), "bronze.x", kiln.Date(2024, 2, 1)))
	assert.True(t, errors.Is(err, kiln.ErrNoPartition), "%v", err)

	assert.Equal(t, "source.csv", s.Spec().Name)
	cfg := s.Spec().Config.(fileConfig)
	assert.Equal(t, filepath.ToSlash(dir), filepath.ToSlash(cfg.Location))
}

func TestBlobfsSplit(t *testing.T) {
	cases := []struct{ in, root, pattern string }{
		{"landing/events/*.csv", "landing/events", "*.csv"},
		{"landing/events/", "landing/events", ""},
		{"landing/events", "landing", "events"},
		{"x.csv", ".", "x.csv"},
		{"/data/x.csv", "/data", "x.csv"},
		{"/x.csv", "/", "x.csv"},
		{"a/b?.csv", "a", "b?.csv"},
		{"a/dt={dt}/x.csv", "a", "dt={dt}/x.csv"},
		{"s3://b/p/dt=*/x.csv?endpoint=http://h:1&region=r", "s3://b/p?endpoint=http://h:1&region=r", "dt=*/x.csv"},
		{"s3://b/p/?region=r", "s3://b/p?region=r", ""},
		{"s3://b/x.csv", "s3://b", "x.csv"},
		{"s3://b", "s3://b", ""},
		{"mem://name/events/", "mem://name/events", ""},
		{"file:///tmp/x/**/*.csv", "file:///tmp/x", "**/*.csv"},
	}
	for _, tc := range cases {
		root, pattern := blobfs.Split(tc.in)
		assert.Equal(t, tc.root, root, tc.in)
		assert.Equal(t, tc.pattern, pattern, tc.in)
	}
}

func TestFileURLLocation(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"a.csv": "id\n1\n"})
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	tbl, _ := ftMust(t, CSV("file://"+filepath.ToSlash(abs)+"/*.csv"), kiln.All)
	assert.Equal(t, []string{"1"}, ftRows(tbl))
	require.NoError(t, os.Remove(filepath.Join(dir, "a.csv")))
}

// TestFileSourceDeterminism reads many files at GOMAXPROCS 1 and 2: the
// content hash is the same.
func TestFileSourceDeterminism(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 12 {
		var b strings.Builder
		b.WriteString("id,v\n")
		for r := range 50 + i*7 {
			fmt.Fprintf(&b, "%d,%d.5\n", i*1000+r, r)
		}
		files[fmt.Sprintf("part-%02d.csv", i)] = b.String()
	}
	ftWrite(t, dir, files)
	hash := func(procs int) digest.Sum {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		tbl, _ := ftMust(t, CSV(dir), kiln.All)
		h, err := digest.Table(tbl)
		require.NoError(t, err)
		return h
	}
	h1 := hash(1)
	assert.Equal(t, h1, hash(2))
	assert.Equal(t, h1, hash(2))
}

func TestTimestampLayout(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"a.csv": "ts\n30/01/2024 10:11\n"})
	tbl, _ := ftMust(t, CSV(dir+"/a.csv", TimestampLayout("02/01/2006 15:04")), kiln.All)
	assert.True(t, arrow.TypeEqual(ftTS, tbl.Schema().Field(0).Type), "inferred with the layout")
	assert.Equal(t, []string{"2024-01-30T10:11:00Z"}, ftRows(tbl))
}
