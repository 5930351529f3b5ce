package transformtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
}

type Row struct {
	K string `kiln:"k"`
	V int64  `kiln:"v"`
}

type scaleCfg struct {
	Factor int64 `json:"factor"`
}

func scale(version string, offset int64) kiln.Transform {
	return kiln.Func("test.scale", version, func(_ *kiln.Context, cfg scaleCfg, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[Row](in)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i].V = rows[i].V*cfg.Factor + offset
		}
		return kiln.TableOf(rows)
	}).With(scaleCfg{Factor: 10})
}

func input(t *testing.T) []arrow.Table {
	tbl, err := kiln.TableOf([]Row{{"a", 1}, {"b", 2}, {"c", 3}})
	require.NoError(t, err)
	return []arrow.Table{tbl}
}

func withUpdate(f func()) {
	*update = true
	defer func() { *update = false }()
	f()
}

func TestGoldenWritesComparesAndAsksForABump(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "scale")

	// -update writes the file.
	withUpdate(func() { Golden(t, scale("v1", 0), input(t), path) })
	b, err := os.ReadFile(path + ".golden")
	require.NoError(t, err)
	assert.Contains(t, string(b), "transform: test.scale\nversion: v1\nconfig: {\"factor\":10}\ncontent: blake3:")
	assert.Contains(t, string(b), `{"k": "b", "v": 20}`)

	// Same output: passes.
	r := &recorder{TB: t}
	Golden(r, scale("v1", 0), input(t), path)
	assert.Empty(t, r.errors)

	// Changed output, unchanged version: "bump the version".
	r = &recorder{TB: t}
	Golden(r, scale("v1", 1), input(t), path)
	require.Len(t, r.errors, 1)
	assert.Contains(t, r.errors[0], `the output of test.scale changed but its version "v1" did not: bump the version`)
	assert.Contains(t, r.errors[0], `want:   {"k": "a", "v": 10}`)
	assert.Contains(t, r.errors[0], `got:    {"k": "a", "v": 11}`)

	// Changed output with a bumped version: asks for -update, which rewrites.
	r = &recorder{TB: t}
	Golden(r, scale("v2", 1), input(t), path)
	require.Len(t, r.errors, 1)
	assert.Contains(t, r.errors[0], "rerun with -update to accept it")
	withUpdate(func() { Golden(t, scale("v2", 1), input(t), path) })
	r = &recorder{TB: t}
	Golden(r, scale("v2", 1), input(t), path)
	assert.Empty(t, r.errors)

	// A missing file says how to create it.
	r = &recorder{TB: t}
	Golden(r, scale("v2", 1), input(t), filepath.Join(t.TempDir(), "none"))
	require.True(t, r.fatal)
	assert.Contains(t, r.errors[0], "-update")
}

func TestRenderIsStable(t *testing.T) {
	a, err := Render(scale("v1", 0), input(t), kiln.All)
	require.NoError(t, err)
	b, err := Render(scale("v1", 0), input(t), kiln.All)
	require.NoError(t, err)
	assert.Equal(t, a.Bytes(), b.Bytes())
}
