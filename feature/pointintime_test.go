package feature_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
)

// t0 is the base instant of the hand-built cases.
var t0 = time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

type featRow struct {
	UserID  int64      `kiln:"user_id"`
	TS      time.Time  `kiln:"ts"`
	Created *time.Time `kiln:"created"`
	V       *int64     `kiln:"v"`
}

type labelRow struct {
	LabelID int64     `kiln:"label_id"`
	UserID  *int64    `kiln:"user_id"`
	TS      time.Time `kiln:"label_ts"`
}

type outRow struct {
	LabelID int64     `kiln:"label_id"`
	UserID  *int64    `kiln:"user_id"`
	TS      time.Time `kiln:"label_ts"`
	V       *int64    `kiln:"v"`
}

func ip(v int64) *int64         { return &v }
func tp(t time.Time) *time.Time { return &t }

func testGroup() *feature.Group {
	return &feature.Group{
		Name: "user_stats", Version: 1, Entity: feature.NewEntity("user", "user_id"),
		EventTime: "ts", CreatedTime: "created", TTL: 10 * time.Hour,
		Features: []feature.Feature{{Name: "v", Description: "a value"}},
	}
}

func join(t *testing.T, feats []featRow, labels []labelRow, spec feature.TrainingSpec) []outRow {
	t.Helper()
	ft, err := kiln.TableOf(feats)
	require.NoError(t, err)
	lt, err := kiln.TableOf(labels)
	require.NoError(t, err)
	if spec.Time == "" {
		spec.Time = "label_ts"
	}
	if spec.Features == nil {
		spec.Features = []string{"user_stats:v"}
	}
	out, err := feature.PointInTimeJoin(context.Background(), lt, spec, feature.GroupData{Group: testGroup(), Table: ft})
	require.NoError(t, err)
	defer out.Release()
	rows, err := kiln.Rows[outRow](out)
	require.NoError(t, err)
	return rows
}

func values(rows []outRow) []*int64 {
	out := make([]*int64, len(rows))
	for i, r := range rows {
		out[i] = r.V
	}
	return out
}

func TestPointInTimeCases(t *testing.T) {
	u1, u2 := ip(1), ip(2)
	cases := []struct {
		name    string
		feats   []featRow
		labels  []labelRow
		exclude bool
		want    []*int64
	}{
		{
			name:   "exact timestamp equality matches",
			feats:  []featRow{{UserID: 1, TS: at(5), V: ip(50)}},
			labels: []labelRow{{1, u1, at(5)}, {2, u1, at(5).Add(-time.Microsecond)}},
			want:   []*int64{ip(50), nil},
		},
		{
			name:   "TTL boundary is inclusive",
			feats:  []featRow{{UserID: 1, TS: at(0), V: ip(7)}},
			labels: []labelRow{{1, u1, at(10)}, {2, u1, at(10).Add(time.Microsecond)}, {3, u1, at(9)}},
			want:   []*int64{ip(7), nil, ip(7)},
		},
		{
			name: "ties on event time go to the latest created",
			feats: []featRow{
				{UserID: 1, TS: at(1), Created: tp(at(3)), V: ip(13)},
				{UserID: 1, TS: at(1), Created: tp(at(2)), V: ip(12)},
				{UserID: 1, TS: at(1), Created: tp(at(4)), V: ip(14)},
			},
			labels: []labelRow{{1, u1, at(5)}},
			want:   []*int64{ip(14)},
		},
		{
			name: "full ties go to the last row",
			feats: []featRow{
				{UserID: 1, TS: at(1), Created: tp(at(2)), V: ip(1)},
				{UserID: 1, TS: at(1), Created: tp(at(2)), V: ip(2)},
			},
			labels: []labelRow{{1, u1, at(5)}},
			want:   []*int64{ip(2)},
		},
		{
			name: "several versions of a row",
			feats: []featRow{
				{UserID: 1, TS: at(3), V: ip(3)},
				{UserID: 1, TS: at(1), V: ip(1)},
				{UserID: 1, TS: at(2), V: ip(2)},
				{UserID: 2, TS: at(2), V: ip(20)},
			},
			labels: []labelRow{{1, u1, at(0.5)}, {2, u1, at(1.5)}, {3, u1, at(2)}, {4, u1, at(100)}, {5, u1, at(12.5)}, {6, u2, at(2.5)}},
			want:   []*int64{nil, ip(1), ip(2), nil, ip(3), ip(20)},
		},
		{
			name:   "entity rows with no features, null keys",
			feats:  []featRow{{UserID: 1, TS: at(1), V: ip(1)}},
			labels: []labelRow{{1, ip(99), at(2)}, {2, nil, at(2)}, {3, u1, at(2)}},
			want:   []*int64{nil, nil, ip(1)},
		},
		{
			name:   "duplicate entity rows are kept in order",
			feats:  []featRow{{UserID: 1, TS: at(1), V: ip(1)}, {UserID: 1, TS: at(3), V: ip(3)}},
			labels: []labelRow{{1, u1, at(4)}, {1, u1, at(4)}, {1, u1, at(2)}, {1, u1, at(4)}},
			want:   []*int64{ip(3), ip(3), ip(1), ip(3)},
		},
		{
			name: "exclude rows created after the label time",
			feats: []featRow{
				{UserID: 1, TS: at(1), Created: tp(at(1)), V: ip(1)},
				{UserID: 1, TS: at(2), Created: tp(at(8)), V: ip(2)}, // backfilled at 8
				{UserID: 1, TS: at(2), Created: nil, V: ip(3)},       // created at its event time
			},
			labels:  []labelRow{{1, u1, at(5)}, {2, u1, at(9)}, {3, u1, at(1.5)}},
			exclude: true,
			want:    []*int64{ip(3), ip(2), ip(1)},
		},
		{
			name: "backfilled rows count without the option",
			feats: []featRow{
				{UserID: 1, TS: at(1), Created: tp(at(1)), V: ip(1)},
				{UserID: 1, TS: at(2), Created: tp(at(8)), V: ip(2)},
			},
			labels: []labelRow{{1, u1, at(5)}},
			want:   []*int64{ip(2)},
		},
		{
			name: "excluded rows never reach past the TTL",
			feats: []featRow{
				{UserID: 1, TS: at(0), Created: tp(at(0)), V: ip(1)},
				{UserID: 1, TS: at(5), Created: tp(at(20)), V: ip(2)},
			},
			labels:  []labelRow{{1, u1, at(11)}},
			exclude: true,
			want:    []*int64{nil},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := join(t, c.feats, c.labels, feature.TrainingSpec{ExcludeCreatedAfter: c.exclude})
			require.Len(t, rows, len(c.labels))
			for i, r := range rows {
				assert.Equal(t, c.labels[i].LabelID, r.LabelID, "row %d keeps its label", i)
				assert.Equal(t, c.labels[i].TS, r.TS)
			}
			assert.Equal(t, c.want, values(rows))
		})
	}
}

func TestPointInTimeNamingAndErrors(t *testing.T) {
	ft, err := kiln.TableOf([]featRow{{UserID: 1, TS: at(1), V: ip(1)}})
	require.NoError(t, err)
	type lab struct {
		UserID int64     `kiln:"user_id"`
		TS     time.Time `kiln:"label_ts"`
		V      int64     `kiln:"v"`
	}
	lt, err := kiln.TableOf([]lab{{1, at(2), 5}})
	require.NoError(t, err)
	ctx := context.Background()
	gd := feature.GroupData{Group: testGroup(), Table: ft}

	_, err = feature.PointInTimeJoin(ctx, lt, feature.TrainingSpec{Time: "label_ts", Features: []string{"user_stats"}}, gd)
	require.ErrorIs(t, err, feature.ErrDefinition)
	assert.ErrorContains(t, err, `output column "v": feature user_stats:v collides with label column v; set TrainingSpec.Prefix`)

	out, err := feature.PointInTimeJoin(ctx, lt, feature.TrainingSpec{Time: "label_ts", Features: []string{"user_stats"}, Prefix: true}, gd)
	require.NoError(t, err)
	assert.Equal(t, "user_id, label_ts, v, user_stats__v", fieldNames(out))

	for _, c := range []struct{ ref, msg string }{
		{"user_stats:nope", `group user_stats@1 has no feature "nope"`},
		{"other:v", "no such group"},
		{"user_stats@2:v", "no such group"},
		{"Bad Ref", "want group, group:feature"},
	} {
		_, err = feature.PointInTimeJoin(ctx, lt, feature.TrainingSpec{Time: "label_ts", Features: []string{c.ref}, Prefix: true}, gd)
		assert.ErrorContains(t, err, c.msg, c.ref)
	}
	_, err = feature.PointInTimeJoin(ctx, lt, feature.TrainingSpec{Time: "when", Features: []string{"user_stats"}, Prefix: true}, gd)
	assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	_, err = feature.PointInTimeJoin(ctx, lt, feature.TrainingSpec{Time: "label_ts", Features: []string{"user_stats", "user_stats:v"}, Prefix: true}, gd)
	assert.ErrorContains(t, err, "referenced twice")
}

func fieldNames(t arrow.Table) string { return namesOf(t) }
