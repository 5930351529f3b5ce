package kiln_test

import (
	"context"
	"runtime/debug"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// gcPercentNow reads the collector's target percentage.
func gcPercentNow() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// gcProbePipeline is the test pipeline plus a node that records the GC
// percentage while it runs.
func gcProbePipeline(t *testing.T, seen *atomic.Int64, opts ...kiln.Option) *kiln.Pipeline {
	opts = append([]kiln.Option{kiln.WithLake(t.TempDir()), kiln.WithLogger(discard())}, opts...)
	p := kiln.New("gc", opts...)
	src := p.Source("bronze.readings", newSource(cfg5))
	p.Transform("silver.probe", kiln.Func("test.gc_probe", "v1",
		func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
			seen.Store(int64(gcPercentNow()))
			in.Retain()
			return in, nil
		}), src)
	return p
}

func TestRunLowersGCPercentAndRestoresIt(t *testing.T) {
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(120)
	defer debug.SetGCPercent(before)

	var seen atomic.Int64
	_, err := gcProbePipeline(t, &seen).Run(context.Background(), day("2024-03-02"))
	require.NoError(t, err)
	assert.EqualValues(t, kiln.DefaultGCPercent, seen.Load(), "during the run")
	assert.Equal(t, 120, gcPercentNow(), "after the run")

	_, err = gcProbePipeline(t, &seen, kiln.WithGCPercent(60)).Run(context.Background(), day("2024-03-02"))
	require.NoError(t, err)
	assert.EqualValues(t, 60, seen.Load())

	_, err = gcProbePipeline(t, &seen, kiln.WithGCPercent(0)).Run(context.Background(), day("2024-03-02"))
	require.NoError(t, err)
	assert.EqualValues(t, 120, seen.Load(), "WithGCPercent(0) leaves the setting alone")

	t.Setenv("GOGC", "120")
	_, err = gcProbePipeline(t, &seen).Run(context.Background(), day("2024-03-02"))
	require.NoError(t, err)
	assert.EqualValues(t, 120, seen.Load(), "GOGC set by the operator wins")
}
