package lineage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// Node diff kinds.
const (
	// DiffSame: same fingerprint and content in both runs.
	DiffSame = "same"
	// DiffChanged: the node partition differs between the runs.
	DiffChanged = "changed"
	// DiffAdded: only the second run has the node partition.
	DiffAdded = "added"
	// DiffRemoved: only the first run has the node partition.
	DiffRemoved = "removed"
)

// Diff causes: why a node partition changed. A node changed for its own
// reasons is a root of the change; one changed only because its inputs did
// is downstream of it.
const (
	// CauseCode: the operation's name or version changed.
	CauseCode = "code"
	// CauseConfig: the operation's config changed.
	CauseConfig = "config"
	// CauseSource: a source read different data.
	CauseSource = "source"
	// CauseUpstream: only the node's inputs changed.
	CauseUpstream = "upstream"
	// CauseNondeterministic: same fingerprint, different content. The
	// operation is not deterministic, or its logic changed without a
	// version bump.
	CauseNondeterministic = "nondeterministic"
	// CauseStatus: the node ran in one run and not in the other (failed,
	// skipped or absent), so there is nothing to compare.
	CauseStatus = "status"
)

// Change is one field that differs between two runs.
type Change struct {
	// Field names what changed, e.g. "config" or "input silver.events dt=2024-01-30".
	Field string `json:"field"`
	// A is the value in the first run.
	A string `json:"a"`
	// B is the value in the second run.
	B string `json:"b"`
}

// RunDiff is what changed between two runs of the same pipeline partition.
type RunDiff struct {
	// Pipeline is the pipeline.
	Pipeline string `json:"pipeline"`
	// Partition is the run partition.
	Partition string `json:"partition"`
	// A and B are the compared runs.
	A RunRef `json:"a"`
	// B is the second run.
	B RunRef `json:"b"`
	// Build lists build provenance changes (Go, module, VCS revision).
	Build []Change `json:"build,omitempty"`
	// Nodes are the node partitions of either run: B's in its order, then
	// those only A has.
	Nodes []NodeDiff `json:"nodes"`
}

// RunRef identifies a run in a RunDiff.
type RunRef struct {
	// RunID is the run id.
	RunID string `json:"run_id"`
	// Status is the run status.
	Status string `json:"status"`
	// Build is the run's build provenance.
	Build Build `json:"build"`
}

// NodeDiff is how one node partition differs between two runs.
type NodeDiff struct {
	// Node is the node name.
	Node string `json:"node"`
	// Partition is the node partition.
	Partition string `json:"partition"`
	// Kind is DiffSame, DiffChanged, DiffAdded or DiffRemoved.
	Kind string `json:"kind"`
	// Causes say why it changed (Cause* constants, in that order); empty
	// when same.
	Causes []string `json:"causes,omitempty"`
	// FingerprintChanged reports a different fingerprint.
	FingerprintChanged bool `json:"fingerprint_changed"`
	// ContentChanged reports a different content hash.
	ContentChanged bool `json:"content_changed"`
	// Upstream are the changed inputs ("dataset partition") that the
	// change propagated from.
	Upstream []string `json:"upstream,omitempty"`
	// Changes are the differing fields, A versus B.
	Changes []Change `json:"changes,omitempty"`
}

// Root reports whether the node changed for its own reasons (code, config,
// source data, nondeterminism) rather than only through its inputs.
func (d *NodeDiff) Root() bool {
	for _, c := range d.Causes {
		if c != CauseUpstream {
			return true
		}
	}
	return false
}

// Changed returns the node partitions that are not DiffSame.
func (d *RunDiff) Changed() []NodeDiff {
	var out []NodeDiff
	for _, n := range d.Nodes {
		if n.Kind != DiffSame {
			out = append(out, n)
		}
	}
	return out
}

// Diff compares two runs of the same pipeline and partition: which node
// partitions changed fingerprint or content hash, which operation code,
// version or config changed, and how the change propagated downstream
// (CauseUpstream names the changed inputs). ids may be unique prefixes.
//
// A run record lists the node partitions its run owned. In a backfill, the
// earlier partitions of a lookback window belong to the earlier partitions'
// runs, so comparing a backfill run with a single run shows them as added
// or removed; compare runs made the same way.
func (c *Catalog) Diff(ctx context.Context, runA, runB string) (*RunDiff, error) {
	a, err := c.Run(ctx, runA)
	if err != nil {
		return nil, err
	}
	b, err := c.Run(ctx, runB)
	if err != nil {
		return nil, err
	}
	return DiffRuns(a, b)
}

// DiffRuns compares two complete run records (see Catalog.Diff).
func DiffRuns(a, b *RunRecord) (*RunDiff, error) {
	if a.Pipeline != b.Pipeline || a.Partition != b.Partition {
		return nil, fmt.Errorf("lineage: diff: runs %s (%s %s) and %s (%s %s) are not of the same pipeline partition",
			a.RunID, a.Pipeline, a.Partition, b.RunID, b.Pipeline, b.Partition)
	}
	d := &RunDiff{Pipeline: a.Pipeline, Partition: a.Partition,
		A:     RunRef{RunID: a.RunID, Status: a.Status, Build: a.Build},
		B:     RunRef{RunID: b.RunID, Status: b.Status, Build: b.Build},
		Build: a.Build.Changes(b.Build)}
	type key struct{ node, part string }
	inA := map[key]*NodeRun{}
	for i := range a.Nodes {
		n := &a.Nodes[i]
		inA[key{n.Node, n.Partition}] = n
	}
	seen := map[key]bool{}
	changed := map[key]bool{} // node partitions whose output changed, in topological order
	for i := range b.Nodes {
		nb := &b.Nodes[i]
		k := key{nb.Node, nb.Partition}
		seen[k] = true
		na, ok := inA[k]
		if !ok {
			d.Nodes = append(d.Nodes, NodeDiff{Node: nb.Node, Partition: nb.Partition, Kind: DiffAdded})
			changed[k] = true
			continue
		}
		nd := diffNode(na, nb, func(in Input) bool { return changed[key{in.Dataset, in.Partition}] })
		if nd.ContentChanged || slices.Contains(nd.Causes, CauseStatus) {
			changed[k] = true
		}
		d.Nodes = append(d.Nodes, nd)
	}
	for _, na := range a.Nodes {
		if !seen[key{na.Node, na.Partition}] {
			d.Nodes = append(d.Nodes, NodeDiff{Node: na.Node, Partition: na.Partition, Kind: DiffRemoved})
		}
	}
	return d, nil
}

// ran reports whether a node run has an output to compare.
func ran(n *NodeRun) bool {
	switch n.Status {
	case "computed", "cached", "unchanged":
		return true
	}
	return false
}

func diffNode(a, b *NodeRun, inputChanged func(Input) bool) NodeDiff {
	d := NodeDiff{Node: b.Node, Partition: b.Partition, Kind: DiffSame}
	if !ran(a) && !ran(b) && a.Status == b.Status {
		return d // absent (or skipped) in both: nothing was computed to differ
	}
	add := func(cause string, ch ...Change) {
		if !slices.Contains(d.Causes, cause) {
			d.Causes = append(d.Causes, cause)
		}
		d.Changes = append(d.Changes, ch...)
	}
	if a.Operation.Name != b.Operation.Name {
		add(CauseCode, Change{"operation", a.Operation.Name, b.Operation.Name})
	}
	if a.Operation.Version != b.Operation.Version {
		add(CauseCode, Change{"version", a.Operation.Version, b.Operation.Version})
	}
	if a.Operation.ConfigHash != b.Operation.ConfigHash {
		add(CauseConfig, Change{"config", configText(a.Operation), configText(b.Operation)})
	}
	if a.Status != b.Status && (!ran(a) || !ran(b)) {
		add(CauseStatus, Change{"status", a.Status, b.Status})
	}
	d.FingerprintChanged = a.Fingerprint != b.Fingerprint
	d.ContentChanged = a.ContentHash != b.ContentHash
	bothRan := ran(a) && ran(b)
	if bothRan && d.ContentChanged && a.Kind == "source" {
		add(CauseSource)
	}
	// Inputs: by dataset and partition.
	ina := map[[2]string]Input{}
	for _, in := range a.Inputs {
		ina[[2]string{in.Dataset, in.Partition}] = in
	}
	inb := map[[2]string]bool{}
	for _, in := range b.Inputs {
		k := [2]string{in.Dataset, in.Partition}
		inb[k] = true
		old, ok := ina[k]
		name := "input " + in.Dataset + " " + in.Partition
		switch {
		case !ok:
			add(CauseUpstream, Change{name, "", in.ContentHash.Short()})
			d.Upstream = append(d.Upstream, in.Dataset+" "+in.Partition)
		case old.ContentHash != in.ContentHash || inputChanged(in):
			add(CauseUpstream, Change{name, old.ContentHash.Short(), in.ContentHash.Short()})
			d.Upstream = append(d.Upstream, in.Dataset+" "+in.Partition)
		}
	}
	for _, in := range a.Inputs {
		if !inb[[2]string{in.Dataset, in.Partition}] {
			add(CauseUpstream, Change{"input " + in.Dataset + " " + in.Partition, in.ContentHash.Short(), ""})
			d.Upstream = append(d.Upstream, in.Dataset+" "+in.Partition)
		}
	}
	if bothRan && d.ContentChanged && !d.FingerprintChanged {
		add(CauseNondeterministic)
	}
	if d.FingerprintChanged && bothRan {
		d.Changes = append(d.Changes, Change{"fingerprint", a.Fingerprint.Short(), b.Fingerprint.Short()})
	}
	if d.ContentChanged && bothRan {
		d.Changes = append(d.Changes, Change{"content", a.ContentHash.Short(), b.ContentHash.Short()})
		if a.Rows != b.Rows {
			d.Changes = append(d.Changes, Change{"rows", fmt.Sprint(a.Rows), fmt.Sprint(b.Rows)})
		}
	}
	if schemaText(a.Schema) != schemaText(b.Schema) && len(a.Schema) > 0 && len(b.Schema) > 0 {
		d.Changes = append(d.Changes, Change{"schema", schemaText(a.Schema), schemaText(b.Schema)})
	}
	if len(d.Causes) > 0 || d.ContentChanged || d.FingerprintChanged {
		d.Kind = DiffChanged
	}
	// Causes in a fixed order.
	order := []string{CauseCode, CauseConfig, CauseSource, CauseUpstream, CauseNondeterministic, CauseStatus}
	slices.SortFunc(d.Causes, func(x, y string) int { return slices.Index(order, x) - slices.Index(order, y) })
	return d
}

// configText is an operation's config for a diff: its canonical JSON when
// the record has it, else its short hash.
func configText(op Operation) string {
	var b bytes.Buffer
	if len(op.Config) > 0 && json.Compact(&b, op.Config) == nil {
		return b.String()
	}
	return op.ConfigHash.Short()
}

func schemaText(fs []Field) string {
	var b []byte
	for i, f := range fs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, f.Name...)
		b = append(b, ' ')
		b = append(b, f.Type...)
		if !f.Nullable {
			b = append(b, " not null"...)
		}
	}
	return string(b)
}
