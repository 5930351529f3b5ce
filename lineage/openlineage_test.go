package lineage_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

func newEmitter(t testing.TB, lake string, http lineage.HTTPConfig) *lineage.OpenLineage {
	t.Helper()
	http.Logger = slog.New(slog.DiscardHandler)
	ol, err := lineage.NewOpenLineage(lineage.OpenLineageConfig{Lake: lake, HTTP: http, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	return ol
}

func TestOpenLineageEventsValidateAndPair(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	ol := newEmitter(t, lake, lineage.HTTPConfig{})
	p := buildPipeline(lake, CleanConfig{KeepViews: true}, ol)
	b, err := p.Backfill(ctx, days(t, "2024-01-01", "2024-01-04"))
	require.NoError(t, err)
	_, err = p.Run(ctx, day(t, "2024-01-04")) // all cached
	require.NoError(t, err)
	require.NoError(t, ol.Close(ctx))

	evs := readEvents(t, ol.EventsFile())
	terminal := checkPairs(t, evs)
	// 5 pipeline runs, and every node partition that started: the backfill
	// reads bronze from 2023-12-30 for the first window (absent partitions
	// start, then complete without data) and computes 4 nodes a day; the
	// rerun of the 4th finds the 3-day window cached: bronze, silver and
	// daily for 3 days and the 3-day table.
	var pipelineRuns, nodeRuns int
	for _, ev := range evs {
		if ev.EventType != "START" {
			continue
		}
		if ev.Job.Name == "shop" {
			pipelineRuns++
		} else {
			nodeRuns++
		}
	}
	assert.Equal(t, 5, pipelineRuns)
	assert.Equal(t, (2+4*4)+(3*3+1), nodeRuns)
	for _, s := range terminal {
		assert.Equal(t, "COMPLETE", s)
	}

	// A node COMPLETE carries the facets the issue lists.
	var found bool
	for _, ev := range evs {
		if ev.EventType != "COMPLETE" || ev.Job.Name != "shop.gold.user_3d" {
			continue
		}
		var kf struct{ Partition, Status string }
		require.NoError(t, json.Unmarshal(ev.Run.Facets["kiln"], &kf))
		if kf.Partition != "dt=2024-01-03" || kf.Status != "computed" {
			continue
		}
		found = true
		for _, f := range []string{"parent", "nominalTime", "processing_engine", "kiln"} {
			assert.Contains(t, ev.Run.Facets, f)
		}
		var nt struct{ NominalStartTime, NominalEndTime time.Time }
		require.NoError(t, json.Unmarshal(ev.Run.Facets["nominalTime"], &nt))
		assert.Equal(t, time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC), nt.NominalStartTime)
		assert.Equal(t, time.Date(2024, 1, 4, 0, 0, 0, 0, time.UTC), nt.NominalEndTime)
		var parent struct {
			Run struct{ RunID string } `json:"run"`
			Job struct{ Name string }  `json:"job"`
		}
		require.NoError(t, json.Unmarshal(ev.Run.Facets["parent"], &parent))
		assert.Equal(t, b.Runs[2].RunID, parent.Run.RunID)
		assert.Equal(t, "shop", parent.Job.Name)
		assert.NotEqual(t, b.Runs[2].RunID, ev.Run.RunID)

		require.Len(t, ev.Inputs, 1)
		assert.Equal(t, "gold.user_daily", ev.Inputs[0].Name)
		assert.Contains(t, ev.Inputs[0].Facets, "schema")
		assert.Contains(t, ev.Inputs[0].Facets, "version")
		require.Len(t, ev.Outputs, 1)
		out := ev.Outputs[0]
		for _, f := range []string{"schema", "dataSource", "version", "columnLineage"} {
			assert.Contains(t, out.Facets, f)
		}
		var ver struct{ DatasetVersion string }
		require.NoError(t, json.Unmarshal(out.Facets["version"], &ver))
		assert.Equal(t, contentOf(t, b, "gold.user_3d", "dt=2024-01-03").String(), ver.DatasetVersion)
		var stats struct{ RowCount, Size, FileCount int64 }
		require.NoError(t, json.Unmarshal(out.OutputFacets["outputStatistics"], &stats))
		assert.Positive(t, stats.RowCount)
		assert.Positive(t, stats.Size)
		assert.EqualValues(t, 1, stats.FileCount)
	}
	assert.True(t, found, "no COMPLETE event for gold.user_3d dt=2024-01-03")

	// Checks become assertions.
	var assertions int
	for _, ev := range evs {
		if ev.EventType == "COMPLETE" && ev.Job.Name == "shop.gold.user_daily" {
			var f struct {
				Assertions []struct {
					Assertion string
					Success   bool
				}
			}
			require.NoError(t, json.Unmarshal(ev.Outputs[0].Facets["dataQualityAssertions"], &f))
			require.Len(t, f.Assertions, 1)
			assert.Equal(t, "min_rows", f.Assertions[0].Assertion)
			assert.True(t, f.Assertions[0].Success)
			assertions++
		}
	}
	assert.Positive(t, assertions)
}

// failing is a transform that always fails.
var failing = kiln.Func("lineagetest.failing", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
	if ctx.Planning() {
		return in, nil
	}
	return nil, errors.New("boom")
})

func TestOpenLineageFailureAndCancellation(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	ol := newEmitter(t, lake, lineage.HTTPConfig{})
	p := buildPipeline(lake, CleanConfig{KeepViews: true}, ol)
	p.Transform("gold.broken", failing, p.Node("silver.events"))
	p.Transform("gold.after_broken", failing, p.Node("gold.broken"))
	_, err := p.Run(ctx, day(t, "2024-01-02"))
	require.Error(t, err)

	// A source that blocks until the run is cancelled.
	started := make(chan struct{})
	blocking := kiln.SourceFunc("lineagetest.blocking", "v1", func(c *kiln.Context, _ struct{}) iter.Seq2[Event, error] {
		return func(yield func(Event, error) bool) {
			close(started)
			<-c.Done()
			yield(Event{}, c.Err())
		}
	})
	q := kiln.New("slow", kiln.WithLake(lake), kiln.WithListener(ol), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	src := q.Source("bronze.slow", blocking)
	q.Transform("silver.slow", cleanEvents, src)
	cctx, cancel := context.WithCancel(ctx)
	go func() { <-started; cancel() }()
	_, err = q.Run(cctx, day(t, "2024-01-02"))
	require.Error(t, err)
	require.NoError(t, ol.Close(ctx))

	evs := readEvents(t, ol.EventsFile())
	terminal := checkPairs(t, evs)
	byJob := map[string]string{}
	var failMsg string
	for _, ev := range evs {
		if ev.EventType != "START" {
			byJob[ev.Job.Name] = ev.EventType
			if ev.Job.Name == "shop.gold.broken" {
				var em struct{ Message, ProgrammingLanguage string }
				require.NoError(t, json.Unmarshal(ev.Run.Facets["errorMessage"], &em))
				failMsg = em.Message
				assert.Equal(t, "Go", em.ProgrammingLanguage)
			}
		}
	}
	assert.Equal(t, "FAIL", byJob["shop"])
	assert.Equal(t, "FAIL", byJob["shop.gold.broken"])
	assert.Contains(t, failMsg, "boom")
	assert.NotContains(t, byJob, "shop.gold.after_broken", "a node that never started has no events")
	assert.Equal(t, "COMPLETE", byJob["shop.gold.user_3d"])
	assert.Equal(t, "ABORT", byJob["slow"])
	assert.Contains(t, []string{"FAIL", "ABORT"}, byJob["slow.bronze.slow"])
	assert.Equal(t, len(evs)/2, len(terminal))
}

// TestOpenLineageAbortsOpenNodes drives the listener directly: a node still
// open when its run ends gets an ABORT, a skipped one too.
func TestOpenLineageAbortsOpenNodes(t *testing.T) {
	dir := t.TempDir()
	ol, err := lineage.NewOpenLineage(lineage.OpenLineageConfig{EventsFile: filepath.Join(dir, "ev.ndjson"), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	run := &lineage.RunRecord{RunID: "0190f0c8-0000-7000-8000-000000000001", Pipeline: "p", Partition: "region=eu", Started: now}
	a := &lineage.NodeRun{Node: "a", Partition: "region=eu", Kind: "source", Status: "running", Started: now}
	b := &lineage.NodeRun{Node: "b", Partition: "all", Kind: "transform", Status: "running", Started: now,
		Inputs: []lineage.Input{{Dataset: "a", Partition: "region=eu", Mapping: "same"}}}
	ol.RunStarted(run)
	ol.NodeStarted(run, a)
	ol.NodeStarted(run, b)
	skipped := *a
	skipped.Status, skipped.Error = "skipped", "context canceled"
	ol.NodeFinished(run, &skipped)
	ol.NodeFinished(run, &lineage.NodeRun{Node: "c", Partition: "all", Status: "skipped"}) // never started
	run.Status, run.Error, run.Finished = lineage.RunCancelled, "context canceled", now.Add(time.Second)
	ol.RunFinished(run)
	require.NoError(t, ol.Close(context.Background()))

	evs := readEvents(t, ol.EventsFile())
	require.Len(t, evs, 6)
	terminal := checkPairs(t, evs)
	for _, s := range terminal {
		assert.Equal(t, "ABORT", s)
	}
	assert.Equal(t, "p", evs[5].Job.Name)
	assert.NotContains(t, evs[0].Run.Facets, "nominalTime", "static partitions have no nominal time")
	// Node run ids are stable: derived from the run, node and partition.
	assert.Equal(t, evs[1].Run.RunID, evs[3].Run.RunID)
}

func TestHTTPTransportOutageKeepsTheRunAndTheEvents(t *testing.T) {
	var calls atomic.Int64
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/api/v1/lineage"
	closed.Close()

	for name, url := range map[string]string{"500": failing.URL + "/api/v1/lineage", "closed": closedURL} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			lake := t.TempDir()
			cfg := lineage.HTTPConfig{URL: url, Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
			ol := newEmitter(t, lake, cfg)
			res, err := buildPipeline(lake, CleanConfig{KeepViews: true}, ol).Run(ctx, day(t, "2024-01-01"))
			require.NoError(t, err)
			assert.True(t, res.OK())
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			require.NoError(t, ol.Close(cctx))
			evs := readEvents(t, ol.EventsFile())
			checkPairs(t, evs)
			// The pipeline run, its 4 nodes and the 2 absent bronze days
			// before the data starts.
			assert.Equal(t, 2*7, len(evs))
			if name == "500" {
				// The first event was tried 3 times, later ones once each
				// while the server stays down.
				assert.EqualValues(t, 3+len(evs)-1, calls.Load())
			}
		})
	}
}

func TestHTTPTransportDeliversInOrder(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	var fails atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "Bearer t0ken", r.Header.Get("Authorization"))
		if fails.Add(1) == 2 { // one transient failure
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		b, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	ctx := context.Background()
	lake := t.TempDir()
	h := http.Header{}
	h.Set("Authorization", "Bearer t0ken")
	ol := newEmitter(t, lake, lineage.HTTPConfig{URL: srv.URL + "/api/v1/lineage", Header: h, Backoff: time.Millisecond})
	_, err := buildPipeline(lake, CleanConfig{KeepViews: true}, ol).Run(ctx, day(t, "2024-01-01"))
	require.NoError(t, err)
	require.NoError(t, ol.Close(ctx))
	evs := readEvents(t, ol.EventsFile())
	require.Len(t, got, len(evs))
	for i := range evs {
		assert.JSONEq(t, string(evs[i].raw), string(got[i]))
	}
}

func TestHTTPTransportRefusesBadURLsAndClientErrors(t *testing.T) {
	_, err := lineage.NewHTTPTransport(lineage.HTTPConfig{URL: "ftp://example"})
	assert.Error(t, err)

	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "bad event", http.StatusBadRequest)
	}))
	defer srv.Close()
	tr, err := lineage.NewHTTPTransport(lineage.HTTPConfig{URL: srv.URL, Backoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, tr.Emit(context.Background(), []byte(`{}`)))
	require.NoError(t, tr.Close(context.Background()))
	assert.EqualValues(t, 1, calls.Load(), "a 4xx is not retried")
	assert.Equal(t, lineage.HTTPStats{Failed: 1}, tr.Stats())
	assert.ErrorIs(t, tr.Emit(context.Background(), []byte(`{}`)), lineage.ErrTransportClosed)
}

// TestSchemaValidationCatchesBadEvents makes sure the validation the other
// tests rely on rejects what the spec forbids.
func TestSchemaValidationCatchesBadEvents(t *testing.T) {
	s := loadSchemas(t)
	const good = `{"eventType":"START","eventTime":"2024-01-01T00:00:00Z","producer":"https://example.com/kiln","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
"run":{"runId":"0190f0c8-0000-7000-8000-000000000001","facets":{"nominalTime":{"_producer":"https://example.com/kiln","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet","nominalStartTime":"2024-01-01T00:00:00Z"}}},
"job":{"namespace":"kiln","name":"p"},"inputs":[],"outputs":[]}`
	require.NoError(t, s.check([]byte(good)))
	for name, bad := range map[string]string{
		"run id not a uuid": strings.Replace(good, "0190f0c8-0000-7000-8000-000000000001", "run-1", 1),
		"bad event type":    strings.Replace(good, `"START"`, `"STARTED"`, 1),
		"no job name":       strings.Replace(good, `"name":"p"`, `"nom":"p"`, 1),
		"facet field type":  strings.Replace(good, `"nominalStartTime":"2024-01-01T00:00:00Z"`, `"nominalStartTime":"yesterday"`, 1),
		"facet unknown url": strings.Replace(good, "NominalTimeRunFacet.json#", "Nominal.json#", 1),
		"facet no producer": strings.Replace(good, `"nominalTime":{"_producer":"https://example.com/kiln",`, `"nominalTime":{`, 1),
	} {
		require.NotEqual(t, good, bad, name)
		assert.Error(t, s.check([]byte(bad)), name)
	}
}
