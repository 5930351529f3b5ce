// Command clickstream turns raw click logs into session features:
//
//	go run ./examples/clickstream [-lake DIR] [-landing DIR] [-clicks N]
//
// It plays the web servers' log shipper first: a week of synthetic clicks
// (seeded, so the same every time) lands as NDJSON files in
// landing/clicks/dt=YYYY-MM-DD/, next to a CSV export of the user table.
// Then a kiln pipeline reads them with the file sources (source.NDJSON with a
// declared schema, source.CSV with an inferred one), cleans and sessionizes
// the clicks (transform.Sessionize: a new session after 30 minutes of
// inactivity), summarizes each session, aggregates per-user daily features
// with transform.GroupBy, and a dashboard table per day and plan. Quality
// checks (package quality) gate every step. It prints what each node
// committed, one partition's quality report, the dashboard for the last day,
// and shows that a rerun is all cache hits.
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
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
	"github.com/kiln-data/kiln/source"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "clickstream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("clickstream", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake to build")
	landing := fs.String("landing", "landing", "directory where the raw logs land")
	clicks := fs.Int("clicks", 300_000, "number of synthetic clicks over the week")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clicks < 700 {
		return fmt.Errorf("-clicks must be at least 700, got %d", *clicks)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// 1. Land the raw files, as an upstream system would.
	gen := GenConfig{Seed: 7, Start: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), Days: 7, Clicks: *clicks, Users: max(*clicks/30, 10)}
	files, landed, err := land(*landing, gen)
	if err != nil {
		return fmt.Errorf("landing: %w", err)
	}
	fmt.Fprintf(stdout, "kiln clickstream: landed %d clicks in %d files under %s\n\n", landed, files, *landing)

	// 2. Run the pipeline for every day of the week.
	p := build(*lakeDir, *landing, logger)
	days, err := kiln.Range(kiln.DayOf(gen.Start), kiln.DayOf(gen.Start).Add(gen.Days-1))
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := p.Backfill(ctx, days)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backfill of %d days (%s):\n", len(days), time.Since(start).Round(time.Millisecond))
	printNodes(stdout, res)
	passed, total := 0, 0
	for _, r := range res.Runs {
		p, t := r.QualityChecks()
		passed, total = passed+p, total+t
	}
	fmt.Fprintf(stdout, "quality: %d of %d check results passed\n", passed, total)

	// 3. Every committed partition keeps its quality results in its
	// manifest: read one back as a report.
	last := days[len(days)-1]
	rep, err := quality.ReadReport(*lakeDir, "bronze.clicks", last)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nquality report of bronze.clicks %s:\n", last)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}

	// 4. The lake is plain Parquet: read the dashboard table back (here
	// with kiln's own Parquet source; DuckDB or pandas would do as well).
	if err := printKPIs(ctx, stdout, *lakeDir, last); err != nil {
		return err
	}

	// 5. Nothing changed, so nothing is recomputed.
	again, err := p.Backfill(ctx, days)
	if err != nil {
		return err
	}
	cached, all := 0, 0
	for _, r := range again.Runs {
		cached += r.Count(kiln.StatusCached)
		all += len(r.Nodes)
	}
	fmt.Fprintf(stdout, "\nrerun: %d of %d node partitions were cache hits\n", cached, all)
	return nil
}

// printNodes prints, per node, the partitions computed, the rows committed
// and the cache hits of a backfill.
func printNodes(w io.Writer, b *kiln.BackfillResult) {
	type sum struct {
		parts, cached int
		rows          int64
	}
	var order []string
	sums := map[string]*sum{}
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			s := sums[n.Node]
			if s == nil {
				s = &sum{}
				sums[n.Node] = s
				order = append(order, n.Node)
			}
			s.parts++
			s.rows += n.Rows
			if n.Status == kiln.StatusCached {
				s.cached++
			}
		}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tpartitions\trows\tcache hits")
	for _, name := range order {
		s := sums[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d/%d\n", name, s.parts, s.rows, s.cached, s.parts)
	}
	tw.Flush()
}

// KPI is one row of gold.daily_sessions.
type KPI struct {
	DT               kiln.CalendarDate `kiln:"dt"`
	Plan             string            `kiln:"plan"`
	Users            int64             `kiln:"users"`
	Sessions         int64             `kiln:"sessions"`
	AvgSessionS      float64           `kiln:"avg_session_s"`
	ClicksPerSession float64           `kiln:"clicks_per_session"`
	ConversionRate   float64           `kiln:"conversion_rate"`
}

// readDataset reads one committed partition of a dataset of the lake, with
// kiln's Parquet source (which checks every file against the BLAKE3 hash in
// the partition's manifest).
func readDataset(ctx context.Context, lakeDir, dataset string, part kiln.Partition) (arrow.Table, error) {
	src := source.Parquet(kiln.DatasetDir(lakeDir, dataset))
	return src.Read(kiln.NewContext(ctx, "read", part))
}

// printKPIs prints the dashboard rows of one day.
func printKPIs(ctx context.Context, w io.Writer, lakeDir string, day kiln.Partition) error {
	tbl, err := readDataset(ctx, lakeDir, "gold.daily_sessions", day)
	if err != nil {
		return err
	}
	defer tbl.Release()
	rows, err := kiln.Rows[KPI](tbl)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return errors.New("gold.daily_sessions is empty")
	}
	fmt.Fprintf(w, "\ngold.daily_sessions %s:\n", day)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "plan\tusers\tsessions\tavg session\tclicks/session\tconversion\t")
	for _, r := range rows {
		avg := time.Duration(r.AvgSessionS * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.1f\t%.1f%%\t\n", r.Plan, r.Users, r.Sessions, avg, r.ClicksPerSession, 100*r.ConversionRate)
	}
	return tw.Flush()
}
