package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// config is one benchmark run's settings (the command's flags).
type config struct {
	N, Labels  int
	Data, Work string
	Runs       int
	Threads    int
	CPUProfile string
	// DuckDedupe is DuckDB's P1 dedupe formulation (see duckDedupe).
	DuckDedupe string
	// KilnEnv is added to the kiln children's environment (GOGC,
	// GOMEMLIMIT...), for experiments; the figures that count use none.
	KilnEnv []string
}

// result is one work item's figures: medians over the runs.
type result struct {
	Work       string
	Kiln, Duck outcome
	Agree      agreement
}

// report is what a benchmark run found.
type report struct {
	Cfg     config
	Data    string
	Results []result
	// Interop lists problems DuckDB had reading kiln-written files (empty:
	// none).
	Interop []string
	Started time.Time
}

// OK reports whether every output agreed and DuckDB read kiln's files.
func (r *report) OK() bool {
	for _, res := range r.Results {
		if !res.Agree.OK() {
			return false
		}
	}
	return len(r.Interop) == 0
}

// run generates (or finds) the data, runs every job cfg.Runs times in
// child processes, compares the outputs and returns the figures. Progress
// goes to log.
func run(ctx context.Context, cfg config, log io.Writer) (*report, error) {
	if cfg.Runs < 1 || cfg.Threads < 1 {
		return nil, fmt.Errorf("-runs and -threads must be >= 1")
	}
	if cfg.DuckDedupe == "" {
		cfg.DuckDedupe = "qualify"
	}
	if _, ok := duckDedupe[cfg.DuckDedupe]; !ok {
		return nil, fmt.Errorf("-duckdb-dedupe %q: want qualify or distinct_on", cfg.DuckDedupe)
	}
	rep := &report{Cfg: cfg, Started: time.Now()}
	data, err := dataDir(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	rep.Data = data
	out := filepath.Join(cfg.Work, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	path := func(engine, work string) string { return filepath.Join(out, engine+"-"+work+".parquet") }
	jobOf := func(engine, work string) job {
		j := job{Engine: engine, Work: work, Data: data, Out: path(engine, work), Threads: cfg.Threads, Dedupe: cfg.DuckDedupe}
		if work == "p2" {
			j.P1 = path(engine, "p1")
		}
		if engine == "kiln" {
			j.Env = cfg.KilnEnv
		}
		return j
	}
	times := map[string][]outcome{}
	for r := range cfg.Runs {
		engines := []string{"duckdb", "kiln"}
		if r%2 == 1 {
			engines = []string{"kiln", "duckdb"}
		}
		for _, work := range []string{"p1", "p2"} {
			for _, e := range engines {
				o, err := spawn(ctx, jobOf(e, work))
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(log, "run %d/%d %-6s %s: %6.2f s (CPU %6.2f s), peak RSS %s, %d rows\n", r+1, cfg.Runs, e, work, o.Seconds, o.CPU, gib(o.PeakRSS), o.Rows)
				times[e+"/"+work] = append(times[e+"/"+work], o)
			}
		}
	}
	if cfg.CPUProfile != "" {
		for _, work := range []string{"p1", "p2"} {
			j := jobOf("kiln", work)
			j.CPUProfile = cfg.CPUProfile + "." + work
			if _, err := spawn(ctx, j); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "CPU profile of kiln %s: %s\n", work, j.CPUProfile)
		}
	}
	db, err := openDuck(ctx, cfg.Threads)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, work := range []string{"p1", "p2"} {
		res := result{Work: work, Kiln: median(times["kiln/"+work]), Duck: median(times["duckdb/"+work])}
		if res.Agree, err = compare(ctx, db, path("kiln", work), path("duckdb", work)); err != nil {
			return nil, err
		}
		if res.Agree.KilnRows != res.Kiln.Rows {
			rep.Interop = append(rep.Interop, fmt.Sprintf("DuckDB reads %d rows from kiln's %s output, kiln wrote %d", res.Agree.KilnRows, work, res.Kiln.Rows))
		}
		rep.Results = append(rep.Results, res)
	}
	rep.Interop = append(rep.Interop, interop(ctx, db, data, path("kiln", "p2"))...)
	return rep, nil
}

// dataDir returns the data directory: cfg.Data when given (it must hold a
// complete data set), else one under cfg.Work, generated unless a previous
// run completed it.
func dataDir(ctx context.Context, cfg config, log io.Writer) (string, error) {
	if cfg.Data != "" {
		if !haveData(cfg.Data) {
			return "", fmt.Errorf("-data %s: want events/dt=2024-01-01..30/part-0.parquet and labels.parquet", cfg.Data)
		}
		return cfg.Data, nil
	}
	dir := filepath.Join(cfg.Work, fmt.Sprintf("data-n%d-l%d", cfg.N, cfg.Labels))
	done := filepath.Join(dir, "_fpb_complete")
	if _, err := os.Stat(done); err == nil {
		fmt.Fprintf(log, "reusing data in %s\n", dir)
		return dir, nil
	}
	start := time.Now()
	if err := generate(ctx, dir, cfg.N, cfg.Labels); err != nil {
		return "", fmt.Errorf("generate: %w", err)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "generated %d events and %d labels in %s in %.1f s\n", cfg.N/days*days, cfg.Labels, dir, time.Since(start).Seconds())
	return dir, nil
}

// median returns the median wall time, CPU time and peak RSS of runs, each
// taken separately. Rows are the first run's.
func median(runs []outcome) outcome {
	if len(runs) == 0 {
		return outcome{}
	}
	secs := make([]float64, len(runs))
	cpu := make([]float64, len(runs))
	rss := make([]int64, len(runs))
	for i, o := range runs {
		secs[i], cpu[i], rss[i] = o.Seconds, o.CPU, o.PeakRSS
	}
	slices.Sort(secs)
	slices.Sort(cpu)
	slices.Sort(rss)
	m := len(runs) / 2
	return outcome{Seconds: secs[m], CPU: cpu[m], PeakRSS: rss[m], Rows: runs[0].Rows}
}

// gib formats bytes as GiB (MiB below 1 GiB).
func gib(b int64) string {
	if b < 1<<30 {
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
}

// print writes the report's table.
func (r *report) print(w io.Writer) {
	host, _ := os.Hostname()
	if r.Cfg.Data != "" {
		fmt.Fprintf(w, "FPB on the existing data set %s\n", r.Data)
	} else {
		fmt.Fprintf(w, "FPB N=%d (%d events/day), %d labels; data %s\n", r.Cfg.N, r.Cfg.N/days, r.Cfg.Labels, r.Data)
	}
	fmt.Fprintf(w, "%s, %s, %d CPUs, %d threads per engine, median of %d runs, DuckDB P1 dedupe %s\n",
		r.Started.Format(time.DateOnly), host, runtime.NumCPU(), r.Cfg.Threads, r.Cfg.Runs, r.Cfg.DuckDedupe)
	if len(r.Cfg.KilnEnv) > 0 {
		fmt.Fprintf(w, "kiln children's extra environment: %s\n", strings.Join(r.Cfg.KilnEnv, " "))
	}
	fmt.Fprintf(w, "%-4s %9s %9s %6s %10s %10s %6s %9s %9s %6s  %s\n",
		"work", "kiln", "duckdb", "ratio", "kiln RSS", "duck RSS", "ratio", "kiln CPU", "duck CPU", "ratio", "agree")
	for _, res := range r.Results {
		k, d := res.Kiln, res.Duck
		fmt.Fprintf(w, "%-4s %7.2f s %7.2f s %6.2f %10s %10s %6.2f %7.2f s %7.2f s %6.2f  %s\n", res.Work,
			k.Seconds, d.Seconds, k.Seconds/d.Seconds,
			gib(k.PeakRSS), gib(d.PeakRSS), float64(k.PeakRSS)/float64(d.PeakRSS),
			k.CPU, d.CPU, k.CPU/d.CPU, res.Agree)
	}
	for _, res := range r.Results {
		if res.Work == "p1" {
			fmt.Fprintf(w, "P1 rows: %d\n", res.Duck.Rows)
		}
	}
	if len(r.Interop) == 0 {
		fmt.Fprintln(w, "DuckDB reads kiln's files: yes (row counts and types, TIMESTAMP WITH TIME ZONE included)")
	} else {
		for _, p := range r.Interop {
			fmt.Fprintln(w, "DuckDB reads kiln's files: NO:", p)
		}
	}
}
