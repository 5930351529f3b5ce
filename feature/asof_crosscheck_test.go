package feature_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/transform"
)

// TestAgreesWithAsOfJoin checks the training-set join against
// transform.AsOfJoin where their rules coincide: no created time (ties go
// to the last row in input order in both), the TTL as the tolerance.
func TestAgreesWithAsOfJoin(t *testing.T) {
	type feat struct {
		UserID int64     `kiln:"user_id"`
		TS     time.Time `kiln:"ts"`
		Row    int64     `kiln:"row"`
	}
	type label struct {
		ID      int64     `kiln:"id"`
		UserID  int64     `kiln:"user_id"`
		LabelTS time.Time `kiln:"label_ts"`
	}
	type out struct {
		ID  int64  `kiln:"id"`
		Row *int64 `kiln:"row"`
	}
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(10) {
		rng := rand.New(rand.NewPCG(seed, 99))
		var fs []feat
		for i := range 400 {
			fs = append(fs, feat{UserID: rng.Int64N(20), TS: base.Add(time.Duration(rng.IntN(50)) * time.Hour), Row: int64(i)})
		}
		var ls []label
		for i := range 300 {
			ls = append(ls, label{ID: int64(i), UserID: rng.Int64N(22), LabelTS: base.Add(time.Duration(rng.IntN(60)) * time.Hour)})
		}
		ttl := time.Duration(rng.IntN(3)) * 5 * time.Hour
		ft, err := kiln.TableOf(fs)
		require.NoError(t, err)
		lt, err := kiln.TableOf(ls)
		require.NoError(t, err)
		g := &feature.Group{Name: "g", Version: 1, Entity: feature.NewEntity("user", "user_id"), EventTime: "ts", TTL: ttl,
			Features: []feature.Feature{{Name: "row"}}}
		mine, err := feature.PointInTimeJoin(context.Background(), lt, feature.TrainingSpec{Time: "label_ts", Features: []string{"g:row"}},
			feature.GroupData{Group: g, Table: ft})
		require.NoError(t, err)
		asof := transform.AsOfJoin(transform.AsOf{By: []string{"user_id"}, LeftTime: "label_ts", RightTime: "ts", Tolerance: ttl})
		theirs, err := asof.Apply(kiln.NewContext(context.Background(), "asof", kiln.All), []arrow.Table{lt, ft})
		require.NoError(t, err)
		a, err := kiln.Rows[out](mine)
		require.NoError(t, err)
		b, err := kiln.Rows[out](theirs)
		require.NoError(t, err)
		require.Equal(t, b, a, "seed %d ttl %s", seed, ttl)
	}
}
