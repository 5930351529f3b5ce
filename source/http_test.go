package source_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

func httpRead(t testing.TB, cfg source.HTTPConfig, part kiln.Partition) ([]int64, error) {
	t.Helper()
	ctx := kiln.NewContext(context.Background(), "bronze.api", part)
	tbl, err := source.HTTP(cfg).Read(ctx)
	if err != nil {
		return nil, err
	}
	return int64Column(t, tbl, "id"), nil
}

func seq(lo, hi int) []int64 {
	var out []int64
	for i := lo; i < hi; i++ {
		out = append(out, int64(i))
	}
	return out
}

func TestHTTPPaginationStyles(t *testing.T) {
	a := newFakeAPI(t, apiItems(0, 23))
	cases := []struct {
		name   string
		path   string
		paging source.HTTPPaging
		pages  int
	}{
		{"page number", "/page", source.PageNumberPaging("page"), 6},
		{"page number with size", "/page", source.PageNumberPaging("page").WithSize("per_page", 5), 5},
		{"offset limit", "/offset", source.OffsetPaging("offset", "limit", 5), 5},
		{"cursor", "/cursor", source.CursorPaging("cursor", "meta.next"), 5},
		{"link header", "/link", source.LinkPaging(), 5},
		{"single page", "/single", source.HTTPPaging{}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(a.requests)
			ids, err := httpRead(t, apiConfig(a, c.path, c.paging), kiln.All)
			require.NoError(t, err)
			assert.Equal(t, seq(0, 23), ids)
			assert.Equal(t, c.pages, len(a.requests)-before, "requests")
		})
	}
}

func TestHTTPMapsRecords(t *testing.T) {
	a := newFakeAPI(t, apiItems(7, 2))
	ctx := kiln.NewContext(context.Background(), "bronze.api", kiln.All)
	tbl, err := source.HTTP(apiConfig(a, "/single", source.HTTPPaging{})).Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": int64(7), "name": "n7", "user_id": int32(2), "updated_at": "2024-01-01T00:07:00Z"}, tableRow(t, tbl, 0))
	m, err := json.Marshal(source.HTTP(apiConfig(a, "/single", source.HTTPPaging{})).Spec().Config)
	require.NoError(t, err)
	assert.Contains(t, string(m), `{"name":"user_id","type":"int32","nullable":true,"path":"user.id"}`)
}

func TestHTTPRetriesOnlyTheFailingPage(t *testing.T) {
	a := newFakeAPI(t, apiItems(0, 23))
	date := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat) // an HTTP date in the past: retry now
	a.fail = func(path, query string, hit int) *apiFailure {
		if query != "page=3&per_page=5" {
			return nil
		}
		switch hit {
		case 1:
			return &apiFailure{status: 500, body: "boom"}
		case 2:
			return &apiFailure{status: 429, header: map[string]string{"Retry-After": "0"}}
		case 3:
			return &apiFailure{status: 503, header: map[string]string{"Retry-After": date}}
		}
		return nil
	}
	ids, err := httpRead(t, apiConfig(a, "/page", source.PageNumberPaging("page").WithSize("per_page", 5)), kiln.All)
	require.NoError(t, err)
	assert.Equal(t, seq(0, 23), ids)
	assert.Equal(t, 1, a.hitsOf("/page?page=1&per_page=5"), "pages fetched before the failure are not fetched again")
	assert.Equal(t, 1, a.hitsOf("/page?page=2&per_page=5"))
	assert.Equal(t, 4, a.hitsOf("/page?page=3&per_page=5"))
	assert.Equal(t, 1, a.hitsOf("/page?page=4&per_page=5"))
}

func TestHTTPRetryAfterBeyondMaxIsHonored(t *testing.T) {
	// The server asks for 1s, more than the 50ms Max, and throttles again
	// a request that comes earlier: with two attempts, only waiting the
	// whole 1s (it fits in the budget) succeeds.
	a := newFakeAPI(t, apiItems(0, 3))
	var until time.Time
	a.fail = func(_, _ string, hit int) *apiFailure {
		if hit == 1 {
			until = time.Now().Add(time.Second)
		}
		if time.Now().Before(until) {
			return &apiFailure{status: 429, header: map[string]string{"Retry-After": "1"}}
		}
		return nil
	}
	cfg := apiConfig(a, "/single", source.HTTPPaging{})
	cfg.Retry.Attempts, cfg.Retry.Budget = 2, 5*time.Second
	ids, err := httpRead(t, cfg, kiln.All)
	require.NoError(t, err)
	assert.Equal(t, seq(0, 3), ids)
	assert.Len(t, a.requests, 2, "one retry, after the server's wait")
}

func TestHTTPRetryAfterBeyondBudgetFailsAtOnce(t *testing.T) {
	a := newFakeAPI(t, apiItems(0, 3))
	a.fail = func(string, string, int) *apiFailure {
		return &apiFailure{status: 429, header: map[string]string{"Retry-After": "3600"}}
	}
	_, err := httpRead(t, apiConfig(a, "/single", source.HTTPPaging{}), kiln.All)
	require.Error(t, err)
	assert.ErrorIs(t, err, source.ErrUnavailable)
	assert.ErrorContains(t, err, "waiting 1h0m0s more (the server asked to retry after 1h0m0s) would pass the 1s budget after 1 attempts")
	assert.ErrorContains(t, err, "HTTP 429 Too Many Requests")
	assert.Len(t, a.requests, 1, "no early retry, no wait")
}

func TestHTTPThrottledServer(t *testing.T) {
	// The server lets one request through per 5 ms and answers 429 with
	// Retry-After otherwise; the source waits and lands every page once.
	a := newFakeAPI(t, apiItems(0, 40))
	var last time.Time
	var throttled int
	a.fail = func(string, string, int) *apiFailure {
		now := time.Now()
		if now.Sub(last) < 5*time.Millisecond {
			throttled++
			return &apiFailure{status: 429, header: map[string]string{"Retry-After": "0"}}
		}
		last = now
		return nil
	}
	cfg := apiConfig(a, "/cursor", source.CursorPaging("cursor", "meta.next"))
	cfg.Retry = source.Backoff{Attempts: 10, Initial: 2 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 5 * time.Second}
	ids, err := httpRead(t, cfg, kiln.All)
	require.NoError(t, err)
	assert.Equal(t, seq(0, 40), ids)
	t.Logf("throttled %d times without a rate limit", throttled)

	// With a client-side rate limit, it also lands every page once.
	cfg.RateLimit = 100
	ids, err = httpRead(t, cfg, kiln.All)
	require.NoError(t, err)
	assert.Equal(t, seq(0, 40), ids)
}

func TestHTTPDownFailsCleanly(t *testing.T) {
	ctx := context.Background()
	a := newFakeAPI(t, apiItems(0, 12))
	lake := t.TempDir()
	cfg := apiConfig(a, "/page", source.PageNumberPaging("page").WithSize("per_page", 5))
	cfg.Window = &source.HTTPWindow{StartParam: "from", EndParam: "to"}
	p := httpPipeline(lake, cfg)
	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	before, m1 := landed(t, lake, "bronze.api", kiln.Date(2024, 1, 1))

	// The API goes down in the middle of the next day: page 2 always fails.
	a.fail = func(path, query string, hit int) *apiFailure {
		if strings.Contains(query, "page=2") {
			return &apiFailure{status: 503, body: "maintenance"}
		}
		return nil
	}
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.Error(t, err)
	assert.ErrorIs(t, err, source.ErrUnavailable)
	assert.ErrorContains(t, err, "retries exhausted after 4 attempts")
	assert.ErrorContains(t, err, "page 2 (GET "+a.URL+"/page?from=2024-01-02T00%3A00%3A00Z&page=2&per_page=5&to=2024-01-03T00%3A00%3A00Z): HTTP 503 Service Unavailable: maintenance")
	assert.False(t, committedAt(lake, "bronze.api", kiln.Date(2024, 1, 2)))
	after, m2 := landed(t, lake, "bronze.api", kiln.Date(2024, 1, 1))
	assert.Equal(t, m1.ContentHash, m2.ContentHash, "the previous partition is intact")
	assert.Equal(t, before.NumRows(), after.NumRows())

	// A server that is gone: connection errors, retried, then a clean failure.
	a.Close()
	_, err = p.Run(ctx, kiln.Date(2024, 1, 3))
	require.Error(t, err)
	assert.ErrorContains(t, err, "retries exhausted")
	assert.ErrorContains(t, err, "connect")
	assert.False(t, committedAt(lake, "bronze.api", kiln.Date(2024, 1, 3)))
}

func TestHTTPSinceResumesFromCommittedMark(t *testing.T) {
	ctx := context.Background()
	a := newFakeAPI(t, apiItems(0, 12))
	lake := t.TempDir()
	var fail bool
	cfg := sinceConfig(a)
	p := httpPipeline(lake, cfg)

	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	d1, m1 := landed(t, lake, "bronze.api", kiln.Date(2024, 1, 1))
	assert.Equal(t, seq(0, 12), int64Column(t, d1, "id"))
	assert.JSONEq(t, `{"mark":"2024-01-01T00:11:00Z","pages":3,"records":12,"last_page":"`+a.URL+`/since?cursor=c10"}`, string(m1.SourceState))

	// New records; day 2 fails on its second page, then succeeds.
	a.setItems(apiItems(0, 30))
	a.fail = func(path, query string, hit int) *apiFailure {
		if fail && strings.Contains(query, "cursor=c5") {
			return &apiFailure{status: 400, body: "bad cursor"}
		}
		return nil
	}
	fail = true
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.Error(t, err)
	assert.ErrorContains(t, err, "HTTP 400 Bad Request: bad cursor")
	assert.False(t, committedAt(lake, "bronze.api", kiln.Date(2024, 1, 2)))
	fail = false
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.NoError(t, err)
	d2, m2 := landed(t, lake, "bronze.api", kiln.Date(2024, 1, 2))
	assert.Equal(t, seq(12, 30), int64Column(t, d2, "id"), "exactly the records after the committed mark")
	assert.Contains(t, a.requests, "/since?since=2024-01-01T00%3A11%3A00Z")

	// A rerun is a cache hit; a forced refetch keeps day 2's range even
	// though the API has more by now.
	res, err := p.Run(ctx, kiln.Date(2024, 1, 2))
	require.NoError(t, err)
	nr, _ := res.Node("bronze.api")
	assert.Equal(t, kiln.StatusCached, nr.Status)
	a.setItems(apiItems(0, 35))
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2), kiln.Force())
	require.NoError(t, err)
	d2b, m2b := landed(t, lake, "bronze.api", kiln.Date(2024, 1, 2))
	assert.Equal(t, seq(12, 30), int64Column(t, d2b, "id"))
	assert.Equal(t, m2.ContentHash, m2b.ContentHash)

	_, err = p.Run(ctx, kiln.Date(2024, 1, 3))
	require.NoError(t, err)
	d3, _ := landed(t, lake, "bronze.api", kiln.Date(2024, 1, 3))
	assert.Equal(t, seq(30, 35), int64Column(t, d3, "id"))
}

func TestHTTPSinceToken(t *testing.T) {
	ctx := context.Background()
	a := newFakeAPI(t, apiItems(0, 7))
	lake := t.TempDir()
	cfg := apiConfig(a, "/sync", source.CursorPaging("cursor", "meta.next"))
	cfg.Since = &source.HTTPSince{Param: "since", Token: "meta.sync"}
	p := httpPipeline(lake, cfg)
	var all []int64
	for d, n := range []int{7, 9, 9, 16} {
		a.setItems(apiItems(0, n))
		_, err := p.Run(ctx, kiln.Date(2024, 1, d+1))
		require.NoError(t, err)
		tbl, m := landed(t, lake, "bronze.api", kiln.Date(2024, 1, d+1))
		all = append(all, int64Column(t, tbl, "id")...)
		assert.Equal(t, fmt.Sprintf("s%d", n), kafkaStateJSON(t, m)["mark"])
	}
	assert.Equal(t, seq(0, 16), all, "each record once, in order")
}

func TestHTTPSinceBackfillInParallel(t *testing.T) {
	ctx := context.Background()
	a := newFakeAPI(t, apiItems(0, 20))
	lake := t.TempDir()
	cfg := sinceConfig(a)
	assert.True(t, source.HTTP(cfg).Sequential())
	p := httpPipeline(lake, cfg)
	days, err := kiln.Days("2024-01-01", "2024-01-04")
	require.NoError(t, err)

	// Day 1 lands everything; day 2 (the first request with a mark) is
	// refused: days 3 and 4 are not fetched.
	var fail atomic.Bool
	fail.Store(true)
	a.fail = func(_, query string, _ int) *apiFailure {
		if fail.Load() && strings.Contains(query, "since=") {
			return &apiFailure{status: 400, body: "bad mark"}
		}
		return nil
	}
	b, err := p.Backfill(ctx, days, kiln.Parallel(4))
	require.Error(t, err)
	assert.ErrorContains(t, err, "HTTP 400 Bad Request: bad mark")
	assert.Equal(t, days[1:], b.Failed())
	for _, r := range b.Runs[2:] {
		n, _ := r.Node("bronze.api")
		assert.Equal(t, kiln.StatusSkipped, n.Status, "%s", r.Partition)
		assert.ErrorIs(t, n.Err, kiln.ErrUpstream, "%s", r.Partition)
	}
	d1, _ := landed(t, lake, "bronze.api", days[0])
	assert.Equal(t, seq(0, 20), int64Column(t, d1, "id"))
	assert.Equal(t, 1, strings.Count(strings.Join(a.requests, " "), "since="), "one request with a mark: day 2's, refused")

	// New records arrive; the rerun resumes at day 2 from day 1's mark and
	// lands each record once, in partition order.
	fail.Store(false)
	a.setItems(apiItems(0, 27))
	_, err = p.Backfill(ctx, days, kiln.Parallel(4))
	require.NoError(t, err)
	want := [][]int64{seq(0, 20), seq(20, 27), nil, nil}
	for i, d := range days {
		tbl, _ := landed(t, lake, "bronze.api", d)
		var got []int64
		if tbl != nil && tbl.NumRows() > 0 {
			got = int64Column(t, tbl, "id")
		}
		assert.Equal(t, want[i], got, "%s", d)
	}
}

func TestHTTPSinceGapLandedLater(t *testing.T) {
	ctx := context.Background()
	a := newFakeAPI(t, apiItems(0, 8))
	lake := t.TempDir()
	cfg := sinceConfig(a)
	p := httpPipeline(lake, cfg)
	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	a.setItems(apiItems(0, 15))
	_, err = p.Run(ctx, kiln.Date(2026, 6, 1))
	require.NoError(t, err)
	later, _ := landed(t, lake, "bronze.api", kiln.Date(2026, 6, 1))
	assert.Equal(t, seq(8, 15), int64Column(t, later, "id"))

	// The gap, landed late, is empty: its records are in the partition
	// after it, however far ahead.
	requests := len(a.requests)
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.NoError(t, err)
	gap, m := landed(t, lake, "bronze.api", kiln.Date(2024, 1, 2))
	if gap != nil {
		assert.Zero(t, gap.NumRows())
	}
	assert.JSONEq(t, `{"from":"2024-01-01T00:07:00Z","mark":"2024-01-01T00:07:00Z","pages":0,"records":0}`, string(m.SourceState))
	assert.Len(t, a.requests, requests, "the API is not asked")
}

func TestHTTPBadRecords(t *testing.T) {
	ctx := context.Background()
	a := newFakeAPI(t, apiItems(0, 12))
	a.raw[7] = `{"id": "seven", "name": "x"}`
	a.raw[9] = `[1, 2]`
	cfg := apiConfig(a, "/page", source.PageNumberPaging("page").WithSize("per_page", 5))

	_, err := httpRead(t, cfg, kiln.All)
	require.Error(t, err)
	assert.ErrorContains(t, err, "page 2 item 2 (GET "+a.URL+`/page?page=2&per_page=5): column "id": want int64, got a string "seven"`)

	lake := t.TempDir()
	cfg.RejectBad = true
	p := httpPipeline(lake, cfg)
	_, err = p.Run(ctx, kiln.All)
	require.NoError(t, err)
	tbl, _ := landed(t, lake, "bronze.api", kiln.All)
	assert.Equal(t, []int64{0, 1, 2, 3, 4, 5, 6, 8, 10, 11}, int64Column(t, tbl, "id"))
	rej, _ := landed(t, lake, kiln.RejectedDataset("bronze.api"), kiln.All)
	require.EqualValues(t, 2, rej.NumRows())
	assert.Equal(t, map[string]any{
		"_kiln_where":  "page 2 item 2 (GET " + a.URL + "/page?page=2&per_page=5)",
		"_kiln_reason": `column "id": want int64, got a string "seven"`,
		"_kiln_raw":    `{"id": "seven", "name": "x"}`,
	}, tableRow(t, rej, 0))
	assert.Equal(t, "page 2 item 4 (GET "+a.URL+"/page?page=2&per_page=5)", tableRow(t, rej, 1)["_kiln_where"])
	assert.Equal(t, "record is an array, not a JSON object", tableRow(t, rej, 1)["_kiln_reason"])

	// A page that is not JSON fails with the byte offset, even when
	// rejecting records.
	a.fail = func(path, query string, hit int) *apiFailure {
		if strings.Contains(query, "page=3") {
			return &apiFailure{status: 200, body: `{"data": [{"id": 1}, {"id": 2]}`}
		}
		return nil
	}
	_, err = httpRead(t, cfg, kiln.All)
	require.Error(t, err)
	assert.ErrorContains(t, err, "page 3 (GET "+a.URL+"/page?page=3&per_page=5): invalid JSON at byte 29: unexpected ']', want ',' or '}'")
}

func TestHTTPSecretNeverLeaks(t *testing.T) {
	const secret = "s3cr3t-T0KEN-value"
	for _, auth := range []source.HTTPAuth{source.BearerFromEnv("KILN_TEST_API_TOKEN"), source.APIKeyFromEnv("X-Api-Key", "KILN_TEST_API_TOKEN")} {
		t.Run(auth.BearerEnv+auth.APIKeyHeader, func(t *testing.T) {
			ctx := context.Background()
			t.Setenv("KILN_TEST_API_TOKEN", secret)
			a := newFakeAPI(t, apiItems(0, 12))
			// The server echoes the credential in error bodies: once
			// transiently, and permanently on day 2.
			a.fail = func(path, query string, hit int) *apiFailure {
				echo := "denied for " + a.auth[len(a.auth)-1] + a.keys[len(a.keys)-1]
				if strings.Contains(query, "page=2") && hit == 1 {
					return &apiFailure{status: 500, body: echo}
				}
				if strings.Contains(query, "from=2024-01-02") {
					return &apiFailure{status: 403, body: echo}
				}
				return nil
			}
			lake := t.TempDir()
			var logs bytes.Buffer
			p := kiln.New("http_test", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			cfg := apiConfig(a, "/page", source.PageNumberPaging("page").WithSize("per_page", 5))
			cfg.Auth = auth
			cfg.Window = &source.HTTPWindow{StartParam: "from"}
			src := source.HTTP(cfg)
			p.Source("bronze.api", src)
			_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
			require.NoError(t, err)
			_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
			require.Error(t, err)
			assert.ErrorContains(t, err, "HTTP 403 Forbidden: denied for")
			assert.ErrorContains(t, err, "[redacted]")

			// The server did get the credential.
			if auth.BearerEnv != "" {
				assert.Contains(t, a.auth, "Bearer "+secret)
			} else {
				assert.Contains(t, a.keys, secret)
			}
			// It is nowhere kiln writes: the error, logs, the spec,
			// manifests, run records.
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, logs.String(), secret)
			assert.Contains(t, logs.String(), "http page", "debug logs were captured")
			spec, _ := json.Marshal(src.Spec())
			assert.Contains(t, string(spec), "KILN_TEST_API_TOKEN")
			assert.NotContains(t, string(spec), secret)
			files := 0
			require.NoError(t, filepath.WalkDir(lake, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.NotContains(t, string(b), secret, path)
				files++
				return nil
			}))
			assert.GreaterOrEqual(t, files, 4, "data, manifest and two run records were scanned")
		})
	}
}

func TestHTTPAuthOnlyToTheConfiguredHost(t *testing.T) {
	t.Setenv("KILN_TEST_API_TOKEN", "tok")
	other := newFakeAPI(t, apiItems(5, 3))
	a := newFakeAPI(t, apiItems(0, 5))
	a.fail = func(path, query string, hit int) *apiFailure {
		if path == "/single" {
			return &apiFailure{status: 200, header: map[string]string{"Link": "<" + other.URL + "/single>; rel=\"next\""}, body: `{"data": [{"id": 0}]}`}
		}
		return nil
	}
	cfg := apiConfig(a, "/single", source.LinkPaging())
	cfg.Auth = source.BearerFromEnv("KILN_TEST_API_TOKEN")
	ids, err := httpRead(t, cfg, kiln.All)
	require.NoError(t, err)
	assert.Equal(t, []int64{0, 5, 6, 7}, ids)
	assert.Equal(t, []string{"Bearer tok"}, a.auth)
	assert.Equal(t, []string{""}, other.auth, "credentials are not sent to another host")
}

func TestHTTPConfigErrors(t *testing.T) {
	ctx := kiln.NewContext(context.Background(), "bronze.api", kiln.All)
	base := func() source.HTTPConfig {
		return source.HTTPConfig{URL: "http://127.0.0.1:1/x", Schema: apiSchema}
	}
	cases := []struct {
		mod func(*source.HTTPConfig)
		msg string
	}{
		{func(c *source.HTTPConfig) { c.URL = "ftp://x" }, `URL scheme "ftp"`},
		{func(c *source.HTTPConfig) { c.URL = "http://u:p@127.0.0.1/x" }, "credentials in the URL"},
		{func(c *source.HTTPConfig) { c.Header = map[string]string{"authorization": "Bearer x"} }, "credentials go in Auth"},
		{func(c *source.HTTPConfig) { c.Schema = nil }, "explicit schema"},
		{func(c *source.HTTPConfig) { c.Paging = source.HTTPPaging{Style: source.HTTPCursor} }, "cursor paging needs"},
		{func(c *source.HTTPConfig) { c.Paging = source.HTTPPaging{Style: "weird"} }, `unknown style "weird"`},
		{func(c *source.HTTPConfig) { c.Since = &source.HTTPSince{Param: "s", Column: "nope"} }, `since: column "nope"`},
		{func(c *source.HTTPConfig) { c.Since = &source.HTTPSince{Param: "s"} }, "exactly one of Column and Token"},
		{func(c *source.HTTPConfig) { c.Auth = source.HTTPAuth{APIKeyEnv: "X"} }, "go together"},
		{func(c *source.HTTPConfig) { c.Paths = map[string]string{"id": "a..b"} }, "dot-separated keys"},
	}
	for _, c := range cases {
		cfg := base()
		c.mod(&cfg)
		_, err := source.HTTP(cfg).Schema(ctx)
		assert.ErrorContains(t, err, c.msg)
	}
	// A missing credential names the variable.
	cfg := base()
	cfg.Auth = source.BearerFromEnv("KILN_TEST_UNSET_VARIABLE")
	_, err := source.HTTP(cfg).Read(ctx)
	assert.ErrorContains(t, err, "environment variable KILN_TEST_UNSET_VARIABLE (bearer token) is not set")
}

func TestHTTPLinkHeaderParsing(t *testing.T) {
	a := newFakeAPI(t, nil)
	a.fail = func(path, query string, hit int) *apiFailure {
		links := map[string]string{
			"/a": `</b?x=1,2>; rel="prev first", </c>; rel="next"`,
			"/c": `<http://other.invalid/z>; rel=last`,
		}
		h := map[string]string{}
		if l, ok := links[path]; ok {
			h["Link"] = l
		}
		return &apiFailure{status: 200, header: h, body: fmt.Sprintf(`{"data": [{"id": %d}]}`, len(path)+int(path[1]))}
	}
	ids, err := httpRead(t, apiConfig(a, "/a", source.LinkPaging()), kiln.All)
	require.NoError(t, err)
	assert.Equal(t, []int64{2 + 'a', 2 + 'c'}, ids)
}
