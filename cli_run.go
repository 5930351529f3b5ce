package kiln

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var runCommand = &command{
	name:    "run",
	args:    "--partition P [flags]",
	summary: "compute one partition of every node, reusing committed partitions that are current",
	help: `
Computes the pipeline for partition P (dt=2024-01-30, a bare date, an hour
dt=2024-01-30/hour=13, a static key=value, or all) and commits what it
computes. Nodes whose committed partition has the same fingerprint are
cached, not recomputed (--force recomputes). Prints one line per node
partition. Exit code 1 when any node failed.`,
	maxArgs: 0,
	running: true,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		var o runFlags
		var part string
		fs.StringVar(&part, "partition", "", "the `partition` to compute, e.g. dt=2024-01-30")
		o.register(fs, true)
		return func(c *cli, _ []string) error {
			p, err := parsePartitionArg("--partition", part)
			if err != nil {
				return err
			}
			opts, err := o.options()
			if err != nil {
				return err
			}
			if err := c.expect(o.targets, 1); err != nil {
				return err
			}
			res, runErr := c.p.Run(c.ctx, p, opts...)
			c.stopProgress()
			writeResult(c.stdout, res)
			if err := c.writeReports(&o, []*Result{res}); err != nil {
				return errors.Join(runErr, err)
			}
			return runErr
		}
	},
}

var backfillCommand = &command{
	name:    "backfill",
	args:    "--from P --to P [flags]",
	summary: "compute a range of partitions; committed ones are cached, so a rerun resumes",
	help: `
Computes every partition from --from to --to inclusive (dates or daily or
hourly partitions of the same grain), earlier partitions first, with at
most --parallel node partitions computing at once. Each partition commits
or fails on its own. Prints one line per partition. Exit code 1 when any
partition failed; rerun the same command to resume.`,
	maxArgs: 0,
	running: true,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		var o runFlags
		var from, to string
		fs.StringVar(&from, "from", "", "first `partition` (e.g. 2024-01-01)")
		fs.StringVar(&to, "to", "", "last `partition`, inclusive")
		o.register(fs, true)
		return func(c *cli, _ []string) error {
			if from == "" || to == "" {
				return usagef("--from and --to are required")
			}
			parts, err := partitionRange(from, to)
			if err != nil {
				return err
			}
			opts, err := o.options()
			if err != nil {
				return err
			}
			if err := c.expect(o.targets, len(parts)); err != nil {
				return err
			}
			b, runErr := c.p.Backfill(c.ctx, parts, opts...)
			c.stopProgress()
			writeBackfill(c.stdout, b, parts)
			if err := c.writeReports(&o, b.Runs); err != nil {
				return errors.Join(runErr, err)
			}
			if runErr != nil {
				return fmt.Errorf("%d of %d partitions failed (rerun to resume): %w", len(b.Failed()), len(parts), runErr)
			}
			return nil
		}
	},
}

var verifyCommand = &command{
	name:    "verify",
	args:    "--partition P | --from P --to P [flags]",
	summary: "recompute without the cache and compare content hashes with what is committed",
	help: `
A reproducibility drill: recomputes the partitions from the sources without
using or writing the cache, and compares every node's content hash with its
committed manifest. Prints one line per node partition. Exit code 1 when a
node's output differs (the first one in topological order is named) or a
node failed.`,
	maxArgs: 0,
	running: false,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		var o runFlags
		var part, from, to string
		fs.StringVar(&part, "partition", "", "the `partition` to verify")
		fs.StringVar(&from, "from", "", "first `partition` of a range to verify")
		fs.StringVar(&to, "to", "", "last `partition` of a range, inclusive")
		o.register(fs, false)
		return func(c *cli, _ []string) error {
			parts, err := partitionsArg(part, from, to)
			if err != nil {
				return err
			}
			opts, err := o.options()
			if err != nil {
				return err
			}
			rep, verr := c.p.Verify(c.ctx, parts, opts...)
			writeNodes(c.stdout, rep.Nodes, true)
			if verr != nil {
				return verr
			}
			fmt.Fprintf(c.stdout, "reproducible: %d node partitions verified\n", rep.Count(StatusVerified))
			return nil
		}
	},
}

// expect tells the progress display which nodes and how many partitions
// to expect, so it can show waiting nodes and an ETA.
func (c *cli) expect(targets []string, partitions int) error {
	plan, err := c.p.Plan(c.ctx)
	if err != nil {
		return err
	}
	r := &runner{p: c.p, plan: plan, cfg: runConfig{targets: targets}}
	nodes, err := r.selectNodes()
	if err != nil {
		return usagef("%v", err)
	}
	if c.progress != nil {
		names := make([]string, len(nodes))
		for i, n := range nodes {
			names[i] = n.Name
		}
		c.progress.Expect(names, partitions)
	}
	return nil
}

// stopProgress draws the final frame before results go to stdout.
func (c *cli) stopProgress() {
	if c.progress != nil {
		c.progress.Close()
	}
}

// writeReports writes the run report of each run when --report is set.
func (c *cli) writeReports(o *runFlags, runs []*Result) error {
	if !o.report {
		return nil
	}
	var errs []error
	for _, r := range runs {
		if r == nil || r.RunID == "" {
			continue
		}
		path, err := SaveRunReport(c.ctx, c.p.lake, r.RunID, ReportFormat(o.format))
		if err != nil {
			errs = append(errs, fmt.Errorf("report of run %s: %w", r.RunID, err))
			continue
		}
		fmt.Fprintf(c.stdout, "report: %s\n", path)
	}
	return errors.Join(errs...)
}

// writeResult prints a run: a header line, then one line per node
// partition.
func writeResult(w io.Writer, r *Result) {
	status := "succeeded"
	if r.Err != nil {
		status = "failed"
	}
	fmt.Fprintf(w, "run %s  %s %s  %s in %s\n", r.RunID, r.Pipeline, r.Partition, status, humanDuration(r.Duration))
	writeNodes(w, r.Nodes, false)
}

// writeNodes prints node results as a table; verify adds the committed
// hash.
func writeNodes(w io.Writer, nodes []NodeResult, verify bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if verify {
		fmt.Fprintln(tw, "NODE\tPARTITION\tSTATUS\tROWS\tCONTENT\tCOMMITTED")
	} else {
		fmt.Fprintln(tw, "NODE\tPARTITION\tSTATUS\tROWS\tDURATION\tCONTENT\tCHECKS")
	}
	for _, n := range nodes {
		content := "-"
		if !n.ContentHash.IsZero() {
			content = n.ContentHash.Short()
		}
		if verify {
			committed := "-"
			if !n.Committed.IsZero() {
				committed = n.Committed.Short()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", n.Node, n.Partition, n.Status, n.Rows, content, committed)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", n.Node, n.Partition, n.Status, n.Rows, humanDuration(n.Duration), content, checksCell(n.Checks))
	}
	tw.Flush()
	for _, n := range nodes {
		if n.Err != nil && n.Status == StatusFailed {
			fmt.Fprintf(w, "error: %v\n", n.Err)
		}
	}
}

// checksCell summarizes check results: "3/3 pass", "2/3 pass", "-".
func checksCell(cs []CheckResult) string {
	if len(cs) == 0 {
		return "-"
	}
	passed := 0
	for _, c := range cs {
		if c.Success {
			passed++
		}
	}
	return fmt.Sprintf("%d/%d pass", passed, len(cs))
}

// writeBackfill prints one line per partition and a summary.
func writeBackfill(w io.Writer, b *BackfillResult, parts []Partition) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tSTATUS\tCOMPUTED\tCACHED\tFAILED\tSKIPPED\tRUN")
	for _, r := range b.Runs {
		status := "succeeded"
		if r.Err != nil {
			status = "failed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.Partition, status,
			r.Count(StatusComputed)+r.Count(StatusUnchanged), r.Count(StatusCached), r.Count(StatusFailed), r.Count(StatusSkipped), r.RunID)
	}
	tw.Flush()
	failed := b.Failed()
	fmt.Fprintf(w, "backfill %s..%s: %d partitions, %d succeeded, %d failed\n",
		parts[0], parts[len(parts)-1], len(parts), len(b.Runs)-len(failed), len(failed))
	for _, r := range b.Runs {
		for _, n := range r.Nodes {
			if n.Status == StatusFailed && n.Err != nil {
				fmt.Fprintf(w, "error: %v\n", n.Err)
			}
		}
	}
	if len(failed) > 0 {
		names := make([]string, len(failed))
		for i, f := range failed {
			names[i] = f.String()
		}
		fmt.Fprintf(w, "failed: %s\n", strings.Join(names, " "))
	}
}

// serveMetrics starts the --metrics-addr server with the kiln metrics and
// the Go and process collectors; it stops when the command ends.
func (c *cli) serveMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg, MetricsLake(c.g.lake))
	if err != nil {
		return nil, err
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", c.g.metricsAddr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	c.log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	c.closers = append(c.closers, func() { srv.Close() })
	c.metrics = m
	return m, nil
}
