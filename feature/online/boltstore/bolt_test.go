package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/feature/online"
	"github.com/kiln-data/kiln/feature/online/boltstore"
	"github.com/kiln-data/kiln/feature/online/onlinetest"
)

func TestConformance(t *testing.T) {
	onlinetest.Run(t, func(t *testing.T) online.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "features.db"))
		require.NoError(t, err)
		return s
	})
}

func TestOpenByURL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	s, err := online.Open(ctx, "bolt://"+path)
	require.NoError(t, err)
	_, err = s.Put(ctx, []online.Entry{{Key: "g:1:1", Version: online.MakeVersion(1, 0, 0), Value: []byte("x")}})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	// Reopened, the record is still there (durable).
	s, err = online.Open(ctx, "bolt://"+path)
	require.NoError(t, err)
	defer s.Close()
	items, err := s.Get(ctx, []string{"g:1:1"})
	require.NoError(t, err)
	assert.Equal(t, "x", string(items[0].Value))

	_, err = online.Open(ctx, "bolt://host/x.db")
	assert.ErrorContains(t, err, "has a host")
	_, err = online.Open(ctx, "nosuch://x")
	assert.ErrorContains(t, err, `no store for scheme "nosuch"`)
}
