package kernels

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/par"
)

// EntityOrder lays rows out by entity and time, for windows, sessions and
// as-of joins.
type EntityOrder struct {
	// Rows is the input row at each position.
	Rows []int32
	// Times is the time at each position.
	Times []int64
	// Start delimits the entities: entity g holds positions
	// [Start[g], Start[g+1]), ordered by time, then input row.
	Start []int32
}

// OrderByEntity lays out the rows with use[i] true (nil: all) by group
// (ids in [0, n)) and, within a group, by time then input row.
func OrderByEntity(ids []int32, n int, times []int64, use []bool) *EntityOrder {
	o, _ := orderByEntity(ids, n, times, nil, use)
	return o
}

// orderByEntity is OrderByEntity with an optional second time: within a
// group, rows go by time, then by second (when not nil), then input row. It
// also returns second laid out like Times.
func orderByEntity(ids []int32, n int, times, second []int64, use []bool) (*EntityOrder, []int64) {
	start := make([]int32, n+1)
	for i, g := range ids {
		if use == nil || use[i] {
			start[g+1]++
		}
	}
	for g := range n {
		start[g+1] += start[g]
	}
	o := &EntityOrder{Start: start, Rows: make([]int32, start[n]), Times: make([]int64, start[n])}
	var sec []int64
	if second != nil {
		sec = make([]int64, start[n])
	}
	pos := slices.Clone(start[:n])
	for i, g := range ids {
		if use == nil || use[i] {
			p := pos[g]
			o.Rows[p], o.Times[p] = int32(i), times[i]
			if sec != nil {
				sec[p] = second[i]
			}
			pos[g]++
		}
	}
	// Sort the groups whose rows are not already in order. Positions start
	// in input order, so a stable sort breaks full ties by input row.
	rs := par.Ranges(n, 1<<12)
	_ = par.Do(context.Background(), len(rs), func(r int) error {
		var idx []int
		var rows []int32
		var ts, ss []int64
		for g := rs[r][0]; g < rs[r][1]; g++ {
			s, e := int(start[g]), int(start[g+1])
			if inOrder(o.Times[s:e], sliceOrNil(sec, s, e)) {
				continue
			}
			idx = idx[:0]
			for k := s; k < e; k++ {
				idx = append(idx, k)
			}
			slices.SortStableFunc(idx, func(a, b int) int {
				if c := cmp.Compare(o.Times[a], o.Times[b]); c != 0 || sec == nil {
					return c
				}
				return cmp.Compare(sec[a], sec[b])
			})
			rows, ts, ss = rows[:0], ts[:0], ss[:0]
			for _, k := range idx {
				rows = append(rows, o.Rows[k])
				ts = append(ts, o.Times[k])
				if sec != nil {
					ss = append(ss, sec[k])
				}
			}
			copy(o.Rows[s:e], rows)
			copy(o.Times[s:e], ts)
			if sec != nil {
				copy(sec[s:e], ss)
			}
		}
		return nil
	})
	return o, sec
}

func sliceOrNil(s []int64, lo, hi int) []int64 {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

// inOrder reports whether the positions are ordered by time, then by
// second (when not nil).
func inOrder(times, second []int64) bool {
	for k := 1; k < len(times); k++ {
		if times[k] < times[k-1] || (second != nil && times[k] == times[k-1] && second[k] < second[k-1]) {
			return false
		}
	}
	return true
}

// Float64sAt returns c's values at rows as float64 (integers converted)
// and whether each is valid.
func Float64sAt(c Col, rows []int32) ([]float64, []bool) {
	views := make([][]float64, len(c.Chunks))
	u64 := c.Type.ID() == arrow.UINT64
	for ci, a := range c.Chunks {
		if KindOf(c.Type) == KindFloat {
			var s []float64
			views[ci] = floatView(a, &s)
			continue
		}
		var s []int64
		iv := intView(a, &s, false)
		f := make([]float64, len(iv))
		for i, v := range iv {
			if u64 {
				f[i] = float64(uint64(v))
			} else {
				f[i] = float64(v)
			}
		}
		views[ci] = f
	}
	vals := make([]float64, len(rows))
	ok := make([]bool, len(rows))
	loc := newLocator(c)
	for k, r := range rows {
		ci := loc.find(int(r))
		i := int(r) - c.Starts[ci]
		if c.Chunks[ci].IsValid(i) {
			vals[k], ok[k] = views[ci][i], true
		}
	}
	return vals, ok
}

// Int64sAt returns the integer column c's values at rows and whether each
// is valid. A uint64 value above the int64 range is an error wrapping
// ErrOverflow.
func Int64sAt(c Col, rows []int32) ([]int64, []bool, error) {
	views := make([][]int64, len(c.Chunks))
	for ci, a := range c.Chunks {
		var s []int64
		views[ci] = intView(a, &s, false)
	}
	vals := make([]int64, len(rows))
	ok := make([]bool, len(rows))
	loc := newLocator(c)
	u64 := c.Type.ID() == arrow.UINT64
	for k, r := range rows {
		ci := loc.find(int(r))
		i := int(r) - c.Starts[ci]
		if !c.Chunks[ci].IsValid(i) {
			continue
		}
		v := views[ci][i]
		if u64 && v < 0 {
			return nil, nil, fmt.Errorf("value %d at row %d: %w", uint64(v), r, ErrOverflow)
		}
		vals[k], ok[k] = v, true
	}
	return vals, ok, nil
}

// CodesAt returns order codes (see OrderCodes) of c at rows, and whether
// each row is valid.
func CodesAt(c Col, rows []int32) ([]uint64, []bool, error) {
	all, err := OrderCodes(c, false)
	if err != nil {
		return nil, nil, err
	}
	null := c.NullMask()
	codes := make([]uint64, len(rows))
	ok := make([]bool, len(rows))
	for k, r := range rows {
		codes[k] = all[r]
		ok[k] = null == nil || !null[r]
	}
	return codes, ok, nil
}
