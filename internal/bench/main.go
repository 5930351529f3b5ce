// Command bench runs the feature pipeline benchmark (FPB, see
// /work/shared/FPB.md) in kiln and in DuckDB, in one run, and prints for
// each of P1 (daily features) and P2 (point-in-time training set) the wall
// time and peak RSS of each engine, their ratios kiln/DuckDB, and whether
// the outputs agree.
//
// It lives in its own Go module so DuckDB (cgo) never enters kiln's
// dependencies. Run it from this directory:
//
//	cd internal/bench && go run . -n 20000000 -runs 3
//
// Flags: -n events (N/30 per day), -labels, -data DIR (an existing data set
// in the FPB layout; otherwise one is generated under -work and reused on
// later runs with the same -n and -labels), -runs (median of), -threads
// (GOMAXPROCS for kiln, SET threads for DuckDB), -duckdb-dedupe (the SQL
// of DuckDB's dedupe: qualify, the default and fastest, or distinct_on),
// -cpuprofile FILE (profile the kiln jobs in one extra run: FILE.p1 and
// FILE.p2), -kiln-env "VAR=value ..." (extra environment for the kiln
// children, e.g. GOMEMLIMIT, for experiments).
//
// Each job (engine × P1/P2) runs in a child process, this binary started
// again with the job in the KILN_FPB_JOB environment variable, so each
// engine's peak RSS (wait4's ru_maxrss) is its own. A job's time is its
// wall time from start to the output file written. P2 of each engine reads
// that engine's P1 output.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if isChild() {
		return
	}
	var cfg config
	flag.IntVar(&cfg.N, "n", 20_000_000, "events to generate (N/30 per day)")
	flag.IntVar(&cfg.Labels, "labels", 1_000_000, "labels to generate")
	flag.StringVar(&cfg.Data, "data", "", "existing FPB data directory (default: generate under -work)")
	flag.StringVar(&cfg.Work, "work", filepath.Join(os.TempDir(), "kiln-fpb"), "directory for generated data and outputs")
	flag.IntVar(&cfg.Runs, "runs", 3, "runs per job; the median is reported")
	flag.IntVar(&cfg.Threads, "threads", 2, "GOMAXPROCS for kiln, SET threads for DuckDB")
	flag.StringVar(&cfg.DuckDedupe, "duckdb-dedupe", "qualify", "DuckDB's P1 dedupe: qualify (row_number() = 1) or distinct_on")
	flag.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write CPU profiles of the kiln jobs (one extra run) to FILE.p1 and FILE.p2")
	var kilnEnv string
	flag.StringVar(&kilnEnv, "kiln-env", "", "space-separated VAR=value added to the kiln children's environment, e.g. GOMEMLIMIT=2560MiB (experiments)")
	flag.Parse()
	cfg.KilnEnv = strings.Fields(kilnEnv)
	ctx := context.Background()
	rep, err := run(ctx, cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout)
	if !rep.OK() {
		os.Exit(3)
	}
}
