package kiln

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMermaid writes the plan's DAG as a Mermaid flowchart (left to
// right), one box per node labelled with its name and operation; lookback
// inputs are dotted arrows labelled with their window. Paste it into any
// Markdown renderer that understands ```mermaid blocks.
func (pl *Plan) WriteMermaid(w io.Writer) error { return planDAG(pl).writeMermaid(w) }

// WriteDOT writes the plan's DAG in Graphviz DOT (render with
// `dot -Tsvg`), one box per node; lookback inputs are dashed edges
// labelled with their window.
func (pl *Plan) WriteDOT(w io.Writer) error { return planDAG(pl).writeDOT(w) }

// dag is a pipeline graph to draw: the plan's, or a run's (with statuses).
type dag struct {
	title string
	nodes []dagNode // topological order
	edges []dagEdge
}

type dagNode struct {
	name      string
	kind      string // source or transform
	op        string // "name version"
	status    string // a run status, or "" for a plan
	partition string // in a run: the node partition shown
	detail    string // a second line for pictures: rows, duration
}

type dagEdge struct {
	from, to int    // node indexes
	label    string // "" for a same-partition input
	dashed   bool   // a lookback input
}

func planDAG(pl *Plan) *dag {
	d := &dag{title: pl.Pipeline}
	idx := map[string]int{}
	for i, n := range pl.Nodes {
		idx[n.Name] = i
		d.nodes = append(d.nodes, dagNode{name: n.Name, kind: n.Kind, op: strings.TrimSpace(n.Op.Name + " " + n.Op.Version)})
	}
	for i, n := range pl.Nodes {
		for _, in := range n.Inputs {
			d.addEdge(idx[in.Node], i, in.Mapping, in.Window)
		}
	}
	return d
}

// addEdge adds an input edge once (a node may read the same input twice).
func (d *dag) addEdge(from, to int, mapping string, window time.Duration) {
	e := dagEdge{from: from, to: to}
	switch mapping {
	case "lookback":
		e.dashed, e.label = true, "lookback"
		if window > 0 {
			e.label += " " + windowText(window)
		}
	case "whole":
		e.label = "whole"
	}
	for _, old := range d.edges {
		if old == e {
			return
		}
	}
	d.edges = append(d.edges, e)
}

// windowText writes a lookback window in days or hours when it is whole.
func windowText(w time.Duration) string {
	switch {
	case w%Day == 0:
		return fmt.Sprintf("%dd", w/Day)
	case w%time.Hour == 0:
		return fmt.Sprintf("%dh", w/time.Hour)
	}
	return w.String()
}

// statusColors are the fill and stroke of a node box by run status.
var statusColors = map[string][2]string{
	"":                      {"#f8f9fa", "#868e96"},
	string(StatusComputed):  {"#ebfbee", "#2f9e44"},
	string(StatusUnchanged): {"#e6fcf5", "#0c8599"},
	string(StatusCached):    {"#e7f5ff", "#1c7ed6"},
	string(StatusFailed):    {"#fff5f5", "#e03131"},
	string(StatusSkipped):   {"#f1f3f5", "#adb5bd"},
	string(StatusAbsent):    {"#f1f3f5", "#adb5bd"},
	string(StatusVerified):  {"#ebfbee", "#2f9e44"},
	string(StatusMismatch):  {"#fff5f5", "#e03131"},
	"source":                {"#e7f5ff", "#1c7ed6"},
	"transform":             {"#f3f0ff", "#7048e8"},
	"running":               {"#fff9db", "#f08c00"},
	"waiting":               {"#f8f9fa", "#adb5bd"},
}

// colors returns a node's fill and stroke: by status in a run, by kind in
// a plan.
func (n dagNode) colors() (fill, stroke string) {
	key := n.status
	if key == "" {
		key = n.kind
	}
	c, ok := statusColors[key]
	if !ok {
		c = statusColors[""]
	}
	return c[0], c[1]
}

func (d *dag) writeMermaid(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("flowchart LR\n")
	classes := map[string][]string{}
	var classOrder []string
	for i, n := range d.nodes {
		label := mermaidText(n.name)
		if n.op != "" {
			label += "<br/>" + mermaidText(n.kind+": "+n.op)
		}
		if n.detail != "" {
			label += "<br/>" + mermaidText(n.detail)
		}
		fmt.Fprintf(bw, "  n%d[\"%s\"]\n", i, label)
		cls := n.status
		if cls == "" {
			cls = n.kind
		}
		if cls != "" {
			if _, ok := classes[cls]; !ok {
				classOrder = append(classOrder, cls)
			}
			classes[cls] = append(classes[cls], fmt.Sprintf("n%d", i))
		}
	}
	for _, e := range d.edges {
		arrow := "-->"
		if e.dashed {
			arrow = "-.->"
		}
		if e.label != "" {
			fmt.Fprintf(bw, "  n%d %s|%s| n%d\n", e.from, arrow, mermaidText(e.label), e.to)
		} else {
			fmt.Fprintf(bw, "  n%d %s n%d\n", e.from, arrow, e.to)
		}
	}
	for _, cls := range classOrder {
		c, ok := statusColors[cls]
		if !ok {
			c = statusColors[""]
		}
		fmt.Fprintf(bw, "  classDef %s fill:%s,stroke:%s\n", cls, c[0], c[1])
		fmt.Fprintf(bw, "  class %s %s\n", strings.Join(classes[cls], ","), cls)
	}
	return bw.Flush()
}

// mermaidText escapes text for a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "|", "#124;").Replace(s)
}

func (d *dag) writeDOT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %s {\n", dotQuote(d.title))
	bw.WriteString("  rankdir=LR;\n")
	bw.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n")
	bw.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#868e96\"];\n")
	for _, n := range d.nodes {
		label := n.name
		if n.op != "" {
			label += "\n" + n.kind + ": " + n.op
		}
		if n.detail != "" {
			label += "\n" + n.detail
		}
		fill, stroke := n.colors()
		fmt.Fprintf(bw, "  %s [label=%s, fillcolor=%s, color=%s];\n", dotQuote(n.name), dotQuote(label), dotQuote(fill), dotQuote(stroke))
	}
	for _, e := range d.edges {
		var attrs []string
		if e.dashed {
			attrs = append(attrs, "style=dashed")
		}
		if e.label != "" {
			attrs = append(attrs, "label="+dotQuote(e.label))
		}
		fmt.Fprintf(bw, "  %s -> %s", dotQuote(d.nodes[e.from].name), dotQuote(d.nodes[e.to].name))
		if len(attrs) > 0 {
			fmt.Fprintf(bw, " [%s]", strings.Join(attrs, ", "))
		}
		bw.WriteString(";\n")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// dotQuote quotes s as a DOT string; newlines become \n line breaks.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
