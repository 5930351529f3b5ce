package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kiln-data/kiln/internal/digest"
)

// ErrKeptChanged is CommitKept's error when a committed file to keep no
// longer has the hash its manifest records.
var ErrKeptChanged = errors.New("committed file changed since its commit")

// CommitKept commits the partition directory finalDir anew with its own
// committed data files, files (paths relative to finalDir), and the
// manifest bytes: for an output recomputed with the content already
// committed but a new manifest (say, a new fingerprint). Each file is
// checked against its hash and hard-linked into the staging directory
// (copied where the file system cannot link), so no data is rewritten;
// the swap is atomic as in Commit, and a run killed at any point leaves
// the previous partition as it was. A file that is missing or whose hash
// differs fails the commit with ErrKeptChanged, committing nothing.
func CommitKept(ctx context.Context, finalDir, stagingRoot string, files []FileInfo, manifest []byte, hooks *Hooks) error {
	return Commit(ctx, finalDir, stagingRoot, func(dir string) ([]byte, error) {
		for _, f := range files {
			src := filepath.Join(finalDir, filepath.FromSlash(f.Path))
			h, n, err := digest.File(src)
			if err != nil || h != f.Hash || n != f.Bytes {
				return nil, fmt.Errorf("commit %s: %w: %s", finalDir, ErrKeptChanged, f.Path)
			}
			dst := filepath.Join(dir, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return nil, err
			}
			if err := linkOrCopy(src, dst); err != nil {
				return nil, fmt.Errorf("commit %s: keep %s: %w", finalDir, f.Path, err)
			}
		}
		return manifest, nil
	}, hooks)
}

// linkOrCopy makes dst a hard link to src, or a copy (fsynced) where the
// file system cannot link.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(out, in)
	serr := out.Sync()
	return errors.Join(cerr, serr, out.Close())
}
