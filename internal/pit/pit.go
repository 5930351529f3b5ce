// Package pit is the point-in-time (as-of) join kernel behind kiln's
// training sets and online materialization.
//
// Inputs are plain slices: every row has an entity key code (equal keys have
// equal codes; see Keys), an event time and, optionally, a created time, all
// int64 in one common unit. Match finds, for each left (label) row, the
// right (feature) row with the same key code whose event time is the
// greatest that is <= the left time and >= the left time minus TTL
// (inclusive). Ties on event time go to the greatest created time, then to
// the row that comes last in right input order: the order
// (event time, created time, input position) is total, so the match is
// always one well-defined row.
//
// A right row without a created time is taken as created at its event time.
// With ExcludeCreatedAfter, right rows created after the left time are not
// candidates (a value backfilled later was not known at that time).
//
// Determinism: the result depends only on the inputs; the left side is
// processed in fixed chunks (internal/par), each row independently.
package pit

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/kiln-data/kiln/internal/par"
)

// Side is one side of the join, as columns of equal length. Nil masks mean
// "no nulls". A null key or time never matches.
type Side struct {
	// Key is the entity key code of each row.
	Key []uint64
	// KeyNull marks rows whose key is null or unknown.
	KeyNull []bool
	// Time is the event time (right) or label time (left) of each row.
	Time []int64
	// TimeNull marks rows without a time.
	TimeNull []bool
	// Created is the right rows' created time (nil: none, right side only).
	Created []int64
	// CreatedNull marks right rows without a created time.
	CreatedNull []bool
}

// Options configures Match.
type Options struct {
	// TTL, when positive, bounds how old a match may be: event time >=
	// left time - TTL (inclusive). Zero means no bound.
	TTL int64
	// ExcludeCreatedAfter drops candidates created after the left time.
	ExcludeCreatedAfter bool
}

// Index is the right side grouped by key and ordered by (event time,
// created time, input position) within each key. Build it once with
// NewIndex and probe it with Match or Latest; it is read-only afterwards
// and safe for concurrent use.
type Index struct {
	tab     *Table
	start   []int32 // group g's rows are rows[start[g]:start[g+1]]
	rows    []int32 // right row at each position
	times   []int64 // its event time
	created []int64 // its created time (event time when absent)
}

// NewIndex groups the usable right rows (non-null key and time) by key.
func NewIndex(r Side) (*Index, error) {
	n := len(r.Key)
	if len(r.Time) != n || (r.Created != nil && len(r.Created) != n) {
		return nil, fmt.Errorf("pit: right side columns have different lengths")
	}
	if n >= math.MaxInt32 {
		return nil, fmt.Errorf("pit: %d right rows is more than the kernel's limit %d", n, math.MaxInt32-1)
	}
	tab := NewTable(n)
	gid := make([]int32, n)
	var counts []int32
	for i := range n {
		if (r.KeyNull != nil && r.KeyNull[i]) || (r.TimeNull != nil && r.TimeNull[i]) {
			gid[i] = -1
			continue
		}
		g, added := tab.Insert(r.Key[i])
		if added {
			counts = append(counts, 0)
		}
		counts[g]++
		gid[i] = g
	}
	ng := len(counts)
	start := make([]int32, ng+1)
	for g, c := range counts {
		start[g+1] = start[g] + c
	}
	total := int(start[ng])
	rows := make([]int32, total)
	next := slices.Clone(start[:ng])
	for i := range n {
		if g := gid[i]; g >= 0 {
			rows[next[g]] = int32(i)
			next[g]++
		}
	}
	times := make([]int64, total)
	created := make([]int64, total)
	for k, i := range rows {
		times[k] = r.Time[i]
		created[k] = r.Time[i]
		if r.Created != nil && (r.CreatedNull == nil || !r.CreatedNull[i]) {
			created[k] = r.Created[i]
		}
	}
	ix := &Index{tab: tab, start: start, rows: rows, times: times, created: created}
	for g := range ng {
		ix.sortGroup(int(start[g]), int(start[g+1]))
	}
	return ix, nil
}

// sortGroup orders positions [lo, hi) by (time, created, row), unless they
// already are (the common case: partitions arrive in time order).
func (ix *Index) sortGroup(lo, hi int) {
	sorted := true
	for k := lo + 1; k < hi; k++ {
		if ix.times[k] < ix.times[k-1] || (ix.times[k] == ix.times[k-1] && ix.created[k] < ix.created[k-1]) {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	type ent struct {
		t, c int64
		r    int32
	}
	es := make([]ent, hi-lo)
	for k := range es {
		es[k] = ent{ix.times[lo+k], ix.created[lo+k], ix.rows[lo+k]}
	}
	slices.SortFunc(es, func(a, b ent) int {
		return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.c, b.c), cmp.Compare(a.r, b.r))
	})
	for k, e := range es {
		ix.times[lo+k], ix.created[lo+k], ix.rows[lo+k] = e.t, e.c, e.r
	}
}

// Groups returns the number of distinct keys indexed.
func (ix *Index) Groups() int { return len(ix.start) - 1 }

// Match returns, for each left row, the index of its matching right row, or
// -1 when there is none (or the left key or time is null).
func (ix *Index) Match(ctx context.Context, l Side, opt Options) ([]int32, error) {
	n := len(l.Key)
	if len(l.Time) != n {
		return nil, fmt.Errorf("pit: left side columns have different lengths")
	}
	if opt.TTL < 0 {
		return nil, fmt.Errorf("pit: negative TTL %d", opt.TTL)
	}
	out := make([]int32, n)
	rs := par.Ranges(n, par.ChunkRows)
	err := par.Do(ctx, len(rs), func(c int) error {
		for i := rs[c][0]; i < rs[c][1]; i++ {
			out[i] = -1
			if (l.KeyNull != nil && l.KeyNull[i]) || (l.TimeNull != nil && l.TimeNull[i]) {
				continue
			}
			g := ix.tab.Find(l.Key[i])
			if g < 0 {
				continue
			}
			out[i] = ix.at(int(ix.start[g]), int(ix.start[g+1]), l.Time[i], opt)
		}
		return nil
	})
	return out, err
}

// at finds the match for time t among positions [lo, hi) of one key.
func (ix *Index) at(lo, hi int, t int64, opt Options) int32 {
	// First position with time > t.
	a, b := lo, hi
	for a < b {
		m := int(uint(a+b) >> 1)
		if ix.times[m] <= t {
			a = m + 1
		} else {
			b = m
		}
	}
	floor := int64(math.MinInt64)
	if opt.TTL > 0 && t >= math.MinInt64+opt.TTL {
		floor = t - opt.TTL
	}
	for k := a - 1; k >= lo; k-- {
		if ix.times[k] < floor {
			return -1
		}
		if opt.ExcludeCreatedAfter && ix.created[k] > t {
			continue
		}
		return ix.rows[k]
	}
	return -1
}

// Latest returns, for each indexed key in order of first appearance, the
// right row that is last in (event time, created time, input position)
// order: the row an online store holds for that key.
func (ix *Index) Latest() []int32 {
	out := make([]int32, ix.Groups())
	for g := range out {
		out[g] = ix.rows[ix.start[g+1]-1]
	}
	return out
}
