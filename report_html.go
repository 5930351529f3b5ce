package kiln

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/kiln-data/kiln/lineage"
)

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and SVG, no scripts, no external assets. It shows a summary, the DAG
// coloured by node status, a table of node partitions (rows, bytes,
// duration, content hash, fingerprint, cache, checks), the quality results,
// and per dataset charts of recent row counts and freshness lags.
func (r *RunReport) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r.htmlView())
}

type htmlView struct {
	Run      *lineage.RunRecord
	Status   string
	Started  string
	Duration string
	Build    string
	Counts   [][2]string
	Rows     string
	Quality  lineage.QualitySummary
	PassRate string
	DAG      template.HTML
	Nodes    []htmlNode
	Checks   []htmlCheck
	History  []htmlHistory
}

type htmlNode struct {
	lineage.NodeRun
	Rows, Bytes, Duration string
	Content, FP           string
	Op, Checks            string
}

type htmlCheck struct {
	lineage.QualityRow
	Partition string
	Class     string
}

type htmlHistory struct {
	Dataset     string
	First, Last string
	N           int
	Rows, Lag   template.HTML
	LastRows    string
	LastLag     string
}

func (r *RunReport) htmlView() htmlView {
	rec := r.Run
	v := htmlView{
		Run: rec, Status: rec.Status, Started: rec.Started.UTC().Format("2006-01-02 15:04:05 MST"),
		Duration: humanDuration(r.duration()), Build: buildText(rec.Build), Counts: r.counts(),
		Rows: humanCount(r.rowsWritten()), Quality: r.Quality.Summary,
		PassRate: fmt.Sprintf("%.1f%%", 100*r.Quality.Summary.PassRate),
		DAG:      template.HTML(r.dag.svg()),
	}
	for _, n := range rec.Nodes {
		v.Nodes = append(v.Nodes, htmlNode{
			NodeRun: n, Rows: humanCount(n.Rows), Bytes: humanBytes(n.Bytes),
			Duration: humanDuration(time.Duration(n.DurationMS * float64(time.Millisecond))),
			Content:  shortHash(n.ContentHash), FP: shortHash(n.Fingerprint),
			Op: n.Operation.Name + " " + n.Operation.Version, Checks: checksCell(n.Checks),
		})
	}
	for _, e := range r.Quality.Results {
		c := htmlCheck{QualityRow: e.Row(), Partition: e.Partition, Class: "pass"}
		switch {
		case e.Success:
		case e.Severity == SeverityWarn:
			c.Class = "warn"
		case e.Severity == SeverityQuarantine:
			c.Class = "quarantine"
		default:
			c.Class = "fail"
		}
		v.Checks = append(v.Checks, c)
	}
	for _, h := range r.History {
		hv := htmlHistory{Dataset: h.Dataset, N: len(h.Partitions), LastRows: "-", LastLag: "-"}
		if len(h.Partitions) > 0 {
			first, last := h.Partitions[0], h.Partitions[len(h.Partitions)-1]
			hv.First, hv.Last, hv.LastRows = first.Partition, last.Partition, humanCount(last.Rows)
			if last.HasLag {
				hv.LastLag = humanDuration(last.Lag)
			}
			hv.Rows, hv.Lag = template.HTML(sparkBars(h)), template.HTML(sparkLag(h))
		}
		v.History = append(v.History, hv)
	}
	return v
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Run.Pipeline}} {{.Run.Partition}} · {{.Status}} · kiln run report</title>
<style>
:root { --fg:#212529; --muted:#6c757d; --line:#dee2e6; --bg:#fff; --soft:#f8f9fa;
  --ok:#2f9e44; --okbg:#ebfbee; --bad:#e03131; --badbg:#fff5f5; --warn:#e67700; --warnbg:#fff9db;
  --cache:#1c7ed6; --cachebg:#e7f5ff; }
* { box-sizing: border-box; }
body { margin: 0; padding: 28px 36px 48px; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h1 .part { font-weight: 500; color: var(--muted); }
h2 { font-size: 16px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); font-size: 12.5px; margin: 0 0 18px; }
.meta code { color: var(--fg); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; }
.succeeded, .computed, .pass, .unchanged, .verified { color: var(--ok); background: var(--okbg); border-color: #b2f2bb; }
.failed, .fail, .mismatch, .cancelled { color: var(--bad); background: var(--badbg); border-color: #ffc9c9; }
.warn, .quarantine { color: var(--warn); background: var(--warnbg); border-color: #ffe066; }
.cached { color: var(--cache); background: var(--cachebg); border-color: #a5d8ff; }
.skipped, .absent { color: var(--muted); background: var(--soft); border-color: var(--line); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: var(--soft); }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 20px; font-weight: 600; margin-top: 2px; }
.card .s { color: var(--muted); font-size: 12px; }
.error { margin: 16px 0 0; padding: 10px 14px; border-left: 4px solid var(--bad); background: var(--badbg); white-space: pre-wrap; font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
.dagbox { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; padding: 6px; background: #fcfcfd; }
svg.dag text { font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg.dag .node-name { font-size: 12.5px; font-weight: 600; fill: #212529; }
svg.dag .node-detail { font-size: 11px; fill: #495057; }
svg.dag .edge-label { font-size: 10px; fill: #495057; paint-order: stroke; stroke: #fcfcfd; stroke-width: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; border-bottom: 2px solid var(--line); padding: 6px 8px; white-space: nowrap; }
td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: middle; }
tr:nth-child(even) td { background: #fcfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.err { color: var(--bad); font-size: 12px; font-family: ui-monospace, Menlo, monospace; white-space: pre-wrap; }
.muted { color: var(--muted); }
.legend { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 12px; vertical-align: -1px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<main>
<h1>{{.Run.Pipeline}} <span class="part">{{.Run.Partition}}</span> <span class="badge {{.Status}}">{{.Status}}</span></h1>
<p class="meta">run <code>{{.Run.RunID}}</code> · started {{.Started}} · took {{.Duration}} · {{.Build}}</p>
<section class="cards">
<div class="card"><div class="k">Duration</div><div class="v">{{.Duration}}</div><div class="s">wall clock</div></div>
<div class="card"><div class="k">Node partitions</div><div class="v">{{len .Run.Nodes}}</div><div class="s">{{range $i, $c := .Counts}}{{if $i}}, {{end}}{{index $c 1}} {{index $c 0}}{{end}}</div></div>
<div class="card"><div class="k">Rows written</div><div class="v">{{.Rows}}</div><div class="s">by computed nodes</div></div>
<div class="card"><div class="k">Quality pass rate</div><div class="v">{{.PassRate}}</div><div class="s">{{.Quality.Passed}} of {{.Quality.Evaluated}} checks passed</div></div>
</section>
{{with .Run.Error}}<div class="error">{{.}}</div>{{end}}

<h2 id="dag">DAG</h2>
<div class="dagbox">{{.DAG}}</div>
<p class="legend">node status:<i style="background:#2f9e44"></i>computed<i style="background:#0c8599"></i>unchanged<i style="background:#1c7ed6"></i>cached<i style="background:#e03131"></i>failed<i style="background:#adb5bd"></i>skipped or absent · dashed: lookback input</p>

<h2 id="nodes">Nodes</h2>
<table>
<thead><tr><th>Node</th><th>Partition</th><th>Kind</th><th>Operation</th><th>Status</th><th class="num">Rows</th><th class="num">Bytes</th><th class="num">Duration</th><th>Content</th><th>Fingerprint</th><th>Checks</th></tr></thead>
<tbody>
{{range .Nodes}}<tr class="node-row" data-node="{{.Node}}"><td><b>{{.Node}}</b></td><td class="mono">{{.Partition}}</td><td>{{.Kind}}</td><td class="mono">{{.Op}}</td><td><span class="badge {{.Status}}">{{.Status}}</span></td><td class="num">{{.Rows}}</td><td class="num">{{.Bytes}}</td><td class="num">{{.Duration}}</td><td class="mono" title="{{.NodeRun.ContentHash}}">{{.Content}}</td><td class="mono" title="{{.NodeRun.Fingerprint}}">{{.FP}}</td><td>{{.Checks}}</td></tr>
{{with .Error}}<tr><td></td><td colspan="10" class="err">{{.}}</td></tr>
{{end}}{{end}}</tbody>
</table>

<h2 id="quality">Quality</h2>
{{if .Checks}}<table>
<thead><tr><th>Node</th><th>Partition</th><th>Check</th><th>Column</th><th>Observed</th><th>Expected</th><th>Unexpected</th><th>Status</th></tr></thead>
<tbody>
{{range .Checks}}<tr><td>{{.Node}}</td><td class="mono">{{.Partition}}</td><td>{{.Check}}</td><td class="mono">{{.Column}}</td><td class="mono">{{.Observed}}</td><td>{{.Expected}}</td><td class="num">{{.Unexpected}}</td><td><span class="badge {{.Class}}">{{.Status}}</span></td></tr>
{{end}}</tbody>
</table>
<p class="legend">{{.Quality}}</p>
{{else}}<p class="muted">No quality checks ran in this run.</p>{{end}}

{{if .History}}<h2 id="recent">Recent partitions</h2>
<table>
<thead><tr><th>Dataset</th><th>Partitions</th><th>Row count</th><th class="num">Latest</th><th>Freshness lag at commit</th><th class="num">Latest</th></tr></thead>
<tbody>
{{range .History}}<tr><td><b>{{.Dataset}}</b></td>{{if .N}}<td class="mono muted">{{.First}}<br>… {{.Last}} ({{.N}})</td><td>{{.Rows}}</td><td class="num">{{.LastRows}}</td><td>{{.Lag}}</td><td class="num">{{.LastLag}}</td>{{else}}<td colspan="5" class="muted">no committed partition</td>{{end}}</tr>
{{end}}</tbody>
</table>
<p class="legend">bars: rows per committed partition, the run's partition in blue · line: time from the end of the partition to its commit</p>
{{end}}
<footer>kiln run report · pipeline {{.Run.Pipeline}} · run {{.Run.RunID}} · record format {{.Run.Format}}</footer>
</main>
</body>
</html>
`))
