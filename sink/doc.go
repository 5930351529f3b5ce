// Package sink holds kiln's built-in sinks: exports of a node's committed
// partitions to places outside the pipeline's lake.
//
// A kiln pipeline already commits every node's output to its lake; a sink
// copies it somewhere else after the node's checks pass, with the same
// guarantees: Parquet writes the same commit protocol (data files, manifest
// last, atomic swap) to another directory, so the copy is equally readable by
// DuckDB, pandas or another kiln pipeline. Sinks are idempotent: exporting a
// partition that is already there with the same content does nothing.
package sink
