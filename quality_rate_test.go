package kiln_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestQualityPassRate(t *testing.T) {
	r := &kiln.Result{}
	assert.Equal(t, 1.0, r.QualityPassRate(), "no checks: vacuously 1")
	r.Nodes = []kiln.NodeResult{
		{Node: "a", Status: kiln.StatusComputed, Checks: []kiln.CheckResult{{Success: true}, {Success: false, Severity: kiln.SeverityWarn}}},
		{Node: "b", Status: kiln.StatusCached, Checks: []kiln.CheckResult{{Success: true}, {Success: true}}},
		{Node: "c", Status: kiln.StatusSkipped},
	}
	p, n := r.QualityChecks()
	assert.Equal(t, [2]int{3, 4}, [2]int{p, n})
	assert.Equal(t, 0.75, r.QualityPassRate())
	b := &kiln.BackfillResult{Runs: []*kiln.Result{r, {Nodes: []kiln.NodeResult{{Checks: []kiln.CheckResult{{Success: false}}}}}}}
	assert.Equal(t, 0.6, b.QualityPassRate())
}

func TestQualityPassRateOfARun(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	build := func() *kiln.Pipeline {
		p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
		p.Source("bronze.readings", newSource(cfg5)).Check(notNull{"value", kiln.SeverityWarn}, notNull{"id", kiln.SeverityError})
		return p
	}
	res, err := build().Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	assert.Equal(t, 0.5, res.QualityPassRate(), "the warn check on value fails, the id check passes")
	res, err = build().Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	n, _ := res.Node("bronze.readings")
	require.Equal(t, kiln.StatusCached, n.Status)
	assert.Equal(t, 0.5, res.QualityPassRate(), "a cached node counts its committed results")
}
