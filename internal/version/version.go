// Package version holds kiln's release version, written into Parquet
// created_by, manifests and lineage records.
package version

// Version is kiln's semantic version. Bump it with every release; it is part
// of the created_by string of every Parquet file kiln writes, so changing it
// changes file bytes (never content hashes).
const Version = "0.1.0"

// CreatedBy is the Parquet created_by value of every file kiln writes.
const CreatedBy = "kiln version " + Version
