package kiln

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/lineage"
)

// ReportFormat is the format of a run report.
type ReportFormat string

// Report formats.
const (
	// ReportHTML is a self-contained HTML page (inline CSS and SVG, no
	// external assets).
	ReportHTML ReportFormat = "html"
	// ReportMarkdown is Markdown with a Mermaid DAG.
	ReportMarkdown ReportFormat = "md"
)

// ReportsDir is where run reports are saved, relative to the lake root:
// <lake>/_lineage/reports/<run id>.html.
const ReportsDir = "_lineage/reports"

// ReportHistory is how many recent partitions a run report charts per
// dataset.
const ReportHistory = 30

// RunReport is what a run report shows: the run record (nodes, statuses,
// rows, durations, hashes, cache hits, quality results), the DAG, and each
// dataset's recent committed partitions (row counts, and the freshness lag
// at commit: when the partition was committed minus when its time window
// ended). Load one with LoadRunReport; write it with Write or Save.
type RunReport struct {
	// Run is the complete run record.
	Run *lineage.RunRecord
	// History is, per node of the run in topological order, its committed
	// partitions up to the run's partition, oldest first, at most
	// ReportHistory of them. Unpartitioned nodes have none.
	History []DatasetHistory
	// Quality is the run's check results.
	Quality *lineage.QualityReport

	dag *dag
}

// DatasetHistory is a dataset's recent committed partitions.
type DatasetHistory struct {
	// Dataset is the dataset name.
	Dataset string
	// Partitions are oldest first.
	Partitions []PartitionPoint
}

// PartitionPoint is one committed partition in a DatasetHistory.
type PartitionPoint struct {
	// Partition is the partition path.
	Partition string
	// Rows is its row count.
	Rows int64
	// Lag is the freshness lag at commit: when the committed version was
	// committed minus the end of the partition's time window. Valid when
	// HasLag (the run records know the commit).
	Lag time.Duration
	// HasLag reports whether Lag is known.
	HasLag bool
	// Current reports whether it is the run's partition.
	Current bool
}

// LoadRunReport reads what the report of a run shows from the lake at
// lakeRoot: the run record (runID may be a unique prefix of at least 8
// characters), the dataset graph from the run records, and the manifests of
// each dataset's recent partitions.
func LoadRunReport(ctx context.Context, lakeRoot, runID string) (*RunReport, error) {
	cat := lineage.NewCatalog(lakeRoot, nil)
	rec, err := cat.Run(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("kiln: report of run %s: %w", runID, err)
	}
	g, err := cat.Graph(ctx)
	if err != nil {
		return nil, fmt.Errorf("kiln: report of run %s: %w", runID, err)
	}
	r := &RunReport{Run: rec, Quality: lineage.RunQualityReport(rec), dag: recordDAG(rec, g)}
	runPart, perr := ParsePartition(rec.Partition)
	for _, n := range r.dag.nodes {
		if perr != nil || runPart.Grain().Duration() == 0 || n.partition == lineage.PartitionAll {
			continue
		}
		h, err := datasetHistory(ctx, cat, lakeRoot, n.name, runPart)
		if err != nil {
			return nil, fmt.Errorf("kiln: report of run %s: %w", rec.RunID, err)
		}
		r.History = append(r.History, h)
	}
	return r, nil
}

// recordDAG draws a run's DAG: one box per node with its status for the
// run's partition; edges from the inputs the record shows, completed from
// the lake's dataset graph for nodes that did not read their inputs
// (skipped ones).
func recordDAG(rec *lineage.RunRecord, g *lineage.Graph) *dag {
	d := &dag{title: rec.Pipeline}
	idx := map[string]int{}
	for _, n := range rec.Nodes {
		i, seen := idx[n.Node]
		if !seen {
			i = len(d.nodes)
			idx[n.Node] = i
			d.nodes = append(d.nodes, dagNode{name: n.Node, kind: n.Kind, op: strings.TrimSpace(n.Operation.Name + " " + n.Operation.Version)})
		}
		if !seen || n.Partition == rec.Partition || n.Partition == lineage.PartitionAll {
			dn := &d.nodes[i]
			dn.status, dn.partition = n.Status, n.Partition
			dn.detail = n.Status
			switch Status(n.Status) {
			case StatusComputed, StatusUnchanged, StatusCached:
				dn.detail += " · " + humanCount(n.Rows) + " rows"
			}
			if n.DurationMS > 0 && (n.Status == string(StatusComputed) || n.Status == string(StatusUnchanged) || n.Status == string(StatusFailed)) {
				dn.detail += " · " + humanDuration(time.Duration(n.DurationMS*float64(time.Millisecond)))
			}
		}
	}
	hasInputs := map[string]bool{}
	read := map[[2]string]int{} // lookback partitions read by the run's partition of a node
	for _, n := range rec.Nodes {
		for _, in := range n.Inputs {
			if from, ok := idx[in.Dataset]; ok {
				d.addEdge(from, idx[n.Node], in.Mapping, 0)
				hasInputs[n.Node] = true
			}
			if in.Mapping == "lookback" && n.Partition == rec.Partition {
				read[[2]string{in.Dataset, n.Node}]++
			}
		}
	}
	defer func() {
		for i, e := range d.edges {
			if k := read[[2]string{d.nodes[e.from].name, d.nodes[e.to].name}]; e.dashed && k > 0 {
				d.edges[i].label = fmt.Sprintf("lookback ×%d", k)
			}
		}
	}()
	for _, n := range d.nodes {
		gn := g.Node(n.name)
		if hasInputs[n.name] || n.kind == "source" || gn == nil {
			continue
		}
		for _, in := range gn.Inputs {
			if from, ok := idx[in.Dataset]; ok {
				d.addEdge(from, idx[n.name], in.Mapping, 0)
			}
		}
	}
	return d
}

// datasetHistory reads a dataset's committed partitions up to and
// including last (of the same grain), at most ReportHistory of them.
func datasetHistory(ctx context.Context, cat *lineage.Catalog, lakeRoot, dataset string, last Partition) (DatasetHistory, error) {
	h := DatasetHistory{Dataset: dataset}
	names, err := lake.ListPartitions(DatasetDir(lakeRoot, dataset))
	if err != nil {
		return h, err
	}
	var parts []Partition
	for _, s := range names {
		p, err := ParsePartition(s)
		if err == nil && p.Grain() == last.Grain() && p.Compare(last) <= 0 {
			parts = append(parts, p)
		}
	}
	slices.SortFunc(parts, Partition.Compare)
	if len(parts) > ReportHistory {
		parts = parts[len(parts)-ReportHistory:]
	}
	if len(parts) == 0 {
		return h, nil
	}
	committed := map[string]time.Time{}
	versions, err := cat.Versions(ctx, dataset)
	if err != nil {
		return h, err
	}
	for _, v := range versions {
		if v.Current {
			committed[v.Partition] = v.Committed
		}
	}
	for _, p := range parts {
		m, err := ReadManifest(lakeRoot, dataset, p)
		if err != nil {
			continue // removed meanwhile
		}
		pt := PartitionPoint{Partition: p.String(), Rows: m.Rows, Current: p == last}
		if t, ok := committed[pt.Partition]; ok {
			pt.Lag, pt.HasLag = t.Sub(p.End()), true
		}
		h.Partitions = append(h.Partitions, pt)
	}
	return h, nil
}

// ReportPath returns where Save writes a run's report in the lake.
func ReportPath(lakeRoot, runID string, f ReportFormat) string {
	return filepath.Join(lakeRoot, filepath.FromSlash(ReportsDir), runID+"."+string(f))
}

// Write renders the report in format f.
func (r *RunReport) Write(w io.Writer, f ReportFormat) error {
	switch f {
	case ReportHTML:
		return r.WriteHTML(w)
	case ReportMarkdown:
		return r.WriteMarkdown(w)
	}
	return fmt.Errorf("kiln: report format %q: want html or md", f)
}

// Save writes the report to ReportPath (atomically: a temporary file, then
// a rename) and returns the path.
func (r *RunReport) Save(lakeRoot string, f ReportFormat) (string, error) {
	path := ReportPath(lakeRoot, r.Run.RunID, f)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("kiln: save report: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-report-*")
	if err != nil {
		return "", fmt.Errorf("kiln: save report: %w", err)
	}
	werr := r.Write(tmp, f)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("kiln: save report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("kiln: save report %s: %w", path, err)
	}
	return path, nil
}

// SaveRunReport loads the report of a run and saves it in the lake (see
// LoadRunReport and RunReport.Save).
func SaveRunReport(ctx context.Context, lakeRoot, runID string, f ReportFormat) (string, error) {
	if f != ReportHTML && f != ReportMarkdown {
		return "", fmt.Errorf("kiln: report format %q: want html or md", f)
	}
	r, err := LoadRunReport(ctx, lakeRoot, runID)
	if err != nil {
		return "", err
	}
	return r.Save(lakeRoot, f)
}

// counts returns how many node partitions of the run ended with each
// status, in a fixed order, leaving out zeros.
func (r *RunReport) counts() [][2]string {
	n := map[string]int{}
	for _, nr := range r.Run.Nodes {
		n[nr.Status]++
	}
	var out [][2]string
	for _, s := range []Status{StatusComputed, StatusUnchanged, StatusCached, StatusAbsent, StatusFailed, StatusSkipped} {
		if n[string(s)] > 0 {
			out = append(out, [2]string{string(s), fmt.Sprint(n[string(s)])})
		}
	}
	return out
}

// rowsWritten is the number of rows the run committed.
func (r *RunReport) rowsWritten() int64 {
	var rows int64
	for _, n := range r.Run.Nodes {
		if n.Status == string(StatusComputed) {
			rows += n.Rows
		}
	}
	return rows
}

func (r *RunReport) duration() time.Duration { return r.Run.Finished.Sub(r.Run.Started) }

// WriteMarkdown writes the report as Markdown: a summary, the DAG as a
// Mermaid flowchart, the node table, the quality table and a table of
// recent partitions with text sparklines.
func (r *RunReport) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	rec := r.Run
	fmt.Fprintf(bw, "# %s %s: %s\n\n", rec.Pipeline, rec.Partition, rec.Status)
	fmt.Fprintf(bw, "- Run: `%s`\n", rec.RunID)
	fmt.Fprintf(bw, "- Started: %s, took %s\n", rec.Started.UTC().Format(time.RFC3339), humanDuration(r.duration()))
	var counts []string
	for _, c := range r.counts() {
		counts = append(counts, c[1]+" "+c[0])
	}
	fmt.Fprintf(bw, "- Nodes: %s; %s rows written\n", strings.Join(counts, ", "), humanCount(r.rowsWritten()))
	fmt.Fprintf(bw, "- Quality: %s\n", r.Quality.Summary)
	fmt.Fprintf(bw, "- Build: %s\n", buildText(rec.Build))
	if rec.Error != "" {
		fmt.Fprintf(bw, "\n> **Error:** %s\n", mdCell(rec.Error))
	}
	bw.WriteString("\n## DAG\n\n```mermaid\n")
	if err := r.dag.writeMermaid(bw); err != nil {
		return err
	}
	bw.WriteString("```\n\n## Nodes\n\n")
	bw.WriteString("| node | partition | status | rows | bytes | duration | content | fingerprint | checks |\n")
	bw.WriteString("| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |\n")
	for _, n := range rec.Nodes {
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | `%s` | `%s` | %s |\n", mdCell(n.Node), n.Partition, n.Status,
			humanCount(n.Rows), humanBytes(n.Bytes), humanDuration(time.Duration(n.DurationMS*float64(time.Millisecond))),
			shortHash(n.ContentHash), shortHash(n.Fingerprint), checksCell(n.Checks))
	}
	for _, n := range rec.Nodes {
		if n.Error != "" {
			fmt.Fprintf(bw, "\n- **%s %s:** %s\n", n.Node, n.Partition, mdCell(n.Error))
		}
	}
	if len(r.Quality.Results) > 0 {
		bw.WriteString("\n## Quality\n\n| node | partition | check | column | observed | expected | unexpected | status |\n")
		bw.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, e := range r.Quality.Results {
			q := e.Row()
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(q.Node), e.Partition, mdCell(q.Check), mdCell(q.Column),
				mdCell(q.Observed), mdCell(q.Expected), mdCell(q.Unexpected), mdCell(q.Status))
		}
		fmt.Fprintf(bw, "\n%s\n", r.Quality.Summary)
	}
	if len(r.History) > 0 {
		bw.WriteString("\n## Recent partitions\n\n| dataset | partitions | rows (oldest → newest) | latest rows | lag at commit | latest lag |\n")
		bw.WriteString("| --- | --- | --- | ---: | --- | ---: |\n")
		for _, h := range r.History {
			if len(h.Partitions) == 0 {
				fmt.Fprintf(bw, "| %s | none | | | | |\n", h.Dataset)
				continue
			}
			first, last := h.Partitions[0], h.Partitions[len(h.Partitions)-1]
			rows, lags := make([]float64, len(h.Partitions)), make([]float64, len(h.Partitions))
			for i, p := range h.Partitions {
				rows[i] = float64(p.Rows)
				lags[i] = -1
				if p.HasLag {
					lags[i] = max(p.Lag.Seconds(), 0)
				}
			}
			latestLag := "-"
			if last.HasLag {
				latestLag = humanDuration(last.Lag)
			}
			fmt.Fprintf(bw, "| %s | %s … %s (%d) | `%s` | %s | `%s` | %s |\n", h.Dataset, first.Partition, last.Partition, len(h.Partitions),
				sparkText(rows), humanCount(last.Rows), sparkText(lags), latestLag)
		}
	}
	return bw.Flush()
}

// sparkText draws values as block characters scaled to their maximum;
// negative values (unknown) are spaces.
func sparkText(v []float64) string {
	const blocks = "▁▂▃▄▅▆▇█"
	r := []rune(blocks)
	hi := 0.0
	for _, x := range v {
		hi = max(hi, x)
	}
	var b strings.Builder
	for _, x := range v {
		switch {
		case x < 0:
			b.WriteRune(' ')
		case hi == 0:
			b.WriteRune(r[0])
		default:
			b.WriteRune(r[min(int(x/hi*float64(len(r)-1)+0.5), len(r)-1)])
		}
	}
	return b.String()
}

// mdCell makes text safe in a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}

func shortHash(h Hash) string {
	if h.IsZero() {
		return "-"
	}
	return h.Short()
}

// humanBytes formats a size: "512 B", "12.3 KiB", "4.0 MiB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func buildText(b lineage.Build) string {
	parts := []string{"kiln " + b.Kiln, b.GoVersion}
	if b.Module != "" {
		parts = append(parts, b.Module+" "+b.ModuleVersion)
	}
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts = append(parts, b.VCS+" "+rev)
	}
	return strings.Join(parts, ", ")
}
