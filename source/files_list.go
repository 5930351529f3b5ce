package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/blobfs"
)

// fileRef is a file found by listing.
type fileRef struct {
	key  string // relative to the FS root
	size int64
	mod  time.Time
	md5  []byte
}

// list opens the source's root and returns the files of partition part,
// sorted by key.
func (s *FileSource) list(ctx context.Context, part kiln.Partition) (*blobfs.FS, []fileRef, error) {
	fsys, err := blobfs.Open(ctx, s.root)
	if err != nil {
		return nil, nil, fmt.Errorf("%s source: %w", s.opts.cfg.Format, err)
	}
	files, err := listFiles(ctx, fsys, s.pattern, part, s.format.exts())
	if err != nil {
		return nil, nil, fmt.Errorf("%s source %s: %w", s.opts.cfg.Format, s.opts.cfg.Location, err)
	}
	return fsys, files, nil
}

// partitionValues returns the placeholder values of a partition, and the
// hive keys to prune directories by (with the key that must appear first).
func partitionValues(p kiln.Partition) (vals map[string]string, hive map[string]string, key string) {
	vals, hive = map[string]string{}, map[string]string{}
	switch p.Grain() {
	case kiln.GrainDay, kiln.GrainHour:
		t := p.Start()
		vals["dt"] = t.Format(time.DateOnly)
		vals["yyyy"], vals["mm"], vals["dd"] = t.Format("2006"), t.Format("01"), t.Format("02")
		hive["dt"], key = vals["dt"], "dt"
		if p.Grain() == kiln.GrainHour {
			vals["hour"] = t.Format("15")
			hive["hour"] = vals["hour"]
		}
	case kiln.GrainStatic:
		k, v, _ := strings.Cut(p.String(), "=")
		vals[k], hive[k], key = v, v, k
	}
	return vals, hive, key
}

// expand fills the pattern's {placeholders} from the partition (with "*"
// for the All partition).
func expand(pattern string, p kiln.Partition, vals map[string]string) (string, bool, error) {
	if !strings.Contains(pattern, "{") {
		return pattern, false, nil
	}
	var b strings.Builder
	rest := pattern
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), true, nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", false, fmt.Errorf("pattern %q: unclosed '{'", pattern)
		}
		name := rest[i+1 : i+j]
		b.WriteString(rest[:i])
		switch v, ok := vals[name]; {
		case p.IsAll():
			b.WriteByte('*')
		case ok:
			b.WriteString(v)
		default:
			return "", false, fmt.Errorf("pattern %q: placeholder {%s} has no value for partition %s", pattern, name, p)
		}
		rest = rest[i+j+1:]
	}
}

// lister walks a directory tree matching a pattern.
type lister struct {
	fsys   *blobfs.FS
	exts   []string
	hive   map[string]string // directory key=value pruning
	key    string            // the partition key that must appear in paths
	sawKey bool
	out    []fileRef
}

// listFiles returns the files under fsys matching pattern for partition p:
// a literal pattern names one file or a directory; a directory (a pattern
// ending in '/' or empty) contributes every file below it with one of exts
// whose path has no element starting with '_' or '.'.
func listFiles(ctx context.Context, fsys *blobfs.FS, pattern string, p kiln.Partition, exts []string) ([]fileRef, error) {
	vals, hive, key := partitionValues(p)
	pattern, placeholders, err := expand(pattern, p, vals)
	if err != nil {
		return nil, err
	}
	l := &lister{fsys: fsys, exts: exts}
	if !placeholders && !p.IsAll() {
		l.hive, l.key = hive, key
	}
	var segs []string
	if pattern != "" {
		segs = strings.Split(pattern, "/")
	}
	if err := l.walk(ctx, "", segs); err != nil {
		return nil, err
	}
	if l.key != "" {
		// Only files below a key=value directory belong to a partition.
		l.out = slices.DeleteFunc(l.out, func(f fileRef) bool {
			return !slices.ContainsFunc(strings.Split(f.key, "/"), func(e string) bool { return strings.HasPrefix(e, l.key+"=") })
		})
		if !l.sawKey && len(l.out) == 0 {
			found, err := l.anyFile(ctx, segs)
			if err != nil {
				return nil, err
			}
			if found {
				return nil, fmt.Errorf("files are not partitioned by %s: no %s=... directories and no {%s} placeholder in the pattern (read them as an unpartitioned node, or add the placeholder)", l.key, l.key, l.key)
			}
		}
	}
	slices.SortFunc(l.out, func(a, b fileRef) int { return strings.Compare(a.key, b.key) })
	l.out = slices.CompactFunc(l.out, func(a, b fileRef) bool { return a.key == b.key })
	return l.out, nil
}

// anyFile reports whether the pattern matches any file at all, ignoring the
// partition.
func (l *lister) anyFile(ctx context.Context, segs []string) (bool, error) {
	m := &lister{fsys: l.fsys, exts: l.exts}
	if err := m.walk(ctx, "", segs); err != nil {
		return false, err
	}
	return len(m.out) > 0, nil
}

func (l *lister) walk(ctx context.Context, dir string, segs []string) error {
	entries, err := l.fsys.List(ctx, dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return l.match(ctx, dir, entries, segs)
}

// keep reports whether a directory survives hive pruning.
func (l *lister) keep(name string) bool {
	k, v, ok := strings.Cut(name, "=")
	if !ok || l.hive == nil {
		return true
	}
	if k == l.key {
		l.sawKey = true
	}
	want, ok := l.hive[k]
	return !ok || v == want
}

func hidden(name string) bool { return strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") }

func (l *lister) match(ctx context.Context, dir string, entries []blobfs.Entry, segs []string) error {
	for len(segs) > 1 && segs[0] == "**" && segs[1] == "**" {
		segs = segs[1:]
	}
	if len(segs) == 0 || (len(segs) == 1 && (segs[0] == "" || segs[0] == "**")) {
		return l.all(ctx, dir, entries)
	}
	seg := segs[0]
	if seg == "**" {
		if err := l.match(ctx, dir, entries, segs[1:]); err != nil {
			return err
		}
		for _, e := range entries {
			name := base(dir, e)
			if e.IsDir && !hidden(name) && l.keep(name) {
				if err := l.walk(ctx, e.Key, segs); err != nil {
					return err
				}
			}
		}
		return nil
	}
	last := len(segs) == 1
	for _, e := range entries {
		name := base(dir, e)
		ok, err := path.Match(seg, name)
		if err != nil {
			return fmt.Errorf("pattern segment %q: %w", seg, err)
		}
		if !ok || (hidden(name) && !hidden(seg)) {
			continue // like a shell, wildcards do not match hidden names
		}
		switch {
		case !e.IsDir && last:
			l.out = append(l.out, fileRef{key: e.Key, size: e.Size, mod: e.ModTime, md5: e.MD5})
		case e.IsDir && l.keep(name):
			next := segs[1:]
			if last {
				next = nil
			}
			if err := l.walk(ctx, e.Key, next); err != nil {
				return err
			}
		}
	}
	return nil
}

// all adds every data file below dir.
func (l *lister) all(ctx context.Context, dir string, entries []blobfs.Entry) error {
	for _, e := range entries {
		name := base(dir, e)
		if hidden(name) {
			continue
		}
		if e.IsDir {
			if l.keep(name) {
				if err := l.walk(ctx, e.Key, nil); err != nil {
					return err
				}
			}
			continue
		}
		if hasExt(name, l.exts) {
			l.out = append(l.out, fileRef{key: e.Key, size: e.Size, mod: e.ModTime, md5: e.MD5})
		}
	}
	return nil
}

func base(dir string, e blobfs.Entry) string {
	return strings.TrimSuffix(strings.TrimPrefix(e.Key, dir), "/")
}

func hasExt(name string, exts []string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, x := range exts {
		if strings.HasSuffix(name, x) {
			return true
		}
	}
	return false
}
