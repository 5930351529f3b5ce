package lineage_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

func sourceParts(tr *lineage.Trace) []string {
	var out []string
	for _, s := range tr.Sources {
		out = append(out, s.Dataset+" "+s.Partition)
	}
	return out
}

func TestTraceReachesTheBronzePartitionsUsed(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	p := buildPipeline(lake, CleanConfig{KeepViews: true})
	b, err := p.Backfill(ctx, days(t, "2024-01-01", "2024-01-06"))
	require.NoError(t, err)
	cat := lineage.NewCatalog(lake, nil)

	tr, err := cat.Trace(ctx, "gold.user_3d", "dt=2024-01-05")
	require.NoError(t, err)
	assert.Equal(t, contentOf(t, b, "gold.user_3d", "dt=2024-01-05"), tr.Root.ContentHash)
	assert.Equal(t, lineage.TraceCommitted, tr.Root.Status)
	assert.Equal(t, b.Runs[4].RunID, tr.Root.RunID)
	// Exactly the window's bronze partitions, with the hashes the run saw.
	assert.Equal(t, []string{"bronze.events dt=2024-01-03", "bronze.events dt=2024-01-04", "bronze.events dt=2024-01-05"}, sourceParts(tr))
	for _, s := range tr.Sources {
		assert.Equal(t, contentOf(t, b, "bronze.events", s.Partition), s.ContentHash, s.Partition)
		assert.Equal(t, lineage.TraceCommitted, s.Status)
		assert.JSONEq(t, `{"last_event_id":`+map[string]string{
			"dt=2024-01-03": "2000299", "dt=2024-01-04": "3000299", "dt=2024-01-05": "4000299"}[s.Partition]+`}`, string(s.SourceState))
		assert.NotEmpty(t, s.RunID)
	}
	// The root reads three daily partitions through the lookback.
	require.Len(t, tr.Root.Inputs, 3)
	for i, in := range tr.Root.Inputs {
		assert.Equal(t, "lookback", in.Mapping)
		assert.Equal(t, "gold.user_daily", in.Node.Dataset)
		assert.Equal(t, []string{"dt=2024-01-03", "dt=2024-01-04", "dt=2024-01-05"}[i], in.Node.Partition)
		require.Len(t, in.Node.Inputs, 1)
		assert.Equal(t, "same", in.Node.Inputs[0].Mapping)
		assert.Equal(t, "silver.events", in.Node.Inputs[0].Node.Dataset)
	}

	// At the start of the data, the window's missing days were not read and
	// are not traced.
	tr, err = cat.Trace(ctx, "gold.user_3d", "dt=2024-01-01")
	require.NoError(t, err)
	assert.Equal(t, []string{"bronze.events dt=2024-01-01"}, sourceParts(tr))

	_, err = cat.Trace(ctx, "gold.user_3d", "dt=2023-12-01")
	assert.ErrorIs(t, err, lineage.ErrNotFound)
	_, err = cat.Trace(ctx, "../etc", "dt=2023-12-01")
	assert.Error(t, err)
}

func TestTraceFollowsReplacedInputsThroughHistory(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	b, err := buildPipeline(lake, CleanConfig{KeepViews: true}).Backfill(ctx, days(t, "2024-01-01", "2024-01-06"))
	require.NoError(t, err)
	// Recommit silver and daily for the 5th with another config; the 6th's
	// 3-day window still holds the old daily 5th.
	_, err = buildPipeline(lake, CleanConfig{KeepViews: false}).Run(ctx, day(t, "2024-01-05"), kiln.Targets("gold.user_daily"))
	require.NoError(t, err)

	tr, err := lineage.NewCatalog(lake, nil).Trace(ctx, "gold.user_3d", "dt=2024-01-06")
	require.NoError(t, err)
	require.Len(t, tr.Root.Inputs, 3)
	old := tr.Root.Inputs[1].Node
	assert.Equal(t, "dt=2024-01-05", old.Partition)
	assert.Equal(t, lineage.TraceReplaced, old.Status)
	assert.Equal(t, contentOf(t, b, "gold.user_daily", "dt=2024-01-05"), old.ContentHash)
	assert.Equal(t, b.Runs[4].RunID, old.RunID)
	require.Len(t, old.Inputs, 1)
	assert.Equal(t, lineage.TraceReplaced, old.Inputs[0].Node.Status)
	assert.Equal(t, []string{"bronze.events dt=2024-01-04", "bronze.events dt=2024-01-05", "bronze.events dt=2024-01-06"}, sourceParts(tr))
}

func TestImpactListsEverythingDownstream(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	_, err := buildPipeline(lake, CleanConfig{KeepViews: true}).Backfill(ctx, days(t, "2024-01-01", "2024-01-06"))
	require.NoError(t, err)
	cat := lineage.NewCatalog(lake, nil)

	im, err := cat.Impact(ctx, "bronze.events", "")
	require.NoError(t, err)
	var names []string
	for _, n := range im.Downstream {
		names = append(names, n.Dataset)
		assert.Equal(t, "shop", n.Pipeline)
	}
	assert.Equal(t, []string{"silver.events", "gold.user_daily", "gold.user_3d"}, names)
	assert.Equal(t, []int{1, 2, 3}, []int{im.Downstream[0].Depth, im.Downstream[1].Depth, im.Downstream[2].Depth})
	assert.Equal(t, []lineage.GraphInput{{Dataset: "gold.user_daily", Mapping: "lookback"}}, im.Downstream[2].Via)

	im, err = cat.Impact(ctx, "gold.user_daily", "dt=2024-01-03")
	require.NoError(t, err)
	require.Len(t, im.Downstream, 1)
	assert.Equal(t, []string{"dt=2024-01-03", "dt=2024-01-04", "dt=2024-01-05"}, im.Downstream[0].Partitions)

	im, err = cat.Impact(ctx, "bronze.events", "dt=2024-01-06")
	require.NoError(t, err)
	assert.Equal(t, []string{"dt=2024-01-06"}, im.Downstream[1].Partitions)
	assert.Equal(t, []string{"dt=2024-01-06"}, im.Downstream[2].Partitions)

	im, err = cat.Impact(ctx, "gold.user_3d", "")
	require.NoError(t, err)
	assert.Empty(t, im.Downstream)
	_, err = cat.Impact(ctx, "bronze.nothing", "")
	assert.ErrorIs(t, err, lineage.ErrNotFound)
}

func TestDiffNamesTheChangedConfigAndItsDownstream(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	part := day(t, "2024-01-05")
	a, err := buildPipeline(lake, CleanConfig{KeepViews: true}).Run(ctx, part)
	require.NoError(t, err)
	b, err := buildPipeline(lake, CleanConfig{KeepViews: false}).Run(ctx, part)
	require.NoError(t, err)
	cat := lineage.NewCatalog(lake, nil)

	d, err := cat.Diff(ctx, a.RunID, b.RunID[:13])
	require.NoError(t, err)
	assert.Equal(t, "dt=2024-01-05", d.Partition)
	changed := map[string][]string{}
	for _, n := range d.Changed() {
		assert.Equal(t, lineage.DiffChanged, n.Kind)
		changed[n.Node] = append(changed[n.Node], n.Partition)
		switch n.Node {
		case "silver.events":
			assert.Equal(t, []string{lineage.CauseConfig}, n.Causes)
			assert.True(t, n.Root())
			assert.Contains(t, n.Changes, lineage.Change{Field: "config", A: `{"keep_views":true}`, B: `{"keep_views":false}`})
		default:
			assert.Equal(t, []string{lineage.CauseUpstream}, n.Causes, n.Node)
			assert.False(t, n.Root())
			assert.NotEmpty(t, n.Upstream)
			assert.True(t, n.ContentChanged)
		}
	}
	// The lookback read three days, so three partitions of silver and daily
	// were recomputed; the source is unchanged.
	want := map[string][]string{
		"silver.events":   {"dt=2024-01-03", "dt=2024-01-04", "dt=2024-01-05"},
		"gold.user_daily": {"dt=2024-01-03", "dt=2024-01-04", "dt=2024-01-05"},
		"gold.user_3d":    {"dt=2024-01-05"},
	}
	for k := range changed {
		slices.Sort(changed[k])
	}
	assert.Equal(t, want, changed)
	for _, n := range d.Nodes {
		if n.Node == "bronze.events" {
			assert.Equal(t, lineage.DiffSame, n.Kind)
		}
	}

	// Versions: two of silver's 5th, the newer one current.
	vs, err := cat.Versions(ctx, "silver.events")
	require.NoError(t, err)
	var fifth []lineage.DatasetVersion
	for _, v := range vs {
		if v.Partition == "dt=2024-01-05" {
			fifth = append(fifth, v)
		}
	}
	require.Len(t, fifth, 2)
	assert.Equal(t, []string{a.RunID, b.RunID}, []string{fifth[0].RunID, fifth[1].RunID})
	assert.Equal(t, []bool{false, true}, []bool{fifth[0].Current, fifth[1].Current})
	assert.NotEmpty(t, fifth[1].Files)
	assert.NotEmpty(t, fifth[1].Schema)

	// Runs of different partitions do not compare.
	c, err := buildPipeline(lake, CleanConfig{KeepViews: false}).Run(ctx, day(t, "2024-01-06"))
	require.NoError(t, err)
	_, err = cat.Diff(ctx, a.RunID, c.RunID)
	assert.ErrorContains(t, err, "not of the same pipeline partition")
	_, err = cat.Diff(ctx, a.RunID, "0000000000")
	assert.ErrorIs(t, err, lineage.ErrNotFound)
}

func TestDiffOfIdenticalRunsIsSame(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	p := buildPipeline(lake, CleanConfig{KeepViews: true})
	a, err := p.Run(ctx, day(t, "2024-01-02"))
	require.NoError(t, err)
	b, err := p.Run(ctx, day(t, "2024-01-02"))
	require.NoError(t, err)
	d, err := lineage.NewCatalog(lake, nil).Diff(ctx, a.RunID, b.RunID)
	require.NoError(t, err)
	assert.Empty(t, d.Changed())
	assert.Empty(t, d.Build)
	assert.NotEmpty(t, d.Nodes)
}

func TestRunsAndColumnTrace(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	_, err := buildPipeline(lake, CleanConfig{KeepViews: true}).Backfill(ctx, days(t, "2024-01-01", "2024-01-03"))
	require.NoError(t, err)
	cat := lineage.NewCatalog(lake, nil)

	runs, err := cat.Runs(ctx, "shop")
	require.NoError(t, err)
	require.Len(t, runs, 3)
	for i, r := range runs {
		assert.Equal(t, []string{"dt=2024-01-01", "dt=2024-01-02", "dt=2024-01-03"}[i], r.Partition)
		assert.Equal(t, lineage.RunSucceeded, r.Status)
	}

	col, err := cat.TraceColumn(ctx, "gold.user_3d", "revenue")
	require.NoError(t, err)
	assert.Equal(t, []string{"bronze.events.amount", "bronze.events.event_type", "bronze.events.user_id"}, col.Origins())
	require.Len(t, col.Inputs, 2)
	assert.Equal(t, "gold.user_daily", col.Inputs[0].Node.Dataset)
	assert.Equal(t, "DIRECT", col.Inputs[0].Kind)
	assert.Equal(t, "AGGREGATION", col.Inputs[0].Subtype)

	col, err = cat.TraceColumn(ctx, "gold.user_3d", "dt")
	require.NoError(t, err)
	assert.True(t, col.Undeclared)
	_, err = cat.TraceColumn(ctx, "gold.user_3d", "nope")
	assert.True(t, errors.Is(err, lineage.ErrNotFound))
	assert.ErrorContains(t, err, "revenue")
}
