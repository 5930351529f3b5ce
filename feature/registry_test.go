package feature_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
)

func TestRegistryEvolution(t *testing.T) {
	ctx := context.Background()
	lakeDir := filepath.Join(t.TempDir(), "lake")
	g := buildLake(t, lakeDir, days[:1])
	reg := feature.OpenRegistry(lakeDir)

	list, err := reg.List()
	require.NoError(t, err)
	assert.Empty(t, list)

	d1, err := reg.Register(ctx, g)
	require.NoError(t, err)
	assert.Equal(t, "int64", d1.Feature("n_events").Type, "types come from the node's plan")
	assert.Equal(t, "float64", d1.Feature("revenue").Type)
	assert.Equal(t, "gold.user_daily", d1.Dataset)
	assert.Equal(t, "72h0m0s", d1.TTL)
	assert.False(t, d1.Hash.IsZero())
	assert.FileExists(t, filepath.Join(lakeDir, "_feature", "groups", "user_daily", "v1.json"))

	again, err := reg.Register(ctx, g)
	require.NoError(t, err)
	assert.Equal(t, d1.Hash, again.Hash, "registering the same definition is a no-op")
	assert.Empty(t, again.History)

	// Compatible: a new nullable feature and a new description.
	g2 := *g
	g2.Features = append(append([]feature.Feature{}, g.Features...), feature.Feature{Name: "created_ts", Description: "when written"})
	g2.CreatedTime = ""
	_, err = reg.Register(ctx, &g2)
	require.ErrorIs(t, err, feature.ErrIncompatible, "changing the created time column is not compatible")
	g2.CreatedTime = g.CreatedTime
	g2.Features = append(append([]feature.Feature{}, g.Features...), feature.Feature{Name: "feature_ts"})
	_, err = reg.Register(ctx, &g2)
	require.ErrorIs(t, err, feature.ErrDefinition, "the event time column is not a feature")

	withTags := *g
	withTags.Tags = []string{"daily"}
	d2, err := reg.Register(ctx, &withTags)
	require.NoError(t, err)
	require.Len(t, d2.History, 1)
	assert.Equal(t, []string{`tags changed from "" to "daily"`}, d2.History[0].Changes)

	// Incompatible: removing, retyping, renaming.
	for _, c := range []struct {
		name  string
		edit  func(*feature.Group)
		wants []string
	}{
		{"remove", func(g *feature.Group) { g.Features = g.Features[1:] }, []string{`feature "n_events" removed`}},
		{"retype", func(g *feature.Group) { g.Features[0].Type = arrow.PrimitiveTypes.Float64 }, []string{`column "n_events": has type int64, want float64`}},
		{"not null", func(g *feature.Group) { g.Features[3].NotNull = true }, []string{`feature "avg_purchase" became non-nullable`}},
		{"keys", func(g *feature.Group) { g.Entity.Keys = []string{"user_id", "n_events"}; g.Features = g.Features[1:] }, []string{"entity keys changed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := *g
			h.Features = append([]feature.Feature{}, g.Features...)
			h.Entity = feature.Entity{Name: g.Entity.Name, Keys: append([]string{}, g.Entity.Keys...)}
			c.edit(&h)
			_, err := reg.Register(ctx, &h)
			require.Error(t, err)
			for _, w := range c.wants {
				assert.ErrorContains(t, err, w)
			}
			var ce *feature.ChangeError
			if errorsAs(err, &ce) {
				assert.ErrorIs(t, err, feature.ErrIncompatible)
				assert.ErrorContains(t, err, "requires a new version: register it as version 2")
			} else {
				assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
			}
		})
	}

	// Retyping, seen by the definitions alone.
	retyped := *d1
	retyped.Features = append([]feature.FeatureDef{}, d1.Features...)
	retyped.Features[0].Type = "float64"
	changes, breaking := d1.Compare(&retyped)
	assert.Empty(t, changes)
	assert.Equal(t, []string{`feature "n_events" retyped from int64 to float64`}, breaking)

	// A rename needs a new version; as version 2 it registers.
	renamed := renameFeature(t, lakeDir)
	_, err = reg.Register(ctx, renamed)
	require.ErrorIs(t, err, feature.ErrIncompatible)
	assert.ErrorContains(t, err, `feature "n_events" removed (was int64); renamed to "events"?`)
	renamed.Version = 2
	_, err = reg.Register(ctx, renamed)
	require.NoError(t, err)

	list, err = reg.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []int{1, 2}, []int{list[0].Version, list[1].Version})
	latest, err := reg.Describe("user_daily", 0)
	require.NoError(t, err)
	assert.Equal(t, 2, latest.Version)
	_, err = reg.Describe("nope", 0)
	assert.ErrorIs(t, err, feature.ErrNotRegistered)

	// The registry file is written atomically: no temporary files remain.
	entries, err := os.ReadDir(filepath.Join(lakeDir, "_feature", "groups", "user_daily"))
	require.NoError(t, err)
	assert.Len(t, entries, 2)
}

// renameFeature declares user_daily with n_events renamed to events,
// computed by a renaming node in another pipeline on the same lake.
func renameFeature(t *testing.T, lakeDir string) *feature.Group {
	p := kiln.New("renamed", kiln.WithLake(lakeDir))
	src := p.Source("bronze.events", kiln.SourceFunc("test.events", "v1", genEvents).With(genConfig{Users: 300, PerDay: 2000}))
	daily := p.Transform("gold.user_daily", dailyFeatures, src)
	ren := p.Transform("gold.user_daily_renamed", kiln.Func("test.rename", "v1",
		func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
			s := in.Schema()
			fields := append([]arrow.Field{}, s.Fields()...)
			for i := range fields {
				if fields[i].Name == "n_events" {
					fields[i].Name = "events"
				}
			}
			cols := make([]arrow.Column, in.NumCols())
			for i := range cols {
				cols[i] = *arrow.NewColumn(fields[i], in.Column(i).Data())
			}
			return arrayNewTable(arrow.NewSchema(fields, nil), cols, in.NumRows()), nil
		}), daily)
	g := &feature.Group{Name: "user_daily", Version: 1, Entity: feature.NewEntity("user", "user_id"),
		EventTime: "feature_ts", CreatedTime: "created_ts", TTL: 3 * kiln.Day, Node: ren,
		Features: []feature.Feature{{Name: "events"}, {Name: "n_purchases"}, {Name: "revenue"}, {Name: "avg_purchase"}, {Name: "last_type"}}}
	return g
}
