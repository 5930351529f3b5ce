package lake

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// StagingDir is where a lake keeps in-progress commits, relative to its root.
const StagingDir = "_kiln/staging"

// ReadManifest returns the manifest bytes of the partition directory, or an
// error satisfying errors.Is(err, fs.ErrNotExist) when it has none.
func ReadManifest(partDir string) ([]byte, error) {
	return os.ReadFile(ManifestPath(partDir))
}

// ListPartitions returns the committed partitions under a dataset directory
// as slash-separated relative paths ("dt=2024-01-30", or
// "dt=2024-01-30/hour=13"), sorted. Only directories whose every path element
// is key=value and that hold a manifest count; folders starting with "_" or
// "." are skipped. A missing dataset directory has no partitions.
func ListPartitions(datasetDir string) ([]string, error) {
	var out []string
	var walk func(dir, rel string, depth int) error
	walk = func(dir, rel string, depth int) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && depth == 0 {
				return nil
			}
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if !e.IsDir() || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || !strings.Contains(name, "=") {
				continue
			}
			sub := filepath.Join(dir, name)
			r := name
			if rel != "" {
				r = rel + "/" + name
			}
			if _, err := os.Stat(ManifestPath(sub)); err == nil {
				out = append(out, r)
			}
			if depth < 3 {
				if err := walk(sub, r, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(datasetDir, "", 0); err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", datasetDir, err)
	}
	sort.Strings(out)
	return out, nil
}
