// Command backfill runs a 90-day backfill in which one day's input is
// broken, shows the failure report, fixes the input and resumes:
//
//	go run ./examples/backfill [-lake DIR] [-landing DIR] [-orders N] [-parallel N] [-fail-on YYYY-MM-DD]
//
// The stores' nightly exports land as one CSV file per day for 2024-01-01
// through 2024-03-30 (seeded synthetic sales), and the export of -fail-on
// has a typo in one price. A kiln pipeline lands them (bronze.sales, with a
// pinned schema), aggregates daily store revenue and a trailing 7-day window,
// over all 90 days with kiln.Parallel. Each partition commits or fails on its
// own: the report names the partition, the node and the file, line and
// column at fault, and what was skipped because of it, while every other day
// is committed. Then the export is delivered again, fixed, and the same
// backfill resumes: committed partitions are cache hits, and only what the
// broken day touched is computed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kiln-data/kiln"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake to build")
	landing := fs.String("landing", "landing", "directory where the daily exports land")
	orders := fs.Int("orders", 2_000, "average order lines per day")
	parallel := fs.Int("parallel", 4, "node partitions computed at once (kiln.Parallel)")
	failOn := fs.String("fail-on", "2024-02-10", "day whose export is corrupt (empty: none)")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *orders < 1 {
		return fmt.Errorf("-orders must be positive, got %d", *orders)
	}
	// The engine logs every node (and each failure) with log/slog; the
	// report below says the same more briefly, so the logs are off unless
	// asked for.
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	gen := GenConfig{Seed: 2024, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Days: 90, Orders: *orders, Stores: 20, SKUs: 300}
	days, err := kiln.Range(kiln.DayOf(gen.Start), kiln.DayOf(gen.Start).Add(gen.Days-1))
	if err != nil {
		return err
	}
	var bad kiln.Partition
	if *failOn != "" {
		t, err := time.Parse(time.DateOnly, *failOn)
		if err != nil || !slices.Contains(days, kiln.DayOf(t)) {
			return fmt.Errorf("-fail-on must be a day from %s to %s, got %q", days[0], days[len(days)-1], *failOn)
		}
		bad = kiln.DayOf(t)
	}

	// 1. Land 90 daily exports, one of them broken.
	if err := landAll(*landing, gen); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kiln backfill: %d daily exports under %s\n", len(days), *landing)
	if *failOn != "" {
		line, err := corrupt(*landing, gen, bad.Start())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "injected: a typo in a price of %s (line %d)\n", salesFile(*landing, bad.Start()), line)
	}

	// 2. Backfill. The error joins every failed partition's error; the
	// result says which partitions committed and which did not.
	p := build(*lakeDir, *landing, logger)
	start := time.Now()
	res, err := p.Backfill(ctx, days, kiln.Parallel(*parallel))
	if err != nil && len(res.Failed()) == 0 {
		return err // not a partition failure: a bad plan, a cancelled context
	}
	fmt.Fprintf(stdout, "\nbackfill of %d days, parallel %d (%s): %d of %d partitions complete\n",
		len(days), *parallel, time.Since(start).Round(time.Millisecond), len(days)-len(res.Failed()), len(days))
	printNodes(stdout, res)
	if len(res.Failed()) == 0 {
		return nil
	}
	printFailures(stdout, res)

	// 3. The fix: the store delivers its export again, corrected.
	if err := landAll(*landing, gen); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nfixed: %s delivered again\n", salesFile(*landing, bad.Start()))

	// 4. Resume: the same call. Committed partitions are cache hits (their
	// fingerprints are unchanged); only what the broken day touched runs.
	start = time.Now()
	res, err = p.Backfill(ctx, days, kiln.Parallel(*parallel))
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	fmt.Fprintf(stdout, "\nresume (%s): %d of %d partitions complete\n",
		time.Since(start).Round(time.Millisecond), len(days)-len(res.Failed()), len(days))
	printNodes(stdout, res)
	fmt.Fprintf(stdout, "recomputed: %s\n", describe(withStatus(res, kiln.StatusComputed)))
	return nil
}

// printNodes prints, per node, how its partitions ended in a backfill.
func printNodes(w io.Writer, b *kiln.BackfillResult) {
	var order []string
	counts := map[string]map[kiln.Status]int{}
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			if n.Partition != r.Partition && !n.Partition.IsAll() {
				continue // an earlier day read through a lookback window: counted in its own run
			}
			if counts[n.Node] == nil {
				counts[n.Node] = map[kiln.Status]int{}
				order = append(order, n.Node)
			}
			counts[n.Node][n.Status]++
		}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tcomputed\tcache hits\tfailed\tskipped")
	for _, name := range order {
		c := counts[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", name, c[kiln.StatusComputed]+c[kiln.StatusUnchanged], c[kiln.StatusCached], c[kiln.StatusFailed], c[kiln.StatusSkipped])
	}
	tw.Flush()
}

// printFailures is the failure report: for each failed node partition,
// where and why (the *kiln.NodeError names the pipeline, node and
// partition; its cause names the file, line and column), then what did not
// run because of it.
func printFailures(w io.Writer, b *kiln.BackfillResult) {
	fmt.Fprintln(w, "\nfailures:")
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			if n.Status != kiln.StatusFailed {
				continue
			}
			cause := n.Err
			var ne *kiln.NodeError
			if errors.As(n.Err, &ne) {
				cause = ne.Err
			}
			fmt.Fprintf(w, "  %s %s: %v\n", n.Node, n.Partition, cause)
		}
	}
	fmt.Fprintf(w, "  not run because an input failed: %s\n", describe(withStatus(b, kiln.StatusSkipped)))
}

// nodeParts lists partitions per node, nodes in the order first seen.
type nodeParts struct {
	nodes []string
	parts map[string][]kiln.Partition
}

// withStatus collects the node partitions of a backfill that ended with
// status s.
func withStatus(b *kiln.BackfillResult, s kiln.Status) nodeParts {
	np := nodeParts{parts: map[string][]kiln.Partition{}}
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			if n.Status != s || slices.Contains(np.parts[n.Node], n.Partition) {
				continue
			}
			if len(np.parts[n.Node]) == 0 {
				np.nodes = append(np.nodes, n.Node)
			}
			np.parts[n.Node] = append(np.parts[n.Node], n.Partition)
		}
	}
	return np
}

// describe writes node partitions briefly: "gold.store_daily dt=2024-02-10;
// gold.store_7d dt=2024-02-10 .. dt=2024-02-16 (7)".
func describe(np nodeParts) string {
	if len(np.nodes) == 0 {
		return "none"
	}
	var out []string
	for _, node := range np.nodes {
		parts := np.parts[node]
		slices.SortFunc(parts, kiln.Partition.Compare)
		if len(parts) == 1 {
			out = append(out, node+" "+parts[0].String())
			continue
		}
		out = append(out, fmt.Sprintf("%s %s .. %s (%d)", node, parts[0], parts[len(parts)-1], len(parts)))
	}
	return strings.Join(out, "; ")
}
