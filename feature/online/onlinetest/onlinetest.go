// Package onlinetest is the conformance suite every online store
// implementation must pass (as gocloud.dev's drivertest is for its
// drivers): call Run from the implementation's tests with a function that
// opens a fresh, empty store.
//
//	func TestConformance(t *testing.T) {
//		onlinetest.Run(t, func(t *testing.T) online.Store { return openEmpty(t) })
//	}
package onlinetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/feature/online"
)

// Opener returns a new, empty store; Run closes it.
type Opener func(t *testing.T) online.Store

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(*testing.T, online.Store)
	}{
		{"MissingKeys", missingKeys},
		{"RoundTrip", roundTrip},
		{"NewerWins", newerWins},
		{"OlderIgnored", olderIgnored},
		{"EqualVersionRewrites", equalVersionRewrites},
		{"VersionOrder", versionOrder},
		{"DuplicateKeysInBatch", duplicateKeysInBatch},
		{"BinaryValuesAndKeys", binaryValuesAndKeys},
		{"LargeBatch", largeBatch},
		{"EmptyPut", emptyPut},
		{"Meta", meta},
		{"ConcurrentWriters", concurrentWriters},
		{"CancelledContext", cancelled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			defer func() { assert.NoError(t, s.Close()) }()
			c.fn(t, s)
		})
	}
}

func v(event int64) online.Version { return online.MakeVersion(event, 0, 0) }

func get1(t *testing.T, s online.Store, key string) online.Item {
	t.Helper()
	items, err := s.Get(context.Background(), []string{key})
	require.NoError(t, err)
	require.Len(t, items, 1)
	return items[0]
}

func missingKeys(t *testing.T, s online.Store) {
	items, err := s.Get(context.Background(), []string{"g:1:nope", "g:1:nada"})
	require.NoError(t, err)
	require.Len(t, items, 2)
	assert.False(t, items[0].Found)
	assert.False(t, items[1].Found)
	assert.False(t, get1(t, s, "g:1:nope").Found)
}

func roundTrip(t *testing.T, s online.Store) {
	ctx := context.Background()
	n, err := s.Put(ctx, []online.Entry{
		{Key: "g:1:a", Version: online.MakeVersion(10, 11, 12), Value: []byte("alpha")},
		{Key: "g:1:b", Version: v(20), Value: []byte{}},
	})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	items, err := s.Get(ctx, []string{"g:1:b", "g:1:missing", "g:1:a"})
	require.NoError(t, err)
	require.Len(t, items, 3)
	assert.True(t, items[0].Found)
	assert.Empty(t, items[0].Value)
	assert.False(t, items[1].Found)
	assert.True(t, items[2].Found)
	assert.Equal(t, "alpha", string(items[2].Value))
	assert.Equal(t, int64(10), items[2].Version.Event())
	assert.Equal(t, int64(11), items[2].Version.Created())
	assert.Equal(t, uint64(12), items[2].Version.Seq())
}

func newerWins(t *testing.T, s online.Store) {
	ctx := context.Background()
	_, err := s.Put(ctx, []online.Entry{{Key: "k", Version: v(1), Value: []byte("old")}})
	require.NoError(t, err)
	n, err := s.Put(ctx, []online.Entry{{Key: "k", Version: v(2), Value: []byte("new")}})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, "new", string(get1(t, s, "k").Value))
}

func olderIgnored(t *testing.T, s online.Store) {
	ctx := context.Background()
	_, err := s.Put(ctx, []online.Entry{{Key: "k", Version: v(5), Value: []byte("new")}})
	require.NoError(t, err)
	n, err := s.Put(ctx, []online.Entry{{Key: "k", Version: v(4), Value: []byte("old")}})
	require.NoError(t, err)
	assert.Equal(t, 0, n, "an older version must not be written")
	it := get1(t, s, "k")
	assert.Equal(t, "new", string(it.Value))
	assert.Equal(t, int64(5), it.Version.Event())
}

func equalVersionRewrites(t *testing.T, s online.Store) {
	ctx := context.Background()
	_, err := s.Put(ctx, []online.Entry{{Key: "k", Version: v(5), Value: []byte("a")}})
	require.NoError(t, err)
	n, err := s.Put(ctx, []online.Entry{{Key: "k", Version: v(5), Value: []byte("b")}})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, "b", string(get1(t, s, "k").Value))
}

// versionOrder checks signed ordering on every version field: negative
// times, created breaking event ties, sequence breaking created ties.
func versionOrder(t *testing.T, s online.Store) {
	ctx := context.Background()
	steps := []online.Version{
		online.MakeVersion(-1<<62, -5, 0),
		online.MakeVersion(-1, 0, 0),
		online.MakeVersion(0, -1, 0),
		online.MakeVersion(0, 0, 0),
		online.MakeVersion(0, 0, 1),
		online.MakeVersion(0, 0, 1<<63),
		online.MakeVersion(0, 1, 0),
		online.MakeVersion(1<<62, 0, 0),
	}
	for i, ver := range steps {
		n, err := s.Put(ctx, []online.Entry{{Key: "ord", Version: ver, Value: fmt.Appendf(nil, "%d", i)}})
		require.NoError(t, err)
		assert.Equal(t, 1, n, "step %d", i)
		if i > 0 {
			n, err := s.Put(ctx, []online.Entry{{Key: "ord", Version: steps[i-1], Value: []byte("stale")}})
			require.NoError(t, err)
			assert.Equal(t, 0, n, "step %d: the previous version must lose", i)
		}
	}
	assert.Equal(t, fmt.Sprint(len(steps)-1), string(get1(t, s, "ord").Value))
}

func duplicateKeysInBatch(t *testing.T, s online.Store) {
	ctx := context.Background()
	_, err := s.Put(ctx, []online.Entry{
		{Key: "d", Version: v(3), Value: []byte("3")},
		{Key: "d", Version: v(1), Value: []byte("1")},
		{Key: "d", Version: v(2), Value: []byte("2")},
	})
	require.NoError(t, err)
	assert.Equal(t, "3", string(get1(t, s, "d").Value))
}

func binaryValuesAndKeys(t *testing.T, s online.Store) {
	ctx := context.Background()
	val := make([]byte, 256)
	for i := range val {
		val[i] = byte(i)
	}
	keys := []string{"grp:1:a:b", "grp:1:ünï:code", "grp:1:with space", "grp:1:\\:esc"}
	var es []online.Entry
	for _, k := range keys {
		es = append(es, online.Entry{Key: k, Version: v(1), Value: val})
	}
	_, err := s.Put(ctx, es)
	require.NoError(t, err)
	items, err := s.Get(ctx, keys)
	require.NoError(t, err)
	for i, it := range items {
		assert.True(t, it.Found, keys[i])
		assert.Equal(t, val, it.Value, keys[i])
	}
}

func largeBatch(t *testing.T, s online.Store) {
	ctx := context.Background()
	const n = 5000
	es := make([]online.Entry, n)
	keys := make([]string, n)
	for i := range es {
		keys[i] = fmt.Sprintf("big:1:%d", i)
		es[i] = online.Entry{Key: keys[i], Version: v(int64(i)), Value: fmt.Appendf(nil, "v%d", i)}
	}
	w, err := s.Put(ctx, es)
	require.NoError(t, err)
	assert.Equal(t, n, w)
	items, err := s.Get(ctx, keys)
	require.NoError(t, err)
	require.Len(t, items, n)
	for i, it := range items {
		if !assert.True(t, it.Found, keys[i]) {
			break
		}
		if !assert.Equal(t, fmt.Sprintf("v%d", i), string(it.Value)) {
			break
		}
	}
	w, err = s.Put(ctx, es)
	require.NoError(t, err)
	assert.Equal(t, n, w, "equal versions are rewritten")
}

func emptyPut(t *testing.T, s online.Store) {
	n, err := s.Put(context.Background(), nil)
	require.NoError(t, err)
	assert.Zero(t, n)
	items, err := s.Get(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, items)
}

func meta(t *testing.T, s online.Store) {
	ctx := context.Background()
	m, err := s.Meta(ctx, "meta:g:1")
	require.NoError(t, err)
	assert.Nil(t, m)
	require.NoError(t, s.SetMeta(ctx, "meta:g:1", []byte(`{"a":1}`)))
	require.NoError(t, s.SetMeta(ctx, "meta:g:2", []byte(`{"b":2}`)))
	require.NoError(t, s.SetMeta(ctx, "meta:g:1", []byte(`{"a":2}`)))
	m, err = s.Meta(ctx, "meta:g:1")
	require.NoError(t, err)
	assert.Equal(t, `{"a":2}`, string(m))
	m, err = s.Meta(ctx, "meta:g:2")
	require.NoError(t, err)
	assert.Equal(t, `{"b":2}`, string(m))
}

// concurrentWriters races writers of interleaved versions; the highest
// version must win whatever the order.
func concurrentWriters(t *testing.T, s online.Store) {
	ctx := context.Background()
	const writers, rounds, keys = 4, 20, 10
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				var es []online.Entry
				for k := range keys {
					ver := int64(r*writers + w)
					es = append(es, online.Entry{Key: fmt.Sprintf("cc:1:%d", k), Version: v(ver), Value: fmt.Appendf(nil, "%d", ver)})
				}
				if _, err := s.Put(ctx, es); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	top := fmt.Sprint(rounds*writers - 1)
	for k := range keys {
		assert.Equal(t, top, string(get1(t, s, fmt.Sprintf("cc:1:%d", k)).Value))
	}
}

func cancelled(t *testing.T, s online.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Put(ctx, []online.Entry{{Key: "c", Version: v(1), Value: []byte("x")}})
	assert.Error(t, err)
	assert.False(t, get1(t, s, "c").Found, "a cancelled Put writes nothing")
}
