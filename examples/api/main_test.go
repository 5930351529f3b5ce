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

func TestAPIRuns(t *testing.T) {
	lake := filepath.Join(t.TempDir(), "lake")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-lake", lake, "-events", "300"}, &out))
	s := out.String()

	// 300 events a day at 250 a page: two pages a day; each day starts
	// after the previous day's mark. On day 2 one page failed once and
	// was retried (3 requests for 2 pages).
	want := []string{
		`2024-06-03\s+2\s+0\s+2\s+300\s+-\s+300\s`,
		`2024-06-04\s+3\s+1\s+2\s+300\s+300\s+600\s`,
		`2024-06-05\s+2\s+0\s+2\s+300\s+600\s+900\s`,
		`2024-06-06\s+2\s+0\s+2\s+300\s+900\s+1200\s`,
		`2024-06-07\s+2\s+0\s+2\s+300\s+1200\s+1500\s`,
	}
	for _, w := range want {
		assert.Regexp(t, regexp.MustCompile(`(?m)^\s*`+w), s)
	}
	assert.Regexp(t, `(?m)2024-06-03.*eur \d+\.\d\d gbp \d+\.\d\d usd \d+\.\d\d$`, s)
	assert.Contains(t, s, "rerun of the 5 days: 10 of 10 node partitions were cache hits, 0 requests")
	assert.Contains(t, s, "requests without a valid token: 0")
	assert.Contains(t, s, "files in the lake holding the token: 0")

	// The landed partitions hold every event once.
	days, err := kiln.Days("2024-06-03", "2024-06-07")
	require.NoError(t, err)
	var total int64
	for _, d := range days {
		m, err := kiln.ReadManifest(lake, "bronze.payment_events", d)
		require.NoError(t, err)
		total += m.Rows
	}
	assert.EqualValues(t, 1500, total)
}

func TestAPIRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-events", "1"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}
