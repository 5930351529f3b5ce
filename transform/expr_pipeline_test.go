package transform

import (
	"context"
	"iter"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

type rlEvent struct {
	ID     int64     `kiln:"event_id"`
	Type   string    `kiln:"event_type"`
	Amount *float64  `kiln:"amount"`
	At     time.Time `kiln:"ts"`
}

func rlEvents(ctx *kiln.Context, _ struct{}) iter.Seq2[rlEvent, error] {
	return func(yield func(rlEvent, error) bool) {
		day := ctx.Partition().Start()
		for i := range 10 {
			var amt *float64
			if i%3 == 0 {
				v := float64(i) * 1.5
				amt = &v
			}
			if !yield(rlEvent{ID: int64(i), Type: []string{"view", "purchase"}[i%2], Amount: amt, At: day.Add(time.Duration(i) * time.Hour)}, nil) {
				return
			}
		}
	}
}

// TestPipelineIntegration runs row-local transforms and a fitted artifact
// as pipeline nodes: plan-time errors name node and column, reruns are
// cache hits, and a new fit changes the fingerprint.
func TestPipelineIntegration(t *testing.T) {
	ctx := context.Background()
	train := rlBigTable(t, 4096)
	art1, err := OneHot("c").MaxCategories(3).Fit(ctx, train)
	require.NoError(t, err)
	art2, err := OneHot("c").MaxCategories(4).Fit(ctx, train)
	require.NoError(t, err)

	build := func(art *Artifact) *kiln.Pipeline {
		p := kiln.New("rl", kiln.WithLake(t.TempDir()), kiln.WithLogger(slog.New(slog.DiscardHandler)))
		src := p.Source("bronze.events", kiln.SourceFunc("rl.events", "v1", rlEvents))
		p.Transform("silver.events", Chain(
			Filter(Col("event_type").Eq(Lit("purchase")).Or(Col("amount").IsNotNull())),
			FillNulls(map[string]any{"amount": 0}),
			Derive("hour", Col("ts").Hour()),
			Derive("c", Col("event_type")),
			Apply(art),
		), src)
		return p
	}
	p := build(art1)
	res, err := p.Run(ctx, kiln.Date(2024, 1, 30))
	require.NoError(t, err)
	n, ok := res.Node("silver.events")
	require.True(t, ok)
	assert.Equal(t, int64(7), n.Rows) // 5 purchases + views 0 and 6 with an amount

	again, err := p.Run(ctx, kiln.Date(2024, 1, 30))
	require.NoError(t, err)
	m, _ := again.Node("silver.events")
	assert.Equal(t, n.Fingerprint, m.Fingerprint)
	assert.Equal(t, n.ContentHash, m.ContentHash)
	assert.Equal(t, kiln.StatusCached, m.Status)

	_, err = build(art2).Plan(ctx)
	require.NoError(t, err)
	res2, err := build(art2).Run(ctx, kiln.Date(2024, 1, 30))
	require.NoError(t, err)
	n2, _ := res2.Node("silver.events")
	assert.NotEqual(t, n.Fingerprint, n2.Fingerprint, "another fit, another fingerprint")

	bad := kiln.New("rl", kiln.WithLake(t.TempDir()), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	src := bad.Source("bronze.events", kiln.SourceFunc("rl.events", "v1", rlEvents))
	bad.Transform("silver.events", Derive("x", Col("amount").Add(Col("event_typo"))), src)
	_, err = bad.Plan(ctx)
	require.Error(t, err)
	var ne *kiln.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "silver.events", ne.Node)
	var se *kiln.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "event_typo", se.Column)
}
