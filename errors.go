package kiln

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, checkable with errors.Is.
var (
	// ErrSchemaMismatch reports a missing column or a type mismatch,
	// found at plan time or when a node's output differs from its plan.
	ErrSchemaMismatch = errors.New("schema mismatch")
	// ErrNoPartition reports that a source has no data for a partition.
	ErrNoPartition = errors.New("no such partition")
	// ErrCheckFailed reports that an error-severity quality check failed.
	ErrCheckFailed = errors.New("quality check failed")
	// ErrUpstream reports that a node did not run because an input failed.
	ErrUpstream = errors.New("upstream node failed")
	// ErrPlan reports an invalid pipeline: duplicate or bad names, a cycle,
	// an input from another pipeline.
	ErrPlan = errors.New("invalid pipeline")
)

// SchemaError describes a missing or mistyped column. It matches
// ErrSchemaMismatch with errors.Is.
type SchemaError struct {
	// Column is the column at fault.
	Column string
	// Problem says what is wrong, e.g. "missing" or "has type utf8, want int64".
	Problem string
	// Input is the index of the input the column was looked up in, or -1.
	Input int
}

func (e *SchemaError) Error() string {
	if e.Input > 0 {
		return fmt.Sprintf("column %q (input %d): %s", e.Column, e.Input, e.Problem)
	}
	return fmt.Sprintf("column %q: %s", e.Column, e.Problem)
}

// Is reports whether target is ErrSchemaMismatch.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaMismatch }

// NodeError is an error of one node in one partition. Every error a run
// returns about a node is one, so errors.As gives the node and partition.
type NodeError struct {
	// Pipeline is the pipeline name.
	Pipeline string
	// Node is the node (dataset) name.
	Node string
	// Partition is the node partition, or the zero Partition at plan time.
	Partition Partition
	// AtPlan reports that the error was found while planning.
	AtPlan bool
	// Err is the cause.
	Err error
}

func (e *NodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline %q node %q", e.Pipeline, e.Node)
	if e.AtPlan {
		b.WriteString(" (plan)")
	} else {
		fmt.Fprintf(&b, " partition %s", e.Partition)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *NodeError) Unwrap() error { return e.Err }
