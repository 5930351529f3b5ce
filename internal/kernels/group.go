package kernels

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/par"
)

// Groups assigns each row of some key columns a dense group id: rows with
// equal keys share an id. Nulls are equal to nulls, floats compare as SQL
// does (NaN equals NaN, -0 equals +0), strings and binaries by bytes.
type Groups struct {
	// IDs is the group id of each row. Ids are numbered 0, 1, 2... in the
	// order of each group's first row, so they depend only on the data.
	IDs []int32
	// N is the number of groups.
	N int
	// First is the first row of each group (ascending).
	First []int32
	// NullKey reports, per row, whether some key of the row is null. It is
	// nil when no key column holds a null.
	NullKey []bool
}

// Group groups the rows of key columns (all of the same length and of a
// supported kind). With no key columns, every row is in group 0.
func Group(keys []Col) (*Groups, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("kernels: group by no columns")
	}
	n := keys[0].Len
	if err := CheckRows(n); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Len != n {
			return nil, fmt.Errorf("kernels: key columns of %d and %d rows", n, k.Len)
		}
	}
	g := &Groups{IDs: make([]int32, n)}
	codes := make([]uint32, n)
	space, err := columnCodes(keys[0], codes)
	if err != nil {
		return nil, err
	}
	if keys[0].Nulls > 0 {
		g.NullKey = make([]bool, n)
		markNull(g.NullKey, codes)
	}
	if len(keys) == 1 {
		g.N, g.First = densify(codes, space, g.IDs)
		return g, nil
	}
	packed := make([]uint64, n)
	for i, c := range codes {
		packed[i] = uint64(c)
	}
	for _, k := range keys[1:] {
		s, err := columnCodes(k, codes)
		if err != nil {
			return nil, err
		}
		if k.Nulls > 0 {
			if g.NullKey == nil {
				g.NullKey = make([]bool, n)
			}
			markNull(g.NullKey, codes)
		}
		if hi, _ := bits.Mul64(space, s); hi != 0 {
			// The product of the code spaces does not fit: renumber the
			// columns so far densely (at most n < 2^31 ids) and go on.
			m, _ := densify(packed, space, g.IDs)
			for i, id := range g.IDs {
				packed[i] = uint64(id)
			}
			space = uint64(m)
		}
		for i, c := range codes {
			packed[i] = packed[i]*s + uint64(c)
		}
		space *= s
	}
	g.N, g.First = densify(packed, space, g.IDs)
	return g, nil
}

func markNull(null []bool, codes []uint32) {
	for i, c := range codes {
		if c == 0 {
			null[i] = true
		}
	}
}

// directLimit is the largest key space densify maps with a plain array
// rather than a hash table: at most 8 bytes per row, like the ids.
func directLimit(n int) uint64 {
	return uint64(max(1<<16, 2*n+1026))
}

// densify numbers the distinct keys (all < space) 0, 1, 2... in order of
// first occurrence, writing each row's number to ids. It returns the count
// and the first row of each.
func densify[T uint32 | uint64](keys []T, space uint64, ids []int32) (int, []int32) {
	var first []int32
	if space <= directLimit(len(keys)) {
		seen := make([]int32, space) // id+1; 0: not seen
		n := int32(0)
		for i, k := range keys {
			id := seen[k]
			if id == 0 {
				n++
				id = n
				seen[k] = id
				first = append(first, int32(i))
			}
			ids[i] = id - 1
		}
		return int(n), first
	}
	return hashDensify(keys, ids)
}

// sampleUnique returns the share of distinct values among up to 4096 keys
// spread evenly over keys.
func sampleUnique[T uint32 | uint64](keys []T) float64 {
	m := min(len(keys), 4096)
	if m == 0 {
		return 0
	}
	t := newU64Table(m)
	step := len(keys) / m
	for i := range m {
		t.insert(uint64(keys[i*step]))
	}
	return float64(t.len()) / float64(m)
}

// partitionMin is the smallest input hashDensify partitions.
var partitionMin = 1 << 18

// hashDensify is densify through hash tables. Large inputs are split into
// partitions by hash (a stable counting sort over fixed row chunks), each
// numbered by its own cache-sized table in parallel, and the groups are
// then renumbered by first occurrence: the result equals a sequential
// pass's at any thread count.
func hashDensify[T uint32 | uint64](keys []T, ids []int32) (int, []int32) {
	n := len(keys)
	if n < partitionMin {
		var first []int32
		t := newU64Table(min(n, 1<<16))
		for i, k := range keys {
			id := t.insert(uint64(k))
			if int(id) == len(first) {
				first = append(first, int32(i))
			}
			ids[i] = id
		}
		return t.len(), first
	}
	bits := uint(min(max(bits.Len(uint(n>>15)), 4), 10))
	nparts := 1 << bits
	// Partition by the low hash bits: the tables index slots by the high ones.
	part := func(k T) int { return int(hash64(uint64(k)) & uint64(nparts-1)) }
	ctx := context.Background()
	rs := par.Ranges(n, par.ChunkRows)
	off := make([][]int32, len(rs)) // per chunk: counts, then write offsets
	_ = par.Do(ctx, len(rs), func(c int) error {
		h := make([]int32, nparts)
		for _, k := range keys[rs[c][0]:rs[c][1]] {
			h[part(k)]++
		}
		off[c] = h
		return nil
	})
	pstart := make([]int32, nparts+1)
	pos := int32(0)
	for p := range nparts {
		pstart[p] = pos
		for c := range rs {
			cnt := off[c][p]
			off[c][p] = pos
			pos += cnt
		}
	}
	pstart[nparts] = pos
	rows := make([]int32, n)
	pkeys := make([]T, n)
	_ = par.Do(ctx, len(rs), func(c int) error {
		o := off[c]
		for i := rs[c][0]; i < rs[c][1]; i++ {
			p := part(keys[i])
			rows[o[p]], pkeys[o[p]] = int32(i), keys[i]
			o[p]++
		}
		return nil
	})
	// Size the tables from the share of distinct keys in a sample: tables
	// sized for every row are costly to clear when keys repeat, and tables
	// grown from small are costly to rehash when they do not.
	hint := 0
	if unique := sampleUnique(keys); unique > 0.5 {
		hint = n/nparts + n/nparts/4
	} else {
		hint = int(unique * float64(n) / float64(nparts) * 2)
	}
	counts := make([]int32, nparts+1)
	firsts := make([][]int32, nparts)
	local := make([]int32, n) // partition-local ids, in partition order
	_ = par.Do(ctx, nparts, func(p int) error {
		lo, hi := pstart[p], pstart[p+1]
		t := newU64Table(min(int(hi-lo), max(hint, 1024)))
		var f []int32
		for j := lo; j < hi; j++ {
			id := t.insert(uint64(pkeys[j]))
			if int(id) == len(f) {
				f = append(f, rows[j])
			}
			local[j] = id
		}
		counts[p+1], firsts[p] = int32(t.len()), f
		return nil
	})
	for p := range nparts {
		counts[p+1] += counts[p]
	}
	total := int(counts[nparts])
	// Renumber by first occurrence.
	mark := make([]int32, n) // global id + 1 at each group's first row
	for p, f := range firsts {
		for l, r := range f {
			mark[r] = counts[p] + int32(l) + 1
		}
	}
	renum := make([]int32, total)
	first := make([]int32, 0, total)
	for r, m := range mark {
		if m != 0 {
			renum[m-1] = int32(len(first))
			first = append(first, int32(r))
		}
	}
	_ = par.Do(ctx, nparts, func(p int) error {
		for j := pstart[p]; j < pstart[p+1]; j++ {
			ids[rows[j]] = renum[counts[p]+local[j]]
		}
		return nil
	})
	return total, first
}

// columnCodes writes, per row of c, a code: 0 for null, and 1, 2... for
// values, equal values getting equal codes. It returns the code space (one
// more than the largest code). Integer columns whose values span a small
// range are coded by offset from the minimum; others through a hash table.
func columnCodes(c Col, out []uint32) (uint64, error) {
	switch KindOf(c.Type) {
	case KindInt:
		return intCodes(c, out), nil
	case KindFloat:
		return floatCodes(c, out), nil
	case KindBytes:
		return bytesCodes(c, out), nil
	}
	return 0, fmt.Errorf("kernels: unsupported key type %s", c.Type)
}

func intCodes(c Col, out []uint32) uint64 {
	var scratch []int64
	lo, hi, any := intRange(c, &scratch)
	if !any {
		clear(out)
		return 1
	}
	span := uint64(hi) - uint64(lo)
	if span < uint64(2*c.Len+1024) && span < 1<<31 {
		for ci, a := range c.Chunks {
			vals := intView(a, &scratch, true)
			o := out[c.Starts[ci]:c.Starts[ci+1]]
			for i, v := range vals {
				o[i] = uint32(uint64(v)-uint64(lo)) + 1
			}
			zeroNulls(a, o)
		}
		return span + 2
	}
	keys := make([]uint64, c.Len)
	for ci, a := range c.Chunks {
		for i, v := range intView(a, &scratch, true) {
			keys[c.Starts[ci]+i] = uint64(v)
		}
	}
	return dictCodes(c, keys, out)
}

// dictCodes numbers the distinct keys of the non-null rows of c 1, 2...
// (by first occurrence, over all rows), writing 0 for nulls.
func dictCodes(c Col, keys []uint64, out []uint32) uint64 {
	ids := make([]int32, len(keys))
	n, _ := hashDensify(keys, ids)
	for i, id := range ids {
		out[i] = uint32(id) + 1
	}
	for ci, a := range c.Chunks {
		zeroNulls(a, out[c.Starts[ci]:c.Starts[ci+1]])
	}
	return uint64(n) + 1
}

// intRange returns the smallest and largest non-null value of an integer
// column (ordered view), and whether there is any.
func intRange(c Col, scratch *[]int64) (lo, hi int64, any bool) {
	for _, a := range c.Chunks {
		vals := intView(a, scratch, true)
		bm, off := validity(a)
		for i, v := range vals {
			if bm != nil && !valid(bm, off, i) {
				continue
			}
			if !any {
				lo, hi, any = v, v, true
			}
			lo = min(lo, v)
			hi = max(hi, v)
		}
	}
	return lo, hi, any
}

// zeroNulls sets o[i] to 0 where chunk a is null.
func zeroNulls[T uint32 | uint64](a arrow.Array, o []T) {
	bm, off := validity(a)
	if bm == nil {
		return
	}
	for i := range o {
		if !valid(bm, off, i) {
			o[i] = 0
		}
	}
}

func floatCodes(c Col, out []uint32) uint64 {
	var scratch []float64
	keys := make([]uint64, c.Len)
	for ci, a := range c.Chunks {
		for i, v := range floatView(a, &scratch) {
			keys[c.Starts[ci]+i] = canonFloat(v)
		}
	}
	return dictCodes(c, keys, out)
}

func bytesCodes(c Col, out []uint32) uint64 {
	return uint64(bytesDict(c, out).len()) + 1
}

// bytesDict codes a KindBytes column like columnCodes (1 + the value's id
// in the returned table, 0 for null).
func bytesDict(c Col, out []uint32) *bytesTable {
	t := newBytesTable(min(c.Len, 1<<16))
	for ci, a := range c.Chunks {
		v := newBytesView(a)
		o := out[c.Starts[ci]:c.Starts[ci+1]]
		bm, off := validity(a)
		for i := range o {
			if valid(bm, off, i) {
				o[i] = uint32(t.insert(v.at(i))) + 1
			} else {
				o[i] = 0
			}
		}
	}
	return t
}
