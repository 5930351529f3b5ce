// Package online defines the small interface an online feature store
// implements, the stored record layout every implementation shares, and a
// registry of implementations opened by URL, in the manner of database/sql
// drivers and gocloud.dev's portable types.
//
// Users seldom call this package directly: feature.OpenOnline opens a store
// by URL and does the encoding. Implementations:
//
//	bolt:///var/lib/kiln/features.db   embedded file store (package boltstore; always linked in by package feature)
//	redis://127.0.0.1:6379/0           Redis (package redisstore; import it for its side effect)
//
// Every implementation passes the conformance suite in package onlinetest.
//
// # Records
//
// A store maps string keys (kiln uses "<group>:<version>:<entity key>") to
// records. A record is a Version (24 bytes: event time, created time and a
// sequence number, each big-endian with the sign bit flipped, so that byte
// order is version order) and an opaque value. It is stored as the 48
// lowercase hex digits of the version followed by the value bytes, so a
// plain string comparison of the first 48 bytes orders versions in any
// store, including inside Redis scripts. Put never replaces a record with
// one of a lower version: materializing old data after new data cannot
// roll a value back. Metadata lives under separate keys
// ("meta:<group>:<version>") and is written whole.
package online

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// VersionSize is the size of a Version in bytes; a stored record starts
// with twice as many hex digits.
const VersionSize = 24

// Version orders the records of one key: byte order is version order.
type Version [VersionSize]byte

// MakeVersion builds a version from an event time, a created time and a
// sequence number (all compared as signed, in that order).
func MakeVersion(event, created int64, seq uint64) Version {
	var v Version
	binary.BigEndian.PutUint64(v[0:8], uint64(event)^(1<<63))
	binary.BigEndian.PutUint64(v[8:16], uint64(created)^(1<<63))
	binary.BigEndian.PutUint64(v[16:24], seq)
	return v
}

// Event returns the version's event time.
func (v Version) Event() int64 { return int64(binary.BigEndian.Uint64(v[0:8]) ^ (1 << 63)) }

// Created returns the version's created time.
func (v Version) Created() int64 { return int64(binary.BigEndian.Uint64(v[8:16]) ^ (1 << 63)) }

// Seq returns the version's sequence number.
func (v Version) Seq() uint64 { return binary.BigEndian.Uint64(v[16:24]) }

// Entry is a record to write.
type Entry struct {
	Key     string
	Version Version
	Value   []byte
}

// Item is a record read back. Found is false when the key has no record.
type Item struct {
	Found   bool
	Version Version
	Value   []byte
}

// Store is an online feature store: a key-value store that keeps, per key,
// the record of the highest version written. Implementations must be safe
// for concurrent use.
type Store interface {
	// Put writes the entries. An entry replaces the stored record of its
	// key only when its version is greater than or equal to the stored
	// one; otherwise it is ignored. Put is atomic per key, not across
	// keys. It returns how many entries were written.
	Put(ctx context.Context, entries []Entry) (written int, err error)
	// Get returns the records of keys, in order (Found false for a
	// missing key).
	Get(ctx context.Context, keys []string) ([]Item, error)
	// Meta returns the metadata stored under key, or nil when there is
	// none.
	Meta(ctx context.Context, key string) ([]byte, error)
	// SetMeta replaces the metadata stored under key.
	SetMeta(ctx context.Context, key string, value []byte) error
	// Close releases the store's resources.
	Close() error
}

// Encode returns the stored form of a record: hex(version) + value.
func Encode(v Version, value []byte) []byte {
	out := make([]byte, 2*VersionSize+len(value))
	hex.Encode(out, v[:])
	copy(out[2*VersionSize:], value)
	return out
}

// ErrCorrupt reports a stored record that is not in the record layout.
var ErrCorrupt = errors.New("online: corrupt record")

// Decode parses a stored record. The value aliases raw.
func Decode(raw []byte) (Item, error) {
	if len(raw) < 2*VersionSize {
		return Item{}, fmt.Errorf("%w: %d bytes, shorter than a version", ErrCorrupt, len(raw))
	}
	var it Item
	if _, err := hex.Decode(it.Version[:], raw[:2*VersionSize]); err != nil {
		return Item{}, fmt.Errorf("%w: version: %v", ErrCorrupt, err)
	}
	it.Found, it.Value = true, raw[2*VersionSize:]
	return it, nil
}

// Newer reports whether the stored record raw should be replaced by an
// entry with version v (raw is missing, corrupt, or of a version <= v).
func Newer(raw []byte, v Version) bool {
	if len(raw) < 2*VersionSize {
		return true
	}
	var hv [2 * VersionSize]byte
	hex.Encode(hv[:], v[:])
	return string(raw[:2*VersionSize]) <= string(hv[:])
}

// Opener opens a store from a URL of its scheme.
type Opener func(ctx context.Context, u *url.URL) (Store, error)

var (
	mu      sync.RWMutex
	openers = map[string]Opener{}
)

// Register makes a store implementation available under a URL scheme.
// It panics when the scheme is taken, as database/sql.Register does; call it
// from an init function.
func Register(scheme string, open Opener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := openers[scheme]; dup || open == nil {
		panic("online: Register called twice or with nil for scheme " + scheme)
	}
	openers[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(openers))
	for s := range openers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open opens the store a URL names, with the implementation registered for
// its scheme.
func Open(ctx context.Context, rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("online: store URL: %w", err)
	}
	mu.RLock()
	open := openers[strings.ToLower(u.Scheme)]
	mu.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("online: no store for scheme %q in %q (registered: %s; import its package, e.g. feature/online/redisstore)",
			u.Scheme, redact(u), strings.Join(Schemes(), ", "))
	}
	return open(ctx, u)
}

// redact hides a URL's password.
func redact(u *url.URL) string { return u.Redacted() }
