package lineage

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ColumnNode is one column in a column trace, with the columns it is
// derived from. Columns reached by several paths are shared.
type ColumnNode struct {
	// Dataset is the column's dataset.
	Dataset string `json:"dataset"`
	// Column is the column name.
	Column string `json:"column"`
	// Source reports a column of a source dataset: an origin.
	Source bool `json:"source,omitempty"`
	// Undeclared reports a transform column whose lineage its transform does
	// not declare: the trace stops there.
	Undeclared bool `json:"undeclared,omitempty"`
	// Inputs are the columns it is derived from.
	Inputs []ColumnEdge `json:"inputs,omitempty"`
}

// ColumnEdge is an input column of a ColumnNode and how it is used.
type ColumnEdge struct {
	// Kind is "DIRECT" (the input's values flow into the column) or
	// "INDIRECT" (it decides which rows or groups exist).
	Kind string `json:"kind"`
	// Subtype refines Kind (see ColumnInput).
	Subtype string `json:"subtype,omitempty"`
	// Node is the input column.
	Node *ColumnNode `json:"node"`
}

// Origins returns the distinct columns where the trace ends (source columns
// and undeclared ones), as "dataset.column" sorted.
func (n *ColumnNode) Origins() []string {
	set := map[string]bool{}
	var walk func(*ColumnNode)
	walk = func(c *ColumnNode) {
		if len(c.Inputs) == 0 {
			set[c.Dataset+"."+c.Column] = true
		}
		for _, in := range c.Inputs {
			walk(in.Node)
		}
	}
	walk(n)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TraceColumn follows a column back through the column lineage the
// transforms declare (stored in run records; the newest description of each
// dataset is used, as in Graph) to the source columns it derives from.
// DIRECT inputs carry values into the column; INDIRECT ones (filters, join
// and group keys) decide which rows exist.
func (c *Catalog) TraceColumn(ctx context.Context, dataset, column string) (*ColumnNode, error) {
	if err := CheckDataset(dataset); err != nil {
		return nil, err
	}
	g, err := c.Graph(ctx)
	if err != nil {
		return nil, err
	}
	gn := g.Node(dataset)
	if gn == nil || gn.Kind == "" {
		return nil, fmt.Errorf("lineage: trace column %s.%s: no run record describes the dataset: %w", dataset, column, ErrNotFound)
	}
	if len(gn.Schema) > 0 && !slices.ContainsFunc(gn.Schema, func(f Field) bool { return f.Name == column }) {
		names := make([]string, len(gn.Schema))
		for i, f := range gn.Schema {
			names[i] = f.Name
		}
		return nil, fmt.Errorf("lineage: trace column: %s has no column %q (columns: %s): %w", dataset, column, strings.Join(names, ", "), ErrNotFound)
	}
	ct := &columnTracer{g: g, memo: map[[2]string]*ColumnNode{}, onPath: map[[2]string]bool{}}
	return ct.trace(dataset, column), nil
}

type columnTracer struct {
	g      *Graph
	memo   map[[2]string]*ColumnNode
	onPath map[[2]string]bool
}

func (ct *columnTracer) trace(dataset, column string) *ColumnNode {
	k := [2]string{dataset, column}
	if n, ok := ct.memo[k]; ok {
		return n
	}
	n := &ColumnNode{Dataset: dataset, Column: column}
	gn := ct.g.Node(dataset)
	if gn == nil || ct.onPath[k] { // unknown, or a cycle in inconsistent records
		n.Undeclared = true
		return n
	}
	ct.memo[k] = n
	if gn.Kind == "source" {
		n.Source = true
		return n
	}
	i := slices.IndexFunc(gn.ColumnLineage, func(cl ColumnLineage) bool { return cl.Column == column })
	if i < 0 {
		n.Undeclared = true
		return n
	}
	ct.onPath[k] = true
	for _, in := range gn.ColumnLineage[i].Inputs {
		n.Inputs = append(n.Inputs, ColumnEdge{Kind: in.Kind, Subtype: in.Subtype, Node: ct.trace(in.Dataset, in.Column)})
	}
	delete(ct.onPath, k)
	return n
}
