//go:build !unix

package lake

// lock is a no-op where flock is not available; commits of the same
// partition from several processes must then be serialized by the caller.
func lock(path string) (func(), error) { return func() {}, nil }

func syncDir(dir string) error { return nil }
