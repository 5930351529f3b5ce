// Package pq is the only place kiln reads and writes Parquet. It wraps
// arrow-go's pqarrow with kiln's fixed writer settings, a reader hardened
// against corrupt files, and errors that name the file.
//
// # Determinism (DESIGN.md, "Determinism contract", rule 5)
//
// Write, WriteFile and Writer produce bytes that depend only on
//
//   - the normalised schema: field names, types and nullability, with all
//     Arrow metadata (schema-level and field-level) dropped and top-level
//     dictionary types replaced by their value types;
//   - the rows, in order (logical values and validity; the bytes under null
//     slots and the table's chunking into record batches do not matter);
//   - Options (see Defaults and Options.String);
//   - the versions of arrow-go and klauspost/compress pinned in go.sum (an
//     upgrade may change bytes, never content).
//
// Rows are re-batched so every row group holds exactly Options.RowGroupRows
// rows (the last one the rest) and each column of a row group reaches the
// column writer as one contiguous array: arrow-go checks page and dictionary
// limits per call and per 1024 values, so passing the input's batches
// through would make page boundaries depend on the chunking. A table with
// zero rows gives a file with the schema and no row groups.
//
// A dictionary-typed column is written exactly like the plain column of its
// values (Parquet dictionary-encodes strings anyway) and reads back as the
// value type: the dictionary, its order and its index width are an in-memory
// encoding, not content. Dictionaries nested in lists, structs or maps are
// rejected (arrow-go cannot cast them reliably). Arrow metadata is not
// written because sources attach varying metadata (pandas blobs, times) that
// would make equal content give different files; record what matters in the
// manifest.
//
// The footer's created_by is Options.CreatedBy (version.CreatedBy by
// default). Its key/value metadata holds exactly one key, "ARROW:schema", the
// stored Arrow schema, so types (timestamp unit and time zone, large types,
// nullability) round-trip. No times, host names or paths are written.
// Timestamps keep their unit and are never written as INT96; a time zone is
// written as isAdjustedToUTC=true, so DuckDB reads timestamp[us, tz=UTC] as
// TIMESTAMP WITH TIME ZONE, and a naive timestamp as TIMESTAMP. Parquet has
// no seconds unit: timestamp[s] is stored as MILLIS and converted back on
// read (top-level columns). List element fields come back named "element"
// (pqarrow stores Parquet's name), which arrow.TypeEqual ignores for list
// but not for large_list.
//
// # Reading
//
// Read, ReadFile, ReadSchema and FileRows never panic: a panic in the decoder
// becomes an error. Every error names the file, and wraps ErrCorrupt when
// the bytes are not valid Parquet. Before decoding, the footer's row counts
// and column-chunk extents and the stored Arrow schema are checked, and
// columns are decoded in batches of ReadOptions.BatchRows, because arrow-go
// trusts those values when sizing allocations and a corrupt value there
// would otherwise end the process with an out-of-memory error. With zstd
// (the default) every page is a checksummed zstd frame, so a flipped bit in
// page data is an error, not a wrong value; with no compression it may go
// unnoticed (kiln's manifests carry file hashes for that). Strings come back
// as utf8, not dictionaries. Projected columns come back in request order.
// The table holds about its own size: over-sized buffers from arrow-go's
// decoders are compacted.
//
// Known limit: a file whose pages are internally consistent but claim
// billions of values (a crafted file, not a flipped bit) still decodes them
// all; bound input sizes where files are untrusted.
//
// # Concurrency
//
// All functions are safe for concurrent use on different files and writers.
// A Writer is used by one goroutine at a time. ReadOptions.Parallel decodes
// columns concurrently (up to GOMAXPROCS) without changing the result.
package pq
