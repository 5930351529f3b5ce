package source

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/blobfs"
	"github.com/kiln-data/kiln/internal/digest"
	"golang.org/x/sync/errgroup"
)

// FileSource reads files of one format (CSV, NDJSON, Arrow IPC) from a local
// directory or an object store. Create one with CSV, NDJSON or IPC.
//
// The location is a path or URL (see the package documentation) naming a
// file, a directory, or a glob pattern: '*', '?' (in local paths), '[...]'
// match within a path segment and "**" matches any number of directories.
// The pattern may hold placeholders filled from the run's partition:
// {dt} (YYYY-MM-DD), {yyyy}, {mm}, {dd}, {hour} (HH), and {key} for a
// static partition key=value; for the All partition they match anything.
// Without placeholders, directories named key=value (hive layout: dt=...,
// hour=..., or a static key) are pruned to the run's partition.
//
// Rows come in file order (files sorted by key, byte-wise), then in their
// order within each file. Files are read concurrently; the result does not
// depend on GOMAXPROCS.
//
// A FileSource is safe for concurrent use.
type FileSource struct {
	opts    fileOptions
	format  fileFormat
	root    string // location up to the pattern, with its URL query
	pattern string

	mu      sync.Mutex
	planned *filePlan
}

// filePlan is a file source's schema as planned: the full (contract)
// schema, its projection, and how it was inferred.
type filePlan struct {
	full     *arrow.Schema
	out      *arrow.Schema
	inferred any // what to record with each partition, or nil
}

// fileFormat is what differs between the file formats.
type fileFormat interface {
	// exts are the file name extensions read when the location is a
	// directory.
	exts() []string
	// infer returns the schema of the format's files from file f, and a
	// record of how it was found to store with every partition (or nil).
	infer(ctx context.Context, s *FileSource, fsys *blobfs.FS, f fileRef) (*arrow.Schema, any, error)
	// read reads one file into a table of schema j.out.
	read(ctx context.Context, j *readJob) (arrow.Table, []badRecord, error)
}

// readJob is one file to read.
type readJob struct {
	fsys *blobfs.FS
	file fileRef
	full *arrow.Schema // the contract: columns a file may have
	out  *arrow.Schema // the columns to return
	opts *fileOptions
	mem  memory.Allocator
}

func (j *readJob) name() string { return j.fsys.Path(j.file.key) }

func newFileSource(format string, f fileFormat, location string, opts []FileOption) *FileSource {
	root, pattern := blobfs.Split(location)
	s := &FileSource{format: f, root: root, pattern: pattern}
	s.opts = newFileOptions(format, displayLocation(location), opts)
	return s
}

// displayLocation drops a URL's query (endpoints, credentials) from the
// location recorded in the spec.
func displayLocation(location string) string {
	if blobfs.IsURL(location) {
		if i := strings.IndexByte(location, '?'); i >= 0 {
			return location[:i]
		}
	}
	return location
}

// Spec implements kiln.Source.
func (s *FileSource) Spec() kiln.Spec {
	return kiln.Spec{Name: "source." + s.opts.cfg.Format, Version: "1", Config: s.opts.cfg}
}

// SchemaMapping implements kiln.SchemaMapper with the mapping given by
// WithMapping.
func (s *FileSource) SchemaMapping() kiln.SchemaMapping { return s.opts.mapping() }

// Schema implements kiln.Source: the pinned schema (WithSchema) or the
// schema found from the newest file (the last in key order, so in a dt=
// layout the latest partition), projected by Columns.
func (s *FileSource) Schema(ctx *kiln.Context) (*arrow.Schema, error) {
	p, err := s.plan(ctx)
	if err != nil {
		return nil, err
	}
	return p.out, nil
}

func (s *FileSource) plan(ctx context.Context) (*filePlan, error) {
	if err := s.opts.validate(); err != nil {
		return nil, fmt.Errorf("%s source %s: %w", s.opts.cfg.Format, s.opts.cfg.Location, err)
	}
	p := &filePlan{full: s.opts.schema}
	if p.full == nil {
		fsys, files, err := s.list(ctx, kiln.All)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s source %s: no files to take the schema from (pass source.WithSchema)", s.opts.cfg.Format, s.opts.cfg.Location)
		}
		if p.full, p.inferred, err = s.format.infer(ctx, s, fsys, files[len(files)-1]); err != nil {
			return nil, err
		}
	}
	out, err := projectSchema(p.full, s.opts.cfg.Columns, s.opts.cfg.Location)
	if err != nil {
		return nil, err
	}
	p.out = out
	s.mu.Lock()
	s.planned = p
	s.mu.Unlock()
	return p, nil
}

// projectSchema returns the columns of full named in cols, in that order.
func projectSchema(full *arrow.Schema, cols []string, where string) (*arrow.Schema, error) {
	if len(cols) == 0 {
		return full, nil
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		idx := full.FieldIndices(c)
		if len(idx) == 0 {
			return nil, &kiln.SchemaError{Column: c, Problem: "not in the schema of " + where, Input: -1}
		}
		fields[i] = full.Field(idx[0])
	}
	return arrow.NewSchema(fields, nil), nil
}

// SourceVersion implements kiln.SourceVersioner: a hash of the partition's
// file names, sizes, modification times and (where the store has them) MD5
// sums, so unchanged files are not read again.
func (s *FileSource) SourceVersion(ctx *kiln.Context) (string, error) {
	_, files, err := s.list(ctx, ctx.Partition())
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", s.noPartition(ctx.Partition())
	}
	b := digest.NewBuilder("kiln.source.files.version.v1")
	for _, f := range files {
		b.String("key", f.key).Int("size", f.size).Int("mtime", f.mod.UnixNano()).Bytes("md5", f.md5)
	}
	return b.Digest().String(), nil
}

func (s *FileSource) noPartition(p kiln.Partition) error {
	return fmt.Errorf("%s source %s: %w: no files for partition %s", s.opts.cfg.Format, s.opts.cfg.Location, kiln.ErrNoPartition, p)
}

// Read implements kiln.Source. Bad records fail the run or, with
// OnBadRecord(Reject), go to ctx.Reject in file and line order. An inferred
// schema is recorded in the manifest extra "inferred_schema".
func (s *FileSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	tbl, rejects, inferred, err := s.read(ctx, ctx.Partition(), ctx.Allocator())
	if err != nil {
		return nil, err
	}
	for _, r := range rejects {
		ctx.Reject(r)
	}
	if inferred != nil {
		if err := ctx.SetExtra("inferred_schema", inferred); err != nil {
			tbl.Release()
			return nil, err
		}
	}
	return tbl, nil
}

// read reads partition part: the table, the rejected records in file and
// line order, and the inference record (or nil).
func (s *FileSource) read(ctx context.Context, part kiln.Partition, mem memory.Allocator) (arrow.Table, []kiln.Rejected, any, error) {
	s.mu.Lock()
	p := s.planned
	s.mu.Unlock()
	if p == nil {
		var err error
		if p, err = s.plan(ctx); err != nil {
			return nil, nil, nil, err
		}
	}
	fsys, files, err := s.list(ctx, part)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, nil, s.noPartition(part)
	}
	type result struct {
		tbl arrow.Table
		bad []badRecord
		err error
	}
	res := make([]result, len(files))
	// The first failing file cancels the reads still running; the error
	// reported is still the lowest-numbered file's own (not a cancellation),
	// so it does not depend on scheduling.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		g.Go(func() error {
			j := &readJob{fsys: fsys, file: f, full: p.full, out: p.out, opts: &s.opts, mem: mem}
			r := &res[i]
			r.err = safeRead(func() error {
				var err error
				r.tbl, r.bad, err = s.format.read(gctx, j)
				return err
			})
			if r.err != nil && !strings.Contains(r.err.Error(), j.name()) {
				r.err = fmt.Errorf("%s: %w", j.name(), r.err)
			}
			return r.err
		})
	}
	_ = g.Wait() // errors are taken from res below, in file order
	if err := firstFileError(ctx, res, func(r result) error { return r.err }); err != nil {
		for _, r := range res {
			if r.tbl != nil {
				r.tbl.Release()
			}
		}
		return nil, nil, nil, err
	}
	var rejects []kiln.Rejected
	tables := make([]arrow.Table, 0, len(files))
	defer func() {
		for _, r := range res {
			if r.tbl != nil {
				r.tbl.Release()
			}
		}
	}()
	for i, r := range res {
		if r.err != nil {
			return nil, nil, nil, r.err
		}
		for _, b := range r.bad {
			rejects = append(rejects, b.rejected(fsys.Path(files[i].key)))
		}
		tables = append(tables, r.tbl)
	}
	tbl, err := arrowx.Concat(p.out, tables)
	if err != nil {
		return nil, nil, nil, err
	}
	return tbl, rejects, p.inferred, nil
}

// firstFileError returns the error of the lowest-numbered file that failed
// for a reason of its own, skipping files that only saw the cancellation
// caused by another file's failure; if the caller's ctx is done, its error.
func firstFileError[R any](ctx context.Context, res []R, errOf func(R) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var cancelled error
	for _, r := range res {
		err := errOf(r)
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			if cancelled == nil {
				cancelled = err
			}
		default:
			return err
		}
	}
	return cancelled
}

// safeRead runs f, turning a panic (in third-party decoders fed bad input)
// into an error.
func safeRead(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reader panic: %v", r)
		}
	}()
	return f()
}

// openFile opens a file for reading, decompressing *.gz files.
func openFile(ctx context.Context, fsys *blobfs.FS, key string) (io.ReadCloser, error) {
	r, err := fsys.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(key, ".gz") {
		return r, nil
	}
	z, err := gzip.NewReader(r)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return &gzipFile{Reader: z, under: r}, nil
}

type gzipFile struct {
	*gzip.Reader
	under io.Closer
}

func (g *gzipFile) Close() error {
	err := g.Reader.Close()
	if cerr := g.under.Close(); err == nil {
		err = cerr
	}
	return err
}
