package lineage_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/lineage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// golden compares got with testdata/name, after masking run ids (the only
// part that differs between runs), or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = uuidRE.ReplaceAll(got, []byte("<run id>"))
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got))
}

// TestRenderings pins the text the CLI prints for trace, impact, diff and
// column traces of the test pipeline (whose data and hashes are
// deterministic).
func TestRenderings(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	_, err := buildPipeline(lake, CleanConfig{KeepViews: true}).Backfill(ctx, days(t, "2024-01-01", "2024-01-04"))
	require.NoError(t, err)
	a, err := buildPipeline(lake, CleanConfig{KeepViews: true}).Run(ctx, day(t, "2024-01-04"))
	require.NoError(t, err)
	b, err := buildPipeline(lake, CleanConfig{KeepViews: false}).Run(ctx, day(t, "2024-01-04"))
	require.NoError(t, err)
	cat := lineage.NewCatalog(lake, nil)

	var out bytes.Buffer
	tr, err := cat.Trace(ctx, "gold.user_3d", "dt=2024-01-03")
	require.NoError(t, err)
	out.WriteString("$ trace gold.user_3d dt=2024-01-03\n")
	require.NoError(t, tr.WriteText(&out))

	im, err := cat.Impact(ctx, "bronze.events", "dt=2024-01-02")
	require.NoError(t, err)
	out.WriteString("\n$ impact bronze.events dt=2024-01-02\n")
	require.NoError(t, im.WriteText(&out))

	d, err := cat.Diff(ctx, a.RunID, b.RunID)
	require.NoError(t, err)
	out.WriteString("\n$ diff\n")
	require.NoError(t, d.WriteText(&out))

	col, err := cat.TraceColumn(ctx, "gold.user_3d", "revenue")
	require.NoError(t, err)
	out.WriteString("\n$ trace column gold.user_3d revenue\n")
	require.NoError(t, col.WriteText(&out))
	golden(t, "render.golden", out.Bytes())
}
