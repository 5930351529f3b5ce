package feature_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

type tsLabel struct {
	LabelID int64     `kiln:"label_id"`
	UserID  int64     `kiln:"user_id"`
	TS      time.Time `kiln:"label_ts"`
	Amount  float64   `kiln:"amount"`
}

type tsOut struct {
	LabelID     int64    `kiln:"label_id"`
	UserID      int64    `kiln:"user_id"`
	NEvents     *int64   `kiln:"user_daily__n_events"`
	AvgPurchase *float64 `kiln:"user_daily__avg_purchase"`
	Ratio       *float64 `kiln:"purchase_ctx__amount_ratio"`
	Minute      *int64   `kiln:"purchase_ctx__minute_of_day"`
}

func TestTrainingSetCommit(t *testing.T) {
	ctx := context.Background()
	lakeDir := filepath.Join(t.TempDir(), "lake")
	g := buildLake(t, lakeDir, days)
	var labels []tsLabel
	for i := range 500 {
		labels = append(labels, tsLabel{LabelID: int64(i), UserID: int64(i%40 + 1),
			TS: days[0].Start().Add(time.Duration(i) * 17 * time.Minute), Amount: float64(i % 13)})
	}
	lt, err := kiln.TableOf(labels)
	require.NoError(t, err)
	defer lt.Release()
	spec := feature.TrainingSpec{Time: "label_ts", Prefix: true, OnDemand: []*feature.OnDemand{purchaseContext},
		Features: []string{"user_daily:n_events", "user_daily:avg_purchase", "purchase_ctx:amount_ratio", "purchase_ctx:minute_of_day"}}
	ts, err := feature.BuildTrainingSet(ctx, lt, "labels.churn", spec, g)
	require.NoError(t, err)
	defer ts.Release()

	rows, err := kiln.Rows[tsOut](ts.Table)
	require.NoError(t, err)
	require.Len(t, rows, 500)
	matched := 0
	for i, r := range rows {
		assert.Equal(t, int64(i), r.LabelID)
		// Day d's features are stamped at the end of day d: a label on day
		// 1 sees nothing, later labels see the previous day.
		if labels[i].TS.Before(days[0].End()) {
			assert.Nil(t, r.NEvents, "label %d: no value from the future", i)
		} else if r.NEvents != nil {
			matched++
		}
		assert.Equal(t, int64(labels[i].TS.Hour()*60+labels[i].TS.Minute()), *r.Minute)
		assert.Equal(t, r.NEvents == nil, r.Ratio == nil)
	}
	assert.Positive(t, matched)

	m, err := ts.Commit(ctx, lakeDir, "gold.training.churn")
	require.NoError(t, err)
	assert.Equal(t, int64(500), m.Rows)
	require.Len(t, m.Inputs, 1+len(days), "the labels and every group partition")
	assert.Equal(t, "labels.churn", m.Inputs[0].Dataset)
	for i, in := range m.Inputs[1:] {
		assert.Equal(t, "gold.user_daily", in.Dataset)
		assert.Equal(t, days[i].String(), in.Partition)
		gm := readManifest(t, filepath.Join(lakeDir, "gold", "user_daily", days[i].String()))
		assert.Equal(t, gm.ContentHash, in.ContentHash)
	}
	// The committed file holds the same content, and a rebuild gives the
	// same fingerprint and content.
	dir := filepath.Join(lakeDir, "gold", "training", "churn")
	require.Len(t, m.Files, 1)
	back, err := pq.ReadFile(ctx, filepath.Join(dir, m.Files[0].Path), pq.ReadOptions{})
	require.NoError(t, err)
	defer back.Release()
	h, err := digest.Table(back)
	require.NoError(t, err)
	assert.Equal(t, m.ContentHash, h)
	ts2, err := feature.BuildTrainingSet(ctx, lt, "labels.churn", spec, g)
	require.NoError(t, err)
	defer ts2.Release()
	assert.Equal(t, ts.Fingerprint, ts2.Fingerprint)
	h2, err := digest.Table(ts2.Table)
	require.NoError(t, err)
	assert.Equal(t, m.ContentHash, h2)

	spec.ExcludeCreatedAfter = true
	ts3, err := feature.BuildTrainingSet(ctx, lt, "labels.churn", spec, g)
	require.NoError(t, err)
	defer ts3.Release()
	assert.NotEqual(t, ts.Fingerprint, ts3.Fingerprint, "the spec is in the fingerprint")

	_, err = ts.Commit(ctx, lakeDir, "Bad Name")
	assert.ErrorContains(t, err, "dataset name")
}

func readManifest(t *testing.T, dir string) *lineage.Manifest {
	b, err := os.ReadFile(filepath.Join(dir, "_kiln", "manifest.json"))
	require.NoError(t, err)
	m, err := lineage.UnmarshalManifest(b)
	require.NoError(t, err)
	return m
}
