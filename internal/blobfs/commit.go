package blobfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// ManifestKey is the manifest's key inside a partition directory.
const ManifestKey = lake.MetaDir + "/" + lake.ManifestName

// DataName returns the content-addressed name of a partition's data object:
// part-00000-<first 16 hex digits of its BLAKE3>.parquet.
func DataName(h digest.Sum) string { return "part-00000-" + h.Hex()[:16] + ".parquet" }

// CommitTable commits tbl as the partition directory dir (relative to the
// FS root, "" or ending in "/") with a protocol for object stores, which
// have no rename:
//
//  1. the table is encoded as Parquet with opts and stored under a name
//     derived from its BLAKE3 hash (DataName); an object of that name and
//     size is already the same bytes and is not uploaded again;
//  2. the manifest from manifest is written last, to dir/_kiln/manifest.json,
//     as one whole-object write;
//  3. data objects of earlier commits that the manifest now in place does not
//     list are deleted.
//
// Guarantees: a reader that reads the manifest and then the objects it lists
// sees a complete partition (every listed object was written before the
// manifest and is never rewritten with other bytes); a failure or
// cancellation before step 2 leaves the previous manifest and its objects in
// place; rerunning a commit converges. A reader still holding a manifest
// from before step 3 may find its objects gone; reading the manifest again
// gives the new partition. Commits of one partition must not run
// concurrently from several processes (step 3 of one could delete the
// objects of the other).
func (f *FS) CommitTable(ctx context.Context, dir string, tbl arrow.Table, opts pq.Options, manifest lake.ManifestFunc, hooks *lake.Hooks) error {
	var buf bytes.Buffer
	w := digest.NewWriter(&buf)
	rows, err := pq.Write(ctx, w, tbl, opts)
	if err != nil {
		return fmt.Errorf("commit %s: %w", f.Path(dir), err)
	}
	fi := lake.FileInfo{Path: DataName(w.Sum()), Rows: rows, Bytes: w.N(), Hash: w.Sum()}
	key := dir + fi.Path
	if st, err := f.Stat(ctx, key); err != nil || st.Size != fi.Bytes {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("commit %s: %w", f.Path(dir), err)
		}
		if err := f.Write(ctx, key, buf.Bytes()); err != nil {
			return fmt.Errorf("commit %s: %w", f.Path(dir), err)
		}
	}
	if hooks != nil && hooks.AfterData != nil {
		if err := hooks.AfterData(); err != nil {
			return err
		}
	}
	m, err := manifest([]lake.FileInfo{fi})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit %s: %w", f.Path(dir), err)
	}
	if err := f.Write(ctx, dir+ManifestKey, m); err != nil {
		return fmt.Errorf("commit %s: %w", f.Path(dir), err)
	}
	if hooks != nil && hooks.AfterManifest != nil {
		if err := hooks.AfterManifest(); err != nil {
			return err
		}
	}
	if err := f.Clean(ctx, dir); err != nil {
		return fmt.Errorf("commit %s: clean up: %w", f.Path(dir), err)
	}
	return nil
}

// Clean deletes the data objects directly in the partition directory dir
// that its current manifest does not list. Only kiln's own data objects
// (part-*.parquet) are touched.
func (f *FS) Clean(ctx context.Context, dir string) error {
	m, err := f.ReadManifest(ctx, dir)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, fl := range m.Files {
		keep[fl.Path] = true
	}
	entries, err := f.List(ctx, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := strings.TrimPrefix(e.Key, dir)
		if e.IsDir || keep[name] || !strings.HasPrefix(name, "part-") || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		if err := f.Delete(ctx, e.Key); err != nil {
			return err
		}
	}
	return nil
}

// ReadManifest reads and decodes the manifest of the partition directory
// dir. A partition without one gives an error wrapping fs.ErrNotExist.
func (f *FS) ReadManifest(ctx context.Context, dir string) (*lineage.Manifest, error) {
	b, err := f.ReadAll(ctx, dir+ManifestKey)
	if err != nil {
		return nil, err
	}
	m, err := lineage.UnmarshalManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path(dir+ManifestKey), err)
	}
	return m, nil
}

// ListPartitions returns the committed partition directories of the dataset
// at the FS root ("dt=2024-01-30", "dt=2024-01-30/hour=13", "region=eu"),
// sorted: directories whose every path element is key=value and that hold a
// manifest, at most four levels deep. Folders starting with "_" or "." are
// skipped.
func (f *FS) ListPartitions(ctx context.Context) ([]string, error) {
	var out []string
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := f.List(ctx, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := strings.TrimSuffix(strings.TrimPrefix(e.Key, dir), "/")
			if !e.IsDir || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || !strings.Contains(name, "=") {
				continue
			}
			ok, err := f.Exists(ctx, e.Key+ManifestKey)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, strings.TrimSuffix(e.Key, "/"))
			}
			if depth < 3 {
				if err := walk(e.Key, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("", 0); err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", f.Name(), err)
	}
	return out, nil
}
