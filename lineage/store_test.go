package lineage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/lineage"
)

func record(t testing.TB, pipeline, part string, started time.Time) *lineage.RunRecord {
	t.Helper()
	id, err := uuid.NewV7()
	require.NoError(t, err)
	return &lineage.RunRecord{Format: lineage.RunFormat, RunID: id.String(), Pipeline: pipeline, Partition: part,
		Started: started, Finished: started.Add(time.Second), Status: lineage.RunSucceeded, Build: lineage.CurrentBuild(),
		Nodes: []lineage.NodeRun{{Node: "bronze.x", Partition: part, Kind: "source", Status: "computed",
			Operation: lineage.Operation{Name: "op", Version: "v1", Config: []byte(`{"a":1}`)},
			Checks:    []lineage.CheckResult{{Check: "c", Success: true}}}}}
}

// TestStores is the conformance suite every Store passes.
func TestStores(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) lineage.Store{
		"lake": func(t *testing.T) lineage.Store { return lineage.NewLakeStore(t.TempDir()) },
		"mem":  func(t *testing.T) lineage.Store { return &lineage.MemStore{} },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			pipes, err := s.Pipelines(ctx)
			require.NoError(t, err)
			assert.Empty(t, pipes)
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			late := record(t, "p", "dt=2024-01-02", t0.Add(time.Hour))
			early := record(t, "p", "dt=2024-01-01", t0)
			other := record(t, "q", "all", t0)
			for _, r := range []*lineage.RunRecord{late, early, other, early} {
				require.NoError(t, s.PutRun(ctx, r))
			}
			pipes, err = s.Pipelines(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"p", "q"}, pipes)
			runs, err := s.Runs(ctx, "p")
			require.NoError(t, err)
			require.Len(t, runs, 2)
			assert.Equal(t, []string{early.RunID, late.RunID}, []string{runs[0].RunID, runs[1].RunID})
			got, err := s.Run(ctx, late.RunID)
			require.NoError(t, err)
			assert.Equal(t, late.Partition, got.Partition)
			assert.JSONEq(t, `{"a":1}`, string(got.Nodes[0].Operation.Config), "Run returns the complete record")
			assert.Len(t, got.Nodes[0].Checks, 1)
			_, err = s.Run(ctx, "0190f0c8-0000-7000-8000-00000000dead")
			assert.ErrorIs(t, err, lineage.ErrNotFound)
			assert.Error(t, s.PutRun(ctx, &lineage.RunRecord{RunID: "x"}))
		})
	}
}

func TestLakeStoreIndexIsACache(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// Records written directly, as the engine does.
	var ids []string
	for i := range 5 {
		r := record(t, "p", fmt.Sprintf("dt=2024-01-0%d", i+1), t0.Add(time.Duration(i)*time.Hour))
		_, err := lineage.WriteRunRecord(lake, r)
		require.NoError(t, err)
		ids = append(ids, r.RunID)
	}
	runIDs := func(s *lineage.LakeStore) []string {
		runs, err := s.Runs(ctx, "p")
		require.NoError(t, err)
		var out []string
		for _, r := range runs {
			out = append(out, r.RunID)
			assert.Nil(t, r.Nodes[0].Operation.Config, "index lines are summaries")
		}
		return out
	}
	assert.Equal(t, ids, runIDs(lineage.NewLakeStore(lake)))
	index := filepath.Join(lake, "_lineage", "index", "p.jsonl")
	b, err := os.ReadFile(index)
	require.NoError(t, err)
	assert.Equal(t, 5, strings.Count(string(b), "\n"))

	// A crash left half a line; another process deleted a record.
	f, err := os.OpenFile(index, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"format":1,"run_id":"trunc`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Remove(filepath.Join(lake, "_lineage", "runs", "p", ids[0]+".json")))
	r := record(t, "p", "dt=2024-01-09", t0.Add(9*time.Hour))
	_, err = lineage.WriteRunRecord(lake, r)
	require.NoError(t, err)
	ids = append(ids[1:], r.RunID)
	assert.Equal(t, ids, runIDs(lineage.NewLakeStore(lake)))
	b, err = os.ReadFile(index)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(b), "\n"))
	assert.Contains(t, string(b), "trunc\n{", "the new line starts after the broken one")

	// Reindex compacts; deleting the index loses nothing.
	s := lineage.NewLakeStore(lake)
	require.NoError(t, s.Reindex(ctx, "p"))
	b, err = os.ReadFile(index)
	require.NoError(t, err)
	assert.Equal(t, 5, strings.Count(string(b), "\n"))
	assert.NotContains(t, string(b), "trunc")
	assert.Equal(t, ids, runIDs(s))
	require.NoError(t, os.Remove(index))
	assert.Equal(t, ids, runIDs(lineage.NewLakeStore(lake)))

	_, err = s.Runs(ctx, "../p")
	assert.Error(t, err)
}

// TestLakeStoreConcurrentWriters has several stores (as separate processes
// would) write and index runs of different partitions at once.
func TestLakeStoreConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	const writers, each = 4, 10
	var wg sync.WaitGroup
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for w := range writers {
		wg.Go(func() {
			s := lineage.NewLakeStore(lake)
			for i := range each {
				r := record(t, "p", fmt.Sprintf("k=w%d", w), t0.Add(time.Duration(w*each+i)*time.Second))
				assert.NoError(t, s.PutRun(ctx, r))
				_, err := s.Runs(ctx, "p")
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	runs, err := lineage.NewLakeStore(lake).Runs(ctx, "p")
	require.NoError(t, err)
	assert.Len(t, runs, writers*each)
	seen := map[string]bool{}
	for _, r := range runs {
		assert.False(t, seen[r.RunID])
		seen[r.RunID] = true
	}
	// Every index line parses: whole-line appends did not interleave.
	b, err := os.ReadFile(filepath.Join(lake, "_lineage", "index", "p.jsonl"))
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		assert.True(t, strings.HasPrefix(line, `{"format":1,`) && strings.HasSuffix(line, "}"), "line %q", line)
	}
}

func TestRecorderCopiesRunsToAnotherStore(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	mem := &lineage.MemStore{}
	p := buildPipeline(lake, CleanConfig{KeepViews: true}, lineage.Recorder(mem, nil))
	res, err := p.Run(ctx, day(t, "2024-01-02"))
	require.NoError(t, err)
	got, err := mem.Run(ctx, res.RunID)
	require.NoError(t, err)
	assert.Equal(t, "dt=2024-01-02", got.Partition)

	// The catalog answers from the other store (and the lake's manifests).
	tr, err := lineage.NewCatalog(lake, mem).Trace(ctx, "gold.user_daily", "dt=2024-01-02")
	require.NoError(t, err)
	assert.Equal(t, res.RunID, tr.Root.RunID)
}
