package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServingRuns(t *testing.T) {
	t.Chdir(t.TempDir()) // the default -lake is relative, as with go run
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-users", "300"}, &out))
	s := out.String()

	m := regexp.MustCompile(`user_activity@1 materialized to .*: 14 partitions read, 0 skipped, (\d+) users written`).FindStringSubmatch(s)
	require.NotNil(t, m, s)

	// The answers: a known user has every feature, on-demand ones included.
	resp := answer(t, s, "/v1/features?user_id=1&cart_value=120")
	assert.Equal(t, "200", resp.status)
	for _, f := range []string{"sessions_7d", "purchases_7d", "revenue_7d", "last_seen", "hours_since_seen"} {
		assert.NotNil(t, resp.body.Features[f], "user 1 %s", f)
	}
	assert.Contains(t, resp.body.Features, "cart_vs_avg_purchase")
	hours, ok := resp.body.Features["hours_since_seen"].(float64)
	require.True(t, ok)
	seen, err := time.Parse(time.RFC3339, resp.body.Features["last_seen"].(string))
	require.NoError(t, err)
	assert.InDelta(t, now.Sub(seen).Hours(), hours, 1e-9, "the on-demand feature is computed at the request time")

	// An unknown user gets nulls, a bad request a 400.
	unknown := answer(t, s, "/v1/features?user_id=999999999")
	assert.Equal(t, "200", unknown.status)
	for f, v := range unknown.body.Features {
		assert.Nil(t, v, f)
	}
	assert.Regexp(t, `/v1/features\?user_id=abc -> 400 `, s)
	assert.Regexp(t, `500 lookups over HTTP: p50 \S+, p99 \S+`, s)
	assert.Regexp(t, `parity with the offline store: \d+ lookups, \d+ values compared, 0 mismatches`, s)

	// A second run materializes nothing new.
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"-users", "300"}, &out))
	assert.Contains(t, out.String(), "0 partitions read, 14 skipped, 0 users written")
}

type answered struct {
	status string
	body   response
}

// answer finds the printed answer to a request.
func answer(t *testing.T, out, path string) answered {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta("GET "+path) + ` -> (\d+) in \S+\n  (.*)\n`).FindStringSubmatch(out)
	require.NotNil(t, m, "no answer to %s in:\n%s", path, out)
	var r response
	require.NoError(t, json.Unmarshal([]byte(m[2]), &r))
	return answered{status: m[1], body: r}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// With -serve the service keeps answering until the context ends.
func TestServingServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-lake", filepath.Join(t.TempDir(), "lake"), "-users", "50", "-serve"}, &out)
	}()

	var url string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`serving until interrupted: curl '([^']+)'`).FindStringSubmatch(out.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 30*time.Second, 10*time.Millisecond, "the service never said it was serving:\n%s", out.String())
	status, body, err := get(ctx, url)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.True(t, strings.HasPrefix(body, `{"user_id":1,`), body)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the context was cancelled")
	}
}

func TestServingRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-users", "1"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}
