package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func commitText(t *testing.T, final, staging, text string) error {
	return Commit(context.Background(), final, staging, func(dir string) ([]byte, error) {
		return []byte(`{"v":"` + text + `"}`), os.WriteFile(filepath.Join(dir, "data.txt"), []byte(text), 0o644)
	}, nil)
}

func read(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "data.txt"))
	require.NoError(t, err)
	return string(b)
}

func TestCommitReplacesAtomically(t *testing.T) {
	root := t.TempDir()
	final, staging := filepath.Join(root, "ds", "dt=2024-01-01"), filepath.Join(root, "_staging")
	require.NoError(t, commitText(t, final, staging, "one"))
	require.NoError(t, commitText(t, final, staging, "two"))
	assert.Equal(t, "two", read(t, final))
	b, err := ReadManifest(final)
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":"two"}`, string(b))
	entries, err := os.ReadDir(staging)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Equal(t, ".lock", filepath.Ext(e.Name()), "nothing but locks is left in staging")
	}
	parts, err := ListPartitions(filepath.Join(root, "ds"))
	require.NoError(t, err)
	assert.Equal(t, []string{"dt=2024-01-01"}, parts)
}

func TestCancelledCommitLeavesPrevious(t *testing.T) {
	root := t.TempDir()
	final, staging := filepath.Join(root, "ds", "all"), filepath.Join(root, "_staging")
	require.NoError(t, commitText(t, final, staging, "one"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Commit(ctx, final, staging, func(dir string) ([]byte, error) { return []byte("{}"), nil }, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "one", read(t, final))
}

// Without RENAME_EXCHANGE, a crash between the two renames of the fallback
// swap is repaired by the next commit or reader.
func TestFallbackSwapRecovers(t *testing.T) {
	exchangeFunc = func(a, b string) error { return errNoExchange }
	defer func() { exchangeFunc = exchange; afterAside = func() error { return nil } }()
	root := t.TempDir()
	final, staging := filepath.Join(root, "ds", "dt=2024-01-01"), filepath.Join(root, "_staging")
	require.NoError(t, commitText(t, final, staging, "one"))
	require.NoError(t, commitText(t, final, staging, "two"))
	assert.Equal(t, "two", read(t, final))

	crash := errors.New("killed between renames")
	afterAside = func() error { return crash }
	require.ErrorIs(t, commitText(t, final, staging, "three"), crash)
	_, err := os.Stat(final)
	assert.True(t, errors.Is(err, os.ErrNotExist), "the partition is aside, as after a crash")

	require.NoError(t, Recover(final, staging))
	assert.Equal(t, "two", read(t, final), "the previous partition is restored")

	afterAside = func() error { return nil }
	require.NoError(t, commitText(t, final, staging, "four"))
	assert.Equal(t, "four", read(t, final))
}
