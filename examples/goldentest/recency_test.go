package main

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform/transformtest"
)

// TestRecencyGolden pins recency's output on the sample purchases. When it
// fails with "bump the version", the function's output changed but its
// version did not: bump it in recency.go, then accept the new output with
//
//	go test ./examples/goldentest -update
//
// and commit testdata/recency.golden with the code.
func TestRecencyGolden(t *testing.T) {
	in, err := sampleTable()
	require.NoError(t, err)
	defer in.Release()
	transformtest.Golden(t, recency.With(sampleConfig), []arrow.Table{in}, "testdata/recency",
		transformtest.AtPartition(asOfDay))
}

// The config is part of the golden file too: another half-life is another
// output, pinned on its own.
func TestRecencyGoldenSlowDecay(t *testing.T) {
	in, err := sampleTable()
	require.NoError(t, err)
	defer in.Release()
	transformtest.Golden(t, recency.With(RecencyConfig{HalfLifeDays: 60}), []arrow.Table{in}, "testdata/recency_slow_decay",
		transformtest.AtPartition(asOfDay))
}

// An empty input (a day without purchases) gives an empty output with the
// same schema, not an error.
func TestRecencyGoldenEmpty(t *testing.T) {
	empty, err := kiln.TableOf([]Purchase{})
	require.NoError(t, err)
	defer empty.Release()
	transformtest.Golden(t, recency.With(sampleConfig), []arrow.Table{empty}, "testdata/recency_empty",
		transformtest.AtPartition(asOfDay))
}
