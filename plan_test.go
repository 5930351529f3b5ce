package kiln_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// needs returns a transform whose output schema requires column col of type typ.
func needs(col string, typ arrow.DataType) kiln.Transform {
	return kiln.Func("test.needs", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		if _, err := kiln.Column(in, col, typ); err != nil {
			return nil, err
		}
		return in, nil
	})
}

func TestPlanNamesNodeAndColumn(t *testing.T) {
	cases := []struct {
		name, col string
		typ       arrow.DataType
		want      string
	}{
		{"missing", "nope", nil, `column "nope": missing`},
		{"mistyped", "sensor", arrow.PrimitiveTypes.Int64, `column "sensor": has type utf8, want int64`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lake := t.TempDir()
			p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
			p.Transform("silver.bad", needs(c.col, c.typ), p.Source("bronze.readings", newSource(cfg5)))
			before := sourceReads.Load()
			_, err := p.Run(context.Background(), day("2024-03-02"))
			require.ErrorIs(t, err, kiln.ErrSchemaMismatch)
			var ne *kiln.NodeError
			require.ErrorAs(t, err, &ne)
			assert.Equal(t, "silver.bad", ne.Node)
			assert.True(t, ne.AtPlan)
			var se *kiln.SchemaError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, c.col, se.Column)
			assert.Contains(t, err.Error(), c.want)
			assert.Equal(t, before, sourceReads.Load(), "planning must not read data")
			assert.Empty(t, treeHashes(t, lake), "nothing may be committed")
		})
	}
}

func TestPlanRejectsBadPipelines(t *testing.T) {
	src := func() kiln.Source { return newSource(cfg5) }
	cases := map[string]func(p *kiln.Pipeline){
		"duplicate name": func(p *kiln.Pipeline) {
			p.Source("bronze.a", src())
			p.Source("bronze.a", src())
		},
		"bad name":  func(p *kiln.Pipeline) { p.Source("Bronze/A", src()) },
		"hidden":    func(p *kiln.Pipeline) { p.Source("bronze._a", src()) },
		"nested":    func(p *kiln.Pipeline) { p.Source("bronze", src()); p.Source("bronze.a", src()) },
		"no inputs": func(p *kiln.Pipeline) { p.Transform("silver.a", summarize) },
		"foreign input": func(p *kiln.Pipeline) {
			other := kiln.New("other")
			p.Transform("silver.a", summarize, other.Source("bronze.a", src()))
		},
		"lookback on unpartitioned": func(p *kiln.Pipeline) {
			d := p.Source("bronze.dim", src()).Unpartitioned()
			p.Transform("silver.a", summarize, kiln.Lookback(d, kiln.Day))
		},
		"whole on partitioned": func(p *kiln.Pipeline) {
			p.Transform("silver.a", summarize, kiln.Whole(p.Source("bronze.a", src())))
		},
		"reserved suffix": func(p *kiln.Pipeline) { p.Source("bronze.a_quarantine", src()) },
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			p := kiln.New("test", kiln.WithLake(t.TempDir()), kiln.WithLogger(discard()))
			build(p)
			_, err := p.Plan(context.Background())
			require.Error(t, err)
			isPlan := errors.Is(err, kiln.ErrPlan)
			var ne *kiln.NodeError
			isNode := errors.As(err, &ne)
			assert.True(t, isPlan || isNode, "error %v should be ErrPlan or a NodeError", err)
		})
	}
}

func TestPlanString(t *testing.T) {
	pl, err := testPipeline(t, t.TempDir(), cfg5).Plan(context.Background())
	require.NoError(t, err)
	s := pl.String()
	assert.True(t, strings.HasPrefix(s, "pipeline test\n"))
	assert.Contains(t, s, "transform gold.summary_3d (test.summarize v1) <- bronze.readings [lookback 72h0m0s]")
	assert.Contains(t, s, "sensor utf8")
	require.Len(t, pl.Nodes, 3)
	assert.Equal(t, "bronze.readings", pl.Nodes[0].Name)
}

func TestFuncInfersSchemaOnEmptyInput(t *testing.T) {
	pl, err := testPipeline(t, t.TempDir(), cfg5).Plan(context.Background())
	require.NoError(t, err)
	s := pl.Node("silver.summary").Schema
	require.Equal(t, 3, s.NumFields())
	assert.Equal(t, "n", s.Field(1).Name)
	assert.Equal(t, arrow.PrimitiveTypes.Int64, s.Field(1).Type)
}
