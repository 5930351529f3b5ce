package lineage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-data/kiln/internal/digest"
)

// RunFormat is the version of the run record layout this package writes.
const RunFormat = 1

// RunsDir is where run records live, relative to the lake root:
// <lake>/_lineage/runs/<pipeline>/<run id>.json.
const RunsDir = "_lineage/runs"

// Run statuses.
const (
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// RunRecord describes one run of a pipeline for one partition: which nodes
// ran, what they read and wrote, and how it went.
type RunRecord struct {
	// Format is RunFormat at the time of writing.
	Format int `json:"format"`
	// RunID is a UUID (version 7, so ids sort by start time).
	RunID string `json:"run_id"`
	// Pipeline is the pipeline name.
	Pipeline string `json:"pipeline"`
	// Partition is the partition the run was for.
	Partition string `json:"partition"`
	// Started is when the run began (wall clock, UTC).
	Started time.Time `json:"started"`
	// Finished is when the run ended (wall clock, UTC).
	Finished time.Time `json:"finished"`
	// Status is RunSucceeded, RunFailed or RunCancelled.
	Status string `json:"status"`
	// Error is the run's error message when it did not succeed.
	Error string `json:"error,omitempty"`
	// Build is the provenance of the program.
	Build Build `json:"build"`
	// Nodes are the node partitions the run planned, in topological order.
	Nodes []NodeRun `json:"nodes"`
}

// NodeRun is what happened to one node partition in a run.
type NodeRun struct {
	// Node is the node (and dataset) name.
	Node string `json:"node"`
	// Partition is the node partition.
	Partition string `json:"partition"`
	// Kind is "source" or "transform".
	Kind string `json:"kind"`
	// Status is one of computed, cached, unchanged, absent, failed, skipped.
	Status string `json:"status"`
	// Fingerprint is the node partition's fingerprint.
	Fingerprint digest.Sum `json:"fingerprint"`
	// ContentHash is the output's content hash.
	ContentHash digest.Sum `json:"content_hash"`
	// Rows is the number of output rows.
	Rows int64 `json:"rows"`
	// Bytes is the size of the committed files.
	Bytes int64 `json:"bytes"`
	// Files are the committed files.
	Files []File `json:"files,omitempty"`
	// Inputs are the input partitions read.
	Inputs []Input `json:"inputs,omitempty"`
	// Operation is the source or transform.
	Operation Operation `json:"operation"`
	// Checks are the quality check results.
	Checks []CheckResult `json:"checks,omitempty"`
	// Schema is the output schema.
	Schema []Field `json:"schema,omitempty"`
	// ColumnLineage says which input columns feed each output column, when
	// the transform declares it.
	ColumnLineage []ColumnLineage `json:"column_lineage,omitempty"`
	// Started is when the node began work (wall clock, UTC).
	Started time.Time `json:"started"`
	// DurationMS is how long the node took, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Error is the node's error message, if it failed.
	Error string `json:"error,omitempty"`
	// SourceState is the checkpoint a source committed with the partition
	// (a cursor, Kafka offsets, an API page), copied from the manifest so
	// that history keeps it after the partition is recommitted.
	SourceState json.RawMessage `json:"source_state,omitempty"`
	// Extra holds facts added by other kiln packages, keyed by a stable name.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// WriteRunRecord stores r under lakeRoot/_lineage/runs/<pipeline>/<run id>.json,
// atomically (write to a temporary file, then rename), and returns the path.
// Records of concurrent runs never collide: each has its own file.
func WriteRunRecord(lakeRoot string, r *RunRecord) (string, error) {
	if r.RunID == "" || r.Pipeline == "" {
		return "", errors.New("lineage: run record needs a run id and a pipeline")
	}
	dir := filepath.Join(lakeRoot, filepath.FromSlash(RunsDir), r.Pipeline)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lineage: write run record: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("lineage: encode run record %s: %w", r.RunID, err)
	}
	path := filepath.Join(dir, r.RunID+".json")
	tmp, err := os.CreateTemp(dir, ".tmp-"+r.RunID+"-*")
	if err != nil {
		return "", fmt.Errorf("lineage: write run record: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("lineage: write run record %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("lineage: write run record %s: %w", path, err)
	}
	return path, nil
}

// ReadRunRecord reads a run record file.
func ReadRunRecord(path string) (*RunRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lineage: read run record: %w", err)
	}
	var r RunRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("lineage: decode run record %s: %w", path, err)
	}
	if r.Format < 1 || r.Format > RunFormat {
		return nil, fmt.Errorf("lineage: run record %s: format %d not supported", path, r.Format)
	}
	return &r, nil
}
