package lineage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Graph is the dataset graph of a lake as its run records describe it: each
// dataset with the node that produces it and the datasets it reads. It is
// what Impact walks and what TraceColumn follows.
type Graph struct {
	// Nodes are the datasets, sorted by name.
	Nodes []*GraphNode

	byName map[string]*GraphNode
}

// GraphNode is one dataset of a Graph with the node that produces it, as
// its newest run record shows it.
type GraphNode struct {
	// Dataset is the dataset (and node) name.
	Dataset string `json:"dataset"`
	// Pipeline is the pipeline that produces it.
	Pipeline string `json:"pipeline"`
	// Kind is "source" or "transform".
	Kind string `json:"kind"`
	// Operation is the source or transform (without config).
	Operation Operation `json:"operation"`
	// Inputs are the datasets it reads, with their mappings, in input order.
	Inputs []GraphInput `json:"inputs,omitempty"`
	// Consumers are the datasets that read it, sorted.
	Consumers []string `json:"consumers,omitempty"`
	// Schema is its schema.
	Schema []Field `json:"schema,omitempty"`
	// ColumnLineage is its declared column lineage.
	ColumnLineage []ColumnLineage `json:"column_lineage,omitempty"`
	// RunID is the run the description comes from.
	RunID string `json:"run_id"`
}

// GraphInput is one input of a GraphNode.
type GraphInput struct {
	// Dataset is the input dataset.
	Dataset string `json:"dataset"`
	// Mapping is "same", "lookback" or "whole".
	Mapping string `json:"mapping"`
}

// Node returns the named dataset's node, or nil.
func (g *Graph) Node(dataset string) *GraphNode { return g.byName[dataset] }

// Graph builds the dataset graph from the run records of every pipeline.
// Each dataset is described by the newest run in which its node read its
// inputs (a skipped node reads nothing, so it does not count), so a changed
// pipeline shows its current shape; datasets no longer produced keep their
// last description.
func (c *Catalog) Graph(ctx context.Context) (*Graph, error) {
	runs, err := c.allRuns(ctx)
	if err != nil {
		return nil, err
	}
	return buildGraph(runs), nil
}

func buildGraph(runs []*RunRecord) *Graph {
	g := &Graph{byName: map[string]*GraphNode{}}
	resolved := map[string]bool{}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		for _, n := range r.Nodes {
			gn := g.byName[n.Node]
			if gn == nil {
				gn = &GraphNode{Dataset: n.Node, Pipeline: r.Pipeline, Kind: n.Kind, Operation: n.Operation,
					Schema: n.Schema, ColumnLineage: n.ColumnLineage, RunID: r.RunID}
				g.byName[n.Node] = gn
				g.Nodes = append(g.Nodes, gn)
			}
			if resolved[n.Node] || (n.Kind != "source" && len(n.Inputs) == 0) {
				continue
			}
			resolved[n.Node] = true
			gn.Pipeline, gn.Kind, gn.Operation, gn.RunID = r.Pipeline, n.Kind, n.Operation, r.RunID
			gn.Schema, gn.ColumnLineage = n.Schema, n.ColumnLineage
			gn.Inputs = nil
			for _, in := range n.Inputs {
				gi := GraphInput{Dataset: in.Dataset, Mapping: in.Mapping}
				if !slices.Contains(gn.Inputs, gi) {
					gn.Inputs = append(gn.Inputs, gi)
				}
			}
		}
	}
	slices.SortFunc(g.Nodes, func(a, b *GraphNode) int { return cmp.Compare(a.Dataset, b.Dataset) })
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			up := g.byName[in.Dataset]
			if up == nil { // an input only ever seen as an input
				up = &GraphNode{Dataset: in.Dataset}
				g.byName[in.Dataset] = up
			}
			if !slices.Contains(up.Consumers, n.Dataset) {
				up.Consumers = append(up.Consumers, n.Dataset)
			}
		}
	}
	for _, n := range g.byName {
		slices.Sort(n.Consumers)
	}
	return g
}

// Impact is what depends on a dataset (or one partition of it).
type Impact struct {
	// Dataset is the dataset asked about.
	Dataset string `json:"dataset"`
	// Partition is the partition asked about, or "" for the whole dataset.
	Partition string `json:"partition,omitempty"`
	// Downstream are the datasets that read it directly or transitively,
	// ordered by depth (so that every dataset comes after its impacted
	// inputs), then name.
	Downstream []ImpactNode `json:"downstream"`
}

// ImpactNode is one downstream dataset of an Impact.
type ImpactNode struct {
	// Dataset is the downstream dataset.
	Dataset string `json:"dataset"`
	// Pipeline is the pipeline that produces it.
	Pipeline string `json:"pipeline"`
	// Depth is the length of the longest path from the impacted dataset.
	Depth int `json:"depth"`
	// Via are its inputs that are the impacted dataset or downstream of it.
	Via []GraphInput `json:"via"`
	// Partitions are, when a partition was asked about, the committed
	// partitions of this dataset built from it, directly or transitively
	// (through the current manifests), sorted.
	Partitions []string `json:"partitions,omitempty"`
}

// Impact lists everything downstream of a dataset: every dataset that reads
// it, directly or through others, across pipelines. When partition is not
// empty, it also lists, per downstream dataset, the committed partitions
// whose current manifests show they were built from that partition (through
// lookback windows too): what a change to it would make stale.
func (c *Catalog) Impact(ctx context.Context, dataset, partition string) (*Impact, error) {
	if err := CheckDataset(dataset); err != nil {
		return nil, err
	}
	if partition != "" {
		if err := CheckPartition(partition); err != nil {
			return nil, err
		}
	}
	g, err := c.Graph(ctx)
	if err != nil {
		return nil, err
	}
	if g.byName[dataset] == nil {
		return nil, fmt.Errorf("lineage: impact of %s: no run record mentions the dataset: %w", dataset, ErrNotFound)
	}
	// Collect the downstream set, then give each its longest-path depth.
	down := map[string]bool{}
	var mark func(string)
	mark = func(d string) {
		for _, cons := range g.byName[d].Consumers {
			if !down[cons] && cons != dataset {
				down[cons] = true
				mark(cons)
			}
		}
	}
	mark(dataset)
	depth := map[string]int{dataset: 0}
	var depthOf func(d string, seen map[string]bool) int
	depthOf = func(d string, seen map[string]bool) int {
		if v, ok := depth[d]; ok {
			return v
		}
		if seen[d] { // a cycle in inconsistent records: stop here
			return 0
		}
		seen[d] = true
		best := 0
		for _, in := range g.byName[d].Inputs {
			if in.Dataset == dataset || down[in.Dataset] {
				best = max(best, depthOf(in.Dataset, seen)+1)
			}
		}
		depth[d] = best
		return best
	}
	imp := &Impact{Dataset: dataset, Partition: partition}
	for d := range down {
		gn := g.byName[d]
		n := ImpactNode{Dataset: d, Pipeline: gn.Pipeline, Depth: depthOf(d, map[string]bool{})}
		for _, in := range gn.Inputs {
			if in.Dataset == dataset || down[in.Dataset] {
				n.Via = append(n.Via, in)
			}
		}
		imp.Downstream = append(imp.Downstream, n)
	}
	slices.SortFunc(imp.Downstream, func(a, b ImpactNode) int {
		if c := cmp.Compare(a.Depth, b.Depth); c != 0 {
			return c
		}
		return cmp.Compare(a.Dataset, b.Dataset)
	})
	if partition != "" {
		if err := c.impactPartitions(ctx, imp); err != nil {
			return nil, err
		}
	}
	return imp, nil
}

// impactPartitions fills in the downstream partitions built from the asked
// partition, in depth order so that inputs are resolved first.
func (c *Catalog) impactPartitions(ctx context.Context, imp *Impact) error {
	hit := map[string]map[string]bool{imp.Dataset: {imp.Partition: true}}
	for i := range imp.Downstream {
		n := &imp.Downstream[i]
		parts, err := listPartitions(c.lake, n.Dataset)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if err := ctx.Err(); err != nil {
				return err
			}
			m, err := ReadManifest(c.lake, n.Dataset, p)
			if err != nil {
				continue // removed meanwhile
			}
			for _, in := range m.Inputs {
				if hit[in.Dataset][in.Partition] {
					n.Partitions = append(n.Partitions, p)
					break
				}
			}
		}
		set := map[string]bool{}
		for _, p := range n.Partitions {
			set[p] = true
		}
		hit[n.Dataset] = set
	}
	return nil
}
