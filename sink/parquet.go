package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// ParquetSink exports committed partitions to a hive-partitioned Parquet
// directory: dir/dt=YYYY-MM-DD/part-00000.parquet plus _kiln/manifest.json
// (an unpartitioned node goes to dir itself). Files are written with kiln's
// fixed settings, so they are byte-identical to the lake's copy.
//
// dir may also be a blob URL (file://, mem://, s3://...?endpoint=..., or
// gs:// and azblob:// when the program imports those gocloud.dev drivers).
// Object stores have no rename, so a partition is then committed as:
//
//  1. the partition's data is written as one Parquet object named after its
//     content, <dir>/<partition>/part-00000-<BLAKE3 prefix>.parquet (an
//     object already there with that name and size is not uploaded again);
//  2. the manifest, <dir>/<partition>/_kiln/manifest.json, is written last,
//     in one whole-object write, listing the data object with its hash;
//  3. data objects of earlier commits of the partition that the manifest no
//     longer lists are deleted.
//
// Guarantees: readers (source.Parquet) read the manifest and only the
// objects it lists, checking each against its BLAKE3 hash, so they see the
// previous partition or the new one, never a mix; a failure or cancellation
// before step 2 leaves the previous partition as it was (new data objects
// may remain, unlisted, until the next commit removes them); a rerun
// converges to the same objects. A reader that read the old manifest just
// before step 3 may find its object gone and must read the manifest again.
// Two processes must not commit the same partition at once. The URL's query
// (endpoint, region) is not part of the sink's spec.
type ParquetSink struct {
	cfg parquetConfig
	url string // the blob URL with its query, or "" for a local directory
}

type parquetConfig struct {
	Dir string `json:"dir"`
}

// Parquet returns a sink writing to dir.
func Parquet(dir string) *ParquetSink {
	if blobfs.IsURL(dir) {
		return &ParquetSink{cfg: parquetConfig{Dir: stripQuery(dir)}, url: dir}
	}
	return &ParquetSink{cfg: parquetConfig{Dir: filepath.ToSlash(filepath.Clean(dir))}}
}

// Spec implements kiln.Sink.
func (s *ParquetSink) Spec() kiln.Spec {
	return kiln.Spec{Name: "sink.parquet", Version: "1", Config: s.cfg}
}

func (s *ParquetSink) paths(p kiln.Partition) (final, staging string) {
	root := filepath.FromSlash(s.cfg.Dir)
	if p.IsAll() {
		return root, filepath.Join(filepath.Dir(root), "."+filepath.Base(root)+".kiln-staging")
	}
	return filepath.Join(root, filepath.FromSlash(p.Dir())), filepath.Join(root, filepath.FromSlash(lake.StagingDir))
}

// Current implements kiln.SinkChecker: the partition is current when its
// manifest in dir has the same fingerprint and content hash and its files
// are present.
func (s *ParquetSink) Current(ctx *kiln.Context, m *kiln.Manifest) (bool, error) {
	if s.url != "" {
		return blobCurrent(ctx, s.url, m)
	}
	final, _ := s.paths(ctx.Partition())
	b, err := lake.ReadManifest(final)
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
		st, err := os.Stat(filepath.Join(final, filepath.FromSlash(f.Path)))
		if err != nil || st.Size() != f.Bytes {
			return false, nil
		}
	}
	return true, nil
}

// Write implements kiln.Sink.
func (s *ParquetSink) Write(ctx *kiln.Context, t arrow.Table, m *kiln.Manifest) error {
	if s.url != "" {
		return blobWrite(ctx, s.url, t, m, nil)
	}
	final, staging := s.paths(ctx.Partition())
	err := lake.CommitTable(ctx, final, staging, t, pq.Defaults(), manifestWith(m), nil)
	if err != nil {
		return fmt.Errorf("parquet sink %s: %w", s.cfg.Dir, err)
	}
	return nil
}

// manifestWith returns a commit's manifest function: a copy of m listing the
// files written.
func manifestWith(m *kiln.Manifest) lake.ManifestFunc {
	return func(files []lake.FileInfo) ([]byte, error) {
		out := *m
		out.Files = make([]lineage.File, len(files))
		for i, f := range files {
			out.Files[i] = lineage.File{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Hash: f.Hash}
		}
		return out.Marshal()
	}
}
