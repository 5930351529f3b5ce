package feature_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/transform"
)

// TestAsOfKernelMatchesNaive checks kiln's one as-of kernel, used directly
// as transform.AsOfJoin and through feature.PointInTimeJoin, against the
// naive reference of the property test: composite keys, coarse times
// (many ties), nullable created times, TTL as the tolerance, with and
// without ExcludeCreatedAfter.
func TestAsOfKernelMatchesNaive(t *testing.T) {
	type out struct {
		ID  int64  `kiln:"id"`
		Row *int64 `kiln:"row"`
	}
	ctx := context.Background()
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 99))
		nkeys := 1 + rng.IntN(12)
		feats := make([]propFeat, 200+rng.IntN(300))
		for i := range feats {
			ts := base.Add(time.Duration(rng.IntN(30)) * time.Hour)
			f := propFeat{Key: fmt.Sprintf("k%d", rng.IntN(nkeys)), Region: int32(rng.IntN(2)), TS: ts, Row: int64(i), TSCopy: ts}
			if rng.IntN(3) > 0 {
				c := ts.Add(time.Duration(rng.IntN(8)-1) * time.Hour) // sometimes before the event time
				f.Created = &c
			}
			feats[i] = f
		}
		labels := make([]propLabel, 150+rng.IntN(150))
		for i := range labels {
			k := fmt.Sprintf("k%d", rng.IntN(nkeys+1))
			labels[i] = propLabel{ID: int64(i), Key: &k, Region: int32(rng.IntN(2)), TS: base.Add(time.Duration(rng.IntN(35*60)) * time.Minute)}
			if rng.IntN(25) == 0 {
				labels[i].Key = nil
			}
		}
		ttl := time.Duration(rng.IntN(3)) * 6 * time.Hour
		ft, err := kiln.TableOf(feats)
		require.NoError(t, err)
		lt, err := kiln.TableOf(labels)
		require.NoError(t, err)
		g := &feature.Group{Name: "g", Version: 1, Entity: feature.NewEntity("thing", "key", "region"),
			EventTime: "ts", CreatedTime: "created", TTL: ttl, Features: []feature.Feature{{Name: "row"}}}
		for _, exclude := range []bool{false, true} {
			asof := transform.AsOfJoin(transform.AsOf{By: []string{"key", "region"}, LeftTime: "label_ts", RightTime: "ts",
				CreatedTime: "created", ExcludeCreatedAfter: exclude, Tolerance: ttl})
			direct, err := asof.Apply(kiln.NewContext(ctx, "asof", kiln.All), []arrow.Table{lt, ft})
			require.NoError(t, err)
			viaFeature, err := feature.PointInTimeJoin(ctx, lt, feature.TrainingSpec{Time: "label_ts", Features: []string{"g:row"}, ExcludeCreatedAfter: exclude},
				feature.GroupData{Group: g, Table: ft})
			require.NoError(t, err)
			a, err := kiln.Rows[out](direct)
			require.NoError(t, err)
			b, err := kiln.Rows[out](viaFeature)
			require.NoError(t, err)
			require.Equal(t, a, b, "seed %d: the training set is the as-of join", seed)
			for i, r := range a {
				got := int64(-1)
				if r.Row != nil {
					got = *r.Row
				}
				require.Equal(t, naive(feats, labels[i], ttl, exclude), got, "seed %d ttl %s exclude %v label %d", seed, ttl, exclude, i)
			}
			direct.Release()
			viaFeature.Release()
		}
		lt.Release()
	}
}
