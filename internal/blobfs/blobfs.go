// Package blobfs gives kiln's file sources and sinks one view of local
// directories and object-store buckets, through gocloud.dev/blob.
//
// A location is a local path ("landing/events", "/data/x.csv") or a URL whose
// scheme names a gocloud.dev/blob driver: "file:///data/events",
// "mem://name", "s3://bucket/prefix?region=eu-west-1&endpoint=http://...",
// and "gs://" or "azblob://" when the program imports those drivers (see
// gocloud.dev/blob/gcsblob and gocloud.dev/blob/azureblob). Local paths and
// file:// URLs are served by fileblob; mem:// buckets live for the process
// and the same name always refers to the same bucket; other buckets are
// opened once per bucket URL and kept for the process.
//
// Keys are slash-separated and relative to an FS's root. Errors for missing
// objects wrap fs.ErrNotExist.
package blobfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
	"gocloud.dev/gcerrors"
)

// FS is a directory tree rooted at a local directory or a bucket prefix.
type FS struct {
	b      *blob.Bucket
	prefix string // key prefix of the root inside the bucket: "" or ending in "/"
	name   string // display name of the root, without query or trailing slash
	local  string // the root as a local directory, or "" for buckets
}

// Entry is one item of a listing.
type Entry struct {
	// Key is relative to the FS root; directory keys end with "/".
	Key string
	// IsDir reports a directory (a common key prefix in object stores).
	IsDir bool
	// Size, ModTime and MD5 describe objects (MD5 may be nil).
	Size    int64
	ModTime time.Time
	MD5     []byte
}

var schemeRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*)://`)

// IsURL reports whether the location is a URL rather than a local path.
func IsURL(location string) bool { return schemeRE.MatchString(location) }

// Split cuts a location at its first path segment holding a glob character
// ('*', '[', '{', and '?' in local paths; in URLs '?' starts the query):
// root is the location up to that segment (with the URL's query), pattern
// the slash-separated rest. A location without glob characters is cut before
// its last segment, so the pattern names a file or a directory; a location
// ending in "/" is all root.
func Split(location string) (root, pattern string) {
	p, query := location, ""
	if IsURL(location) {
		if i := strings.IndexByte(location, '?'); i >= 0 {
			p, query = location[:i], location[i:]
		}
	}
	start := 0
	if m := schemeRE.FindStringIndex(p); m != nil {
		start = m[1]
		// The bucket (host) is never part of the pattern.
		if i := strings.IndexByte(p[start:], '/'); i >= 0 {
			start += i + 1
		} else {
			return location, ""
		}
	}
	if strings.HasSuffix(p, "/") && !hasGlob(p[start:], !IsURL(location)) {
		return strings.TrimSuffix(p, "/") + query, ""
	}
	segs := strings.Split(p[start:], "/")
	cut := len(segs) - 1
	for i, s := range segs {
		if hasGlob(s, !IsURL(location)) {
			cut = i
			break
		}
	}
	head := strings.Join(segs[:cut], "/")
	root = p[:start] + head
	if !IsURL(location) && root == "" {
		root = "."
		if strings.HasPrefix(p, "/") {
			root = "/"
		}
	}
	if root != "/" {
		root = strings.TrimSuffix(root, "/")
	}
	return root + query, strings.Join(segs[cut:], "/")
}

func hasGlob(s string, question bool) bool {
	return strings.ContainsAny(s, "*[{") || (question && strings.Contains(s, "?"))
}

var (
	bucketsMu sync.Mutex
	buckets   = map[string]*blob.Bucket{}
)

// bucket returns the process-wide bucket for a bucket URL, opening it once.
func bucket(ctx context.Context, key string, open func() (*blob.Bucket, error)) (*blob.Bucket, error) {
	bucketsMu.Lock()
	defer bucketsMu.Unlock()
	if b, ok := buckets[key]; ok {
		return b, nil
	}
	b, err := open()
	if err != nil {
		return nil, err
	}
	buckets[key] = b
	return b, nil
}

// Open returns the FS rooted at a location without glob characters.
func Open(ctx context.Context, root string) (*FS, error) {
	if !IsURL(root) {
		return openLocal(ctx, root, filepath.Clean(filepath.FromSlash(root)))
	}
	u, err := url.Parse(root)
	if err != nil {
		return nil, fmt.Errorf("location %q: %w", root, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("location %q: file URLs need an absolute path (file:///dir)", root)
		}
		return openLocal(ctx, "file://"+path.Clean(u.Path), filepath.FromSlash(u.Path))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("location %q: no bucket name", root)
	}
	bucketURL := scheme + "://" + u.Host
	if u.RawQuery != "" {
		bucketURL += "?" + u.RawQuery
	}
	b, err := bucket(ctx, bucketURL, func() (*blob.Bucket, error) {
		if scheme == "mem" {
			return memblob.OpenBucket(nil), nil
		}
		b, err := blob.OpenBucket(ctx, bucketURL)
		if err != nil {
			return nil, fmt.Errorf("open bucket %s://%s: %w", scheme, u.Host, err)
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	prefix := strings.Trim(path.Clean("/"+u.Path), "/")
	name := scheme + "://" + u.Host
	if prefix != "" {
		name += "/" + prefix
		prefix += "/"
	}
	return &FS{b: b, prefix: prefix, name: name}, nil
}

// openLocal opens a local directory through a fileblob bucket at the volume
// root, so that any path below it is a key.
func openLocal(ctx context.Context, name, dir string) (*FS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("location %q: %w", name, err)
	}
	vol := filepath.VolumeName(abs) + string(filepath.Separator)
	b, err := bucket(ctx, "file://"+vol, func() (*blob.Bucket, error) {
		return fileblob.OpenBucket(vol, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	})
	if err != nil {
		return nil, fmt.Errorf("location %q: %w", name, err)
	}
	rel, err := filepath.Rel(vol, abs)
	if err != nil {
		return nil, fmt.Errorf("location %q: %w", name, err)
	}
	prefix := filepath.ToSlash(rel)
	if prefix == "." {
		prefix = ""
	} else {
		prefix += "/"
	}
	if !IsURL(name) {
		name = filepath.ToSlash(filepath.Clean(name))
	}
	return &FS{b: b, prefix: prefix, name: strings.TrimSuffix(name, "/"), local: abs}, nil
}

// Name returns the display name of the root: the location without its query.
func (f *FS) Name() string { return f.name }

// Path returns the display name of a key, for messages.
func (f *FS) Path(key string) string {
	if key == "" {
		return f.name
	}
	if f.name == "/" {
		return "/" + key
	}
	return f.name + "/" + key
}

// LocalPath returns the local file of a key, when the FS is on a local disk.
func (f *FS) LocalPath(key string) (string, bool) {
	if f.local == "" {
		return "", false
	}
	return filepath.Join(f.local, filepath.FromSlash(key)), true
}

// Sub returns the FS rooted at the directory dir (relative, slash-separated).
func (f *FS) Sub(dir string) *FS {
	dir = strings.Trim(dir, "/")
	if dir == "" {
		return f
	}
	g := *f
	g.prefix = f.prefix + dir + "/"
	g.name = f.Path(dir)
	if f.local != "" {
		g.local = filepath.Join(f.local, filepath.FromSlash(dir))
	}
	return &g
}

func (f *FS) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%s %s: %w", op, f.Path(key), fs.ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, f.Path(key), err)
}

// List returns the entries directly under the directory dir ("" for the
// root, otherwise ending in "/"), sorted by key. A missing directory is
// empty.
func (f *FS) List(ctx context.Context, dir string) ([]Entry, error) {
	it := f.b.List(&blob.ListOptions{Prefix: f.prefix + dir, Delimiter: "/"})
	var out []Entry
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if f.local != "" && errors.Is(err, fs.ErrNotExist) {
				break
			}
			return nil, f.wrap("list", dir, err)
		}
		key := strings.TrimPrefix(o.Key, f.prefix)
		if key == "" || key == dir {
			continue
		}
		out = append(out, Entry{Key: key, IsDir: o.IsDir, Size: o.Size, ModTime: o.ModTime, MD5: o.MD5})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Stat describes the object key.
func (f *FS) Stat(ctx context.Context, key string) (Entry, error) {
	a, err := f.b.Attributes(ctx, f.prefix+key)
	if err != nil {
		return Entry{}, f.wrap("stat", key, err)
	}
	return Entry{Key: key, Size: a.Size, ModTime: a.ModTime, MD5: a.MD5}, nil
}

// Exists reports whether the object key exists.
func (f *FS) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := f.b.Exists(ctx, f.prefix+key)
	return ok, f.wrap("stat", key, err)
}

// Open opens the object key for reading.
func (f *FS) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := f.b.NewReader(ctx, f.prefix+key, nil)
	if err != nil {
		return nil, f.wrap("open", key, err)
	}
	return &reader{r: r, f: f, key: key}, nil
}

type reader struct {
	r   *blob.Reader
	f   *FS
	key string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = r.f.wrap("read", r.key, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.r.Close() }

// ReadAll reads the whole object key.
func (f *FS) ReadAll(ctx context.Context, key string) ([]byte, error) {
	b, err := f.b.ReadAll(ctx, f.prefix+key)
	return b, f.wrap("read", key, err)
}

// ReadRange reads up to n bytes of the object key from offset off.
func (f *FS) ReadRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	r, err := f.b.NewRangeReader(ctx, f.prefix+key, off, n, nil)
	if err != nil {
		return nil, f.wrap("read", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return b, f.wrap("read", key, err)
}

// Write stores data as the object key, replacing it whole: readers see the
// old or the new object, never a part.
func (f *FS) Write(ctx context.Context, key string, data []byte) error {
	return f.wrap("write", key, f.b.WriteAll(ctx, f.prefix+key, data, nil))
}

// Delete removes the object key; a missing object is not an error.
func (f *FS) Delete(ctx context.Context, key string) error {
	err := f.b.Delete(ctx, f.prefix+key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return f.wrap("delete", key, err)
}
