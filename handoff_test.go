package kiln_test

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
)

// The last consumer of a node's output gets it as an arrowx.Owned (so
// built-in transforms can free it column by column); an earlier consumer
// gets a plain table, and its reading is unaffected by the handover.
func TestLastConsumerOwnsInput(t *testing.T) {
	var mu sync.Mutex
	owned := map[string]bool{}
	probe := func(name string, summarizes bool) kiln.Transform {
		return kiln.Func("test.probe", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
			_, ok := in.(*arrowx.Owned)
			mu.Lock()
			owned[name] = ok
			mu.Unlock()
			if !summarizes {
				in.Retain()
				return in, nil
			}
			return summarize.Apply(ctx, []arrow.Table{in})
		})
	}
	p := kiln.New("test", kiln.WithLake(t.TempDir()), kiln.WithLogger(discard()))
	src := p.Source("bronze.readings", newSource(cfg5))
	a := p.Transform("silver.a", probe("a", true), src)
	p.Transform("silver.b", probe("b", true), src)
	p.Transform("gold.c", probe("c", false), a)
	res, err := p.Run(context.Background(), day("2024-03-01"), kiln.Parallel(1))
	require.NoError(t, err)
	require.Len(t, owned, 3)
	assert.True(t, owned["c"], "the only consumer owns its input")
	assert.True(t, owned["a"] != owned["b"], "of two consumers run one after the other, only the last owns the input: %v", owned)
	// Both consumers of the source computed the same summary.
	var hashes []string
	for _, n := range res.Nodes {
		if n.Node == "silver.a" || n.Node == "silver.b" {
			hashes = append(hashes, n.ContentHash.String())
		}
	}
	require.Len(t, hashes, 2)
	assert.Equal(t, hashes[0], hashes[1])
}
