package kiln

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// DatasetDir returns where a dataset lives in the lake rooted at lakeDir:
// "silver.events" lives in lakeDir/silver/events.
func DatasetDir(lakeDir, dataset string) string {
	return filepath.Join(lakeDir, filepath.FromSlash(strings.ReplaceAll(dataset, ".", "/")))
}

// PartitionDir returns the directory of a dataset partition in the lake
// rooted at lakeDir (the dataset directory itself for All).
func PartitionDir(lakeDir, dataset string, p Partition) string {
	return filepath.Join(DatasetDir(lakeDir, dataset), filepath.FromSlash(p.Dir()))
}

// ReadManifest reads the manifest of a committed partition in the lake
// rooted at lakeDir. The error wraps fs.ErrNotExist when the partition is
// not committed.
func ReadManifest(lakeDir, dataset string, p Partition) (*Manifest, error) {
	dir := PartitionDir(lakeDir, dataset, p)
	b, err := lake.ReadManifest(dir)
	if err != nil {
		return nil, fmt.Errorf("%s partition %s: %w", dataset, p, err)
	}
	m, err := lineage.UnmarshalManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lake.ManifestPath(dir), err)
	}
	return m, nil
}

// readManifest returns the committed manifest of a dataset partition, or nil
// when there is none.
func (r *runner) readManifest(name string, part Partition) (*Manifest, error) {
	dir := r.partitionDir(name, part)
	b, err := lake.ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if rerr := lake.Recover(dir, r.staging); rerr != nil {
			return nil, rerr
		}
		b, err = lake.ReadManifest(dir)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := lineage.UnmarshalManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lake.ManifestPath(dir), err)
	}
	return m, nil
}

// filesPresent reports whether a committed partition's files are all there
// with their recorded sizes (a cheap check before trusting a cache hit).
func (r *runner) filesPresent(name string, part Partition, m *Manifest) bool {
	dir := r.partitionDir(name, part)
	for _, f := range m.Files {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || st.Size() != f.Bytes {
			return false
		}
	}
	return len(m.Files) > 0
}

// neighbor returns the manifest of the latest committed partition of a
// dataset before part (dir < 0) or the earliest after it (dir > 0), among
// partitions of the same grain.
func (r *runner) neighbor(name string, part Partition, dir int) (*Manifest, error) {
	if part.IsAll() {
		return nil, nil
	}
	parts, err := lake.ListPartitions(r.datasetDir(name))
	if err != nil {
		return nil, err
	}
	var best Partition
	found := false
	for _, s := range parts {
		p, err := ParsePartition(s)
		if err != nil || p.Grain() != part.Grain() {
			continue
		}
		c := p.Compare(part)
		if (dir < 0 && c < 0 && (!found || p.Compare(best) > 0)) || (dir > 0 && c > 0 && (!found || p.Compare(best) < 0)) {
			best, found = p, true
		}
	}
	if !found {
		return nil, nil
	}
	return r.readManifest(name, best)
}

// load reads a committed partition back, verifying each file's BLAKE3 hash
// against the manifest.
func (r *runner) load(ctx context.Context, n *PlanNode, part Partition, m *Manifest) (arrow.Table, error) {
	dir := r.partitionDir(n.Name, part)
	tables := make([]arrow.Table, 0, len(m.Files))
	for _, f := range m.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		h, _, err := digest.File(path)
		if err != nil {
			return nil, fmt.Errorf("%s partition %s: %w", n.Name, part, err)
		}
		if h != f.Hash {
			return nil, fmt.Errorf("%s partition %s: file %s has BLAKE3 %s but its manifest says %s: it changed after commit; rerun with Force", n.Name, part, path, h.Short(), f.Hash.Short())
		}
		tbl, err := pq.ReadFile(ctx, path, pq.ReadOptions{Parallel: true})
		if err != nil {
			return nil, fmt.Errorf("%s partition %s: %w", n.Name, part, err)
		}
		tables = append(tables, tbl)
	}
	for i, tbl := range tables {
		a, err := adaptCommitted(n, part, tbl)
		if err != nil {
			return nil, err
		}
		tables[i] = a
	}
	if len(tables) == 1 {
		return tables[0], nil
	}
	return arrowx.Concat(n.Schema, tables)
}

// commitKept commits the partition anew with the data files of the
// committed manifest m kept as they are and the manifest man, for an
// output whose content equals m's. It reports false, committing nothing,
// when a kept file changed since m was committed: the caller then writes
// the output.
func (r *runner) commitKept(ctx context.Context, name string, part Partition, m, man *Manifest) (bool, error) {
	files := make([]lake.FileInfo, len(m.Files))
	for i, f := range m.Files {
		files[i] = lake.FileInfo{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Hash: f.Hash}
	}
	man.Files = m.Files
	b, err := man.Marshal()
	if err == nil {
		err = lake.CommitKept(ctx, r.partitionDir(name, part), r.staging, files, b, r.cfg.hooks)
	}
	if err != nil {
		man.Files = nil
		if errors.Is(err, lake.ErrKeptChanged) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// commit writes a table and its manifest as a dataset partition.
func (r *runner) commit(ctx context.Context, name string, part Partition, tbl arrow.Table, m *Manifest) error {
	return lake.CommitTable(ctx, r.partitionDir(name, part), r.staging, tbl, pq.Defaults(),
		func(files []lake.FileInfo) ([]byte, error) {
			m.Files = make([]lineage.File, len(files))
			for i, f := range files {
				m.Files[i] = lineage.File{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Hash: f.Hash}
			}
			return m.Marshal()
		}, r.cfg.hooks)
}
