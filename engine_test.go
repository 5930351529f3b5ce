package kiln_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

var cfg5 = GenCfg{Rows: 500, First: "2024-03-01", Days: 5}

func TestRunCommitsAndCaches(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	p := testPipeline(t, lake, cfg5)

	res, err := p.Run(ctx, day("2024-03-03"))
	require.NoError(t, err)
	src, ok := res.Node("bronze.readings")
	require.True(t, ok)
	assert.Equal(t, kiln.StatusComputed, src.Status)
	assert.EqualValues(t, 500, src.Rows)
	sum, _ := res.Node("silver.summary")
	assert.Equal(t, kiln.StatusComputed, sum.Status)
	assert.EqualValues(t, 5, sum.Rows)

	// The lookback read three committed-or-computed source partitions.
	w, _ := res.Node("gold.summary_3d")
	require.Len(t, w.Inputs, 3)
	assert.Equal(t, "dt=2024-03-01", w.Inputs[0].Partition)
	assert.Equal(t, "dt=2024-03-03", w.Inputs[2].Partition)
	assert.Equal(t, "lookback", w.Inputs[0].Mapping)

	// Files and manifest are where DESIGN.md says.
	part := filepath.Join(lake, "bronze", "readings", "dt=2024-03-03")
	assert.FileExists(t, filepath.Join(part, "part-00000.parquet"))
	mb, err := os.ReadFile(filepath.Join(part, "_kiln", "manifest.json"))
	require.NoError(t, err)
	m, err := lineage.UnmarshalManifest(mb)
	require.NoError(t, err)
	assert.Equal(t, src.ContentHash, m.ContentHash)
	assert.Equal(t, src.Fingerprint, m.Fingerprint)
	assert.EqualValues(t, 500, m.Rows)
	require.Len(t, m.Files, 1)
	assert.Equal(t, "test.readings", m.Operation.Name)
	assert.NotEmpty(t, m.Build.GoVersion)

	// A run record was written.
	rec, err := lineage.ReadRunRecord(res.RecordPath)
	require.NoError(t, err)
	assert.Equal(t, res.RunID, rec.RunID)
	assert.Equal(t, lineage.RunSucceeded, rec.Status)
	assert.Len(t, rec.Nodes, len(res.Nodes))

	// Second run: everything is a cache hit and the source is not read.
	before := sourceReads.Load()
	res2, err := p.Run(ctx, day("2024-03-03"))
	require.NoError(t, err)
	for _, n := range res2.Nodes {
		assert.Equal(t, kiln.StatusCached, n.Status, n.Node+" "+n.Partition.String())
	}
	assert.Equal(t, before, sourceReads.Load(), "a cached source must not be read")

	// Force recomputes and gives the same hashes.
	res3, err := p.Run(ctx, day("2024-03-03"), kiln.Force())
	require.NoError(t, err)
	for i, n := range res3.Nodes {
		assert.Equal(t, kiln.StatusComputed, n.Status)
		assert.Equal(t, res.Nodes[i].ContentHash, n.ContentHash)
		assert.Equal(t, res.Nodes[i].Fingerprint, n.Fingerprint)
	}
}

func TestConfigChangeInvalidatesDownstream(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	_, err := testPipeline(t, lake, cfg5).Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	changed := cfg5
	changed.Salt = 1
	res, err := testPipeline(t, lake, changed).Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	assert.Equal(t, 1, res.Count(kiln.StatusAbsent), "2024-02-29 precedes the data")
	assert.Equal(t, len(res.Nodes)-1, res.Count(kiln.StatusComputed))
}

func TestLookbackSkipsAbsentAndRequiresCurrent(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	p := testPipeline(t, lake, cfg5)
	// 2024-03-01 is the first day: the window's two earlier days are absent.
	res, err := p.Run(ctx, day("2024-03-01"))
	require.NoError(t, err)
	w, _ := res.Node("gold.summary_3d")
	require.Len(t, w.Inputs, 1)
	assert.Equal(t, "dt=2024-03-01", w.Inputs[0].Partition)
	assert.Equal(t, 2, res.Count(kiln.StatusAbsent))
	// Nothing was committed for absent partitions.
	assert.NoDirExists(t, filepath.Join(lake, "bronze", "readings", "dt=2024-02-29"))

	// A partition the source does not have fails with ErrNoPartition.
	_, err = p.Run(ctx, day("2024-04-01"))
	require.ErrorIs(t, err, kiln.ErrNoPartition)
	var ne *kiln.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "bronze.readings", ne.Node)
}

func TestBackfillResumesAfterFailure(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	fail := "dt=2024-03-03"
	flaky := kiln.Func("test.flaky", "v1", func(ctx *kiln.Context, bad string, in arrow.Table) (arrow.Table, error) {
		if ctx.Partition().String() == bad {
			return nil, errors.New("injected failure")
		}
		return summarize.Apply(ctx, []arrow.Table{in})
	})
	build := func(bad string) *kiln.Pipeline {
		p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
		src := p.Source("bronze.readings", newSource(cfg5))
		sum := p.Transform("silver.summary", flaky.With(bad), src)
		p.Transform("gold.trend", kiln.Func("test.count", "v1", func(_ *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
			in.Retain()
			return in, nil
		}), kiln.Lookback(sum, 2*kiln.Day))
		return p
	}
	days, err := kiln.Days("2024-03-01", "2024-03-05")
	require.NoError(t, err)
	b, err := build(fail).Backfill(ctx, days, kiln.Parallel(2))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "injected failure")
	assert.Contains(t, err.Error(), `node "silver.summary" partition dt=2024-03-03`)
	// 2024-03-04's two-day window includes the failed day: it fails too.
	assert.Equal(t, []kiln.Partition{day("2024-03-03"), day("2024-03-04")}, b.Failed())
	assert.ErrorIs(t, b.Runs[3].Err, kiln.ErrUpstream)
	assert.NoDirExists(t, filepath.Join(lake, "silver", "summary", "dt=2024-03-03"))
	assert.DirExists(t, filepath.Join(lake, "silver", "summary", "dt=2024-03-04"))

	// The rerun (config fixed: the bad partition name no longer matches) resumes.
	b2, err := build("none").Backfill(ctx, days)
	require.NoError(t, err)
	computed, unchanged := 0, 0
	for _, r := range b2.Runs {
		computed += r.Count(kiln.StatusComputed)
		unchanged += r.Count(kiln.StatusUnchanged)
	}
	// The transform's config changed, so all five summaries recompute, but
	// every source partition is a cache hit.
	for _, r := range b2.Runs {
		n, _ := r.Node("bronze.readings")
		assert.Equal(t, kiln.StatusCached, n.Status)
	}
	// Five summaries recompute (their config changed): the four committed
	// before come out the same and keep their files (unchanged), the failed
	// one is new. Only the two trends that failed before compute: the
	// others' inputs have the same content, so their fingerprints match
	// (content-addressed caching).
	assert.Equal(t, 4, unchanged)
	assert.Equal(t, 1+2, computed)
}

func TestDeterministicAcrossGOMAXPROCSAndRuns(t *testing.T) {
	ctx := context.Background()
	days, err := kiln.Days("2024-03-01", "2024-03-05")
	require.NoError(t, err)
	var trees []map[string]string
	for _, procs := range []int{1, 2, 1} {
		prev := runtime.GOMAXPROCS(procs)
		lake := t.TempDir()
		_, err := testPipeline(t, lake, cfg5).Backfill(ctx, days)
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		trees = append(trees, treeHashes(t, lake))
	}
	require.NotEmpty(t, trees[0])
	assert.Equal(t, trees[0], trees[1], "GOMAXPROCS 1 vs 2")
	assert.Equal(t, trees[0], trees[2], "two runs at GOMAXPROCS 1")
}

func TestRerunChangesNoByteAndRebuildsDeletedPartition(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	days, err := kiln.Days("2024-03-01", "2024-03-05")
	require.NoError(t, err)
	p := testPipeline(t, lake, cfg5)
	_, err = p.Backfill(ctx, days)
	require.NoError(t, err)
	before := treeHashes(t, lake)

	_, err = p.Backfill(ctx, days)
	require.NoError(t, err)
	assert.Equal(t, before, treeHashes(t, lake), "a rerun must change no byte")

	gone := filepath.Join(lake, "silver", "summary", "dt=2024-03-02")
	require.NoError(t, os.RemoveAll(gone))
	b, err := p.Backfill(ctx, days)
	require.NoError(t, err)
	assert.Equal(t, before, treeHashes(t, lake), "the rebuilt partition must have the same bytes")
	var computed []string
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			if n.Status == kiln.StatusComputed {
				computed = append(computed, n.Node+" "+n.Partition.String())
			}
		}
	}
	assert.Equal(t, []string{"silver.summary dt=2024-03-02"}, computed)
}

func TestCancelledRunCommitsNothing(t *testing.T) {
	lake := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	block := kiln.Func("test.block", "v1", func(kctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		if kctx.Planning() {
			return in, nil
		}
		cancel()
		<-kctx.Done()
		return in, nil
	})
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	src := p.Source("bronze.readings", newSource(cfg5))
	mid := p.Transform("silver.blocked", block, src)
	p.Transform("gold.after", summarize, mid)
	res, err := p.Run(ctx, day("2024-03-02"))
	require.ErrorIs(t, err, context.Canceled)
	n, _ := res.Node("silver.blocked")
	assert.NotEqual(t, kiln.StatusComputed, n.Status)
	g, _ := res.Node("gold.after")
	assert.Equal(t, kiln.StatusSkipped, g.Status)
	assert.NoDirExists(t, filepath.Join(lake, "silver", "blocked", "dt=2024-03-02"))
	assert.NoDirExists(t, filepath.Join(lake, "gold", "after"))
	rec, err := lineage.ReadRunRecord(res.RecordPath)
	require.NoError(t, err)
	assert.Equal(t, lineage.RunCancelled, rec.Status)
}

func TestTargetsRunUpstreamOnly(t *testing.T) {
	lake := t.TempDir()
	res, err := testPipeline(t, lake, cfg5).Run(context.Background(), day("2024-03-02"), kiln.Targets("silver.summary"))
	require.NoError(t, err)
	_, ok := res.Node("gold.summary_3d")
	assert.False(t, ok)
	_, ok = res.Node("silver.summary")
	assert.True(t, ok)
}

func TestPanicInTransformIsANodeError(t *testing.T) {
	lake := t.TempDir()
	boom := kiln.Func("test.boom", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		if ctx.Planning() {
			return in, nil
		}
		var m map[string]int
		m["x"] = 1
		return in, nil
	})
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	p.Transform("silver.boom", boom, p.Source("bronze.readings", newSource(cfg5)))
	_, err := p.Run(context.Background(), day("2024-03-02"))
	var ne *kiln.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "silver.boom", ne.Node)
	assert.Contains(t, err.Error(), "panic")
}

func TestOutputSchemaMustMatchPlan(t *testing.T) {
	lake := t.TempDir()
	liar := kiln.Func("test.liar", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		if ctx.Planning() {
			return in, nil
		}
		return summarize.Apply(ctx, []arrow.Table{in})
	})
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	p.Transform("silver.liar", liar, p.Source("bronze.readings", newSource(cfg5)))
	_, err := p.Run(context.Background(), day("2024-03-02"))
	require.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	assert.Contains(t, err.Error(), `column "id": missing`)
	assert.NoDirExists(t, filepath.Join(lake, "silver", "liar"))
}
