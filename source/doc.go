// Package source holds kiln's built-in sources: readers that turn one
// partition of external data into an Arrow table for a pipeline.
//
// Every source reports its schema at plan time, reads only the run's
// partition, and names where a problem is in its errors (file, line and
// column; page and item; Kafka partition and offset; row and column). A
// source that has no data for a partition returns an error wrapping
// kiln.ErrNoPartition; a partition landed earlier then stands as it is.
//
// # Files and object stores
//
// CSV, NDJSON, IPC and Parquet read from a local path or a gocloud.dev/blob
// URL (file:///dir, mem://name,
// s3://bucket/prefix?region=...&endpoint=http://host:port&use_path_style=true;
// gs:// and azblob:// once the program imports the gcsblob or azureblob
// driver). The URL query configures the bucket and stays out of the spec. A
// location is a file, a directory or a glob, with {dt}, {yyyy}, {mm}, {dd},
// {hour} and {key} placeholders filled from the partition; otherwise
// dt=/hour=/key=value directories are pruned to the run's partition. Rows
// come in file order, files in key order. Parquet reads only committed kiln
// partitions (those with a manifest) unless AllowUncommitted is given.
//
// # Bad records and schemas
//
// Unreadable CSV and NDJSON records are file:line:column errors
// (errors.Is(err, source.ErrBadRecord)); OnBadRecord(source.Reject) sends
// them to the node's rejected-records dataset instead (see
// kiln.Context.Reject). WithSchema pins a schema; WithMapping declares
// renames, drops and retypes (see kiln.SchemaMapping). Every source's schema
// is checked against its previous committed partition: a new nullable column
// is compatible, anything else fails the run and shows the difference.
//
// # Databases, APIs and streams
//
// SQL reads any database/sql driver (SQLite through modernc.org/sqlite
// embedded, PostgreSQL through pgx) as a snapshot or incrementally by a
// cursor column whose high-water mark is stored in the partition manifest;
// ApplyChanges and CDC turn Debezium-style change events into a current
// state table. HTTP reads paginated JSON APIs with retries, rate limits and
// credentials from the environment (never written anywhere). Kafka lands a
// topic into partitions whose manifests record the offsets they cover, so a
// rerun neither loses nor duplicates a record. Sources that continue where
// the previous partition stopped (incremental HTTP, Kafka) are sequential:
// the engine lands their partitions in order. Servers that are down are
// retried with backoff within a budget, then the run fails with
// ErrUnavailable and commits nothing.
package source
