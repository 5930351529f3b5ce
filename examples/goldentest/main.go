// Command goldentest shows how to golden-test your own transform:
//
//	go run ./examples/goldentest [-lake DIR] [-purchases N]
//	go test ./examples/goldentest            # the golden test itself
//	go test ./examples/goldentest -update    # accept a new output (after bumping the version)
//
// recency.go holds a user transform written as a typed Go function with
// kiln.Func: per-user purchase recency features as of the partition's end.
// recency_test.go golden-tests it in one line with transformtest.Golden
// against the committed testdata/*.golden files: the transform's name,
// version and config, its output's content hash, schema and rows. The
// program prints what the test does and the golden file it compares with,
// shows what happens when the function changes but its version does not
// (the test says "bump the version"), and finally runs the same transform in
// a small pipeline.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform/transformtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "goldentest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("goldentest", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake for the pipeline demo")
	perDay := fs.Int("purchases", 20_000, "synthetic purchases per day in the pipeline demo")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *perDay < 1 {
		return fmt.Errorf("-purchases must be positive, got %d", *perDay)
	}

	// 1. What the test does, and the golden file it compares with.
	in, err := sampleTable()
	if err != nil {
		return err
	}
	defer in.Release()
	golden, err := transformtest.Render(recency.With(sampleConfig), []arrow.Table{in}, asOfDay)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `kiln goldentest: golden-testing a user transform

recency.go defines %s %s, a kiln.Func. recency_test.go tests it in one line:

	transformtest.Golden(t, recency.With(sampleConfig), []arrow.Table{in}, "testdata/recency",
		transformtest.AtPartition(asOfDay))

It runs the transform on %d sample purchases (sample.go) as if for partition %s
and compares the output's content hash with testdata/recency.golden:

%s
run the test:     go test ./examples/goldentest
change the logic: bump the version in recency.go ("v1" -> "v2"), run
                  go test ./examples/goldentest -update, review the diff of
                  testdata/*.golden and commit it with the code
`, golden.Name, golden.Version, in.NumRows(), asOfDay, indent(string(golden.Bytes())))

	// 2. Why the version matters. kiln reuses a committed partition when
	// its fingerprint (transform name, version, config, inputs) is
	// unchanged, so a function edited under the same version would leave
	// stale features in the lake. The golden test catches it.
	edited := kiln.Func("goldentest.recency", "v1", func(ctx *kiln.Context, cfg RecencyConfig, in arrow.Table) (arrow.Table, error) {
		cfg.HalfLifeDays *= 2 // "slower decay looks better", and no version bump
		return computeRecency(ctx, cfg, in)
	})
	after, err := transformtest.Render(edited.With(sampleConfig), []arrow.Table{in}, asOfDay)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `
forgot to bump? Say someone doubles the half-life inside the function and keeps %q:
  golden content  %s
  edited content  %s
  go test fails:  the output of %s changed but its version %q did not:
                  bump the version, then rerun with -update to accept the new output
`, after.Version, golden.Content, after.Content, after.Name, after.Version)

	// 3. The same transform in a pipeline: 28 days of purchases in, one
	// row per user out, committed and hashed like any other node.
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	p := kiln.New("goldentest", kiln.WithLake(*lakeDir), kiln.WithLogger(logger))
	src := p.Source("bronze.purchases", purchases.With(ShopConfig{Seed: 11, Users: 5_000, PerDay: *perDay, FirstDay: "2024-03-04"}))
	p.Transform("gold.user_recency", recency.With(sampleConfig), kiln.Lookback(src, 28*kiln.Day))
	res, err := p.Run(ctx, asOfDay)
	if err != nil {
		return err
	}
	n, _ := res.Node("gold.user_recency")
	fmt.Fprintf(stdout, "\nin a pipeline: gold.user_recency %s %s: %d users from %d days of purchases, content %s\n",
		asOfDay, n.Status, n.Rows, len(n.Inputs), n.ContentHash.Short())
	return nil
}

// indent indents every line of s by a tab.
func indent(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n\t") + "\n"
}
