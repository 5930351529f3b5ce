// Command quickstart builds a small feature lake from a synthetic e-commerce
// event log, entirely on your machine:
//
//	go run ./examples/quickstart [-lake DIR] [-events N]
//
// It generates 30 days of events (seeded: the same every time) and lands them
// as bronze Parquet, cleans them into silver (drop events without a user,
// keep one copy of each event), aggregates gold daily per-user features and a
// 7-day rolling feature table, for every day. It prints what each node
// committed, runs everything again (every node is a cache hit), and then
// verifies that recomputing from scratch reproduces every content hash.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"text/tabwriter"
	"time"

	"github.com/kiln-data/kiln"
	"github.com/zeebo/blake3"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// build declares the quickstart pipeline.
func build(lakeDir string, gen GenConfig, logger *slog.Logger) *kiln.Pipeline {
	p := kiln.New("quickstart", kiln.WithLake(lakeDir), kiln.WithLogger(logger))
	events := p.Source("bronze.events", kiln.SourceFunc("quickstart.events", "v1", generate).With(gen))
	clean := p.Transform("silver.events", cleanEvents, events)
	daily := p.Transform("gold.user_daily", dailyFeatures, clean)
	p.Transform("gold.user_7d", rollingFeatures.With(WindowConfig{Days: 7}), kiln.Lookback(daily, 7*kiln.Day))
	return p
}

func defaultGen(events int) GenConfig {
	return GenConfig{Seed: 42, Events: events, Start: "2024-01-01", Days: 30, Users: 100_000, Items: 10_000}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake to build")
	events := fs.Int("events", 3_000_000, "number of synthetic events over the 30 days")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *events < 30 {
		return fmt.Errorf("-events must be at least 30, got %d", *events)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	gen := defaultGen(*events)
	p := build(*lakeDir, gen, logger)
	days, err := kiln.Days("2024-01-01", "2024-01-30")
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "kiln quickstart: %d events over %d days into %s\n\n", *events, len(days), *lakeDir)
	start := time.Now()
	first, err := p.Backfill(ctx, days)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "first run (%s):\n", time.Since(start).Round(time.Millisecond))
	printSummary(stdout, first)

	start = time.Now()
	second, err := p.Backfill(ctx, days)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsecond run (%s):\n", time.Since(start).Round(time.Millisecond))
	printSummary(stdout, second)

	start = time.Now()
	rep, err := p.Verify(ctx, days)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	fmt.Fprintf(stdout, "\nverify (%s): recomputed %d node partitions from scratch; every content hash reproduced\n",
		time.Since(start).Round(time.Millisecond), rep.Count(kiln.StatusVerified))
	return nil
}

type nodeSummary struct {
	parts, cached int
	rows          int64
	hashes        *blake3.Hasher
}

// printSummary prints one line per node: partitions, rows, a BLAKE3 of its
// partitions' content hashes in partition order (one fingerprint of the
// whole dataset), and cache hits.
func printSummary(w io.Writer, b *kiln.BackfillResult) {
	var order []string
	sums := map[string]*nodeSummary{}
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			if n.Status == kiln.StatusAbsent {
				continue
			}
			s := sums[n.Node]
			if s == nil {
				s = &nodeSummary{hashes: blake3.New()}
				sums[n.Node] = s
				order = append(order, n.Node)
			}
			s.parts++
			s.rows += n.Rows
			s.hashes.Write(n.ContentHash[:])
			if n.Status == kiln.StatusCached {
				s.cached++
			}
		}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tpartitions\trows\tcontent\tcache hits")
	for _, name := range order {
		s := sums[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d/%d\n", name, s.parts, s.rows, fmt.Sprintf("%x", s.hashes.Sum(nil)[:6]), s.cached, s.parts)
	}
	tw.Flush()
}
