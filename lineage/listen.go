package lineage

// Listener receives a pipeline's run events as they happen: lineage emitters
// (OpenLineage), progress displays and metrics implement it. The engine calls
// a listener from several goroutines at once, so implementations must be
// safe for concurrent use, and quick: they run on the engine's goroutines.
// Listeners must not modify what they are given.
type Listener interface {
	// RunStarted is called once per run (per partition of a backfill)
	// before any node starts. run.Nodes is empty.
	RunStarted(run *RunRecord)
	// NodeStarted is called when a node partition begins work (after its
	// inputs are ready). node.Status is "running".
	NodeStarted(run *RunRecord, node *NodeRun)
	// NodeFinished is called when a node partition is done, whatever its
	// status.
	NodeFinished(run *RunRecord, node *NodeRun)
	// RunFinished is called once per run with the complete record, as it is
	// written to the lake.
	RunFinished(run *RunRecord)
}

// ColumnLineage says which input columns feed one output column of a node.
type ColumnLineage struct {
	// Column is the output column.
	Column string `json:"column"`
	// Inputs are the input columns it is derived from.
	Inputs []ColumnInput `json:"inputs"`
}

// ColumnInput is one input column of a ColumnLineage, with how it is used,
// in OpenLineage's terms.
type ColumnInput struct {
	// Dataset is the input dataset (node) name.
	Dataset string `json:"dataset"`
	// Column is the input column.
	Column string `json:"column"`
	// Kind is "DIRECT" (the value flows into the output value) or
	// "INDIRECT" (it decides which rows or groups exist: filters, join and
	// group keys, sort keys).
	Kind string `json:"kind"`
	// Subtype refines Kind: IDENTITY, TRANSFORMATION or AGGREGATION for
	// DIRECT; JOIN, GROUP_BY, FILTER, SORT, WINDOW or CONDITIONAL for
	// INDIRECT.
	Subtype string `json:"subtype,omitempty"`
}
