package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// ParquetSink exports committed partitions to a hive-partitioned Parquet
// directory: dir/dt=YYYY-MM-DD/part-00000.parquet plus _kiln/manifest.json
// (an unpartitioned node goes to dir itself). Files are written with kiln's
// fixed settings, so they are byte-identical to the lake's copy.
type ParquetSink struct {
	cfg parquetConfig
}

type parquetConfig struct {
	Dir string `json:"dir"`
}

// Parquet returns a sink writing to dir.
func Parquet(dir string) *ParquetSink {
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
	final, staging := s.paths(ctx.Partition())
	out := *m
	err := lake.CommitTable(ctx, final, staging, t, pq.Defaults(), func(files []lake.FileInfo) ([]byte, error) {
		out.Files = make([]lineage.File, len(files))
		for i, f := range files {
			out.Files[i] = lineage.File{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Hash: f.Hash}
		}
		return out.Marshal()
	}, nil)
	if err != nil {
		return fmt.Errorf("parquet sink %s: %w", s.cfg.Dir, err)
	}
	return nil
}
