package feature_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
)

type propFeat struct {
	Key     string     `kiln:"key"`
	Region  int32      `kiln:"region"`
	TS      time.Time  `kiln:"ts"`
	Created *time.Time `kiln:"created"`
	Row     int64      `kiln:"row"`
	TSCopy  time.Time  `kiln:"ts_copy"`
}

type propLabel struct {
	ID     int64     `kiln:"id"`
	Key    *string   `kiln:"key"`
	Region int32     `kiln:"region"`
	TS     time.Time `kiln:"label_ts"`
}

type propOut struct {
	ID     int64      `kiln:"id"`
	Key    *string    `kiln:"key"`
	Region int32      `kiln:"region"`
	TS     time.Time  `kiln:"label_ts"`
	Row    *int64     `kiln:"row"`
	TSCopy *time.Time `kiln:"ts_copy"`
}

// naive is the reference: scan every feature row for every label.
func naive(feats []propFeat, l propLabel, ttl time.Duration, exclude bool) int64 {
	best := -1
	created := func(f propFeat) time.Time {
		if f.Created == nil {
			return f.TS
		}
		return *f.Created
	}
	for i, f := range feats {
		if l.Key == nil || f.Key != *l.Key || f.Region != l.Region || f.TS.After(l.TS) {
			continue
		}
		if ttl > 0 && f.TS.Before(l.TS.Add(-ttl)) {
			continue
		}
		if exclude && created(f).After(l.TS) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := feats[best]
		switch {
		case f.TS.After(b.TS):
			best = i
		case f.TS.Equal(b.TS) && created(f).After(created(b)):
			best = i
		case f.TS.Equal(b.TS) && created(f).Equal(created(b)):
			best = i // later rows win full ties
		}
	}
	if best < 0 {
		return -1
	}
	return feats[best].Row
}

// TestPointInTimeProperty compares the join with the naive reference on
// random data, with a composite string+int key, coarse times (many ties),
// nullable created times, and both settings of ExcludeCreatedAfter; and
// checks that no matched value is from the label's future.
func TestPointInTimeProperty(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 7))
		nf, nl := 1+rng.IntN(300), 1+rng.IntN(200)
		nkeys := 1 + rng.IntN(8)
		base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
		tick := func() time.Time { return base.Add(time.Duration(rng.IntN(40)) * time.Minute) }
		feats := make([]propFeat, nf)
		for i := range feats {
			ts := tick()
			f := propFeat{Key: fmt.Sprintf("k%d", rng.IntN(nkeys)), Region: int32(rng.IntN(2)), TS: ts, Row: int64(i), TSCopy: ts}
			if rng.IntN(3) > 0 {
				c := ts.Add(time.Duration(rng.IntN(20)) * time.Minute)
				f.Created = &c
			}
			feats[i] = f
		}
		labels := make([]propLabel, nl)
		for i := range labels {
			k := fmt.Sprintf("k%d", rng.IntN(nkeys+1))
			l := propLabel{ID: int64(i), Key: &k, Region: int32(rng.IntN(2)), TS: tick()}
			if rng.IntN(20) == 0 {
				l.Key = nil
			}
			labels[i] = l
		}
		ttl := time.Duration(rng.IntN(4)) * 10 * time.Minute
		g := &feature.Group{Name: "prop", Version: 1, Entity: feature.NewEntity("thing", "key", "region"),
			EventTime: "ts", CreatedTime: "created", TTL: ttl,
			Features: []feature.Feature{{Name: "row"}, {Name: "ts_copy"}}}
		ft, err := kiln.TableOf(feats)
		require.NoError(t, err)
		lt, err := kiln.TableOf(labels)
		require.NoError(t, err)
		for _, exclude := range []bool{false, true} {
			var first []propOut
			for _, procs := range []int{1, 2} {
				old := runtime.GOMAXPROCS(procs)
				out, err := feature.PointInTimeJoin(ctx, lt, feature.TrainingSpec{Time: "label_ts", Features: []string{"prop"}, ExcludeCreatedAfter: exclude},
					feature.GroupData{Group: g, Table: ft})
				runtime.GOMAXPROCS(old)
				require.NoError(t, err)
				rows, err := kiln.Rows[propOut](out)
				out.Release()
				require.NoError(t, err)
				require.Len(t, rows, nl)
				if first == nil {
					first = rows
				} else {
					require.Equal(t, first, rows, "GOMAXPROCS changes nothing")
				}
				for i, r := range rows {
					want := naive(feats, labels[i], ttl, exclude)
					got := int64(-1)
					if r.Row != nil {
						got = *r.Row
						require.False(t, r.TSCopy.After(r.TS), "seed %d label %d: a value from the future", seed, i)
						if c := feats[got].Created; exclude && c != nil {
							require.False(t, c.After(r.TS), "seed %d label %d: a value created in the future", seed, i)
						}
					}
					require.Equal(t, want, got, "seed %d exclude %v label %d (%+v)", seed, exclude, i, labels[i])
					require.Equal(t, labels[i].ID, r.ID)
				}
			}
		}
		ft.Release()
		lt.Release()
	}
}
