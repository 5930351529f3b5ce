// Package source holds kiln's built-in sources: readers that turn one
// partition of external data into an Arrow table for a pipeline.
//
// Parquet reads a hive-partitioned Parquet dataset directory (including
// datasets committed by another kiln pipeline), with partition pruning and
// column projection. Sources for CSV, NDJSON, Arrow IPC, SQL databases, HTTP
// APIs, blob stores and Kafka follow the same interface (kiln.Source).
//
// Every source reports its schema at plan time, reads only the run's
// partition, and names the file (and where it can, the row and column) in its
// errors. A source that has no data for a partition returns an error wrapping
// kiln.ErrNoPartition.
package source
