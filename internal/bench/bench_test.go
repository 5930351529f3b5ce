package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary serve as the benchmark's child process.
func TestMain(m *testing.M) {
	if isChild() {
		return
	}
	m.Run()
}

// TestAgreement runs P1 and P2 in both engines at a small N and requires
// kiln's outputs to agree with DuckDB's value by value: the oracle for
// kiln's dedupe, group-by, rolling and as-of kernels.
func TestAgreement(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	rep, err := run(ctx, config{N: 300_000, Labels: 100_000, Work: work, Runs: 1, Threads: 2}, io.Discard)
	require.NoError(t, err)
	require.Len(t, rep.Results, 2)
	for _, res := range rep.Results {
		assert.True(t, res.Agree.OK(), "%s: %s", res.Work, res.Agree)
		assert.Positive(t, res.Kiln.Rows, res.Work)
		assert.Equal(t, res.Duck.Rows, res.Kiln.Rows, res.Work)
	}
	assert.Empty(t, rep.Interop)
	assert.Equal(t, int64(100_000), rep.Results[1].Kiln.Rows, "P2 has one row per label")
	var printed strings.Builder
	rep.print(&printed)
	assert.Contains(t, printed.String(), fmt.Sprintf("P1 rows: %d\n", rep.Results[0].Duck.Rows))
	assert.Contains(t, printed.String(), "yes (100000 rows, 14 columns)")
	assert.Contains(t, printed.String(), "DuckDB reads kiln's files: yes")

	// The data must exercise every path: duplicates to drop, null users,
	// labels with and without a match, windows holding several days.
	db, err := openDuck(ctx, 2)
	require.NoError(t, err)
	defer db.Close()
	var rows, distinct, nullUsers, purchases int64
	require.NoError(t, db.QueryRow(`SELECT count(*), count(DISTINCT event_id), count(*) FILTER (WHERE user_id IS NULL),
		count(*) FILTER (WHERE event_type = 'purchase' AND amount IS NOT NULL)
		FROM read_parquet(`+sqlString(filepath.Join(rep.Data, "events", "*", "*.parquet"))+`)`).
		Scan(&rows, &distinct, &nullUsers, &purchases))
	assert.Equal(t, int64(300_000), rows)
	assert.InDelta(t, 0.005, float64(rows-distinct)/float64(rows), 0.0005, "duplicate share")
	assert.InDelta(t, 0.001, float64(nullUsers)/float64(rows), 0.0005, "null user share")
	assert.InDelta(t, 0.05, float64(purchases)/float64(rows), 0.005, "purchase share")

	kp2 := filepath.Join(work, "out", "kiln-p2.parquet")
	var matched, multiDay int64
	require.NoError(t, db.QueryRow(`SELECT count(dt), count(*) FILTER (WHERE events_30d > n_events) FROM read_parquet(`+sqlString(kp2)+`)`).
		Scan(&matched, &multiDay))
	assert.Greater(t, matched, int64(10_000), "labels with features")
	assert.Less(t, matched, int64(100_000), "labels without features")
	assert.Positive(t, multiDay, "30-day windows spanning several days")
}

// TestCompare checks the comparator itself: values within the tolerance
// agree, a float beyond it, an integer off by one, a null against a value
// and a missing row do not.
func TestCompare(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base := []float64{1, 1e9, 0}
	write := func(name string, ints []int64, floats []float64, valid []bool) string {
		s := arrow.NewSchema([]arrow.Field{
			{Name: "i", Type: arrow.PrimitiveTypes.Int64},
			{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, s)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).AppendValues(ints, nil)
		b.Field(1).(*array.Float64Builder).AppendValues(floats, valid)
		rec := b.NewRecordBatch()
		defer rec.Release()
		p := filepath.Join(dir, name+".parquet")
		require.NoError(t, writeTable(ctx, p, rec))
		return p
	}
	db, err := openDuck(ctx, 2)
	require.NoError(t, err)
	defer db.Close()
	ref := write("ref", []int64{1, 2, 3}, base, []bool{true, true, false})

	tests := []struct {
		name   string
		ints   []int64
		floats []float64
		valid  []bool
		ok     bool
		col    string
	}{
		{"within tolerance", []int64{1, 2, 3}, []float64{1 + 5e-7, 1e9 + 1, 7}, []bool{true, true, false}, true, ""},
		{"float beyond tolerance", []int64{1, 2, 3}, []float64{1 + 2e-6, 1e9, 0}, []bool{true, true, false}, false, "f"},
		{"relative beyond tolerance", []int64{1, 2, 3}, []float64{1, 1e9 + 3, 0}, []bool{true, true, false}, false, "f"},
		{"integer off by one", []int64{1, 2, 4}, base, []bool{true, true, false}, false, "i"},
		{"null against value", []int64{1, 2, 3}, base, []bool{true, true, true}, false, "f"},
		{"order differs", []int64{2, 1, 3}, base, []bool{true, true, false}, false, "i"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(tt.name, tt.ints, tt.floats, tt.valid)
			a, err := compare(ctx, db, p, ref)
			require.NoError(t, err)
			assert.Equal(t, tt.ok, a.OK(), a.String())
			if !tt.ok {
				assert.Positive(t, a.Mismatches[tt.col], a.String())
				assert.NotEmpty(t, a.Example)
			}
		})
	}
	t.Run("missing row", func(t *testing.T) {
		p := write("short", []int64{1, 2}, base[:2], nil)
		a, err := compare(ctx, db, p, ref)
		require.NoError(t, err)
		assert.False(t, a.OK())
		assert.Equal(t, int64(2), a.KilnRows)
		assert.Equal(t, int64(3), a.DuckRows)
	})
}
