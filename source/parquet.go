package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// ParquetSource reads a hive-partitioned Parquet dataset: dir/dt=YYYY-MM-DD/
// *.parquet (dir/dt=.../hour=HH/ for hourly, dir/key=value/ for static
// partitions). Create one with Parquet.
//
// By default only committed partitions are read (those with a kiln manifest,
// _kiln/manifest.json), and only the files the manifest lists, each checked
// against its BLAKE3 hash; AllowUncommitted reads any *.parquet files of the
// partition directory, in name order. For the All partition, a dataset
// committed as unpartitioned is read from dir itself; otherwise every
// partition is read, in partition order.
type ParquetSource struct {
	cfg    parquetConfig
	schema *arrow.Schema
}

type parquetConfig struct {
	Dir         string   `json:"dir"`
	Columns     []string `json:"columns,omitempty"`
	Uncommitted bool     `json:"uncommitted,omitempty"`
}

// ParquetOption configures a ParquetSource.
type ParquetOption func(*ParquetSource)

// Columns projects the listed columns, in this order.
func Columns(names ...string) ParquetOption {
	return func(s *ParquetSource) { s.cfg.Columns = append(s.cfg.Columns, names...) }
}

// AllowUncommitted reads partitions without a kiln manifest (data written by
// other tools), taking every *.parquet file in the partition directory.
func AllowUncommitted() ParquetOption { return func(s *ParquetSource) { s.cfg.Uncommitted = true } }

// WithSchema declares the expected schema instead of reading it from the
// first partition's footer; files must match it.
func WithSchema(schema *arrow.Schema) ParquetOption {
	return func(s *ParquetSource) { s.schema = schema }
}

// Parquet returns a source reading the dataset directory dir.
func Parquet(dir string, opts ...ParquetOption) *ParquetSource {
	s := &ParquetSource{cfg: parquetConfig{Dir: filepath.ToSlash(filepath.Clean(dir))}}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *ParquetSource) dir() string { return filepath.FromSlash(s.cfg.Dir) }

// Spec implements kiln.Source.
func (s *ParquetSource) Spec() kiln.Spec {
	return kiln.Spec{Name: "source.parquet", Version: "1", Config: s.cfg}
}

// Schema implements kiln.Source: the declared schema, or the schema of the
// first file of the first partition, projected.
func (s *ParquetSource) Schema(ctx *kiln.Context) (*arrow.Schema, error) {
	if s.schema != nil {
		return s.schema, nil
	}
	parts, err := s.partitions()
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		files, _, err := s.files(p)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			continue
		}
		full, err := pq.ReadSchema(files[0].path)
		if err != nil {
			return nil, err
		}
		return project(full, s.cfg.Columns, files[0].path)
	}
	return nil, fmt.Errorf("parquet dataset %s: no partitions to read the schema from (pass source.WithSchema)", s.cfg.Dir)
}

func project(full *arrow.Schema, cols []string, file string) (*arrow.Schema, error) {
	if len(cols) == 0 {
		return full, nil
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		idx := full.FieldIndices(c)
		if len(idx) == 0 {
			return nil, &kiln.SchemaError{Column: c, Problem: "missing in " + file, Input: -1}
		}
		fields[i] = full.Field(idx[0])
	}
	return arrow.NewSchema(fields, nil), nil
}

// partitions lists the dataset's partition directories (relative, slash
// separated) that this source may read, sorted.
func (s *ParquetSource) partitions() ([]string, error) {
	if _, err := os.Stat(lake.ManifestPath(s.dir())); err == nil {
		return []string{""}, nil
	}
	if !s.cfg.Uncommitted {
		return lake.ListPartitions(s.dir())
	}
	var out []string
	err := filepath.WalkDir(s.dir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != s.dir() && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".parquet") {
			rel, _ := filepath.Rel(s.dir(), filepath.Dir(path))
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parquet dataset %s: %w", s.cfg.Dir, err)
	}
	out = dedupe(out)
	return out, nil
}

func dedupe(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, v := range in {
		if v == "." {
			v = ""
		}
		if i == 0 || v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

type dataFile struct {
	path string
	hash digest.Sum // zero for uncommitted files
}

// files returns the data files of one partition directory and, for a
// committed partition, its manifest. A missing partition wraps
// kiln.ErrNoPartition.
func (s *ParquetSource) files(rel string) ([]dataFile, *lineage.Manifest, error) {
	dir := filepath.Join(s.dir(), filepath.FromSlash(rel))
	b, err := lake.ReadManifest(dir)
	switch {
	case err == nil:
		m, err := lineage.UnmarshalManifest(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", lake.ManifestPath(dir), err)
		}
		out := make([]dataFile, len(m.Files))
		for i, f := range m.Files {
			out[i] = dataFile{path: filepath.Join(dir, filepath.FromSlash(f.Path)), hash: f.Hash}
		}
		return out, m, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("parquet dataset %s: %w: %s", s.cfg.Dir, kiln.ErrNoPartition, dir)
	}
	if !s.cfg.Uncommitted {
		return nil, nil, fmt.Errorf("parquet dataset %s: %w: %s has no kiln manifest (not committed; use source.AllowUncommitted to read it anyway)", s.cfg.Dir, kiln.ErrNoPartition, dir)
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(matches)
	out := make([]dataFile, len(matches))
	for i, m := range matches {
		out[i] = dataFile{path: m}
	}
	return out, nil, nil
}

// partsFor returns the partition directories to read for p.
func (s *ParquetSource) partsFor(p kiln.Partition) ([]string, error) {
	if !p.IsAll() {
		return []string{p.Dir()}, nil
	}
	parts, err := s.partitions()
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("parquet dataset %s: %w: no partitions", s.cfg.Dir, kiln.ErrNoPartition)
	}
	return parts, nil
}

// SourceVersion implements kiln.SourceVersioner: the content hashes of
// committed partitions, or the BLAKE3 hashes of uncommitted files, so an
// unchanged dataset is not read again.
func (s *ParquetSource) SourceVersion(ctx *kiln.Context) (string, error) {
	parts, err := s.partsFor(ctx.Partition())
	if err != nil {
		return "", err
	}
	b := digest.NewBuilder("kiln.source.parquet.version.v1")
	for _, rel := range parts {
		files, m, err := s.files(rel)
		if err != nil {
			return "", err
		}
		b.String("partition", rel)
		if m != nil {
			b.Sum("content", m.ContentHash)
			continue
		}
		for _, f := range files {
			h, _, err := digest.File(f.path)
			if err != nil {
				return "", err
			}
			b.String("file", filepath.Base(f.path)).Sum("hash", h)
		}
	}
	return b.Digest().String(), nil
}

// Read implements kiln.Source.
func (s *ParquetSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	parts, err := s.partsFor(ctx.Partition())
	if err != nil {
		return nil, err
	}
	var schema *arrow.Schema
	var tables []arrow.Table
	for _, rel := range parts {
		files, _, err := s.files(rel)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			tbl, err := readFile(ctx, f, s.cfg.Columns)
			if err != nil {
				return nil, err
			}
			if schema == nil {
				schema = tbl.Schema()
				if s.schema != nil {
					schema = s.schema
				}
			}
			if !arrowx.SchemaEqual(schema, tbl.Schema()) {
				return nil, fmt.Errorf("%w: file %s:\n%s", kiln.ErrSchemaMismatch, f.path, arrowx.SchemaDiff(schema, tbl.Schema()))
			}
			tables = append(tables, tbl)
		}
	}
	if schema == nil {
		plan, err := s.Schema(ctx)
		if err != nil {
			return nil, err
		}
		return arrowx.EmptyTable(plan), nil
	}
	return arrowx.Concat(schema, tables)
}

func readFile(ctx context.Context, f dataFile, cols []string) (arrow.Table, error) {
	if !f.hash.IsZero() {
		h, _, err := digest.File(f.path)
		if err != nil {
			return nil, err
		}
		if h != f.hash {
			return nil, fmt.Errorf("file %s: BLAKE3 %s differs from its manifest's %s: it changed after commit", f.path, h.Short(), f.hash.Short())
		}
	}
	return pq.ReadFile(ctx, f.path, pq.ReadOptions{Columns: cols, Parallel: true})
}
