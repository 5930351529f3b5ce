package main

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
)

func TestGoldentestRuns(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-lake", filepath.Join(t.TempDir(), "lake"), "-purchases", "200"}, &out))
	s := out.String()

	// The program prints exactly the golden file the test compares with
	// (unless this run is rewriting it with -update).
	golden, err := os.ReadFile("testdata/recency.golden")
	require.NoError(t, err)
	if f := flag.Lookup("update"); f == nil || f.Value.String() != "true" {
		assert.Contains(t, s, indent(string(golden)))
	}
	assert.Contains(t, s, "go test ./examples/goldentest -update")

	// The edited function's output differs under the same version.
	m := regexp.MustCompile(`golden content  (blake3:[0-9a-f]{64})\n  edited content  (blake3:[0-9a-f]{64})`).FindStringSubmatch(s)
	require.NotNil(t, m, s)
	assert.NotEqual(t, m[1], m[2])
	assert.Contains(t, s, `the output of goldentest.recency changed but its version "v1" did not`)

	// The pipeline read 28 days and computed one row per active user.
	assert.Regexp(t, `gold.user_recency dt=2024-03-31 computed: \d+ users from 28 days of purchases`, s)
}

func TestGoldentestRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-purchases", "0"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}
