package lineage_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/lineage"
)

// benchLake writes n run records of 12 node partitions each.
func benchLake(b *testing.B, n int) string {
	b.Helper()
	lake := b.TempDir()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		r := record(b, "p", fmt.Sprintf("dt=%s", t0.AddDate(0, 0, i).Format(time.DateOnly)), t0.Add(time.Duration(i)*time.Minute))
		node := r.Nodes[0]
		node.Schema = []lineage.Field{{Name: "a", Type: "int64"}, {Name: "b", Type: "utf8", Nullable: true}}
		node.Files = []lineage.File{{Path: "part-00000.parquet", Rows: 10, Bytes: 1000}}
		r.Nodes = nil
		for j := range 12 {
			node.Node = fmt.Sprintf("ds.n%02d", j)
			node.Inputs = []lineage.Input{{Dataset: fmt.Sprintf("ds.n%02d", max(j-1, 0)), Partition: r.Partition, Mapping: "same"}}
			r.Nodes = append(r.Nodes, node)
		}
		_, err := lineage.WriteRunRecord(lake, r)
		require.NoError(b, err)
	}
	return lake
}

// BenchmarkLakeStoreRuns measures listing 1000 runs: from the record files
// (no index yet: parses every record and writes the index), from the index
// (a new process), and from a store's cache.
func BenchmarkLakeStoreRuns(b *testing.B) {
	ctx := context.Background()
	lake := benchLake(b, 1000)
	index := filepath.Join(lake, filepath.FromSlash(lineage.IndexDir), "p.jsonl")
	b.Run("records", func(b *testing.B) {
		for b.Loop() {
			os.Remove(index)
			if _, err := lineage.NewLakeStore(lake).Runs(ctx, "p"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			if _, err := lineage.NewLakeStore(lake).Runs(ctx, "p"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		s := lineage.NewLakeStore(lake)
		for b.Loop() {
			if _, err := s.Runs(ctx, "p"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenLineageNodeEvents measures a node's START and COMPLETE
// events, built, encoded and appended to the events file.
func BenchmarkOpenLineageNodeEvents(b *testing.B) {
	ol, err := lineage.NewOpenLineage(lineage.OpenLineageConfig{EventsFile: filepath.Join(b.TempDir(), "ev.ndjson"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(b, err)
	defer ol.Close(context.Background())
	run := &lineage.RunRecord{RunID: "0190f0c8-0000-7000-8000-000000000001", Pipeline: "p", Partition: "dt=2024-01-30", Started: time.Now()}
	n := &lineage.NodeRun{Node: "gold.user_7d", Partition: "dt=2024-01-30", Kind: "transform", Status: "computed", Rows: 1000, Bytes: 1 << 20,
		Files:         []lineage.File{{Path: "part-00000.parquet"}},
		Schema:        []lineage.Field{{Name: "user_id", Type: "int64"}, {Name: "revenue", Type: "float64"}, {Name: "events", Type: "int64"}},
		ColumnLineage: []lineage.ColumnLineage{{Column: "revenue", Inputs: []lineage.ColumnInput{{Dataset: "gold.user_daily", Column: "revenue", Kind: "DIRECT", Subtype: "AGGREGATION"}}}},
		Checks:        []lineage.CheckResult{{Check: "not_null", Column: "user_id", Success: true, ElementCount: 1000}},
		Started:       time.Now()}
	for i := range 7 {
		n.Inputs = append(n.Inputs, lineage.Input{Dataset: "gold.user_daily", Partition: fmt.Sprintf("dt=2024-01-%02d", 24+i), Mapping: "lookback"})
	}
	for b.Loop() {
		ol.NodeStarted(run, n)
		ol.NodeFinished(run, n)
	}
}
