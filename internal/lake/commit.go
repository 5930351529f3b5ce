package lake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-data/kiln/internal/digest"
)

// MetaDir is the name of the metadata folder inside a partition directory.
const MetaDir = "_kiln"

// ManifestName is the manifest's file name inside MetaDir.
const ManifestName = "manifest.json"

// ManifestPath returns the manifest path of a partition directory.
func ManifestPath(partDir string) string {
	return filepath.Join(partDir, MetaDir, ManifestName)
}

// Hooks let tests stop a commit between its steps. A hook that returns an
// error aborts the commit with that error.
type Hooks struct {
	// AfterData runs after the data files are written, before the manifest.
	AfterData func() error
	// AfterManifest runs after the manifest is written, before the swap.
	AfterManifest func() error
}

// WriteFunc writes a partition's data files into dir (an empty staging
// directory) and returns the manifest bytes to commit with them.
type WriteFunc func(dir string) (manifest []byte, err error)

// Commit atomically replaces the partition directory finalDir with the files
// write produces, followed by the manifest. stagingRoot is a directory on the
// same file system as finalDir and not inside it, where in-progress commits
// live. If ctx is cancelled before the swap, nothing is committed.
func Commit(ctx context.Context, finalDir, stagingRoot string, write WriteFunc, hooks *Hooks) (err error) {
	finalDir = filepath.Clean(finalDir)
	if err := os.MkdirAll(stagingRoot, 0o755); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	prefix := stagePrefix(finalDir)
	unlock, err := lock(filepath.Join(stagingRoot, prefix+".lock"))
	if err != nil {
		return fmt.Errorf("commit %s: lock: %w", finalDir, err)
	}
	defer unlock()

	if err := recoverDir(finalDir, stagingRoot, prefix); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	if err := removeLeftovers(stagingRoot, prefix); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	stage := filepath.Join(stagingRoot, prefix+"."+randomSuffix())
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()

	manifest, err := write(stage)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	if hooks != nil && hooks.AfterData != nil {
		if err := hooks.AfterData(); err != nil {
			return err
		}
	}
	if err := writeManifest(stage, manifest); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	if hooks != nil && hooks.AfterManifest != nil {
		if err := hooks.AfterManifest(); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	if err := swap(stage, finalDir, filepath.Join(stagingRoot, prefix+".old")); err != nil {
		return fmt.Errorf("commit %s: %w", finalDir, err)
	}
	return nil
}

// swap puts stage at finalDir. After it returns nil, finalDir holds the new
// partition and stage no longer exists.
func swap(stage, finalDir, aside string) error {
	parent := filepath.Dir(finalDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	_, statErr := os.Lstat(finalDir)
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		if err := os.Rename(stage, finalDir); err != nil {
			return err
		}
		return syncDir(parent)
	case statErr != nil:
		return statErr
	}
	if err := exchangeFunc(stage, finalDir); err == nil {
		// stage now holds the previous partition.
		if err := syncDir(parent); err != nil {
			return err
		}
		return os.RemoveAll(stage)
	} else if !errors.Is(err, errNoExchange) {
		return err
	}
	// Fallback: move the old partition aside, move the new one in. A crash
	// between the two renames is repaired by recoverDir.
	if err := os.Rename(finalDir, aside); err != nil {
		return err
	}
	if err := afterAside(); err != nil {
		return err
	}
	if err := os.Rename(stage, finalDir); err != nil {
		if rerr := os.Rename(aside, finalDir); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	return os.RemoveAll(aside)
}

// exchangeFunc is exchange, replaceable in tests to exercise the fallback.
var exchangeFunc = exchange

// afterAside runs in the fallback swap between moving the old partition
// aside and moving the new one in; tests use it to simulate a crash there.
var afterAside = func() error { return nil }

// recoverDir restores a partition moved aside by a fallback swap that did not
// finish. It is a no-op when there is nothing to restore.
func recoverDir(finalDir, stagingRoot, prefix string) error {
	aside := filepath.Join(stagingRoot, prefix+".old")
	if _, err := os.Stat(ManifestPath(aside)); err != nil {
		return nil
	}
	if _, err := os.Stat(ManifestPath(finalDir)); err == nil {
		// The new partition made it in; the old one is garbage.
		return os.RemoveAll(aside)
	}
	if err := os.RemoveAll(finalDir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(finalDir), 0o755); err != nil {
		return err
	}
	return os.Rename(aside, finalDir)
}

// Recover repairs finalDir after a commit that died halfway through a fallback
// swap. Readers call it before reading a partition whose manifest is missing.
func Recover(finalDir, stagingRoot string) error {
	finalDir = filepath.Clean(finalDir)
	return recoverDir(finalDir, stagingRoot, stagePrefix(finalDir))
}

func removeLeftovers(stagingRoot, prefix string) error {
	entries, err := os.ReadDir(stagingRoot)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix+".") || strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, ".old") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(stagingRoot, name)); err != nil {
			return err
		}
	}
	return nil
}

func writeManifest(stage string, b []byte) error {
	dir := filepath.Join(stage, MetaDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := WriteFileSync(filepath.Join(dir, ManifestName), b); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(stage)
}

// WriteFileSync writes b to path and fsyncs it before closing.
func WriteFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

// stagePrefix names the staging entries of one partition directory: stable
// per absolute path, short, and free of separators.
func stagePrefix(finalDir string) string {
	abs, err := filepath.Abs(finalDir)
	if err != nil {
		abs = finalDir
	}
	base := filepath.Base(abs)
	if len(base) > 40 {
		base = base[:40]
	}
	return base + "-" + digest.Bytes([]byte(abs)).Hex()[:16]
}

func randomSuffix() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "stage"
	}
	return hex.EncodeToString(b[:])
}
