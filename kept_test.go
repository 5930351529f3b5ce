package kiln_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

// A node recomputed under a new fingerprint (here a transform's version
// bump) whose output equals what is committed keeps its data files: only
// a new manifest is committed, and the next run is a cache hit. A kept
// file that changed on disk is written anew instead; Force always
// rewrites; a kept commit stopped midway leaves the previous partition.
func TestSameContentNewFingerprintKeepsFiles(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	part := day("2024-03-02")
	build := func(version string) *kiln.Pipeline {
		p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
		src := p.Source("bronze.readings", newSource(cfg5))
		p.Transform("silver.summary", kiln.Func("test.summary", version,
			func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
				return summarize.Apply(ctx, []arrow.Table{in})
			}), src)
		return p
	}
	dir := kiln.PartitionDir(lake, "silver.summary", part)
	data := filepath.Join(dir, "part-00000.parquet")
	manifest := func() *lineage.Manifest {
		b, err := os.ReadFile(filepath.Join(dir, "_kiln", "manifest.json"))
		require.NoError(t, err)
		m, err := lineage.UnmarshalManifest(b)
		require.NoError(t, err)
		return m
	}
	node := func(res *kiln.Result) kiln.NodeResult {
		n, ok := res.Node("silver.summary")
		require.True(t, ok)
		return n
	}

	res, err := build("v1").Run(ctx, part)
	require.NoError(t, err)
	first := node(res)
	require.Equal(t, kiln.StatusComputed, first.Status)
	m1 := manifest()
	st1, err := os.Stat(data)
	require.NoError(t, err)

	res, err = build("v2").Run(ctx, part)
	require.NoError(t, err)
	second := node(res)
	assert.Equal(t, kiln.StatusUnchanged, second.Status)
	assert.NotEqual(t, first.Fingerprint, second.Fingerprint)
	assert.Equal(t, first.ContentHash, second.ContentHash)
	m2 := manifest()
	assert.Equal(t, second.Fingerprint, m2.Fingerprint, "the manifest records the new fingerprint")
	assert.Equal(t, "v2", m2.Operation.Version)
	assert.Equal(t, m1.Files, m2.Files)
	st2, err := os.Stat(data)
	require.NoError(t, err)
	assert.True(t, os.SameFile(st1, st2), "the data file was kept, not rewritten")
	assert.Equal(t, second.Files, m2.Files)

	res, err = build("v2").Run(ctx, part)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusCached, node(res).Status)

	// A kept file changed on disk (same size): written anew, same bytes as
	// first committed.
	b, err := os.ReadFile(data)
	require.NoError(t, err)
	b[len(b)/2] ^= 0xff
	require.NoError(t, os.WriteFile(data, b, 0o644))
	res, err = build("v3").Run(ctx, part)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusComputed, node(res).Status)
	assert.Equal(t, m1.Files, manifest().Files, "rewritten with the bytes of the first commit")

	// Force rewrites.
	res, err = build("v3").Run(ctx, part, kiln.Force())
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusComputed, node(res).Status)

	// A kept commit stopped before its swap leaves the partition as it was.
	before, beforeFP := treeHashes(t, lake), manifest().Fingerprint
	stop := errors.New("simulated crash")
	_, err = build("v4").Run(ctx, part, kiln.WithCommitHooks(nil, func() error { return stop }))
	require.ErrorIs(t, err, stop)
	assert.Equal(t, before, treeHashes(t, lake))
	assert.Equal(t, beforeFP, manifest().Fingerprint)
	res, err = build("v4").Run(ctx, part)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusUnchanged, node(res).Status, "the next run converges")
}
