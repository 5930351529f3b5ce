package source

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/lineage"
)

// FileOption configures a file source: CSV, NDJSON, IPC or Parquet. An
// option that does not apply to the source's format makes Schema fail.
type FileOption func(*fileOptions)

// ParquetOption is the option type of Parquet, kept for compatibility.
type ParquetOption = FileOption

// fileConfig is a file source's configuration as data: it is canonically
// hashed into the source's fingerprint, so it holds everything that changes
// what the source returns, and no credentials (a URL's query is left out).
type fileConfig struct {
	Format      string              `json:"format"`
	Location    string              `json:"location"`
	Schema      []lineage.Field     `json:"schema,omitempty"`
	Columns     []string            `json:"columns,omitempty"`
	OnBad       BadRecordPolicy     `json:"on_bad_record,omitempty"`
	Mapping     *kiln.SchemaMapping `json:"mapping,omitempty"`
	NoHeader    bool                `json:"no_header,omitempty"`
	Delimiter   string              `json:"delimiter,omitempty"`
	NullValues  []string            `json:"null_values,omitempty"`
	InferRows   int                 `json:"infer_rows,omitempty"`
	TimeLayout  string              `json:"timestamp_layout,omitempty"`
	Uncommitted bool                `json:"uncommitted,omitempty"`
}

type fileOptions struct {
	cfg    fileConfig
	schema *arrow.Schema
	nulls  bool // NullValues was given
	errs   []error
}

// WithSchema pins the schema: the source returns exactly these columns and
// types, and files that do not fit fail the run (or, for a bad value in a
// text file, are bad records). Without it, CSV infers the schema from a
// sample, IPC and Parquet take the schema of a file, and NDJSON fails.
func WithSchema(schema *arrow.Schema) FileOption {
	return func(o *fileOptions) {
		o.schema = schema
		o.cfg.Schema = nil
		for _, f := range schema.Fields() {
			typ, err := digest.CanonicalType(f.Type)
			if err != nil {
				o.errs = append(o.errs, fmt.Errorf("schema column %q: %w", f.Name, err))
			}
			o.cfg.Schema = append(o.cfg.Schema, lineage.Field{Name: f.Name, Type: typ, Nullable: f.Nullable})
		}
	}
}

// Columns projects the listed columns, in this order.
func Columns(names ...string) FileOption {
	return func(o *fileOptions) { o.cfg.Columns = append(o.cfg.Columns, names...) }
}

// OnBadRecord chooses what CSV and NDJSON sources do with a record they
// cannot read: Fail (the default) fails the run with an error naming the
// file, line and column; Reject skips it and records it with
// kiln.Context.Reject, so it is committed to the node's rejected-records
// dataset with its location, the reason and its raw text.
func OnBadRecord(p BadRecordPolicy) FileOption {
	return func(o *fileOptions) {
		if err := p.validate(); err != nil {
			o.errs = append(o.errs, err)
		}
		o.cfg.OnBad = p
	}
}

// WithMapping declares intended schema changes (see kiln.SchemaMapping):
// files with an old column name are read into the new column, dropped
// columns are ignored in files, and committed partitions are read back in
// the new shape.
func WithMapping(m kiln.SchemaMapping) FileOption {
	return func(o *fileOptions) { o.cfg.Mapping = &m }
}

// NoHeader says CSV files have no header line: fields are matched to the
// schema's columns by position (inferred columns are named c1, c2, ...).
func NoHeader() FileOption { return func(o *fileOptions) { o.cfg.NoHeader = true } }

// Delimiter sets the CSV field delimiter (default ','), an ASCII character
// other than the quote, CR and LF.
func Delimiter(d rune) FileOption {
	return func(o *fileOptions) {
		if d <= 0 || d >= 0x80 || d == '"' || d == '\r' || d == '\n' {
			o.errs = append(o.errs, fmt.Errorf("CSV delimiter %q: want an ASCII character other than '\"', CR and LF", d))
		}
		o.cfg.Delimiter = string(d)
	}
}

// NullValues sets the CSV null markers: an unquoted field equal to one of
// them is null (default: the empty field). A quoted field is never null, so
// "" is an empty string.
func NullValues(markers ...string) FileOption {
	return func(o *fileOptions) {
		o.cfg.NullValues = append([]string{}, markers...)
		o.nulls = true
	}
}

// InferRows sets how many rows CSV schema inference samples (default 1000).
func InferRows(n int) FileOption {
	return func(o *fileOptions) {
		if n <= 0 {
			o.errs = append(o.errs, fmt.Errorf("InferRows(%d): want a positive count", n))
		}
		o.cfg.InferRows = n
	}
}

// TimestampLayout sets the Go time layout (see package time) of timestamp
// values in CSV and NDJSON files, instead of ISO 8601. Times without a zone
// are UTC.
func TimestampLayout(layout string) FileOption {
	return func(o *fileOptions) { o.cfg.TimeLayout = layout }
}

// AllowUncommitted reads Parquet partitions without a kiln manifest (data
// written by other tools), taking every *.parquet file in the partition
// directory.
func AllowUncommitted() FileOption { return func(o *fileOptions) { o.cfg.Uncommitted = true } }

// defaultInferRows is how many rows CSV inference samples by default.
const defaultInferRows = 1000

func newFileOptions(format, location string, opts []FileOption) fileOptions {
	o := fileOptions{cfg: fileConfig{Format: format, Location: location}}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// validate refuses options that do not apply to the format.
func (o *fileOptions) validate() error {
	errs := append([]error(nil), o.errs...)
	c := o.cfg
	only := func(set bool, name string, formats ...string) {
		if !set {
			return
		}
		for _, f := range formats {
			if f == c.Format {
				return
			}
		}
		errs = append(errs, fmt.Errorf("option %s does not apply to %s sources", name, c.Format))
	}
	only(c.NoHeader, "NoHeader", "csv")
	only(c.Delimiter != "", "Delimiter", "csv")
	only(o.nulls, "NullValues", "csv")
	only(c.InferRows != 0, "InferRows", "csv")
	only(c.TimeLayout != "", "TimestampLayout", "csv", "ndjson")
	only(c.OnBad != "", "OnBadRecord", "csv", "ndjson")
	only(c.Uncommitted, "AllowUncommitted", "parquet")
	return errors.Join(errs...)
}

func (o *fileOptions) policy() BadRecordPolicy {
	if o.cfg.OnBad == "" {
		return Fail
	}
	return o.cfg.OnBad
}

func (o *fileOptions) mapping() kiln.SchemaMapping {
	if o.cfg.Mapping == nil {
		return kiln.SchemaMapping{}
	}
	return *o.cfg.Mapping
}
