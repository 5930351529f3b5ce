package lake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/par"
	"github.com/kiln-data/kiln/internal/pq"
)

// DataFile is the name of a partition's first data file.
const DataFile = "part-00000.parquet"

// FileRows is the most rows kiln writes per data file: one row group's worth
// (pq.DefaultRowGroupRows). A partition of n rows is split into
// ceil(n/FileRows) files part-00000.parquet, part-00001.parquet, ..., written
// concurrently. The split depends only on the row count, so equal content
// still gives equal files.
const FileRows = pq.DefaultRowGroupRows

// FileInfo describes a written data file.
type FileInfo struct {
	// Path is relative to the partition directory.
	Path string
	// Rows is the number of rows in the file.
	Rows int64
	// Bytes is the file size.
	Bytes int64
	// Hash is BLAKE3 of the file bytes.
	Hash digest.Sum
}

// ManifestFunc builds the manifest bytes once the data files are written.
type ManifestFunc func(files []FileInfo) ([]byte, error)

// CommitTable commits tbl as the partition directory finalDir: one Parquet
// file written with opts (hashed as it is written), then the manifest from
// manifest, then the atomic swap (see Commit).
func CommitTable(ctx context.Context, finalDir, stagingRoot string, tbl arrow.Table, opts pq.Options, manifest ManifestFunc, hooks *Hooks) error {
	return Commit(ctx, finalDir, stagingRoot, func(dir string) ([]byte, error) {
		files, err := WriteFiles(ctx, dir, tbl, opts)
		if err != nil {
			return nil, err
		}
		return manifest(files)
	}, hooks)
}

// WriteFiles writes tbl into dir as FileRows-row Parquet files, concurrently,
// and returns them in order.
func WriteFiles(ctx context.Context, dir string, tbl arrow.Table, opts pq.Options) ([]FileInfo, error) {
	n := tbl.NumRows()
	count := max(1, int((n+FileRows-1)/FileRows))
	out := make([]FileInfo, count)
	err := par.Do(ctx, count, func(i int) error {
		part := tbl
		if count > 1 {
			lo := int64(i) * FileRows
			part = arrowx.SliceTable(tbl, lo, min(lo+FileRows, n))
		}
		name := fmt.Sprintf("part-%05d.parquet", i)
		fi, err := WriteParquet(ctx, filepath.Join(dir, name), part, opts)
		if err != nil {
			return err
		}
		fi.Path = name
		out[i] = fi
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteParquet writes tbl to path with opts, fsyncs it, and returns its
// size and BLAKE3 hash computed while writing.
func WriteParquet(ctx context.Context, path string, tbl arrow.Table, opts pq.Options) (FileInfo, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return FileInfo{}, err
	}
	w := digest.NewWriter(f)
	rows, werr := pq.Write(ctx, w, tbl, opts)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return FileInfo{}, fmt.Errorf("write %s: %w", path, err)
	}
	return FileInfo{Path: filepath.Base(path), Rows: rows, Bytes: w.N(), Hash: w.Sum()}, nil
}
