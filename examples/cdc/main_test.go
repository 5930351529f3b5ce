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
)

func TestCDCRuns(t *testing.T) {
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-lake", lake, "-customers", "200", "-work", filepath.Join(dir, "work")}, &out))
	s := out.String()

	// One line per day: what the app did and what kiln landed.
	days := regexp.MustCompile(`(?m)^\s+(2024-05-\d\d)((?:\s+\d+){9})$`).FindAllStringSubmatch(s, -1)
	require.Len(t, days, 5, s)
	live := 0
	for i, d := range days {
		var n []int
		for _, f := range regexp.MustCompile(`\d+`).FindAllString(d[2], -1) {
			v, err := strconv.Atoi(f)
			require.NoError(t, err)
			n = append(n, v)
		}
		signUps, updates, deletes, newOrders, orderUpdates := n[0], n[1], n[2], n[3], n[4]
		orders, changes, upserts, liveNow := n[5], n[6], n[7], n[8]
		// Incremental extraction reads each change exactly once.
		assert.Equal(t, newOrders+orderUpdates, orders, "day %s: orders landed", d[1])
		assert.Equal(t, signUps+updates+deletes, changes, "day %s: change events landed", d[1])
		assert.LessOrEqual(t, upserts, signUps+updates, "day %s", d[1])
		live += signUps - deletes
		assert.Equal(t, live, liveNow, "day %s: live customers", d[1])
		if i == 0 {
			assert.Equal(t, 200, signUps)
			assert.Zero(t, orderUpdates)
		} else {
			assert.Positive(t, updates)
			assert.Positive(t, deletes)
		}
	}

	// The marks are stored in the manifests.
	assert.Regexp(t, `bronze\.shop_orders\s+\{"cursor":\["updated_at","id"\],"mark":\[\{"type":"time","value":"2024-05-10T[\d:.]+Z"\},\{"type":"int","value":"\d+"\}\]\}`, s)
	assert.Regexp(t, `bronze\.customer_changes\s+\{"cursor":\["lsn"\],"mark":\[\{"type":"int","value":"\d+"\}\]\}`, s)
	assert.Contains(t, s, "silver.customers equals the customers table in the database: "+strconv.Itoa(live)+" rows")
	assert.Regexp(t, `gold.customer_tiers: basic \d+ gold \d+ silver \d+`, s)
	assert.FileExists(t, filepath.Join(dir, "work", "shop.db"), "a database in a chosen -work directory is kept")

	// A second run would extract a new database into the old lake: refused.
	err := run(context.Background(), []string{"-lake", lake, "-customers", "200"}, &out)
	assert.ErrorContains(t, err, "already holds an extraction from an earlier run")
	// And the database it did not create is left alone.
	err = run(context.Background(), []string{"-lake", filepath.Join(dir, "lake2"), "-customers", "200", "-work", filepath.Join(dir, "work")}, &out)
	assert.ErrorContains(t, err, "shop.db already exists")
}

func TestCDCRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-customers", "10"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}
