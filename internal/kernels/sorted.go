package kernels

// SortedRuns is the fast path of deduplication on one key column that is
// already in order, as ids and event times usually are: when c is an
// integer-like column (ints, dates, timestamps) without nulls whose values
// never decrease, equal keys are adjacent and each run of equal values is
// one group. It then returns ok and the row of each run to keep, ascending
// (the first of the run, or the last with last), or nil rows when every
// value is distinct. Otherwise (unsupported type, a null, a decrease) ok is
// false and the caller groups by hashing. It reads c at most twice and
// allocates only the result.
func SortedRuns(c Col, last bool) (rows []int32, ok bool) {
	if KindOf(c.Type) != KindInt || c.Nulls > 0 || c.Len == 0 {
		return nil, false
	}
	var scratch []int64
	// Pass 1: order and the number of runs.
	runs := 0
	var prev int64
	for ci, a := range c.Chunks {
		for i, v := range intView(a, &scratch, true) {
			switch {
			case ci == 0 && i == 0:
				runs = 1
			case v < prev:
				return nil, false
			case v > prev:
				runs++
			}
			prev = v
		}
	}
	if runs == c.Len {
		return nil, true
	}
	// Pass 2: a row per run.
	rows = make([]int32, 0, runs+1)
	for ci, a := range c.Chunks {
		base := int32(c.Starts[ci])
		for i, v := range intView(a, &scratch, true) {
			row := base + int32(i)
			switch {
			case row == 0:
				rows = append(rows, 0)
			case v != prev && !last:
				rows = append(rows, row)
			case v != prev:
				rows = append(rows, row-1)
			}
			prev = v
		}
	}
	if last {
		rows = append(rows[1:], int32(c.Len-1))
	}
	return rows, true
}
