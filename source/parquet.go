package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/blobfs"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// ParquetSource reads a hive-partitioned Parquet dataset: dir/dt=YYYY-MM-DD/
// *.parquet (dir/dt=.../hour=HH/ for hourly, dir/key=value/ for static
// partitions), from a local directory or any blob URL (see the package
// documentation), such as a dataset another kiln pipeline committed or a
// sink.Parquet exported. Create one with Parquet.
//
// By default only committed partitions are read (those with a kiln manifest,
// _kiln/manifest.json), and only the files the manifest lists, each checked
// against its BLAKE3 hash; AllowUncommitted reads any *.parquet files of the
// partition directory, in name order. For the All partition, a dataset
// committed as unpartitioned is read from dir itself; otherwise every
// partition is read, in partition order.
//
// Options: Columns, WithSchema (the files must match it), AllowUncommitted,
// WithMapping.
type ParquetSource struct {
	opts fileOptions
	root string
}

// Parquet returns a source reading the dataset directory dir.
func Parquet(dir string, opts ...FileOption) *ParquetSource {
	loc := strings.TrimSuffix(dir, "/")
	if !blobfs.IsURL(loc) {
		loc = cleanPath(loc)
	}
	return &ParquetSource{opts: newFileOptions("parquet", displayLocation(loc), opts), root: loc}
}

// Spec implements kiln.Source.
func (s *ParquetSource) Spec() kiln.Spec {
	return kiln.Spec{Name: "source.parquet", Version: "2", Config: s.opts.cfg}
}

// SchemaMapping implements kiln.SchemaMapper with the mapping given by
// WithMapping.
func (s *ParquetSource) SchemaMapping() kiln.SchemaMapping { return s.opts.mapping() }

func (s *ParquetSource) open(ctx context.Context) (*blobfs.FS, error) {
	if err := s.opts.validate(); err != nil {
		return nil, fmt.Errorf("parquet source %s: %w", s.opts.cfg.Location, err)
	}
	fsys, err := blobfs.Open(ctx, s.root)
	if err != nil {
		return nil, fmt.Errorf("parquet source: %w", err)
	}
	return fsys, nil
}

// Schema implements kiln.Source: the declared schema, or the schema of the
// first file of the first partition, projected.
func (s *ParquetSource) Schema(ctx *kiln.Context) (*arrow.Schema, error) {
	full, err := s.fullSchema(ctx)
	if err != nil {
		return nil, err
	}
	return projectSchema(full, s.opts.cfg.Columns, s.opts.cfg.Location)
}

// fullSchema is the schema every file must fit: the declared one, or the
// first file's.
func (s *ParquetSource) fullSchema(ctx context.Context) (*arrow.Schema, error) {
	if err := s.opts.validate(); err != nil {
		return nil, fmt.Errorf("parquet source %s: %w", s.opts.cfg.Location, err)
	}
	if s.opts.schema != nil {
		return s.opts.schema, nil
	}
	fsys, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	parts, err := s.partitions(ctx, fsys)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		files, _, err := s.files(ctx, fsys, p)
		if err != nil {
			return nil, err
		}
		if len(files) > 0 {
			return parquetSchema(ctx, fsys, files[0].key)
		}
	}
	return nil, fmt.Errorf("parquet dataset %s: no partitions to read the schema from (pass source.WithSchema)", s.opts.cfg.Location)
}

// parquetSchema reads the schema of one file: from its footer when local,
// else by reading the object.
func parquetSchema(ctx context.Context, fsys *blobfs.FS, key string) (*arrow.Schema, error) {
	if path, ok := fsys.LocalPath(key); ok {
		return pq.ReadSchema(path)
	}
	b, err := fsys.ReadAll(ctx, key)
	if err != nil {
		return nil, err
	}
	tbl, err := pq.Read(ctx, bytes.NewReader(b), fsys.Path(key), pq.ReadOptions{})
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	return tbl.Schema(), nil
}

// partitions lists the dataset's partition directories (relative, slash
// separated) that this source may read, sorted.
func (s *ParquetSource) partitions(ctx context.Context, fsys *blobfs.FS) ([]string, error) {
	if ok, err := fsys.Exists(ctx, blobfs.ManifestKey); err != nil || ok {
		return []string{""}, err
	}
	if !s.opts.cfg.Uncommitted {
		return fsys.ListPartitions(ctx)
	}
	files, err := listFiles(ctx, fsys, "", kiln.All, []string{".parquet"})
	if err != nil {
		return nil, fmt.Errorf("parquet dataset %s: %w", s.opts.cfg.Location, err)
	}
	var out []string
	for _, f := range files {
		dir := ""
		if i := strings.LastIndexByte(f.key, '/'); i >= 0 {
			dir = f.key[:i]
		}
		if len(out) == 0 || out[len(out)-1] != dir {
			out = append(out, dir)
		}
	}
	return out, nil
}

type dataFile struct {
	key  string
	hash digest.Sum // zero for uncommitted files
}

// files returns the data files of one partition directory and, for a
// committed partition, its manifest. A missing partition wraps
// kiln.ErrNoPartition.
func (s *ParquetSource) files(ctx context.Context, fsys *blobfs.FS, rel string) ([]dataFile, *lineage.Manifest, error) {
	dir := ""
	if rel != "" {
		dir = rel + "/"
	}
	m, err := fsys.ReadManifest(ctx, dir)
	switch {
	case err == nil:
		out := make([]dataFile, len(m.Files))
		for i, f := range m.Files {
			out[i] = dataFile{key: dir + f.Path, hash: f.Hash}
		}
		return out, m, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	}
	entries, err := fsys.List(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	if len(entries) == 0 {
		return nil, nil, fmt.Errorf("parquet dataset %s: %w: %s", s.opts.cfg.Location, kiln.ErrNoPartition, fsys.Path(rel))
	}
	if !s.opts.cfg.Uncommitted {
		return nil, nil, fmt.Errorf("parquet dataset %s: %w: %s has no kiln manifest (not committed; use source.AllowUncommitted to read it anyway)", s.opts.cfg.Location, kiln.ErrNoPartition, fsys.Path(rel))
	}
	var out []dataFile
	for _, e := range entries {
		if !e.IsDir && strings.HasSuffix(e.Key, ".parquet") && !hidden(base(dir, e)) {
			out = append(out, dataFile{key: e.Key})
		}
	}
	return out, nil, nil
}

// partsFor returns the partition directories to read for p.
func (s *ParquetSource) partsFor(ctx context.Context, fsys *blobfs.FS, p kiln.Partition) ([]string, error) {
	if !p.IsAll() {
		return []string{p.Dir()}, nil
	}
	parts, err := s.partitions(ctx, fsys)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("parquet dataset %s: %w: no partitions", s.opts.cfg.Location, kiln.ErrNoPartition)
	}
	return parts, nil
}

// SourceVersion implements kiln.SourceVersioner: the content hashes of
// committed partitions, or the BLAKE3 hashes of uncommitted files, so an
// unchanged dataset is not read again.
func (s *ParquetSource) SourceVersion(ctx *kiln.Context) (string, error) {
	fsys, err := s.open(ctx)
	if err != nil {
		return "", err
	}
	parts, err := s.partsFor(ctx, fsys, ctx.Partition())
	if err != nil {
		return "", err
	}
	b := digest.NewBuilder("kiln.source.parquet.version.v1")
	for _, rel := range parts {
		files, m, err := s.files(ctx, fsys, rel)
		if err != nil {
			return "", err
		}
		b.String("partition", rel)
		if m != nil {
			b.Sum("content", m.ContentHash)
			continue
		}
		for _, f := range files {
			h, err := fileHash(ctx, fsys, f.key)
			if err != nil {
				return "", err
			}
			b.String("file", f.key[strings.LastIndexByte(f.key, '/')+1:]).Sum("hash", h)
		}
	}
	return b.Digest().String(), nil
}

func fileHash(ctx context.Context, fsys *blobfs.FS, key string) (digest.Sum, error) {
	if path, ok := fsys.LocalPath(key); ok {
		h, _, err := digest.File(path)
		return h, err
	}
	b, err := fsys.ReadAll(ctx, key)
	if err != nil {
		return digest.Sum{}, err
	}
	return digest.Bytes(b), nil
}

// Read implements kiln.Source.
func (s *ParquetSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	fsys, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	parts, err := s.partsFor(ctx, fsys, ctx.Partition())
	if err != nil {
		return nil, err
	}
	var files []dataFile
	for _, rel := range parts {
		fs, _, err := s.files(ctx, fsys, rel)
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	full, err := s.fullSchema(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := projectSchema(full, s.opts.cfg.Columns, s.opts.cfg.Location)
	if err != nil {
		return nil, err
	}
	var tables []arrow.Table
	defer func() {
		for _, t := range tables {
			t.Release()
		}
	}()
	for _, f := range files {
		tbl, err := readParquetFile(ctx, fsys, f, s.fileColumns(fsys, f, full, plan))
		if err != nil {
			return nil, err
		}
		adapted, err := fitTable(fsys.Path(f.key), tbl, full, plan, s.opts.mapping())
		tbl.Release()
		if err != nil {
			return nil, err
		}
		tables = append(tables, adapted)
	}
	return arrowx.Concat(plan, tables)
}

// fileColumns returns the columns of local file f that the projected
// schema plan needs, so that only those are decoded; nil (read them all)
// for remote files, or when the footer does not say, leaving fitTable to
// report any mismatch.
func (s *ParquetSource) fileColumns(fsys *blobfs.FS, f dataFile, full, plan *arrow.Schema) []string {
	path, local := fsys.LocalPath(f.key)
	if !local || plan.NumFields() == full.NumFields() {
		return nil
	}
	have, err := pq.ReadSchema(path)
	if err != nil {
		return nil
	}
	names := make([]string, have.NumFields())
	for i, fd := range have.Fields() {
		names[i] = fd.Name
	}
	idx, err := matchColumns(fsys.Path(f.key), names, full, plan, s.opts.mapping())
	if err != nil {
		return nil
	}
	var cols []string
	seen := map[int]bool{}
	for _, i := range idx {
		if i >= 0 && !seen[i] {
			seen[i] = true
			cols = append(cols, names[i])
		}
	}
	return cols
}

// readParquetFile reads file f, decoding only cols (nil: all).
func readParquetFile(ctx context.Context, fsys *blobfs.FS, f dataFile, cols []string) (arrow.Table, error) {
	ro := pq.ReadOptions{Parallel: true, Columns: cols}
	path, local := fsys.LocalPath(f.key)
	if local && f.hash.IsZero() {
		return pq.ReadFile(ctx, path, ro)
	}
	b, err := fsys.ReadAll(ctx, f.key)
	if err != nil {
		return nil, err
	}
	if !f.hash.IsZero() {
		if h := digest.Bytes(b); h != f.hash {
			return nil, fmt.Errorf("file %s: BLAKE3 %s differs from its manifest's %s: it changed after commit", fsys.Path(f.key), h.Short(), f.hash.Short())
		}
	}
	return pq.Read(ctx, bytes.NewReader(b), fsys.Path(f.key), ro)
}
