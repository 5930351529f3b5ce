package redisstore_test

import (
	"context"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/feature/online"
	"github.com/kiln-data/kiln/feature/online/onlinetest"
	"github.com/kiln-data/kiln/feature/online/redisstore"
)

func TestConformanceMiniredis(t *testing.T) {
	onlinetest.Run(t, func(t *testing.T) online.Store {
		m := miniredis.RunT(t)
		return redisstore.New(redis.NewClient(&redis.Options{Addr: m.Addr()}))
	})
}

// realRedisDB is the database these tests flush on the server named by
// KILN_TEST_REDIS_ADDR (package feature's tests use database 2).
const realRedisDB = 1

func TestConformanceRedis(t *testing.T) {
	addr := os.Getenv("KILN_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("set KILN_TEST_REDIS_ADDR=host:port to run against a real redis-server (eval \"$(bash .ci/redis.sh)\"); the tests flush its database 1")
	}
	onlinetest.Run(t, func(t *testing.T) online.Store {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: realRedisDB})
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.FlushDB(context.Background()).Err())
		return redisstore.New(c)
	})
}

func TestOpenByURL(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	s, err := online.Open(ctx, "redis://"+m.Addr()+"/0")
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.SetMeta(ctx, "meta:g:1", []byte("{}")))
	got, err := m.Get("meta:g:1")
	require.NoError(t, err)
	assert.Equal(t, "{}", got)

	_, err = online.Open(ctx, "redis://127.0.0.1:1/0?max_retries=-1&dial_timeout=200ms")
	assert.ErrorContains(t, err, "ping")
}
