package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform"
)

func runSmall(t *testing.T, lake string) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-lake", lake, "-events", "400", "-labels", "300"}, &out))
	return out.String()
}

func TestTrainingsetRuns(t *testing.T) {
	lake := filepath.Join(t.TempDir(), "lake")
	s := runSmall(t, lake)

	assert.Contains(t, s, "registered feature group user_7d v1: 6 features, TTL 24h0m0s")
	assert.Regexp(t, `labels: 300 rows, [\d.]+% bought in the next 7 days`, s)
	assert.Contains(t, s, "training set gold.training_purchase_7d: 300 rows x 10 columns")
	assert.Contains(t, s, "built from labels.purchase_next_7d and 30 partitions of gold.user_7d")

	// No label sees the future; a naive join would have.
	m := regexp.MustCompile(`point in time: (\d+) labels found features; 0 of them saw an event after label_ts\n.*leaked the future into (\d+) labels`).FindStringSubmatch(s)
	require.NotNil(t, m, s)
	found, _ := strconv.Atoi(m[1])
	leaks, _ := strconv.Atoi(m[2])
	assert.Positive(t, found)
	assert.Positive(t, leaks)

	// Every model input is scaled to mean 0 and standard deviation 1.
	for _, c := range modelInputs {
		assert.Regexp(t, regexp.MustCompile(`(?m)^\s*`+c+`\s+[\d.]+\s+[\d.]+\s+0\.000\s+1\.000$`), s)
	}

	// The artifact on disk verifies, and the committed training set
	// lists its label table and the 30 group partitions it read.
	b, err := os.ReadFile(filepath.Join(lake, "_models", "purchase_7d", "standard_scaler.json"))
	require.NoError(t, err)
	art, err := transform.ParseArtifact(b)
	require.NoError(t, err)
	assert.Equal(t, "standard_scaler", art.Kind)
	assert.Contains(t, s, art.Hash)
	man, err := kiln.ReadManifest(lake, "gold.training_purchase_7d", kiln.All)
	require.NoError(t, err)
	assert.EqualValues(t, 300, man.Rows)
	assert.Len(t, man.Inputs, 31)
}

// The same inputs give the same training set and the same artifact, in
// another lake.
func TestTrainingsetDeterministic(t *testing.T) {
	hashes := regexp.MustCompile(`content ([0-9a-f]{12})|scaler fitted on \d+ rows: (blake3:[0-9a-f]+)`)
	a := hashes.FindAllString(runSmall(t, filepath.Join(t.TempDir(), "a")), -1)
	b := hashes.FindAllString(runSmall(t, filepath.Join(t.TempDir(), "b")), -1)
	require.Len(t, a, 2)
	assert.Equal(t, a, b)
}

func TestTrainingsetRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-events", "1"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}
