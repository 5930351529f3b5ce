package source

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/blobfs"
)

// NDJSON returns a source reading newline-delimited JSON files: one JSON
// object per line (blank lines are skipped). The location is a file, a
// directory (its *.json, *.jsonl and *.ndjson files, also gzipped as *.gz)
// or a pattern; see FileSource. The schema must be given with WithSchema.
//
// Keys are matched to columns by name; keys outside the schema are skipped
// (after checking their syntax); a missing key or a null is null (a bad
// record for a non-nullable column). Nested objects are either kept or
// flattened, as the schema says: a struct column reads the object under its
// key into its fields, and a column named with dots ("user.id") reads the
// nested key ({"user": {"id": 7}}) as well as a literal "user.id" key.
// Arrays read into list columns.
//
// Values must have the column's JSON type: numbers for integer and float
// columns (integers must have no fraction or exponent, and fit the type),
// strings for utf8 and binary, true/false for bool, strings for date32
// (YYYY-MM-DD) and timestamps (ISO 8601, or TimestampLayout), or integers
// for timestamps (a count of the type's unit since the Unix epoch). Anything
// else, and invalid JSON, is a bad record reported as file:line:column; see
// OnBadRecord.
func NDJSON(location string, opts ...FileOption) *FileSource {
	return newFileSource("ndjson", ndjsonFormat{}, location, opts)
}

type ndjsonFormat struct{}

func (ndjsonFormat) exts() []string { return []string{".json", ".jsonl", ".ndjson"} }

func (ndjsonFormat) infer(ctx context.Context, s *FileSource, fsys *blobfs.FS, f fileRef) (*arrow.Schema, any, error) {
	return nil, nil, fmt.Errorf("ndjson source %s: a schema is required (pass source.WithSchema)", s.opts.cfg.Location)
}

func (ndjsonFormat) read(ctx context.Context, j *readJob) (arrow.Table, []badRecord, error) {
	r, err := openFile(ctx, j.fsys, j.file.key)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	return readNDJSON(r, j.name(), j.out, j.opts)
}

// readNDJSON parses an NDJSON file into a table of schema out.
func readNDJSON(r io.Reader, name string, out *arrow.Schema, o *fileOptions) (arrow.Table, []badRecord, error) {
	cs, err := newColumnSet(out)
	if err != nil {
		return nil, nil, err
	}
	top, err := newJSONObject(cs.cols, true)
	if err != nil {
		return nil, nil, err
	}
	for old, to := range o.mapping().Renamed {
		if t, ok := top.keys[to]; ok {
			top.keys[old] = t
		}
	}
	p := &jsonParser{file: name, top: top, cs: cs, layout: o.cfg.TimeLayout, policy: o.policy(), line: 1}
	if err := p.run(r); err != nil {
		cs.release()
		return nil, nil, err
	}
	tbl, err := cs.table()
	return tbl, p.bad, err
}
