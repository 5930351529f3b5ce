package kiln_test

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/kiln-data/kiln"
)

// findAll returns the elements under n matching tag and, if given, the
// class.
func findAll(n *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag && (class == "" || hasClass(n, class)) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func hasClass(n *html.Node, class string) bool {
	return strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// reportLake runs days 1-5 of the CLI test pipeline, then day 6 with
// gold.user_totals failing, and returns the runs.
func reportLake(t *testing.T) (*cliTest, *kiln.Result, *kiln.Result) {
	t.Helper()
	ct := newCLITest(t)
	parts, err := kiln.Days("2024-01-01", "2024-01-05")
	require.NoError(t, err)
	b, err := ct.p.Backfill(t.Context(), parts)
	require.NoError(t, err)
	ct.fail.Store("dt=2024-01-06")
	failed, err := ct.p.Run(t.Context(), kiln.Date(2024, 1, 6))
	require.Error(t, err)
	return ct, b.Runs[4], failed
}

func TestRunReportHTML(t *testing.T) {
	ct, ok, failed := reportLake(t)
	rep, err := kiln.LoadRunReport(t.Context(), ct.def, ok.RunID[:len(ok.RunID)-4])
	require.NoError(t, err, "a run id prefix is enough")
	require.Equal(t, ok.RunID, rep.Run.RunID)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteHTML(&buf))
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)

	// Every node partition of the run has a row; every node a box.
	var rows []string
	for _, tr := range findAll(doc, "tr", "node-row") {
		rows = append(rows, attr(tr, "data-node"))
	}
	require.Len(t, rows, len(ok.Nodes))
	for _, n := range cliNodes {
		assert.Contains(t, rows, n)
	}
	svgs := findAll(doc, "svg", "dag")
	require.Len(t, svgs, 1)
	boxes := map[string]float64{}
	for _, g := range findAll(svgs[0], "g", "node") {
		name, _, _ := strings.Cut(text(findAll(g, "title", "")[0]), "\n")
		x, err := strconv.ParseFloat(attr(findAll(g, "rect", "")[0], "x"), 64)
		require.NoError(t, err)
		boxes[name] = x
	}
	require.Len(t, boxes, len(cliNodes))
	assert.Less(t, boxes["bronze.clicks"], boxes["silver.clicks"], "columns by topological level")
	assert.Equal(t, boxes["silver.clicks"], boxes["gold.clicks_3d"])
	assert.Less(t, boxes["silver.clicks"], boxes["gold.user_totals"])
	assert.Contains(t, text(svgs[0]), "lookback ×3", "the lookback edge says how many partitions it read")

	// Quality: silver.clicks's three checks.
	var checks int
	for _, tr := range findAll(doc, "tr", "") {
		if tds := findAll(tr, "td", ""); len(tds) == 8 && text(tds[0]) == "silver.clicks" {
			checks++
			assert.Equal(t, "dt=2024-01-05", text(tds[1]))
			assert.Equal(t, "pass", text(tds[7]))
		}
	}
	assert.Equal(t, 3, checks)

	// Recent partitions: a row-count and a freshness chart per dataset.
	assert.Len(t, findAll(doc, "svg", "spark"), 2*len(cliNodes))
	require.Len(t, rep.History, len(cliNodes))
	for _, h := range rep.History {
		if h.Dataset != "silver.clicks" {
			continue
		}
		require.Len(t, h.Partitions, 5)
		for i, p := range h.Partitions {
			assert.Equal(t, int64(10+i), p.Rows, p.Partition)
			assert.True(t, p.HasLag, "the run records know when it was committed")
			assert.Equal(t, i == 4, p.Current)
		}
	}

	// Self-contained: no scripts, no links, no external references.
	assert.Empty(t, findAll(doc, "script", ""))
	assert.Empty(t, findAll(doc, "link", ""))
	assert.Empty(t, findAll(doc, "img", ""))
	assert.NotContains(t, buf.String(), "http://www.example")
	assert.NotRegexp(t, `(src|href)="https?:`, buf.String())

	// The failed run shows the failure.
	rep, err = kiln.LoadRunReport(t.Context(), ct.def, failed.RunID)
	require.NoError(t, err)
	buf.Reset()
	require.NoError(t, rep.WriteHTML(&buf))
	doc, err = html.Parse(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Len(t, findAll(doc, "tr", "node-row"), len(failed.Nodes))
	errs := findAll(doc, "td", "err")
	require.Len(t, errs, 1)
	assert.Contains(t, text(errs[0]), "injected failure for dt=2024-01-06")
	assert.Equal(t, "failed", text(findAll(doc, "h1", "")[0].LastChild))
}

func TestRunReportMarkdownAndSave(t *testing.T) {
	ct, ok, _ := reportLake(t)
	rep, err := kiln.LoadRunReport(t.Context(), ct.def, ok.RunID)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&buf))
	md := buf.String()
	assert.True(t, strings.HasPrefix(md, "# clitest dt=2024-01-05: succeeded\n"), md)
	assert.Contains(t, md, "```mermaid\nflowchart LR\n")
	assert.Contains(t, md, "n0 -.->|lookback ×3| n3")
	for _, n := range cliNodes {
		assert.Contains(t, md, "| "+n+" | dt=2024-01-05 |")
	}
	assert.Contains(t, md, "| silver.clicks | dt=2024-01-05 | not_null | user |")
	assert.Contains(t, md, "| silver.clicks | dt=2024-01-01 … dt=2024-01-05 (5) |")

	path, err := kiln.SaveRunReport(t.Context(), ct.def, ok.RunID, kiln.ReportHTML)
	require.NoError(t, err)
	assert.Equal(t, kiln.ReportPath(ct.def, ok.RunID, kiln.ReportHTML), path)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("<!DOCTYPE html>")))

	_, err = kiln.SaveRunReport(t.Context(), ct.def, ok.RunID, "pdf")
	assert.ErrorContains(t, err, `report format "pdf"`)
}

func TestCLIReport(t *testing.T) {
	ct := newCLITest(t)
	r := ct.run(t, "run", "--partition", "2024-01-03", "--report", "--progress", "off")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	_, path, found := strings.Cut(r.stdout, "report: ")
	require.True(t, found, r.stdout)
	path = strings.TrimSpace(path)
	assert.FileExists(t, path)
	runID := strings.Fields(r.stdout)[1]
	assert.Contains(t, path, runID+".html")

	r = ct.run(t, "report", runID, "--format", "md", "--out", "-")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "```mermaid")
	r = ct.run(t, "report", runID[:8], "--format", "md")
	require.Equal(t, kiln.ExitOK, r.code, r.stderr)
	assert.Equal(t, kiln.ReportPath(ct.lake, runID, kiln.ReportMarkdown)+"\n", r.stdout)
	r = ct.run(t, "report", runID, "--format", "pdf")
	assert.Equal(t, kiln.ExitUsage, r.code)
}
