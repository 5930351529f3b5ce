package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestBackfillFailsOnePartitionThenResumes(t *testing.T) {
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-lake", lake, "-landing", filepath.Join(dir, "landing"), "-orders", "20", "-parallel", "2"}, &out))
	s := out.String()

	first, resume, ok := bytes.Cut([]byte(s), []byte("\nresume"))
	require.True(t, ok, s)

	// The failure report: the partition, the node, the file, line and column.
	assert.Contains(t, string(first), "83 of 90 partitions complete")
	assert.Regexp(t, `bronze\.sales dt=2024-02-10: .*dt=2024-02-10/sales\.csv:\d+:\d+: column "unit_price": cannot parse "[\d.]+O" as float64`, string(first))
	assert.Contains(t, string(first), "not run because an input failed: gold.store_daily dt=2024-02-10; gold.store_7d dt=2024-02-10 .. dt=2024-02-16 (7)")
	assert.Regexp(t, `(?m)^bronze\.sales\s+89\s+0\s+1\s+0$`, string(first))
	assert.Regexp(t, `(?m)^gold\.store_7d\s+83\s+0\s+0\s+7$`, string(first))

	// The resume recomputes only what the broken day touched.
	assert.Contains(t, string(resume), "90 of 90 partitions complete")
	assert.Regexp(t, `(?m)^bronze\.sales\s+1\s+89\s+0\s+0$`, string(resume))
	assert.Regexp(t, `(?m)^gold\.store_daily\s+1\s+89\s+0\s+0$`, string(resume))
	assert.Regexp(t, `(?m)^gold\.store_7d\s+7\s+83\s+0\s+0$`, string(resume))
	assert.Contains(t, string(resume), "recomputed: bronze.sales dt=2024-02-10; gold.store_daily dt=2024-02-10; gold.store_7d dt=2024-02-10 .. dt=2024-02-16 (7)")

	// Every day is committed in the end.
	days, err := kiln.Days("2024-01-01", "2024-03-30")
	require.NoError(t, err)
	for _, d := range days {
		_, err := kiln.ReadManifest(lake, "gold.store_7d", d)
		require.NoError(t, err, d.String())
	}
}

func TestBackfillWithoutFailure(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-lake", filepath.Join(dir, "lake"), "-landing", filepath.Join(dir, "landing"), "-orders", "10", "-fail-on", ""}, &out))
	assert.Contains(t, out.String(), "90 of 90 partitions complete")
	assert.NotContains(t, out.String(), "failures")
	assert.Regexp(t, regexp.MustCompile(`(?m)^gold\.store_7d\s+90\s+0\s+0\s+0$`), out.String())
}

func TestBackfillRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.ErrorContains(t, run(context.Background(), []string{"-fail-on", "2023-12-31"}, &out), "-fail-on must be a day from dt=2024-01-01 to dt=2024-03-30")
	assert.Error(t, run(context.Background(), []string{"-orders", "0"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}
