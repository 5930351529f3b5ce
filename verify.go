package kiln

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrNotReproducible reports that Verify recomputed a node partition and got
// a different content hash from the committed one.
var ErrNotReproducible = errors.New("output not reproducible")

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	// Nodes are the recomputed node partitions in topological order, then
	// partition order, with status verified, mismatch, absent, failed or
	// skipped.
	Nodes []NodeResult
}

// OK reports whether every recomputed node matched its committed partition.
func (v *VerifyReport) OK() bool { return v.FirstMismatch() == nil && v.firstFailure() == nil }

// FirstMismatch returns the first node partition, in topological order,
// whose recomputed output differs from the committed one, or nil. Nodes
// downstream of it usually differ too; it is the one to look at.
func (v *VerifyReport) FirstMismatch() *NodeResult {
	for i := range v.Nodes {
		if v.Nodes[i].Status == StatusMismatch {
			return &v.Nodes[i]
		}
	}
	return nil
}

// Count returns how many node partitions ended with status s.
func (v *VerifyReport) Count(s Status) int {
	c := 0
	for _, n := range v.Nodes {
		if n.Status == s {
			c++
		}
	}
	return c
}

func (v *VerifyReport) firstFailure() *NodeResult {
	for i := range v.Nodes {
		if s := v.Nodes[i].Status; s == StatusFailed || (s == StatusSkipped && v.Nodes[i].Err != nil && !errors.Is(v.Nodes[i].Err, ErrUpstream)) {
			return &v.Nodes[i]
		}
	}
	return nil
}

// Verify recomputes the pipeline for the partitions from its sources,
// without the cache and without committing anything, and compares every
// node's content hash with the committed manifest: a reproducibility drill.
// The error wraps ErrNotReproducible and names the first node whose output
// differs; it is nil when everything reproduced.
func (p *Pipeline) Verify(ctx context.Context, parts []Partition, opts ...RunOption) (*VerifyReport, error) {
	b, plan, err := p.execute(ctx, parts, modeVerify, opts)
	if err != nil {
		return &VerifyReport{}, err
	}
	rep := &VerifyReport{}
	seen := map[taskKey]bool{}
	for _, run := range b.Runs {
		for _, n := range run.Nodes {
			k := taskKey{n.Node, n.Partition}
			if !seen[k] {
				seen[k] = true
				rep.Nodes = append(rep.Nodes, n)
			}
		}
	}
	idx := map[string]int{}
	for i, n := range plan.Nodes {
		idx[n.Name] = i
	}
	slices.SortStableFunc(rep.Nodes, func(a, b NodeResult) int {
		if c := idx[a.Node] - idx[b.Node]; c != 0 {
			return c
		}
		return a.Partition.Compare(b.Partition)
	})
	if m := rep.FirstMismatch(); m != nil {
		if m.Committed.IsZero() {
			return rep, fmt.Errorf("%w: first differing node %q partition %s: nothing is committed to compare with (run it first)",
				ErrNotReproducible, m.Node, m.Partition)
		}
		return rep, fmt.Errorf("%w: first differing node %q partition %s: recomputed %s, committed %s",
			ErrNotReproducible, m.Node, m.Partition, m.ContentHash.Short(), m.Committed.Short())
	}
	if f := rep.firstFailure(); f != nil {
		return rep, f.Err
	}
	return rep, nil
}
