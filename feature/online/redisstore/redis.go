// Package redisstore is kiln's production online feature store: Redis,
// through github.com/redis/go-redis/v9. Importing it registers the URL
// schemes "redis" and "rediss" with package online:
//
//	import _ "github.com/kiln-data/kiln/feature/online/redisstore"
//	store, err := feature.OpenOnline(ctx, "redis://127.0.0.1:6379/0")
//
// Each record is a Redis string under kiln's key ("<group>:<version>:<entity
// key>"); metadata is a string under "meta:<group>:<version>". Put runs a
// Lua script per batch that compares the stored record's version with the
// new one byte by byte and writes only when the new one is not older, so
// the check and the write are atomic per key even with concurrent writers.
// All keys of one Put batch go to one Redis node: use a single Redis (or a
// primary with replicas), not Redis Cluster.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/kiln-data/kiln/feature/online"
)

func init() {
	open := func(ctx context.Context, u *url.URL) (online.Store, error) {
		opts, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redisstore: URL %s: %w", u.Redacted(), err)
		}
		s := New(redis.NewClient(opts))
		s.owned = true
		if err := s.c.Ping(ctx).Err(); err != nil {
			s.Close()
			return nil, fmt.Errorf("redisstore: ping %s: %w", u.Redacted(), err)
		}
		return s, nil
	}
	online.Register("redis", open)
	online.Register("rediss", open)
}

// batch is how many keys one script call or MGET carries.
const batch = 512

// putScript writes ARGV[i] to KEYS[i] unless the stored record's version
// (its first 48 bytes, lowercase hex) is greater. It compares bytes, not
// strings, so the server's locale cannot change the order.
var putScript = redis.NewScript(`
local n = 0
for i = 1, #KEYS do
  local v = ARGV[i]
  local cur = redis.call('GETRANGE', KEYS[i], 0, 47)
  local write = #cur < 48
  if not write then
    write = true
    for j = 1, 48 do
      local a, b = string.byte(cur, j), string.byte(v, j)
      if a ~= b then
        write = a < b
        break
      end
    end
  end
  if write then
    redis.call('SET', KEYS[i], v)
    n = n + 1
  end
end
return n
`)

// Store is an online store in Redis. It is safe for concurrent use.
type Store struct {
	c     redis.UniversalClient
	owned bool
}

// New returns a store using the client c. Close does not close a client
// passed to New.
func New(c redis.UniversalClient) *Store { return &Store{c: c} }

// Put implements online.Store: one script call per batch of keys, the
// batches pipelined.
func (s *Store) Put(ctx context.Context, entries []online.Entry) (int, error) {
	if len(entries) == 0 {
		return 0, ctx.Err()
	}
	if err := putScript.Load(ctx, s.c).Err(); err != nil {
		return 0, fmt.Errorf("redisstore: load script: %w", err)
	}
	written := 0
	const perPipe = 16
	for lo := 0; lo < len(entries); lo += batch * perPipe {
		hi := min(lo+batch*perPipe, len(entries))
		pipe := s.c.Pipeline()
		var cmds []*redis.Cmd
		for b := lo; b < hi; b += batch {
			e := entries[b:min(b+batch, hi)]
			keys := make([]string, len(e))
			args := make([]any, len(e))
			for i := range e {
				keys[i] = e[i].Key
				args[i] = online.Encode(e[i].Version, e[i].Value)
			}
			cmds = append(cmds, putScript.EvalSha(ctx, pipe, keys, args...))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return written, fmt.Errorf("redisstore: put: %w", err)
		}
		for _, c := range cmds {
			n, err := c.Int()
			if err != nil {
				return written, fmt.Errorf("redisstore: put: %w", err)
			}
			written += n
		}
	}
	return written, nil
}

// Get implements online.Store with GET for one key and MGET for more.
func (s *Store) Get(ctx context.Context, keys []string) ([]online.Item, error) {
	out := make([]online.Item, len(keys))
	if len(keys) == 1 {
		b, err := s.c.Get(ctx, keys[0]).Bytes()
		if errors.Is(err, redis.Nil) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("redisstore: get: %w", err)
		}
		if out[0], err = online.Decode(b); err != nil {
			return nil, fmt.Errorf("redisstore: key %q: %w", keys[0], err)
		}
		return out, nil
	}
	for lo := 0; lo < len(keys); lo += batch {
		hi := min(lo+batch, len(keys))
		vals, err := s.c.MGet(ctx, keys[lo:hi]...).Result()
		if err != nil {
			return nil, fmt.Errorf("redisstore: mget: %w", err)
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue
			}
			if out[lo+i], err = online.Decode([]byte(str)); err != nil {
				return nil, fmt.Errorf("redisstore: key %q: %w", keys[lo+i], err)
			}
		}
	}
	return out, nil
}

// Meta implements online.Store.
func (s *Store) Meta(ctx context.Context, key string) ([]byte, error) {
	b, err := s.c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: meta %q: %w", key, err)
	}
	return b, nil
}

// SetMeta implements online.Store.
func (s *Store) SetMeta(ctx context.Context, key string, value []byte) error {
	if err := s.c.Set(ctx, key, value, 0).Err(); err != nil {
		return fmt.Errorf("redisstore: set meta %q: %w", key, err)
	}
	return nil
}

// Close implements online.Store. It closes the client only when the store
// opened it (from a URL).
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.c.Close()
}
