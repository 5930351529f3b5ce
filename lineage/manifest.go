package lineage

import (
	"encoding/json"
	"fmt"

	"github.com/kiln-data/kiln/internal/digest"
)

// ManifestFormat is the version of the manifest JSON layout this package
// writes. Readers refuse manifests with a newer format.
const ManifestFormat = 1

// ManifestFile is the name of the manifest inside a partition's _kiln folder:
// <partition dir>/_kiln/manifest.json. No manifest, no partition.
const ManifestFile = "manifest.json"

// Manifest is the commit marker of one dataset partition. It is written last,
// after every data file, so a partition with a manifest is complete.
type Manifest struct {
	// Format is ManifestFormat at the time of writing.
	Format int `json:"format"`
	// Pipeline is the name of the pipeline that committed the partition.
	Pipeline string `json:"pipeline"`
	// Dataset is the dataset name, e.g. "silver.events".
	Dataset string `json:"dataset"`
	// Partition is the partition path, e.g. "dt=2024-01-30", or "all".
	Partition string `json:"partition"`
	// Kind is "source" or "transform".
	Kind string `json:"kind"`
	// Fingerprint is BLAKE3 over everything that determines the output:
	// node kind and name, operation name, version and canonical config,
	// checks, partition, and the content hashes of the inputs.
	Fingerprint digest.Sum `json:"fingerprint"`
	// ContentHash is the canonical BLAKE3 hash of the partition's Arrow data,
	// independent of file layout and encoding.
	ContentHash digest.Sum `json:"content_hash"`
	// Rows is the number of rows in the partition.
	Rows int64 `json:"rows"`
	// Schema lists the columns with kiln's canonical type names.
	Schema []Field `json:"schema"`
	// Files are the data files, relative to the partition directory.
	Files []File `json:"files"`
	// Inputs are the input partitions this one was computed from.
	Inputs []Input `json:"inputs,omitempty"`
	// Operation is the source or transform that produced the data.
	Operation Operation `json:"operation"`
	// Checks are the specs of the quality checks that gated the data.
	CheckSpecs []Operation `json:"check_specs,omitempty"`
	// Checks holds the quality check results for this partition.
	Checks []CheckResult `json:"checks,omitempty"`
	// SourceState is an opaque checkpoint a source stored with the partition
	// (a cursor high-water mark, Kafka offsets, the last API page), read back
	// by the next run.
	SourceState json.RawMessage `json:"source_state,omitempty"`
	// Extra holds facts added by other kiln packages (profiles, quarantine
	// summaries), keyed by a stable name.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
	// Build is the provenance of the program that wrote the partition.
	Build Build `json:"build"`
}

// Field is one column of a manifest schema.
type Field struct {
	// Name is the column name.
	Name string `json:"name"`
	// Type is kiln's canonical type name, e.g. "int64" or "timestamp[us,UTC]".
	Type string `json:"type"`
	// Nullable reports whether the column may hold nulls.
	Nullable bool `json:"nullable"`
}

// File is one data file of a partition.
type File struct {
	// Path is relative to the partition directory, with forward slashes.
	Path string `json:"path"`
	// Rows is the number of rows in the file.
	Rows int64 `json:"rows"`
	// Bytes is the file size.
	Bytes int64 `json:"bytes"`
	// Hash is BLAKE3 of the file bytes.
	Hash digest.Sum `json:"blake3"`
}

// Input is one input partition of a computed partition.
type Input struct {
	// Dataset is the input dataset name.
	Dataset string `json:"dataset"`
	// Partition is the input partition path.
	Partition string `json:"partition"`
	// Mapping says how the node's partition maps to this input: "same",
	// "lookback" or "whole".
	Mapping string `json:"mapping"`
	// ContentHash is the input partition's content hash.
	ContentHash digest.Sum `json:"content_hash"`
}

// Operation names the code that produced or checked the data.
type Operation struct {
	// Name is the operation name, e.g. "transform.dedupe" or a user
	// function's name.
	Name string `json:"name"`
	// Version is the operation's version; bump it when its logic changes.
	Version string `json:"version"`
	// Config is the canonical JSON of the operation's config.
	Config json.RawMessage `json:"config,omitempty"`
	// ConfigHash is BLAKE3 of Config.
	ConfigHash digest.Sum `json:"config_hash"`
}

// Marshal encodes m as indented JSON with a trailing newline. The encoding is
// deterministic: equal manifests give equal bytes.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("lineage: encode manifest for %s %s: %w", m.Dataset, m.Partition, err)
	}
	return append(b, '\n'), nil
}

// UnmarshalManifest decodes a manifest and checks its format.
func UnmarshalManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("lineage: decode manifest: %w", err)
	}
	if m.Format < 1 || m.Format > ManifestFormat {
		return nil, fmt.Errorf("lineage: manifest format %d not supported (this kiln reads up to %d)", m.Format, ManifestFormat)
	}
	return &m, nil
}

// Bytes returns the total size of the partition's files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Bytes
	}
	return n
}
