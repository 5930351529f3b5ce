package sink

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// partitionDir is a partition's directory under the dataset root ("" for
// All).
func partitionDir(p kiln.Partition) string {
	if p.IsAll() {
		return ""
	}
	return p.Dir() + "/"
}

// blobWrite commits one partition to the dataset at url.
func blobWrite(ctx *kiln.Context, url string, t arrow.Table, m *kiln.Manifest, hooks *lake.Hooks) error {
	fsys, err := blobfs.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("parquet sink: %w", err)
	}
	err = fsys.CommitTable(ctx, partitionDir(ctx.Partition()), t, pq.Defaults(), manifestWith(m), hooks)
	if err != nil {
		return fmt.Errorf("parquet sink %s: %w", fsys.Name(), err)
	}
	return nil
}

// blobCurrent reports whether the dataset at url holds the partition with
// the manifest's fingerprint and content, with its objects in place.
func blobCurrent(ctx context.Context, url string, m *kiln.Manifest) (bool, error) {
	fsys, err := blobfs.Open(ctx, url)
	if err != nil {
		return false, fmt.Errorf("parquet sink: %w", err)
	}
	p, err := kiln.ParsePartition(m.Partition)
	if err != nil {
		return false, err
	}
	dir := partitionDir(p)
	b, err := fsys.ReadAll(ctx, dir+blobfs.ManifestKey)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	have, err := lineage.UnmarshalManifest(b)
	if err != nil {
		return false, nil // unreadable: rewrite it
	}
	if have.Fingerprint != m.Fingerprint || have.ContentHash != m.ContentHash {
		return false, nil
	}
	for _, f := range have.Files {
		st, err := fsys.Stat(ctx, dir+f.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if st.Size != f.Bytes {
			return false, nil
		}
	}
	return true, nil
}
