package lineage

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// The text renderings below are for people (the CLI's trace, impact and
// diff commands); programs should use the structs, which marshal to JSON.

// WriteText writes the trace as an indented tree, each input line starting
// with how it was read (same, lookback, whole), then the source partitions.
// A partition reached again by another path is printed once and referred to
// afterwards.
func (t *Trace) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	printed := map[*TraceNode]bool{}
	var walk func(n *TraceNode, mapping, prefix, childPrefix string)
	walk = func(n *TraceNode, mapping, prefix, childPrefix string) {
		bw.WriteString(prefix)
		if mapping != "" {
			bw.WriteString(mapping + " ")
		}
		bw.WriteString(traceLine(n))
		if printed[n] && len(n.Inputs) > 0 {
			bw.WriteString("  (inputs above)\n")
			return
		}
		bw.WriteByte('\n')
		printed[n] = true
		for i, in := range n.Inputs {
			last := i == len(n.Inputs)-1
			walk(in.Node, in.Mapping, childPrefix+branch(last), childPrefix+indent(last))
		}
	}
	walk(t.Root, "", "", "")
	fmt.Fprintf(bw, "sources (%d):\n", len(t.Sources))
	for _, s := range t.Sources {
		fmt.Fprintf(bw, "  %s\n", traceLine(s))
	}
	return bw.Flush()
}

func traceLine(n *TraceNode) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", n.Dataset, n.Partition)
	if n.Kind != "" {
		fmt.Fprintf(&b, "  %s %s@%s", n.Kind, n.Operation.Name, n.Operation.Version)
	}
	fmt.Fprintf(&b, "  content %s", n.ContentHash.Short())
	if n.Status != TraceUnknown {
		fmt.Fprintf(&b, "  rows %d", n.Rows)
	}
	if n.Status != TraceCommitted {
		fmt.Fprintf(&b, "  [%s]", n.Status)
	}
	if len(n.SourceState) > 0 {
		fmt.Fprintf(&b, "  state %s", strings.Join(strings.Fields(string(compactJSON(n.SourceState))), " "))
	}
	if n.RunID != "" {
		fmt.Fprintf(&b, "  run %s", n.RunID)
	}
	return b.String()
}

func branch(last bool) string {
	if last {
		return "└─ "
	}
	return "├─ "
}

func indent(last bool) string {
	if last {
		return "   "
	}
	return "│  "
}

// WriteText writes the impact as one line per downstream dataset, by depth,
// with the inputs it is reached through and, for a partition impact, the
// partitions built from it.
func (im *Impact) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	what := im.Dataset
	if im.Partition != "" {
		what += " " + im.Partition
	}
	fmt.Fprintf(bw, "downstream of %s: %d datasets\n", what, len(im.Downstream))
	for _, n := range im.Downstream {
		via := make([]string, len(n.Via))
		for i, v := range n.Via {
			via[i] = v.Dataset + " (" + v.Mapping + ")"
		}
		fmt.Fprintf(bw, "  %d  %s  [pipeline %s]  <- %s\n", n.Depth, n.Dataset, n.Pipeline, strings.Join(via, ", "))
		if im.Partition != "" {
			if len(n.Partitions) == 0 {
				fmt.Fprintf(bw, "       no committed partition built from it\n")
			} else {
				fmt.Fprintf(bw, "       %d partitions: %s\n", len(n.Partitions), strings.Join(n.Partitions, " "))
			}
		}
	}
	return bw.Flush()
}

// WriteText writes the diff: the build changes, then every changed node
// partition with its causes and changed fields, then a count of the same
// ones.
func (d *RunDiff) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "diff %s %s\n  A %s (%s)\n  B %s (%s)\n", d.Pipeline, d.Partition, d.A.RunID, d.A.Status, d.B.RunID, d.B.Status)
	for _, c := range d.Build {
		fmt.Fprintf(bw, "build %s: %s -> %s\n", c.Field, c.A, c.B)
	}
	same := 0
	for _, n := range d.Nodes {
		switch n.Kind {
		case DiffSame:
			same++
			continue
		case DiffAdded, DiffRemoved:
			fmt.Fprintf(bw, "%s %s %s\n", n.Kind, n.Node, n.Partition)
			continue
		}
		fmt.Fprintf(bw, "changed %s %s  [%s]\n", n.Node, n.Partition, strings.Join(n.Causes, ", "))
		for _, c := range n.Changes {
			fmt.Fprintf(bw, "    %s: %s -> %s\n", c.Field, orNone(c.A), orNone(c.B))
		}
	}
	fmt.Fprintf(bw, "same: %d node partitions\n", same)
	return bw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// WriteText writes the column trace as a tree; each input line starts with
// how the column is used (DIRECT/TRANSFORMATION, INDIRECT/FILTER...). A
// column reached again by another path is printed once and referred to
// afterwards.
func (n *ColumnNode) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	printed := map[*ColumnNode]bool{}
	var walk func(c *ColumnNode, kind, prefix, childPrefix string)
	walk = func(c *ColumnNode, kind, prefix, childPrefix string) {
		bw.WriteString(prefix + kind + c.Dataset + "." + c.Column)
		switch {
		case c.Source:
			bw.WriteString("  (source)")
		case c.Undeclared:
			bw.WriteString("  (lineage not declared)")
		case printed[c]:
			bw.WriteString("  (inputs above)\n")
			return
		}
		bw.WriteByte('\n')
		printed[c] = true
		for i, in := range c.Inputs {
			last := i == len(c.Inputs)-1
			k := in.Kind
			if in.Subtype != "" {
				k += "/" + in.Subtype
			}
			walk(in.Node, k+" ", childPrefix+branch(last), childPrefix+indent(last))
		}
	}
	walk(n, "", "", "")
	return bw.Flush()
}
