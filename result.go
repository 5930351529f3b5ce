package kiln

import (
	"errors"
	"time"

	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/lineage"
)

// Hash is a BLAKE3 digest: a content hash, file hash or fingerprint. Its
// String form is "blake3:<64 hex digits>"; Short gives 12 hex digits.
type Hash = digest.Sum

// Status is what happened to a node partition in a run.
type Status string

// Statuses.
const (
	// StatusComputed: the node ran and committed a new partition.
	StatusComputed Status = "computed"
	// StatusCached: the committed partition had the same fingerprint; the
	// node did not run.
	StatusCached Status = "cached"
	// StatusUnchanged: the node ran and its output equaled the committed
	// partition, whose data files were kept: as they were (a source
	// without a cheap version), or under a newly committed manifest when
	// the fingerprint changed (a new version, config or source version
	// that gives the same output).
	StatusUnchanged Status = "unchanged"
	// StatusAbsent: the source has no such partition (allowed only for
	// partitions read through a lookback window).
	StatusAbsent Status = "absent"
	// StatusFailed: the node failed; see NodeResult.Err.
	StatusFailed Status = "failed"
	// StatusSkipped: the node did not run because an input failed or the
	// run was cancelled.
	StatusSkipped Status = "skipped"
	// StatusVerified: Verify recomputed the node and its content hash
	// matched the committed one.
	StatusVerified Status = "verified"
	// StatusMismatch: Verify recomputed the node and its content hash
	// differed from the committed one, or none was committed.
	StatusMismatch Status = "mismatch"
)

// NodeResult is the outcome of one node partition.
type NodeResult struct {
	// Node is the node name.
	Node string
	// Kind is "source" or "transform".
	Kind string
	// Partition is the node partition (All for unpartitioned nodes).
	Partition Partition
	// Status is what happened.
	Status Status
	// Rows is the number of output rows.
	Rows int64
	// Bytes is the size of the committed files.
	Bytes int64
	// Fingerprint is the node partition's fingerprint.
	Fingerprint Hash
	// ContentHash is the output's content hash.
	ContentHash Hash
	// Committed is the content hash Verify compared against.
	Committed Hash
	// Files are the committed data files.
	Files []lineage.File
	// Inputs are the input partitions the node read.
	Inputs []lineage.Input
	// Checks are the quality results of this run (or of the commit, for a
	// cached node).
	Checks []CheckResult
	// Quarantined is the number of rows diverted to quarantine.
	Quarantined int64
	// Rejected is the number of input records a source set aside.
	Rejected int64
	// Duration is the time the node took.
	Duration time.Duration
	// Err is the node's error when Status is failed or skipped.
	Err error
}

// Result is the outcome of a run for one partition.
type Result struct {
	// RunID identifies the run in lineage.
	RunID string
	// Pipeline is the pipeline name.
	Pipeline string
	// Partition is the partition the run was for.
	Partition Partition
	// Started is when the run began.
	Started time.Time
	// Duration is how long it took.
	Duration time.Duration
	// Nodes are the node partitions of the run, in topological order and
	// then partition order.
	Nodes []NodeResult
	// RecordPath is where the run record was written.
	RecordPath string
	// Err is the run's error, nil when every node succeeded.
	Err error
}

// OK reports whether the run succeeded.
func (r *Result) OK() bool { return r.Err == nil }

// Node returns the result of the named node for the run's partition (or
// All, for unpartitioned nodes).
func (r *Result) Node(name string) (NodeResult, bool) {
	for _, n := range r.Nodes {
		if n.Node == name && (n.Partition == r.Partition || n.Partition.IsAll()) {
			return n, true
		}
	}
	return NodeResult{}, false
}

// Count returns how many node partitions ended with status s.
func (r *Result) Count(s Status) int {
	c := 0
	for _, n := range r.Nodes {
		if n.Status == s {
			c++
		}
	}
	return c
}

// BackfillResult is the outcome of a backfill: one Result per partition.
type BackfillResult struct {
	// Runs are the partition runs in partition order.
	Runs []*Result
}

// Failed returns the partitions whose run failed.
func (b *BackfillResult) Failed() []Partition {
	var out []Partition
	for _, r := range b.Runs {
		if r.Err != nil {
			out = append(out, r.Partition)
		}
	}
	return out
}

// Err joins the errors of the failed partitions (nil when none failed).
func (b *BackfillResult) Err() error {
	var errs []error
	for _, r := range b.Runs {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}
