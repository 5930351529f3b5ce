package feature_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/feature/featuretest"
	"github.com/kiln-data/kiln/feature/online"
)

// TestOnlineStores runs the feature-level online behavior against every
// store: incremental materialization, rerun no-op, TTL at read time,
// on-demand features, batch reads and parity with the offline join.
func TestOnlineStores(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			lakeDir := filepath.Join(t.TempDir(), "lake")
			g := buildLake(t, lakeDir, days[:4])
			open := st.open
			o := feature.NewOnline(open(t), feature.WithOnDemand(purchaseContext))
			defer o.Close()

			res, err := o.Materialize(ctx, g)
			require.NoError(t, err)
			assert.Equal(t, days[:4], res.Partitions)
			assert.Positive(t, res.Entities)
			assert.Equal(t, res.Entities, res.Written)

			again, err := o.Materialize(ctx, g)
			require.NoError(t, err)
			assert.Empty(t, again.Partitions, "a rerun reads nothing")
			assert.Equal(t, days[:4], again.Skipped)
			assert.Zero(t, again.Written, "a rerun writes nothing")

			meta, err := o.Meta(ctx, g)
			require.NoError(t, err)
			assert.Equal(t, "dt=2024-01-04", meta.Last)
			assert.Equal(t, days[3].End(), meta.MaxEventTime)
			assert.Len(t, meta.Partitions, 4)
			assert.Equal(t, "ml-team", meta.Definition.Owner)
			assert.Equal(t, &feature.Drift{PSI: 0.2}, meta.Definition.Feature("n_purchases").Drift)

			featuretest.RequireParity(t, o, g, feature.ParityOptions{Entities: 40, Seed: 1})

			// TTL: a value reads as null once older than the TTL at the
			// request time, and is unknown before its event time.
			at := meta.MaxEventTime
			keys := []feature.Key{{int64(1)}, {int64(2)}, {int64(999999)}}
			now, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily:n_events", "user_daily:last_type"}, Keys: keys, At: at})
			require.NoError(t, err)
			require.Len(t, now.Rows, 3)
			assert.IsType(t, int64(0), now.Rows[0][0])
			assert.IsType(t, "", now.Rows[0][1])
			assert.Equal(t, []any{nil, nil}, now.Rows[2], "an unknown entity reads as nulls")
			late, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily:n_events"}, Keys: keys, At: at.Add(3*kiln.Day + time.Microsecond)})
			require.NoError(t, err)
			assert.Nil(t, late.Rows[0][0], "expired")
			edge, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily:n_events"}, Keys: keys, At: at.Add(3 * kiln.Day)})
			require.NoError(t, err)
			assert.Equal(t, now.Rows[0][0], edge.Rows[0][0], "the TTL bound is inclusive")

			// Incremental: two new days, only they are read.
			buildLake(t, lakeDir, days[4:])
			inc, err := o.Materialize(ctx, g)
			require.NoError(t, err)
			assert.Equal(t, days[4:], inc.Partitions)
			assert.Equal(t, days[:4], inc.Skipped)
			featuretest.RequireParity(t, o, g, feature.ParityOptions{Entities: 40, Seed: 2})

			// Re-materializing an old partition never rolls values back.
			before, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily"}, Keys: keys, At: days[5].End()})
			require.NoError(t, err)
			o2 := feature.NewOnline(o.Store())
			_, err = o2.Materialize(ctx, g, days[0])
			require.NoError(t, err)
			after, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily"}, Keys: keys, At: days[5].End()})
			require.NoError(t, err)
			assert.Equal(t, before.Rows, after.Rows)

			// On-demand features: the same transform offline and online.
			labels := onDemandLabels(t, days[5].End().Add(90*time.Minute))
			defer labels.Release()
			featuretest.RequireParity(t, o, g, feature.ParityOptions{
				Features: []string{"user_daily:revenue", "purchase_ctx"}, Labels: labels, Time: "ts",
			})
			rec := requestRecord(10, 20)
			defer rec.Release()
			od, err := o.Lookup(ctx, feature.Request{Features: []string{"purchase_ctx"}, Keys: keys[:2], At: days[5].End().Add(90 * time.Minute), Data: rec})
			require.NoError(t, err)
			assert.Equal(t, []string{"amount_ratio", "busy", "minute_of_day"}, fieldNamesOf(od.Fields))
			assert.Equal(t, int64(90), od.Rows[0][2])

			// A batch of 100 entities as an Arrow record.
			var batch []feature.Key
			for u := range 100 {
				batch = append(batch, feature.Key{int64(u + 1)})
			}
			br, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily"}, Keys: batch, At: days[5].End(), Prefix: true})
			require.NoError(t, err)
			r, err := br.Record(memory.DefaultAllocator)
			require.NoError(t, err)
			defer r.Release()
			assert.Equal(t, int64(100), r.NumRows())
			assert.Equal(t, "user_daily__n_events", r.Schema().Field(0).Name)
			assert.Equal(t, arrow.PrimitiveTypes.Int64, r.Schema().Field(0).Type)
			assert.Positive(t, r.Column(0).Len()-r.Column(0).NullN(), "some users have values")
		})
	}
}

func fieldNamesOf(fs []arrow.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// onDemandLabels are parity rows with request data: users 1..30 at ts.
func onDemandLabels(t *testing.T, ts time.Time) arrow.Table {
	type row struct {
		UserID int64     `kiln:"user_id"`
		TS     time.Time `kiln:"ts"`
		Amount float64   `kiln:"amount"`
	}
	var rows []row
	for u := range 30 {
		rows = append(rows, row{int64(u + 1), ts, float64(u) * 1.5})
	}
	tbl, err := kiln.TableOf(rows)
	require.NoError(t, err)
	return tbl
}

// TestParityReportsMismatches tampers with the online store and expects
// the parity check to name every changed value.
func TestParityReportsMismatches(t *testing.T) {
	ctx := context.Background()
	g := buildLake(t, filepath.Join(t.TempDir(), "lake"), days[:2])
	o := feature.NewOnline(stores(t)[0].open(t))
	defer o.Close()
	_, err := o.Materialize(ctx, g)
	require.NoError(t, err)
	type row struct {
		UserID int64     `kiln:"user_id"`
		TS     time.Time `kiln:"ts"`
	}
	labels, err := kiln.TableOf([]row{{1, days[1].End()}, {2, days[1].End()}})
	require.NoError(t, err)
	defer labels.Release()
	rep, err := o.Parity(ctx, g, feature.ParityOptions{Labels: labels, Time: "ts"})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Mismatches)
	assert.Equal(t, 2, rep.Rows)
	assert.Equal(t, 10, rep.Values)

	// Copy user 2's record over user 1's, under a newer version: what a
	// bug in a writer would look like.
	items, err := o.Store().Get(ctx, []string{"user_daily:1:2"})
	require.NoError(t, err)
	require.True(t, items[0].Found)
	v := items[0].Version
	_, err = o.Store().Put(ctx, []online.Entry{{Key: "user_daily:1:1",
		Version: online.MakeVersion(v.Event(), v.Created(), v.Seq()+1), Value: items[0].Value}})
	require.NoError(t, err)
	rep, err = o.Parity(ctx, g, feature.ParityOptions{Labels: labels, Time: "ts"})
	require.NoError(t, err)
	assert.False(t, rep.OK())
	var feats []string
	for _, m := range rep.Mismatches {
		feats = append(feats, m.Feature)
		assert.Equal(t, 0, m.Row, "only user 1 differs")
		assert.Equal(t, "1", m.Key)
	}
	assert.Contains(t, feats, "revenue")
	assert.Contains(t, rep.Mismatches[0].String(), "row 0 key 1 at 2024-01-03T00:00:00Z")
}

// TestOnlineSchemaEvolution adds a nullable feature to a materialized group
// version: records written before read the new feature as null, the
// partitions are materialized again, and parity holds.
func TestOnlineSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	full := buildLake(t, filepath.Join(t.TempDir(), "lake"), days[:2])
	old := *full
	old.Features = full.Features[:3]
	o := feature.NewOnline(stores(t)[0].open(t))
	defer o.Close()
	_, err := o.Materialize(ctx, &old)
	require.NoError(t, err)

	// Only the older day with the new features: every record stays as the
	// newer day wrote it, with the old schema.
	res, err := feature.NewOnline(o.Store()).Materialize(ctx, full, days[0])
	require.NoError(t, err)
	assert.Equal(t, []kiln.Partition{days[0]}, res.Partitions, "a new schema redoes the partition")
	assert.Zero(t, res.Written, "older rows never replace newer ones")
	r, err := feature.NewOnline(o.Store(), feature.WithGroups(full)).Lookup(ctx,
		feature.Request{Features: []string{"user_daily:n_events", "user_daily:last_type"}, Keys: []feature.Key{{int64(1)}}, At: days[1].End()})
	require.NoError(t, err)
	assert.NotNil(t, r.Rows[0][0])
	assert.Nil(t, r.Rows[0][1], "a feature added after the record was written reads as null")

	// Materializing everything with the new schema restores parity.
	o2 := feature.NewOnline(o.Store())
	res, err = o2.Materialize(ctx, full)
	require.NoError(t, err)
	assert.Equal(t, days[1:2], res.Partitions, "day 1 was already written with the new schema")
	featuretest.RequireParity(t, o2, full, feature.ParityOptions{Entities: 30})
	again, err := o2.Materialize(ctx, full)
	require.NoError(t, err)
	assert.Empty(t, again.Partitions)
}

func TestConcurrentLookups(t *testing.T) {
	ctx := context.Background()
	g := buildLake(t, filepath.Join(t.TempDir(), "lake"), days[:1])
	o := feature.NewOnline(stores(t)[0].open(t))
	defer o.Close()
	_, err := o.Materialize(ctx, g)
	require.NoError(t, err)
	want, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily"}, Keys: []feature.Key{{int64(5)}}, At: days[0].End()})
	require.NoError(t, err)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 50 {
				r, err := o.Lookup(ctx, feature.Request{Features: []string{"user_daily"}, Keys: []feature.Key{{int64(5)}}, At: days[0].End()})
				if err == nil && !assert.ObjectsAreEqual(want.Rows, r.Rows) {
					err = assert.AnError
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}
