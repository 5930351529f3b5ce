package kiln

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/lineage"
)

// Spec identifies an operation (a source, transform, check or sink) for
// fingerprints and lineage. Two operations with equal specs must compute the
// same output from the same input.
type Spec struct {
	// Name is a stable, unique name such as "transform.dedupe" or
	// "rolling_purchases".
	Name string
	// Version is bumped whenever the operation's logic changes.
	Version string
	// Config is the operation's configuration as plain data. It is
	// canonically serialized (JSON with sorted keys) and hashed into the
	// fingerprint, so it must hold everything that changes the output and
	// nothing that does not (no credentials, no clients).
	Config any
}

// Source reads one partition of external data. Implementations live in
// package source; kiln.SourceFunc turns a Go function into one.
type Source interface {
	// Spec identifies the source and its configuration.
	Spec() Spec
	// Schema returns the schema Read will produce. It is called when the
	// pipeline is planned, before any data is read.
	Schema(ctx *Context) (*arrow.Schema, error)
	// Read returns the partition ctx.Partition(). It returns an error
	// wrapping ErrNoPartition when the source has no such partition.
	Read(ctx *Context) (arrow.Table, error)
}

// SourceVersioner is implemented by sources that can tell cheaply, without
// reading the data, what version of a partition they would return (file
// hashes, a snapshot id, a manifest's content hash; or a constant for
// sources whose output depends only on their spec and the partition). When
// the version is unchanged since the last commit, the source is not read and
// the node is a cache hit. Sources without it are read on every run; an
// unchanged result is then not rewritten.
type SourceVersioner interface {
	SourceVersion(ctx *Context) (string, error)
}

// Sequential is implemented by sources, transforms and checks whose result
// for a partition depends on the previous committed partition: sources that
// land ranges (Kafka offsets, an API's incremental mark) and checks that
// compare with the previous partition. When Sequential reports true for a
// node's source, transform or any of its checks, the engine runs that node's
// partitions of one Run or Backfill one at a time in partition order, each
// after the previous one has committed, and skips the later ones when an
// earlier one fails. Concurrent runs of the same pipeline value in one
// process also take turns on such a node; runs in different processes must
// not land the same sequential node at once.
type Sequential interface {
	Sequential() bool
}

// SequentialSource is the name Sequential had for sources.
//
// Deprecated: use Sequential.
type SequentialSource = Sequential

// Transform is a pure function from input tables to an output table. Built-in
// transforms live in package transform; kiln.Func turns a typed Go function
// into one.
//
// A transform must obey the determinism contract (see the package
// documentation): a documented row order, the same result at any GOMAXPROCS,
// no hidden inputs (time, randomness and environment come from the Context),
// and a version bump when its logic changes.
type Transform interface {
	// Spec identifies the transform and its configuration.
	Spec() Spec
	// OutputSchema returns the output schema for the given input schemas,
	// or an error naming the missing or mistyped column (see SchemaError).
	// It is called at plan time, before any data is read.
	OutputSchema(inputs []*arrow.Schema) (*arrow.Schema, error)
	// Apply computes the output. The inputs are borrowed: do not modify or
	// release them. The returned table must have exactly the schema
	// OutputSchema returned.
	Apply(ctx *Context, inputs []arrow.Table) (arrow.Table, error)
}

// Check is a quality check run on a node's output before anything downstream
// sees it. Implementations live in package quality.
type Check interface {
	// Spec identifies the check and its configuration (including severity).
	Spec() Spec
	// Evaluate checks the table. An error means the check could not run
	// (not that the data failed it); it fails the node.
	Evaluate(ctx *Context, t arrow.Table) (CheckResult, error)
}

// SchemaValidator is implemented by checks and sinks that can verify at plan
// time that a schema suits them (the column exists and has a usable type).
type SchemaValidator interface {
	ValidateSchema(s *arrow.Schema) error
}

// Sink exports a node's committed output somewhere else (a Parquet directory,
// a SQL table, an online store). Implementations live in package sink.
type Sink interface {
	// Spec identifies the sink and its configuration.
	Spec() Spec
	// Write exports one committed partition. m is its manifest. Write must
	// be idempotent: writing the same partition twice leaves one copy.
	Write(ctx *Context, t arrow.Table, m *Manifest) error
}

// SinkChecker is implemented by sinks that can tell whether they already hold
// a committed partition, so a cached node is not exported again.
type SinkChecker interface {
	Current(ctx *Context, m *Manifest) (bool, error)
}

// Manifest is the commit marker of a dataset partition; see lineage.Manifest.
type Manifest = lineage.Manifest

// CheckResult is the outcome of a check; see lineage.CheckResult.
type CheckResult = lineage.CheckResult

// Unexpected is one failing value in a CheckResult; see lineage.Unexpected.
type Unexpected = lineage.Unexpected

// Severity says what a failing check does; see lineage.Severity.
type Severity = lineage.Severity

// Severities, re-exported from lineage.
const (
	SeverityError      = lineage.SeverityError
	SeverityWarn       = lineage.SeverityWarn
	SeverityQuarantine = lineage.SeverityQuarantine
)
