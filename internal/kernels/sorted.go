package kernels

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
	if KindOf(c.Type) != KindInt || c.Nulls > 0 || c.Len == 0 {
		return nil, false
	}
	var scratch []int64
	// Pass 1: the ordered prefix [0, p) and its number of runs.
	runs, p := 0, c.Len
	var prev int64
scan:
	for ci, a := range c.Chunks {
		for i, v := range intView(a, &scratch, true) {
			switch {
			case ci == 0 && i == 0:
				runs = 1
			case v < prev:
				p = c.Starts[ci] + i
				break scan
			case v > prev:
				runs++
			}
			prev = v
		}
	}
	if p < c.Len && c.Len-p > c.Len/8 {
		return nil, false
	}
	// The tail's keys: the first (or last) tail row of each, and whether
	// the prefix holds it too.
	type tailKey struct {
		row      int32
		inPrefix bool
	}
	var tail map[int64]*tailKey
	if p < c.Len {
		tail = make(map[int64]*tailKey, c.Len-p)
		forRows(c, p, c.Len, &scratch, func(row int32, v int64) {
			if k, ok := tail[v]; !ok {
				tail[v] = &tailKey{row: row}
			} else if last {
				k.row = row
			}
		})
	}
	if tail == nil && runs == c.Len {
		return nil, true
	}
	// Pass 2: a row per prefix run, unless the tail holds its key and
	// keeps the last; a row per tail key the prefix lacks (or with last,
	// every tail key's last row).
	rows = make([]int32, 0, runs+len(tail)+1)
	started, drop := false, false
	forRows(c, 0, p, &scratch, func(row int32, v int64) {
		if started && v == prev {
			if last && !drop {
				rows[len(rows)-1] = row
			}
			return
		}
		started, prev, drop = true, v, false
		if k, ok := tail[v]; ok {
			k.inPrefix = true
			if last {
				drop = true // the tail has a later row of this key
				return
			}
		}
		rows = append(rows, row)
	})
	if tail != nil {
		forRows(c, p, c.Len, &scratch, func(row int32, v int64) {
			if k := tail[v]; k.row == row && (last || !k.inPrefix) {
				rows = append(rows, row)
			}
		})
	}
	if len(rows) == c.Len {
		return nil, true
	}
	return rows, true
}

// forRows calls fn with each row of c in [lo, hi) and its value as an
// int64 (c is integer-like).
func forRows(c Col, lo, hi int, scratch *[]int64, fn func(row int32, v int64)) {
	for ci, a := range c.Chunks {
		start := c.Starts[ci]
		end := start + a.Len()
		if end <= lo || start >= hi {
			continue
		}
		vals := intView(a, scratch, true)
		for i := max(lo, start) - start; i < min(hi, end)-start; i++ {
			fn(int32(start+i), vals[i])
		}
	}
}
