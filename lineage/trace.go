package lineage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/kiln-data/kiln/internal/digest"
)

// Trace statuses: how a traced partition version relates to what is
// committed now.
const (
	// TraceCommitted: the version is the partition's committed one; its
	// inputs come from its manifest.
	TraceCommitted = "committed"
	// TraceReplaced: the partition has been recommitted since this version
	// was used; its inputs come from the run record that committed it.
	TraceReplaced = "replaced"
	// TraceUnknown: neither the lake nor the run records hold this version
	// (deleted, or committed by a run whose record is gone); the trace
	// stops here.
	TraceUnknown = "unknown"
)

// Trace is where a dataset partition came from: the tree of the partitions
// it was computed from, down to the source partitions.
type Trace struct {
	// Root is the traced partition.
	Root *TraceNode `json:"root"`
	// Sources are the distinct source partitions the root was built from,
	// sorted by dataset, then partition.
	Sources []*TraceNode `json:"sources"`
}

// TraceNode is one partition version in a Trace. Nodes reached by several
// paths are shared.
type TraceNode struct {
	// Dataset is the dataset name.
	Dataset string `json:"dataset"`
	// Partition is the partition path.
	Partition string `json:"partition"`
	// Kind is "source" or "transform" ("" when unknown).
	Kind string `json:"kind,omitempty"`
	// Status is TraceCommitted, TraceReplaced or TraceUnknown.
	Status string `json:"status"`
	// ContentHash is the version's content hash: for an input, the hash its
	// consumer recorded.
	ContentHash digest.Sum `json:"content_hash"`
	// Fingerprint is the version's fingerprint, when known.
	Fingerprint digest.Sum `json:"fingerprint"`
	// Rows is the number of rows, when known.
	Rows int64 `json:"rows"`
	// Operation is the source or transform that produced it.
	Operation Operation `json:"operation"`
	// SourceState is the checkpoint a source committed with it (a cursor,
	// Kafka offsets, an API page), if any.
	SourceState json.RawMessage `json:"source_state,omitempty"`
	// RunID is the run that committed the version, when the run records
	// know it.
	RunID string `json:"run_id,omitempty"`
	// Inputs are the partitions it was computed from.
	Inputs []TraceInput `json:"inputs,omitempty"`
}

// TraceInput is an edge of a Trace: an input partition and how its consumer
// read it.
type TraceInput struct {
	// Mapping is "same", "lookback" or "whole".
	Mapping string `json:"mapping"`
	// Node is the input partition.
	Node *TraceNode `json:"node"`
}

// Trace follows a committed dataset partition back through every node to
// the source partitions it was built from.
//
// Trace walks manifests, not run records: a committed partition always has
// one, it names the exact input partitions and content hashes the data was
// computed from (cached or not), and it is deterministic. Lookback inputs
// appear once per partition read; partitions of a window that did not exist
// were not read and do not appear. When an input has been recommitted since
// (its manifest has another content hash), the trace continues through the
// run record that committed the version that was used, and marks it
// TraceReplaced; the run records also supply each version's producing run.
func (c *Catalog) Trace(ctx context.Context, dataset, partition string) (*Trace, error) {
	if _, err := ReadManifest(c.lake, dataset, partition); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lineage: trace %s %s: the partition is not committed: %w", dataset, partition, ErrNotFound)
		}
		return nil, fmt.Errorf("lineage: trace: %w", err)
	}
	h, err := c.history(ctx)
	if err != nil {
		return nil, err
	}
	t := &tracer{c: c, h: h, memo: map[traceKey]*TraceNode{}, manifests: map[[2]string]*Manifest{}}
	root, err := t.visit(ctx, dataset, partition, digest.Sum{}, 0)
	if err != nil {
		return nil, err
	}
	tr := &Trace{Root: root}
	seen := map[*TraceNode]bool{}
	var leaves func(n *TraceNode)
	leaves = func(n *TraceNode) {
		if seen[n] {
			return
		}
		seen[n] = true
		if n.Kind == "source" {
			tr.Sources = append(tr.Sources, n)
		}
		for _, in := range n.Inputs {
			leaves(in.Node)
		}
	}
	leaves(root)
	slices.SortFunc(tr.Sources, func(a, b *TraceNode) int {
		if c := cmp.Compare(a.Dataset, b.Dataset); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Partition, b.Partition); c != 0 {
			return c
		}
		return cmp.Compare(a.ContentHash.Hex(), b.ContentHash.Hex())
	})
	return tr, nil
}

type traceKey struct {
	dataset, partition string
	content            digest.Sum
}

type tracer struct {
	c         *Catalog
	h         history
	memo      map[traceKey]*TraceNode
	manifests map[[2]string]*Manifest
}

// maxTraceDepth bounds a trace through inconsistent records.
const maxTraceDepth = 1000

// visit traces one partition version; want is the content hash its consumer
// recorded (zero for the root: the committed version).
func (t *tracer) visit(ctx context.Context, dataset, partition string, want digest.Sum, depth int) (*TraceNode, error) {
	key := traceKey{dataset, partition, want}
	if n, ok := t.memo[key]; ok {
		return n, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if depth > maxTraceDepth {
		return nil, fmt.Errorf("lineage: trace deeper than %d levels at %s %s: the records form a cycle", maxTraceDepth, dataset, partition)
	}
	m, err := t.manifest(dataset, partition)
	if err != nil {
		return nil, err
	}
	n := &TraceNode{Dataset: dataset, Partition: partition, ContentHash: want, Status: TraceUnknown}
	var inputs []Input
	switch v, ok := t.h.find(dataset, partition, want, digest.Sum{}); {
	case m != nil && (want.IsZero() || m.ContentHash == want):
		n.Status, n.Kind, n.ContentHash, n.Fingerprint, n.Rows = TraceCommitted, m.Kind, m.ContentHash, m.Fingerprint, m.Rows
		n.Operation, n.SourceState, inputs = m.Operation, m.SourceState, m.Inputs
		if v, ok := t.h.find(dataset, partition, m.ContentHash, m.Fingerprint); ok {
			n.RunID = v.RunID
		}
	case ok:
		n.Status, n.Fingerprint, n.Rows, n.Operation, n.SourceState, n.RunID = TraceReplaced, v.Fingerprint, v.Rows, v.Operation, v.SourceState, v.RunID
		n.Kind, inputs = v.Kind, v.Inputs
	}
	n.SourceState = compactJSON(n.SourceState)
	t.memo[key] = n
	for _, in := range inputs {
		child, err := t.visit(ctx, in.Dataset, in.Partition, in.ContentHash, depth+1)
		if err != nil {
			return nil, err
		}
		n.Inputs = append(n.Inputs, TraceInput{Mapping: in.Mapping, Node: child})
	}
	return n, nil
}

func (t *tracer) manifest(dataset, partition string) (*Manifest, error) {
	k := [2]string{dataset, partition}
	if m, ok := t.manifests[k]; ok {
		return m, nil
	}
	m, err := ReadManifest(t.c.lake, dataset, partition)
	if errors.Is(err, fs.ErrNotExist) {
		m, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lineage: trace: %w", err)
	}
	t.manifests[k] = m
	return m, nil
}

// compactJSON returns raw JSON without insignificant space (records store
// it indented), or raw itself when it does not parse.
func compactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
