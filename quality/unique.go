package quality

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/kiln-data/kiln/internal/par"
	"github.com/kiln-data/kiln/internal/stats"
)

// Uniqueness and distinct values are found by sorting 64-bit keys with a
// radix sort: order-preserving keys for numbers and bools (equal keys mean
// equal values, NaN equal to NaN, -0 to +0), and hashes for strings and
// multi-column rows, where runs of equal hashes are split by comparing the
// values themselves. Results never depend on the hash seed.

var hashSeed = maphash.MakeSeed()

// fillKeys writes the keys of a[off:off+n] to keys (null rows get
// arbitrary keys).
func fillKeys(dom domain, a arrow.Array, off, n int, keys []uint64, sc *scratch) {
	keys = keys[:n]
	switch dom {
	case domInt:
		for i, v := range intValues(a, off, n, sc.ints) {
			keys[i] = stats.IntKey(v)
		}
	case domUint:
		copy(keys, uintValues(a, off, n))
	case domFloat:
		for i, v := range floatValues(a, off, n, sc) {
			keys[i] = stats.FloatKey(v)
		}
	case domBool:
		vb, base := a.Data().Buffers()[1].Bytes(), a.Data().Offset()+off
		for i := range keys {
			keys[i] = uint64(b2i(bitutil.BitIsSet(vb, base+i)))
		}
	case domString:
		p := stringsOf(a, off, n)
		for i := range keys {
			keys[i] = maphash.Bytes(hashSeed, p.at(i))
		}
	}
}

// cell is one value of a column at a row, for exact comparisons.
type cell struct {
	null bool
	key  uint64
	str  []byte
}

func (c *column) cell(row int64) cell {
	a, off := c.locate(row)
	if a.IsNull(off) {
		return cell{null: true}
	}
	if c.dom == domString {
		return cell{str: stringsOf(a, off, 1).at(0)}
	}
	var keys [1]uint64
	var sc scratch
	sc.ints, sc.floats = make([]int64, 1), make([]float64, 1)
	fillKeys(c.dom, a, off, 1, keys[:], &sc)
	return cell{key: keys[0]}
}

func (x cell) equal(y cell) bool {
	return x.null == y.null && x.key == y.key && bytes.Equal(x.str, y.str)
}

// sortedKeys holds the non-null rows of one or more columns sorted by key.
type sortedKeys struct {
	keys    []uint64
	rows    []int32
	missing int64
	// exact reports whether equal keys mean equal values.
	exact bool
	// equal compares two rows when keys are hashes.
	equal func(a, b int32) bool
}

func checkRows(n int64) error {
	if n > math.MaxInt32 {
		return fmt.Errorf("quality: %d rows is more than one partition check can handle (%d)", n, math.MaxInt32)
	}
	return nil
}

// sortColumn builds and sorts the keys of col's non-null rows.
func sortColumn(ctx context.Context, col *column) (*sortedKeys, error) {
	keys, rows, err := gatherKeys(ctx, col, true)
	if err != nil {
		return nil, err
	}
	sk := &sortedKeys{keys: keys, rows: rows, missing: col.n - int64(len(keys)), exact: col.dom != domString}
	stats.SortPairs(sk.keys, make([]uint64, len(keys)), sk.rows, make([]int32, len(keys)))
	if !sk.exact {
		sk.equal = func(a, b int32) bool { return col.cell(int64(a)).equal(col.cell(int64(b))) }
	}
	return sk, nil
}

// groups calls fn with the rows of each distinct value, in key order, the
// rows of a group in increasing order.
func (sk *sortedKeys) groups(fn func(rows []int32)) {
	keys, rows := sk.keys, sk.rows
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		if sk.exact || j-i == 1 {
			fn(rows[i:j])
		} else {
			splitRun(rows[i:j], sk.equal, fn)
		}
		i = j
	}
}

// splitRun splits rows with equal hashes into groups of equal values.
func splitRun(rows []int32, equal func(a, b int32) bool, fn func(rows []int32)) {
	for len(rows) > 0 {
		first := rows[0]
		same := []int32{first}
		var rest []int32
		for _, r := range rows[1:] {
			if equal(first, r) {
				same = append(same, r)
			} else {
				rest = append(rest, r)
			}
		}
		fn(same)
		rows = rest
	}
}

// uniqueRows finds every row whose non-null value occurs more than once.
func uniqueRows(ctx context.Context, col *column, collect bool) (outcome, error) {
	if col.dom.numeric() {
		if out, ok := adjacentDuplicates(col, collect); ok {
			return out, nil
		}
	}
	sk, err := sortColumn(ctx, col)
	if err != nil {
		return outcome{}, err
	}
	return dupOutcome(sk, col.n, collect), nil
}

func dupOutcome(sk *sortedKeys, n int64, collect bool) outcome {
	dup := make([]byte, n)
	sk.groups(func(rows []int32) {
		if len(rows) > 1 {
			for _, r := range rows {
				dup[r] = 1
			}
		}
	})
	return mergeSegs([]segOut{collectBad(dup, 0, sk.missing, collect)})
}

// adjacentDuplicates handles sorted columns (ascending or descending, as
// event ids usually are) in one pass without sorting: duplicates are then
// neighbours. It reports false when the column is not sorted.
func adjacentDuplicates(col *column, collect bool) (outcome, bool) {
	var out segOut
	var prev uint64
	prevRow, have, dir := int64(-1), false, 0
	prevMarked := false
	sc := getScratch()
	defer putScratch(sc)
	keys := make([]uint64, par.ChunkRows)
	ok := true
	for ci, a := range col.chunks {
		for off := 0; off < a.Len() && ok; off += par.ChunkRows {
			n := min(par.ChunkRows, a.Len()-off)
			fillKeys(col.dom, a, off, n, keys, sc)
			v := validityOf(a)
			at := col.starts[ci] + int64(off)
			for i, k := range keys[:n] {
				if !v.valid(off + i) {
					out.missing++
					continue
				}
				row := at + int64(i)
				if have {
					switch {
					case k == prev:
						if !prevMarked {
							out.unexpected++
							if collect || len(out.rows) < SampleSize {
								out.rows = append(out.rows, prevRow)
							}
						}
						out.unexpected++
						if collect || len(out.rows) < SampleSize {
							out.rows = append(out.rows, row)
						}
						prevMarked = true
						prevRow = row
						continue
					case k > prev && dir >= 0:
						dir = 1
					case k < prev && dir <= 0:
						dir = -1
					default:
						ok = false
					}
					if !ok {
						break
					}
				}
				prev, prevRow, have, prevMarked = k, row, true, false
			}
		}
		if !ok {
			return outcome{}, false
		}
	}
	return mergeSegs([]segOut{out}), true
}

// compoundUnique finds every row whose combination of values of columns
// occurs more than once. Rows null in every column are missing.
func compoundUnique(ctx context.Context, t arrow.Table, names []string, collect bool) (outcome, error) {
	n := t.NumRows()
	if err := checkRows(n); err != nil {
		return outcome{}, err
	}
	cols := make([]*column, len(names))
	for i, name := range names {
		c, err := newColumn(t, name, domInt, domUint, domFloat, domString, domBool)
		if err != nil {
			return outcome{}, err
		}
		cols[i] = c
	}
	h := make([]uint64, n)
	anyValid := make([]bool, n)
	segs := segments(n)
	if err := par.Do(ctx, len(segs), func(s int) error {
		lo, hi := int64(segs[s][0]), int64(segs[s][1])
		sc := getScratch()
		defer putScratch(sc)
		keys := make([]uint64, par.ChunkRows)
		for ci, col := range cols {
			col.pieces(lo, hi, func(a arrow.Array, off, k int, at int64) {
				fillKeys(col.dom, a, off, k, keys, sc)
				v := validityOf(a)
				for i := range k {
					r := at + int64(i)
					key := keys[i]
					if !v.valid(off + i) {
						key = 0x6a09e667f3bcc909
					} else {
						anyValid[r] = true
					}
					h[r] = mix64(h[r]*0x9e3779b97f4a7c15 + key + uint64(ci))
				}
			})
		}
		return nil
	}); err != nil {
		return outcome{}, err
	}
	sk := &sortedKeys{}
	rows := make([]int32, 0, n)
	w := 0
	for r := range n {
		if anyValid[r] {
			h[w] = h[r]
			rows = append(rows, int32(r))
			w++
		}
	}
	sk.missing = n - int64(w)
	sk.keys, sk.rows = h[:w], rows
	stats.SortPairs(sk.keys, make([]uint64, w), sk.rows, make([]int32, w))
	sk.equal = func(a, b int32) bool {
		for _, c := range cols {
			if !c.cell(int64(a)).equal(c.cell(int64(b))) {
				return false
			}
		}
		return true
	}
	return dupOutcome(sk, n, collect), nil
}

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// distinct returns the number of distinct non-null values of col and the
// number of nulls.
func distinct(ctx context.Context, col *column) (count, missing int64, err error) {
	if col.dom != domString {
		keys, err := sortedKeysOf(ctx, col)
		if err != nil {
			return 0, 0, err
		}
		return distinctSorted(keys), col.n - int64(len(keys)), nil
	}
	sk, err := sortColumn(ctx, col)
	if err != nil {
		return 0, 0, err
	}
	sk.groups(func([]int32) { count++ })
	return count, sk.missing, nil
}

// valueString renders the value at a row as a category label: strings as
// they are, numbers and bools in Go's formatting.
func valueString(col *column, row int64) string {
	a, off := col.locate(row)
	switch a := a.(type) {
	case *array.String:
		return a.Value(off)
	case *array.LargeString:
		return a.Value(off)
	}
	return fmt.Sprint(value(a, off))
}
