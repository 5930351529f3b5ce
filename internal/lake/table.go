package lake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/pq"
)

// DataFile is the name of a partition's data file. kiln writes one file per
// partition; row groups split it internally.
const DataFile = "part-00000.parquet"

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
		fi, err := WriteParquet(ctx, filepath.Join(dir, DataFile), tbl, opts)
		if err != nil {
			return nil, err
		}
		fi.Path = DataFile
		return manifest([]FileInfo{fi})
	}, hooks)
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
