package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestClickstreamRuns(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-lake", filepath.Join(dir, "lake"), "-landing", filepath.Join(dir, "landing"), "-clicks", "7000"}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), args, &out))
	s := out.String()

	// 7 days x 4 shard files, plus users.csv.
	assert.Regexp(t, `landed \d+ clicks in 29 files`, s)
	for _, node := range []string{"bronze.clicks", "bronze.users", "silver.clicks", "gold.sessions", "gold.user_daily", "gold.daily_sessions"} {
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(node)+`\s+[17]\s+\d+\s+0/[17]$`), s, "first run computes %s", node)
	}
	// Cleaning drops anonymous and resent clicks; sessions are fewer than clicks.
	rows := func(node string) int {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(node) + `\s+\d+\s+(\d+)`).FindStringSubmatch(s)
		require.NotNil(t, m, node)
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		return n
	}
	assert.Less(t, rows("silver.clicks"), rows("bronze.clicks"))
	assert.Less(t, rows("gold.sessions"), rows("silver.clicks"))
	assert.Less(t, rows("gold.user_daily"), rows("gold.sessions"))
	assert.Equal(t, 21, rows("gold.daily_sessions"), "7 days x 3 plans")

	assert.Regexp(t, `quality: (\d+) of \d+ check results passed`, s)
	m := regexp.MustCompile(`quality: (\d+) of (\d+)`).FindStringSubmatch(s)
	assert.Equal(t, m[1], m[2], "every check passes")
	assert.Contains(t, s, "3 checks: 3 passed, 0 failed")
	assert.Regexp(t, `(?m)^\s+free\s+\d+\s+\d+\s+\S+\s+[\d.]+\s+[\d.]+%$`, s)
	assert.Contains(t, s, "rerun: 36 of 36 node partitions were cache hits")

	// Running the example again lands nothing new: every node is a cache hit.
	out.Reset()
	require.NoError(t, run(context.Background(), args, &out))
	assert.Regexp(t, `(?m)^gold\.daily_sessions\s+7\s+21\s+7/7$`, out.String())
}

// The pipeline reads what was landed: one day's committed clicks are that
// day's lines, and its sessions never span days.
func TestClickstreamSessionsStayInTheirDay(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-lake", filepath.Join(dir, "lake"), "-landing", filepath.Join(dir, "landing"), "-clicks", "7000"}, &out))
	m, err := kiln.ReadManifest(filepath.Join(dir, "lake"), "gold.sessions", kiln.Date(2024, 3, 6))
	require.NoError(t, err)
	require.Positive(t, m.Rows)
	type session struct {
		DT kiln.CalendarDate `kiln:"dt"`
	}
	tbl, err := readDataset(context.Background(), filepath.Join(dir, "lake"), "gold.sessions", kiln.Date(2024, 3, 6))
	require.NoError(t, err)
	defer tbl.Release()
	got, err := kiln.Rows[session](tbl)
	require.NoError(t, err)
	require.Len(t, got, int(m.Rows))
	for _, r := range got {
		require.Equal(t, "2024-03-06", r.DT.Time().Format("2006-01-02"))
	}
}

func TestClickstreamRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-clicks", "3"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}
