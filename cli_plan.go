package kiln

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"text/tabwriter"
	"time"

	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/lineage"
)

var planCommand = &command{
	name:    "plan",
	args:    "[--format text|mermaid|dot]",
	summary: "print the pipeline's DAG: nodes, inputs, schemas, checks and sinks",
	help: `
Plans the pipeline without reading data (sources may read a footer or a
manifest for their schema) and prints it: as text (nodes in topological
order with their schemas), as a Mermaid flowchart, or as Graphviz DOT
(render with 'dot -Tsvg'). Exit code 1 when the pipeline does not plan.`,
	maxArgs: 0,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		format := fs.String("format", "text", "output `format`: text, mermaid or dot")
		return func(c *cli, _ []string) error {
			if *format != "text" && *format != "mermaid" && *format != "dot" {
				return usagef("--format %q: want text, mermaid or dot", *format)
			}
			pl, err := c.p.Plan(c.ctx)
			if err != nil {
				return err
			}
			switch *format {
			case "mermaid":
				return pl.WriteMermaid(c.stdout)
			case "dot":
				return pl.WriteDOT(c.stdout)
			}
			_, err = io.WriteString(c.stdout, pl.String())
			return err
		}
	},
}

var statusCommand = &command{
	name:    "status",
	args:    "[--format text|json]",
	summary: "per dataset: latest committed partition, freshness lag, last run result",
	help: `
Reads the lake and the run records: for every node of the pipeline, the
latest committed partition and its row count, the freshness lag (now minus
the end of that partition; unpartitioned and static datasets have none), and
the last run that included the node, with the run's and the node's status.`,
	maxArgs: 0,
	setup: func(fs *flag.FlagSet) func(*cli, []string) error {
		format := formatFlag(fs)
		return func(c *cli, _ []string) error {
			if err := textOrJSON(*format); err != nil {
				return err
			}
			pl, err := c.p.Plan(c.ctx)
			if err != nil {
				return err
			}
			st, err := pipelineStatus(c, pl, time.Now().UTC())
			if err != nil {
				return err
			}
			return c.emit(*format, st, func(w io.Writer) error { return writeStatus(w, st) })
		}
	},
}

// datasetStatus is one line of the status command.
type datasetStatus struct {
	Dataset       string     `json:"dataset"`
	Latest        string     `json:"latest,omitempty"`
	Rows          int64      `json:"rows"`
	LagSeconds    *float64   `json:"freshness_lag_seconds,omitempty"`
	LastRun       string     `json:"last_run,omitempty"`
	RunPartition  string     `json:"run_partition,omitempty"`
	RunStatus     string     `json:"run_status,omitempty"`
	NodeStatus    string     `json:"node_status,omitempty"`
	RunStarted    *time.Time `json:"run_started,omitempty"`
	NodeError     string     `json:"node_error,omitempty"`
	lag           time.Duration
	hasPartitions bool
}

func pipelineStatus(c *cli, pl *Plan, now time.Time) ([]datasetStatus, error) {
	runs, err := lineage.NewCatalog(c.p.lake, nil).Runs(c.ctx, pl.Pipeline)
	if err != nil && !errors.Is(err, lineage.ErrNotFound) {
		return nil, err
	}
	var out []datasetStatus
	for _, n := range pl.Nodes {
		s := datasetStatus{Dataset: n.Name}
		latest, ok, err := latestPartition(c.p.lake, n)
		if err != nil {
			return nil, err
		}
		if ok {
			s.Latest, s.hasPartitions = latest.String(), true
			m, err := ReadManifest(c.p.lake, n.Name, latest)
			if err != nil {
				return nil, err
			}
			s.Rows = m.Rows
			if end := latest.End(); !end.IsZero() {
				s.lag = now.Sub(end)
				sec := s.lag.Seconds()
				s.LagSeconds = &sec
			}
		}
		for i := len(runs) - 1; i >= 0 && s.LastRun == ""; i-- {
			r := runs[i]
			for _, nr := range r.Nodes {
				if nr.Node != n.Name {
					continue
				}
				started := r.Started
				s.LastRun, s.RunPartition, s.RunStatus, s.NodeStatus, s.RunStarted, s.NodeError = r.RunID, r.Partition, r.Status, nr.Status, &started, nr.Error
				if nr.Partition == r.Partition || nr.Partition == lineage.PartitionAll {
					break
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// latestPartition returns the newest committed partition of a node.
func latestPartition(lakeDir string, n *PlanNode) (Partition, bool, error) {
	if !n.Partitioned {
		_, err := ReadManifest(lakeDir, n.Name, All)
		if errors.Is(err, fs.ErrNotExist) {
			return All, false, nil
		}
		return All, err == nil, err
	}
	parts, err := lake.ListPartitions(DatasetDir(lakeDir, n.Name))
	if err != nil {
		return Partition{}, false, err
	}
	var best Partition
	found := false
	for _, s := range parts {
		p, err := ParsePartition(s)
		if err != nil {
			continue
		}
		if !found || p.Compare(best) > 0 {
			best, found = p, true
		}
	}
	return best, found, nil
}

func writeStatus(w io.Writer, st []datasetStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATASET\tLATEST\tROWS\tLAG\tLAST RUN\tRUN PARTITION\tRUN\tNODE")
	for _, s := range st {
		latest, rows, lag := "-", "-", "-"
		if s.hasPartitions {
			latest, rows = s.Latest, humanCount(s.Rows)
			if s.LagSeconds != nil {
				lag = humanDuration(s.lag)
			}
		}
		run, part, rs, ns := "-", "-", "-", "-"
		if s.LastRun != "" {
			run, part, rs, ns = s.LastRun, s.RunPartition, s.RunStatus, s.NodeStatus
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Dataset, latest, rows, lag, run, part, rs, ns)
	}
	return tw.Flush()
}

// formatFlag registers the --format flag of the query commands.
func formatFlag(fs *flag.FlagSet) *string {
	return fs.String("format", "text", "output `format`: text or json")
}

// emit writes v to stdout as indented JSON, or with its text rendering.
func (c *cli) emit(format string, v any, text func(io.Writer) error) error {
	if format == "json" {
		return writeJSON(c.stdout, v)
	}
	return text(c.stdout)
}

func textOrJSON(format string) error {
	if format != "text" && format != "json" {
		return usagef("--format %q: want text or json", format)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
