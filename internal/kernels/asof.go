package kernels

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/par"
)

// AsOfOptions configures AsOfIndex.Match. Times are int64 in one unit
// shared by both sides.
type AsOfOptions struct {
	// Tolerance, when positive, bounds how old a match may be: its time
	// must be >= the left time minus Tolerance (inclusive). Zero: no bound.
	Tolerance int64
	// Strict requires a match's time to be < the left time (else <=).
	Strict bool
	// ExcludeCreatedAfter skips candidates whose created time is after the
	// left time (a value written later was not known then); the match is
	// then the latest remaining candidate, still within Tolerance. It has
	// no effect on an index built without created times.
	ExcludeCreatedAfter bool
}

// AsOfIndex is the right side of an as-of join: its usable rows laid out
// by group and, within a group, in (time, created time, input row) order.
// That order is total, and an as-of match is the last candidate in it, so
// ties on time go to the greatest created time, then to the row that comes
// last in input order. Build it once with NewAsOfIndex; it is read-only
// afterwards and safe for concurrent use.
//
// It is kiln's one as-of kernel: package transform's AsOfJoin (and through
// it package feature's point-in-time training sets) and the feature store's
// latest value per entity (Last) use it.
type AsOfIndex struct {
	EntityOrder
	// Created is the created time at each position, nil when the index
	// was built without created times.
	Created []int64
}

// AsOfRight is the right side of an as-of join as columns.
type AsOfRight struct {
	// IDs is each row's group (entity) in [0, N).
	IDs []int32
	N   int
	// KeyNull marks rows whose key is null (nil: none); they are left out.
	KeyNull []bool
	// Time is the time column (integers, timestamps or dates); rows where
	// it is null are left out. Its values are multiplied by TimeMul
	// (saturating) to reach the join's common unit, then Offset is added.
	Time    Col
	TimeMul int64
	Offset  int64
	// Created, when not nil, is the created time column, multiplied by
	// CreatedMul to the common unit. A null created time counts as the
	// row's time (after Offset).
	Created    *Col
	CreatedMul int64
}

// NewAsOfIndex lays out the usable rows of r (a key and a time) by group,
// then time, then created time (when r has one), then input row. Groups
// whose rows already are in that order (the common case: data arrives in
// time order) are not sorted.
func NewAsOfIndex(r AsOfRight) *AsOfIndex {
	times := Int64s(r.Time, r.TimeMul)
	if r.Offset != 0 {
		for i, v := range times {
			times[i] = SatAdd(v, r.Offset)
		}
	}
	var created []int64
	if r.Created != nil {
		created = Int64s(*r.Created, r.CreatedMul)
		if null := r.Created.NullMask(); null != nil {
			for i, isNull := range null {
				if isNull {
					created[i] = times[i]
				}
			}
		}
	}
	use := r.Time.NullMask()
	if use != nil || r.KeyNull != nil {
		if use == nil {
			use = make([]bool, len(times))
		}
		for i, timeNull := range use {
			use[i] = !timeNull && (r.KeyNull == nil || !r.KeyNull[i])
		}
	}
	return newAsOfIndex(r.IDs, r.N, times, created, use)
}

// newAsOfIndex lays out the rows with use[i] true (nil: all), of group
// ids[i] and time times[i], by group, time, created time (when not nil)
// and input row.
func newAsOfIndex(ids []int32, n int, times, created []int64, use []bool) *AsOfIndex {
	o, c := orderByEntity(ids, n, times, created, use)
	return &AsOfIndex{EntityOrder: *o, Created: c}
}

// Match returns, for each left row i of group ids[i] and time times[i], the
// input row of its match in the index, or -1 when there is none or skip[i]
// (skip may be nil). The match is the last position of the group, in index
// order, whose time is <= the left time (< with Strict) and within
// opt.Tolerance, skipping, with ExcludeCreatedAfter, those created after
// the left time. Left rows are processed in fixed chunks in parallel; the
// result does not depend on GOMAXPROCS.
func (ix *AsOfIndex) Match(ctx context.Context, ids []int32, times []int64, skip []bool, opt AsOfOptions) ([]int32, error) {
	n := len(ids)
	if len(times) != n || (skip != nil && len(skip) != n) {
		return nil, fmt.Errorf("kernels: as-of left side columns of %d, %d and %d rows", n, len(times), len(skip))
	}
	if opt.Tolerance < 0 {
		return nil, fmt.Errorf("kernels: negative as-of tolerance %d", opt.Tolerance)
	}
	created := ix.Created
	if !opt.ExcludeCreatedAfter {
		created = nil
	}
	out := make([]int32, n)
	rs := par.Ranges(n, par.ChunkRows)
	err := par.Do(ctx, len(rs), func(c int) error {
		for i := rs[c][0]; i < rs[c][1]; i++ {
			out[i] = -1
			if skip != nil && skip[i] {
				continue
			}
			g := ids[i]
			lo, hi := int(ix.Start[g]), int(ix.Start[g+1])
			if lo < hi {
				out[i] = ix.at(lo, hi, times[i], created, opt)
			}
		}
		return nil
	})
	return out, err
}

// at finds the match for left time t among positions [lo, hi) of one
// group; created is nil unless created-after rows are excluded.
func (ix *AsOfIndex) at(lo, hi int, t int64, created []int64, opt AsOfOptions) int32 {
	times := ix.Times
	// First position with time > t (>= t when strict).
	a, b := lo, hi
	for a < b {
		m := int(uint(a+b) >> 1)
		if times[m] < t || (!opt.Strict && times[m] == t) {
			a = m + 1
		} else {
			b = m
		}
	}
	floor := int64(math.MinInt64)
	if opt.Tolerance > 0 {
		floor = SatAdd(t, -opt.Tolerance)
	}
	for k := a - 1; k >= lo && times[k] >= floor; k-- {
		if created != nil && created[k] > t {
			continue
		}
		return ix.Rows[k]
	}
	return -1
}

// Last returns the position of the row that comes last in group g, in
// index order (Rows[p] is its input row, Times[p] its time, Created[p] its
// created time): the row an as-of join matches at the end of time, the
// latest value of an entity. It is -1 when the group has no rows.
func (ix *AsOfIndex) Last(g int) int {
	if ix.Start[g] == ix.Start[g+1] {
		return -1
	}
	return int(ix.Start[g+1]) - 1
}

// TimeUnit returns how long one unit of a time column's integer values
// lasts: a timestamp's unit, a day for date32, a millisecond for date64;
// 0 for other types.
func TimeUnit(dt arrow.DataType) time.Duration {
	switch t := dt.(type) {
	case *arrow.TimestampType:
		return t.Unit.Multiplier()
	case *arrow.Date32Type:
		return 24 * time.Hour
	case *arrow.Date64Type:
		return time.Millisecond
	}
	return 0
}
