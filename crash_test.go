package kiln_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// A commit stopped between its steps leaves the previous partition intact
// and readable, and the next run repairs everything.
func TestCrashMidCommitKeepsPreviousPartition(t *testing.T) {
	stop := errors.New("simulated crash")
	hooks := map[string]kiln.RunOption{
		"between data and manifest": kiln.WithCommitHooks(func() error { return stop }, nil),
		"between manifest and swap": kiln.WithCommitHooks(nil, func() error { return stop }),
	}
	for name, hook := range hooks {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			lake := t.TempDir()
			part := day("2024-03-02")
			_, err := testPipeline(t, lake, cfg5).Run(ctx, part)
			require.NoError(t, err)
			before := treeHashes(t, lake)

			changed := cfg5
			changed.Salt = 7
			_, err = testPipeline(t, lake, changed).Run(ctx, part, hook)
			require.ErrorIs(t, err, stop)
			assert.Equal(t, before, treeHashes(t, lake), "the previous partitions must be untouched")

			// The previous partition is still readable by a reader.
			p := kiln.New("reader", kiln.WithLake(t.TempDir()), kiln.WithLogger(discard()))
			p.Source("bronze.copy", source.Parquet(filepath.Join(lake, "bronze", "readings")))
			res, err := p.Run(ctx, part)
			require.NoError(t, err)
			n, _ := res.Node("bronze.copy")
			assert.EqualValues(t, 500, n.Rows)

		})
	}
}

// TestKilledProcessMidCommit kills a real process (SIGKILL) while it is
// committing, at both dangerous points, and checks that the previous
// partition survives and the next run cleans up and converges.
func TestKilledProcessMidCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes; skipped in -short mode")
	}
	for _, stage := range []string{"data", "manifest"} {
		t.Run(stage, func(t *testing.T) {
			ctx := context.Background()
			lake := t.TempDir()
			part := day("2024-03-02")
			_, err := testPipeline(t, lake, cfg5).Run(ctx, part)
			require.NoError(t, err)
			before := treeHashes(t, lake)

			marker := filepath.Join(t.TempDir(), "reached")
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
			cmd.Env = append(os.Environ(), "KILN_CRASH_LAKE="+lake, "KILN_CRASH_STAGE="+stage, "KILN_CRASH_MARKER="+marker)
			require.NoError(t, cmd.Start())
			deadline := time.Now().Add(60 * time.Second)
			for {
				if _, err := os.Stat(marker); err == nil {
					break
				}
				require.True(t, time.Now().Before(deadline), "child never reached the commit point")
				time.Sleep(10 * time.Millisecond)
			}
			require.NoError(t, cmd.Process.Kill())
			_ = cmd.Wait()

			assert.Equal(t, before, treeHashes(t, lake), "the previous partitions must be untouched")
			staging := filepath.Join(lake, "_kiln", "staging")
			assert.NotEmpty(t, nonLocks(t, staging), "the killed commit leaves staging behind")

			changed := cfg5
			changed.Salt = 7
			_, err = testPipeline(t, lake, changed).Run(ctx, part)
			require.NoError(t, err)
			assert.Empty(t, nonLocks(t, staging), "the next commit cleans staging leftovers")
			assert.NotEqual(t, before, treeHashes(t, lake))
		})
	}
}

func nonLocks(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".lock" {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestCrashChild is the process TestKilledProcessMidCommit kills.
func TestCrashChild(t *testing.T) {
	lake := os.Getenv("KILN_CRASH_LAKE")
	if lake == "" {
		t.Skip("helper process for TestKilledProcessMidCommit (runs when KILN_CRASH_LAKE is set)")
	}
	hang := func() error {
		os.WriteFile(os.Getenv("KILN_CRASH_MARKER"), nil, 0o644)
		time.Sleep(time.Hour)
		return nil
	}
	hook := kiln.WithCommitHooks(hang, nil)
	if os.Getenv("KILN_CRASH_STAGE") == "manifest" {
		hook = kiln.WithCommitHooks(nil, hang)
	}
	changed := cfg5
	changed.Salt = 7
	testPipeline(t, lake, changed).Run(context.Background(), day("2024-03-02"), hook)
}
