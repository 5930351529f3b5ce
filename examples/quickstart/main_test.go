package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
	"github.com/kiln-data/kiln/transform"
)

func TestQuickstartRunsAndReproduces(t *testing.T) {
	var out bytes.Buffer
	lake := filepath.Join(t.TempDir(), "lake")
	require.NoError(t, run(context.Background(), []string{"-lake", lake, "-events", "30000"}, &out))
	s := out.String()
	assert.Contains(t, s, "first run")
	for _, node := range []string{"bronze.events", "silver.events", "gold.user_daily", "gold.user_7d"} {
		assert.Contains(t, s, node)
	}
	second := s[strings.Index(s, "second run"):]
	assert.Equal(t, 4, strings.Count(second, "30/30"), "every node is a cache hit on the second run:\n%s", second)
	assert.Contains(t, s, "verify")
	assert.Contains(t, s, "recomputed 120 node partitions from scratch; every content hash reproduced")
	assert.FileExists(t, filepath.Join(lake, "gold", "user_7d", "dt=2024-01-30", "part-00000.parquet"))
}

func TestQuickstartRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-events", "3"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
}

// fileHashes maps every data file and manifest in the lake to its BLAKE3.
func fileHashes(t testing.TB, lake string) map[string]string {
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(lake, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(lake, path)
		if d.IsDir() && (rel == "_lineage" || rel == "_kiln") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%x", blake3.Sum256(b))
		return nil
	}))
	return out
}

// The quickstart pipeline, run twice and at GOMAXPROCS 1 and 2, yields
// identical content and file hashes for every partition.
func TestQuickstartDeterministic(t *testing.T) {
	days, err := kiln.Days("2024-01-01", "2024-01-30")
	require.NoError(t, err)
	var trees []map[string]string
	for _, procs := range []int{1, 2, 2, 1} {
		prev := runtime.GOMAXPROCS(procs)
		lake := t.TempDir()
		p := build(lake, defaultGen(30_000), slog.New(slog.DiscardHandler))
		_, err := p.Backfill(context.Background(), days)
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		trees = append(trees, fileHashes(t, lake))
	}
	// 4 datasets x 30 partitions x (data file + manifest).
	require.Len(t, trees[0], 4*30*2)
	for i := 1; i < len(trees); i++ {
		assert.Equal(t, trees[0], trees[i], "run %d differs from run 0", i)
	}
}

// peakHeap samples the heap until stop is closed: peak gets the most heap
// objects seen (live and dead but not yet swept), live the most live bytes
// any garbage collection found.
func peakHeap(stop <-chan struct{}, peak, live *atomic.Uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	for {
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
		if v := s[1].Value.Uint64(); v > live.Load() {
			live.Store(v)
		}
		select {
		case <-stop:
			return
		case <-time.After(500 * time.Microsecond):
		}
	}
}

// BenchmarkQuickstart runs the whole 30-day quickstart backfill at 10M
// events (override with KILN_BENCH_EVENTS) and reports events/s and the
// process's peak RSS.
func BenchmarkQuickstart(b *testing.B) {
	events := 10_000_000
	if v := os.Getenv("KILN_BENCH_EVENTS"); v != "" {
		fmt.Sscan(v, &events)
	}
	days, err := kiln.Days("2024-01-01", "2024-01-30")
	require.NoError(b, err)
	for b.Loop() {
		lake := b.TempDir()
		p := build(lake, defaultGen(events), slog.New(slog.DiscardHandler))
		_, err := p.Backfill(context.Background(), days)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS-MiB")
}

// partitionEvents is the number of events in BenchmarkPartitionMemory's
// partition: 2M, or KILN_BENCH_PARTITION_EVENTS.
func partitionEvents() int {
	n := 2_000_000
	if v := os.Getenv("KILN_BENCH_PARTITION_EVENTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	return n
}

// BenchmarkPartitionMemory runs one daily partition with 2M events
// (override with KILN_BENCH_PARTITION_EVENTS) and reports, relative to the
// Arrow size of the largest node output (the bound is 2x), the peak
// heap during the run (live objects and garbage not yet swept:
// peak/largest) and the most live bytes a garbage collection found
// (live/largest). Each is the worst of all iterations; cold-peak/largest
// is the first iteration's alone, which for the first benchmark of a
// process runs cold (no idle encoders or pooled buffers yet).
// "quickstart" is the quickstart's day up to gold.user_daily; "sort" lands
// the events and sorts them by user and time in a second node.
func BenchmarkPartitionMemory(b *testing.B) {
	gen := defaultGen(30 * partitionEvents()) // only one day runs
	b.Run("quickstart", func(b *testing.B) {
		partitionMemory(b, func(lake string) *kiln.Pipeline {
			return build(lake, gen, slog.New(slog.DiscardHandler))
		}, kiln.Targets("gold.user_daily"))
	})
	b.Run("sort", func(b *testing.B) {
		partitionMemory(b, func(lake string) *kiln.Pipeline {
			p := kiln.New("sorted", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.DiscardHandler)))
			events := p.Source("bronze.events", kiln.SourceFunc("quickstart.events", "v1", generate).With(gen))
			p.Transform("silver.events_by_user", transform.Sort(transform.Asc("user_id"), transform.Asc("ts")), events)
			return p
		})
	})
}

// partitionMemory runs the pipeline build makes for 2024-01-01 and reports
// BenchmarkPartitionMemory's metrics.
func partitionMemory(b *testing.B, build func(lake string) *kiln.Pipeline, opts ...kiln.RunOption) {
	var worstPeak, worstLive, cold float64
	var peakMiB, largestMiB float64
	for b.Loop() {
		lake := b.TempDir()
		p := build(lake)
		runtime.GC()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		base := s[0].Value.Uint64()
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		var live atomic.Uint64
		go func() { peakHeap(stop, &peak, &live); close(done) }()
		res, err := p.Run(context.Background(), kiln.Date(2024, 1, 1), opts...)
		close(stop)
		<-done
		require.NoError(b, err)
		var largest int64
		for _, n := range res.Nodes {
			sz := arrowBytes(b, lake, n)
			largest = max(largest, sz)
		}
		ratio := float64(peak.Load()-base) / float64(largest)
		if cold == 0 {
			cold = ratio
		}
		if ratio > worstPeak {
			worstPeak, peakMiB = ratio, float64(peak.Load()-base)/(1<<20)
		}
		worstLive = max(worstLive, float64(live.Load()-min(live.Load(), base))/float64(largest))
		largestMiB = float64(largest) / (1 << 20)
	}
	b.ReportMetric(peakMiB, "peakHeap-MiB")
	b.ReportMetric(largestMiB, "largestOutput-MiB")
	b.ReportMetric(worstPeak, "peak/largest")
	b.ReportMetric(cold, "cold-peak/largest")
	b.ReportMetric(worstLive, "live/largest")
}

// arrowBytes is the in-memory Arrow size of a committed node partition.
func arrowBytes(tb testing.TB, lake string, n kiln.NodeResult) int64 {
	dir := filepath.Join(lake, filepath.FromSlash(strings.ReplaceAll(n.Node, ".", "/")))
	tbl, err := source.Parquet(dir).Read(kiln.NewContext(context.Background(), "size", n.Partition))
	require.NoError(tb, err)
	var size int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, buf := range d.Buffers() {
			if buf != nil {
				size += int64(buf.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
	}
	for i := range int(tbl.NumCols()) {
		for _, c := range tbl.Column(i).Data().Chunks() {
			walk(c.Data())
		}
	}
	return size
}

func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
