package kernels

import "sort"

// SortedRuns is the fast path of deduplication on one key column that is
// (nearly) in order, as ids and event times usually are: when c is an
// integer-like column (ints, dates, timestamps) without nulls whose values
// never decrease, equal keys are adjacent and each run of equal values is
// one group. It then returns ok and the row of each group to keep,
// ascending (the first of the group, or the last with last), or nil rows
// when every value is distinct.
//
// Late arrivals are allowed: when the values are in order up to some row
// and the rest (the tail: replays, late events) is at most an eighth of
// the rows, the tail's keys go in a small hash table and the ordered part
// is still read by runs. Otherwise (unsupported type, a null, a longer
// disorder) ok is false and the caller groups by hashing every row. It
// reads c at most three times and allocates the result and the tail's
// table.
func SortedRuns(c Col, last bool) (rows []int32, ok bool) {
	return SortedRunsAt(c, nil, last)
}

// SortedRunsAt is SortedRuns over the rows at of c (ascending, as a
// selection keeps them) without gathering them first: positions and the
// rows returned count within at, as if c had been taken at at. A nil at
// means every row.
func SortedRunsAt(c Col, at []int32, last bool) (rows []int32, ok bool) {
	n := c.Len
	if at != nil {
		n = len(at)
	}
	if KindOf(c.Type) != KindInt || c.Nulls > 0 || n == 0 {
		return nil, false
	}
	vs := intRows{c: c, at: at}
	// Pass 1: the ordered prefix [0, p) and its number of runs.
	runs, p := 0, n
	var prev int64
	vs.each(0, n, func(pos int32, v int64) bool {
		switch {
		case pos == 0:
			runs = 1
		case v < prev:
			p = int(pos)
			return false
		case v > prev:
			runs++
		}
		prev = v
		return true
	})
	if p < n && n-p > n/8 {
		return nil, false
	}
	// The tail's keys: the first (or last) tail row of each, and whether
	// the prefix holds it too.
	type tailKey struct {
		row      int32
		inPrefix bool
	}
	var tail map[int64]*tailKey
	if p < n {
		tail = make(map[int64]*tailKey, n-p)
		vs.each(p, n, func(row int32, v int64) bool {
			if k, ok := tail[v]; !ok {
				tail[v] = &tailKey{row: row}
			} else if last {
				k.row = row
			}
			return true
		})
	}
	if tail == nil && runs == n {
		return nil, true
	}
	// Pass 2: a row per prefix run, unless the tail holds its key and
	// keeps the last; a row per tail key the prefix lacks (or with last,
	// every tail key's last row).
	rows = make([]int32, 0, runs+len(tail)+1)
	started, drop := false, false
	vs.each(0, p, func(row int32, v int64) bool {
		if started && v == prev {
			if last && !drop {
				rows[len(rows)-1] = row
			}
			return true
		}
		started, prev, drop = true, v, false
		if k, ok := tail[v]; ok {
			k.inPrefix = true
			if last {
				drop = true // the tail has a later row of this key
				return true
			}
		}
		rows = append(rows, row)
		return true
	})
	if tail != nil {
		vs.each(p, n, func(row int32, v int64) bool {
			if k := tail[v]; k.row == row && (last || !k.inPrefix) {
				rows = append(rows, row)
			}
			return true
		})
	}
	if len(rows) == n {
		return nil, true
	}
	return rows, true
}

// intRows reads an integer-like column without nulls as int64s: every row
// of c, or with at the rows at (ascending), numbered by position in at.
type intRows struct {
	c       Col
	at      []int32
	scratch []int64
}

// each calls fn with each position in [lo, hi) and its value, in order,
// until fn returns false.
func (r *intRows) each(lo, hi int, fn func(pos int32, v int64) bool) {
	c := r.c
	if r.at == nil {
		for ci, a := range c.Chunks {
			start := c.Starts[ci]
			end := start + a.Len()
			if end <= lo || start >= hi {
				continue
			}
			vals := intView(a, &r.scratch, true)
			for i := max(lo, start) - start; i < min(hi, end)-start; i++ {
				if !fn(int32(start+i), vals[i]) {
					return
				}
			}
		}
		return
	}
	if lo >= hi {
		return
	}
	ci := sort.Search(len(c.Chunks), func(i int) bool { return c.Starts[i+1] > int(r.at[lo]) })
	vals := intView(c.Chunks[ci], &r.scratch, true)
	for k := lo; k < hi; k++ {
		j := int(r.at[k])
		for j >= c.Starts[ci+1] {
			ci++
			vals = intView(c.Chunks[ci], &r.scratch, true)
		}
		if !fn(int32(k), vals[j-c.Starts[ci]]) {
			return
		}
	}
}
