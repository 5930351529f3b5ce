// Package boltstore is kiln's embedded online feature store: one bbolt file
// (go.etcd.io/bbolt), no server. It registers the URL scheme "bolt":
//
//	bolt:///var/lib/kiln/features.db   (absolute path)
//	bolt:features.db                   (relative to the working directory)
//
// Records live in the bucket "features" and metadata in the bucket "meta",
// both keyed by kiln's key strings. Guarantees are bbolt's: a Put is one
// read-write transaction, fsynced before it returns (durable and atomic as
// a whole); reads run in read-only transactions and see a consistent
// snapshot; any number of goroutines may read while one writes. A file is
// opened by one process at a time (bbolt holds a file lock; Open waits at
// most 5 seconds for it).
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kiln-data/kiln/feature/online"
)

var (
	bucketFeatures = []byte("features")
	bucketMeta     = []byte("meta")
)

func init() {
	online.Register("bolt", func(ctx context.Context, u *url.URL) (online.Store, error) {
		path := u.Path
		if u.Opaque != "" {
			path = u.Opaque
		}
		if u.Host != "" {
			return nil, fmt.Errorf("boltstore: URL %q has a host: write bolt:///abs/path or bolt:rel/path", u.String())
		}
		if path == "" {
			return nil, fmt.Errorf("boltstore: URL %q has no file path", u.String())
		}
		return Open(path)
	})
}

// Store is an online store in a bbolt file.
type Store struct {
	db *bolt.DB
}

// Open opens (creating if needed) the store file at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketFeatures); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketMeta)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Put implements online.Store in one transaction.
func (s *Store) Put(ctx context.Context, entries []online.Entry) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	written := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFeatures)
		written = 0
		for i, e := range entries {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			k := []byte(e.Key)
			if !online.Newer(b.Get(k), e.Version) {
				continue
			}
			if err := b.Put(k, online.Encode(e.Version, e.Value)); err != nil {
				return fmt.Errorf("key %q: %w", e.Key, err)
			}
			written++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("boltstore: put: %w", err)
	}
	return written, nil
}

// Get implements online.Store in one read-only transaction.
func (s *Store) Get(ctx context.Context, keys []string) ([]online.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]online.Item, len(keys))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFeatures)
		for i, k := range keys {
			raw := b.Get([]byte(k))
			if raw == nil {
				continue
			}
			// bbolt's memory is valid only inside the transaction.
			it, err := online.Decode(append([]byte(nil), raw...))
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			out[i] = it
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: get: %w", err)
	}
	return out, nil
}

// Meta implements online.Store.
func (s *Store) Meta(ctx context.Context, key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(key)); v != nil {
			out = append([]byte{}, v...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: meta %q: %w", key, err)
	}
	return out, nil
}

// SetMeta implements online.Store.
func (s *Store) SetMeta(ctx context.Context, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(key), value)
	})
	if err != nil {
		return fmt.Errorf("boltstore: set meta %q: %w", key, err)
	}
	return nil
}

// Close implements online.Store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil && !errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}
