package feature

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kiln-data/kiln/internal/lake"
)

// ErrIncompatible reports a change to a registered feature group version
// that needs a new version (see ChangeError).
var ErrIncompatible = errors.New("incompatible feature group change")

// ErrNotRegistered reports a group version the registry does not hold.
var ErrNotRegistered = errors.New("feature group not registered")

// RegistryDir is where a lake keeps its feature registry, relative to the
// lake root: one JSON file per group version,
// <lake>/_feature/groups/<name>/v<version>.json.
const RegistryDir = "_feature"

// Registry lists and describes the feature groups registered in a lake.
// Each group version is one JSON file (a Definition), replaced atomically
// (written aside, synced, renamed), so readers see the old or the new file,
// never a mix. Registering the same version from two processes at once is
// last-writer-wins.
type Registry struct {
	root string
}

// OpenRegistry returns the registry of the lake directory lakeDir. It does
// not touch the file system.
func OpenRegistry(lakeDir string) *Registry {
	return &Registry{root: filepath.Join(lakeDir, RegistryDir)}
}

func (r *Registry) path(name string, version int) string {
	return filepath.Join(r.root, "groups", name, "v"+strconv.Itoa(version)+".json")
}

// Register records the group version. The first registration writes its
// definition. A later one with the same definition does nothing; with
// compatible changes (a new nullable feature, new descriptions, owners,
// tags, drift thresholds or TTL) it rewrites the definition and appends the
// changes to its history; with incompatible ones (a feature removed,
// renamed or retyped; other keys, time columns or dataset) it returns a
// *ChangeError (errors.Is(err, ErrIncompatible)) saying that a new version
// is required, and changes nothing.
//
// Register first checks the group against its node's planned schema and
// fills in missing feature types (see Group.Resolve).
func (r *Registry) Register(ctx context.Context, g *Group) (*Definition, error) {
	if err := g.Resolve(ctx); err != nil {
		return nil, err
	}
	next, err := g.Definition()
	if err != nil {
		return nil, err
	}
	old, err := r.Describe(g.Name, g.Version)
	switch {
	case errors.Is(err, ErrNotRegistered):
		return next, r.write(next)
	case err != nil:
		return nil, err
	}
	if old.Hash == next.Hash {
		return old, nil
	}
	changes, breaking := old.Compare(next)
	if len(breaking) > 0 {
		return nil, &ChangeError{Group: g.Name, Version: g.Version, Breaking: breaking}
	}
	if len(changes) == 0 {
		changes = []string{"definition changed"}
	}
	next.History = append(slices.Clone(old.History), Change{From: old.Hash, To: next.Hash, Changes: changes})
	return next, r.write(next)
}

func (r *Registry) write(d *Definition) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("feature registry: encode %s@%d: %w", d.Name, d.Version, err)
	}
	return writeAtomic(r.path(d.Name, d.Version), append(b, '\n'))
}

// writeAtomic writes b to path through a synced temporary file renamed over
// it.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("feature registry: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("feature registry: %w", err)
	}
	tmp := f.Name()
	f.Close()
	if err := lake.WriteFileSync(tmp, b); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("feature registry: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("feature registry: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Describe returns the registered definition of a group version; version 0
// means the latest. A missing one wraps ErrNotRegistered.
func (r *Registry) Describe(name string, version int) (*Definition, error) {
	if version == 0 {
		vs, err := r.versions(name)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("%w: %s (registry %s)", ErrNotRegistered, name, r.root)
		}
		version = vs[len(vs)-1]
	}
	path := r.path(name, version)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s@%d (registry %s)", ErrNotRegistered, name, version, r.root)
	}
	if err != nil {
		return nil, fmt.Errorf("feature registry: %w", err)
	}
	var d Definition
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("feature registry: %s: %w", path, err)
	}
	if d.Format < 1 || d.Format > DefinitionFormat {
		return nil, fmt.Errorf("feature registry: %s: format %d not supported (this kiln reads up to %d)", path, d.Format, DefinitionFormat)
	}
	return &d, nil
}

// versions returns a group's registered versions, ascending.
func (r *Registry) versions(name string) ([]int, error) {
	entries, err := os.ReadDir(filepath.Join(r.root, "groups", name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feature registry: %w", err)
	}
	var out []int
	for _, e := range entries {
		s, ok := strings.CutPrefix(e.Name(), "v")
		if !ok {
			continue
		}
		s, ok = strings.CutSuffix(s, ".json")
		if v, err := strconv.Atoi(s); ok && err == nil && v > 0 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, nil
}

// List returns every registered group version, ordered by name and then
// version.
func (r *Registry) List() ([]*Definition, error) {
	entries, err := os.ReadDir(filepath.Join(r.root, "groups"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feature registry: %w", err)
	}
	var out []*Definition
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		vs, err := r.versions(e.Name())
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			d, err := r.Describe(e.Name(), v)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *Definition) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	return out, nil
}
