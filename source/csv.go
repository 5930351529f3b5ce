package source

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs"
)

// errSchema is the sentinel file-level schema errors wrap.
var errSchema = kiln.ErrSchemaMismatch

// CSV returns a source reading CSV files (RFC 4180: fields separated by a
// delimiter, optionally quoted with '"', a quote inside a quoted field
// doubled; CRLF or LF line ends; a UTF-8 byte-order mark is skipped; blank
// lines are skipped). The location is a file, a directory (its *.csv, *.tsv
// and *.txt files, also gzipped as *.gz) or a pattern; see FileSource.
//
// With a header (the default), columns are matched to the schema by name:
// a schema column missing from a file is null if nullable (else the file is
// refused), and a file column outside the schema is refused unless a
// WithMapping renames or drops it. Without one (NoHeader), fields are taken
// by position.
//
// Values: an unquoted field equal to a null marker (NullValues; default the
// empty field) is null; integers and floats are decimal (NaN and Inf
// allowed); booleans are true/false (any case), t/f or 1/0; date32 is
// YYYY-MM-DD; timestamps are ISO 8601 (YYYY-MM-DD, or with a 'T' or space,
// HH:MM[:SS[.fraction]] and an optional Z or ±HH:MM offset; no offset means
// UTC) unless TimestampLayout sets a Go layout. Supported types: bool,
// signed and unsigned integers, float32/64, utf8, large_utf8, binary,
// date32 and timestamps.
//
// Without WithSchema the schema is inferred from the first InferRows rows
// (default 1000) of the newest file (the last in key order): each column
// takes the narrowest type that reads every sampled non-null value, in the
// order bool, int64, float64, date32, timestamp[us, UTC], utf8; every
// inferred column is nullable; a column with no sampled values is utf8.
// Inference is deterministic: the same files give the same schema. The
// inferred schema is recorded with every partition (manifest extra
// "inferred_schema": the file, the rows sampled and the fields).
//
// A record that cannot be read (a malformed line, a wrong field count, a
// value of the wrong type, a null in a non-nullable column) is a bad
// record, reported as file:line:column; see OnBadRecord.
func CSV(location string, opts ...FileOption) *FileSource {
	return newFileSource("csv", csvFormat{}, location, opts)
}

type csvFormat struct{}

func (csvFormat) exts() []string { return []string{".csv", ".tsv", ".txt"} }

// newParser returns a parser configured from the options.
func newCSVParser(o *fileOptions, file string) *csvParser {
	p := &csvParser{file: file, delim: ',', quote: '"', policy: o.policy(), layout: o.cfg.TimeLayout, line: 1, emptyNull: true}
	if o.cfg.Delimiter != "" {
		p.delim = o.cfg.Delimiter[0]
	}
	if o.nulls {
		p.emptyNull = false
		for _, m := range o.cfg.NullValues {
			if m == "" {
				p.emptyNull = true
			} else {
				p.nulls = append(p.nulls, []byte(m))
			}
		}
	}
	return p
}

func (csvFormat) read(ctx context.Context, j *readJob) (arrow.Table, []badRecord, error) {
	r, err := openFile(ctx, j.fsys, j.file.key)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	return readCSV(r, j.name(), j.full, j.out, j.opts)
}

// readCSV parses a CSV file into a table of schema out; full is the schema
// the file's header is checked against.
func readCSV(r io.Reader, name string, full, out *arrow.Schema, o *fileOptions) (arrow.Table, []badRecord, error) {
	cs, err := newColumnSet(out)
	if err != nil {
		return nil, nil, err
	}
	p := newCSVParser(o, name)
	p.cs = cs
	setup := func(names []string) error {
		idx, err := matchColumns(name, names, full, out, o.mapping())
		if err != nil {
			return err
		}
		p.nf = len(names)
		p.fields = make([]*column, len(names))
		p.names = slices.Clone(names)
		for k, fi := range idx {
			if fi < 0 {
				p.missing = append(p.missing, cs.cols[k])
			} else {
				p.fields[fi] = cs.cols[k]
			}
		}
		return nil
	}
	if o.cfg.NoHeader {
		names := make([]string, full.NumFields())
		for k, f := range full.Fields() {
			names[k] = f.Name
		}
		if err := setup(names); err != nil {
			return nil, nil, err
		}
	} else {
		// The first record is the header; the parser then goes on with data.
		p.collect = func(rec []csvCell) {
			names := make([]string, len(rec))
			for k, c := range rec {
				names[k] = c.text
			}
			p.collect = nil
			if err := setup(names); err != nil {
				p.err = err
			}
		}
	}
	if err := p.run(r); err != nil {
		cs.release()
		return nil, nil, err
	}
	tbl, err := cs.table()
	return tbl, p.bad, err
}

func (csvFormat) infer(ctx context.Context, s *FileSource, fsys *blobfs.FS, f fileRef) (*arrow.Schema, any, error) {
	return inferCSV(ctx, &s.opts, fsys, f)
}

// matchColumns maps a file's columns (by name) to the output columns: for
// each output column, the index of the file column holding it, or -1 when
// the file lacks it (allowed for nullable columns). File columns outside
// the full schema are refused unless the mapping renames or drops them.
func matchColumns(file string, names []string, full, out *arrow.Schema, m kiln.SchemaMapping) ([]int, error) {
	canon := make([]string, len(names))
	seen := map[string]int{}
	for k, n := range names {
		c := n
		if to, ok := m.Renamed[n]; ok {
			c = to
		}
		if prev, dup := seen[c]; dup {
			return nil, fmt.Errorf("%w: %s: columns %d and %d are both %q", errSchema, file, prev+1, k+1, c)
		}
		seen[c] = k
		canon[k] = c
		if len(full.FieldIndices(c)) == 0 && !slices.Contains(m.Dropped, n) {
			return nil, fmt.Errorf("%w: %s: column %q is not in the schema (declare it, or drop or rename it with source.WithMapping)", errSchema, file, n)
		}
	}
	idx := make([]int, out.NumFields())
	for k, f := range out.Fields() {
		fi, ok := seen[f.Name]
		if !ok {
			if !f.Nullable {
				return nil, fmt.Errorf("%w: %s: non-nullable column %q is missing", errSchema, file, f.Name)
			}
			fi = -1
		}
		idx[k] = fi
	}
	return idx, nil
}
