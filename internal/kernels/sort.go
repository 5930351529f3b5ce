package kernels

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/par"
)

// OrderKey is one key of a sort as order-preserving codes: row i sorts
// before row j when Codes[i] < Codes[j] (ties keep input order).
type OrderKey struct {
	// Codes holds one code per row; codes of null rows are ignored.
	Codes []uint64
	// Null marks null rows; nil when there are none.
	Null []bool
	// NullsFirst puts nulls before all values (else after).
	NullsFirst bool
}

// SortKey is one key of SortPerm: a column and its direction.
type SortKey struct {
	Col        Col
	Desc       bool
	NullsFirst bool
}

// SortPerm returns the permutation that sorts the rows by keys (the first
// key most significant): perm[k] is the input row at output position k. The
// sort is stable: rows with equal keys keep their input order. Integers and
// times compare as numbers, floats numerically with NaN greater than every
// other value and -0 equal to +0, strings and binaries bytewise, false
// before true. Descending keys reverse the value order; nulls go first or
// last as asked, in either direction.
func SortPerm(n int, keys []SortKey) ([]int32, error) {
	for i, k := range keys {
		if k.Col.Len != n {
			return nil, fmt.Errorf("kernels: sort key %d has %d rows, want %d", i, k.Col.Len, n)
		}
	}
	if err := CheckRows(n); err != nil {
		return nil, err
	}
	// Keys that fit in 64 bits together are packed into one code, one key
	// at a time, so that only one key's codes exist besides the packed
	// ones; wider keys are sorted one after another.
	codes := make([]uint64, n)
	total := 0
	for _, k := range keys {
		if kind := KindOf(k.Col.Type); kind == KindInt || kind == KindFloat {
			// Codes of numbers come a chunk at a time: no column of them.
			nk := normChunks(k)
			if total+nk.width+nk.nbit > 64 {
				return sortWide(n, keys)
			}
			nk.packChunks(codes, k)
			total += nk.width + nk.nbit
			continue
		}
		key, err := orderKey(k)
		if err != nil {
			return nil, err
		}
		nk := normOf(key)
		if total+nk.width+nk.nbit > 64 {
			return sortWide(n, keys)
		}
		nk.pack(codes, key)
		total += nk.width + nk.nbit
	}
	return sortPacked(codes, total), nil
}

// chunkCodes holds the order codes of one chunk of a number column at a
// time (see OrderCodes).
type chunkCodes struct {
	ints   []int64
	floats []float64
	codes  []uint64
}

// of returns the codes of a (a chunk of kind KindInt or KindFloat),
// reversed when desc; codes of null rows are unspecified.
func (cc *chunkCodes) of(a arrow.Array, desc bool) []uint64 {
	return cc.into(a, desc, grow(&cc.codes, a.Len()))
}

// into writes the codes of a into out (a.Len() long) and returns it.
func (cc *chunkCodes) into(a arrow.Array, desc bool, out []uint64) []uint64 {
	if KindOf(a.DataType()) == KindInt {
		for i, v := range intView(a, &cc.ints, true) {
			out[i] = uint64(v) ^ bias
		}
	} else {
		for i, v := range floatView(a, &cc.floats) {
			out[i] = floatOrder(v)
		}
	}
	if desc {
		for i := range out {
			out[i] = ^out[i]
		}
	}
	return out
}

// normChunks is normOf for a number column, a chunk at a time.
func normChunks(k SortKey) keyNorm {
	var cc chunkCodes
	lo, hi, any := uint64(math.MaxUint64), uint64(0), false
	for _, a := range k.Col.Chunks {
		bm, off := validity(a)
		for i, c := range cc.of(a, k.Desc) {
			if bm != nil && !valid(bm, off, i) {
				continue
			}
			lo, hi, any = min(lo, c), max(hi, c), true
		}
	}
	if !any {
		lo, hi = 0, 0
	}
	nk := keyNorm{lo: lo, width: bits.Len64(hi - lo)}
	if k.Col.Nulls > 0 {
		nk.nbit = 1
	}
	return nk
}

// packChunks is pack for a number column, a chunk at a time.
func (nk keyNorm) packChunks(codes []uint64, k SortKey) {
	var cc chunkCodes
	w := uint(nk.width + nk.nbit)
	for ci, a := range k.Col.Chunks {
		out := codes[k.Col.Starts[ci]:k.Col.Starts[ci+1]]
		bm, off := validity(a)
		for i, c := range cc.of(a, k.Desc) {
			v := c - nk.lo
			if nk.nbit == 1 {
				null := bm != nil && !valid(bm, off, i)
				if null {
					v = 0
				}
				if null != k.NullsFirst { // as in pack
					v |= 1 << nk.width
				}
			}
			out[i] = out[i]<<w | v // a shift by 64 gives 0
		}
	}
}

// sortWide sorts by keys wider than 64 bits together: least significant
// key first, each pass stable.
func sortWide(n int, keys []SortKey) ([]int32, error) {
	ok := make([]OrderKey, len(keys))
	for i, k := range keys {
		var err error
		if ok[i], err = orderKey(k); err != nil {
			return nil, err
		}
	}
	return SortByCodes(n, ok)
}

func orderKey(k SortKey) (OrderKey, error) {
	codes, err := OrderCodes(k.Col, k.Desc)
	if err != nil {
		return OrderKey{}, err
	}
	return OrderKey{Codes: codes, Null: k.Col.NullMask(), NullsFirst: k.NullsFirst}, nil
}

// OrderCodes returns order-preserving codes of a column's values (see
// SortPerm for the order), reversed when desc. Codes of nulls are 0.
func OrderCodes(c Col, desc bool) ([]uint64, error) {
	out := make([]uint64, c.Len)
	switch KindOf(c.Type) {
	case KindInt, KindFloat:
		var cc chunkCodes
		for ci, a := range c.Chunks {
			cc.into(a, false, out[c.Starts[ci]:c.Starts[ci+1]])
		}
	case KindBytes:
		codes := make([]uint32, c.Len)
		bytesRanks(c, codes)
		for i, v := range codes {
			out[i] = uint64(v)
		}
	default:
		return nil, fmt.Errorf("kernels: unsupported sort key type %s", c.Type)
	}
	if desc {
		for i := range out {
			out[i] = ^out[i]
		}
	}
	if c.Nulls > 0 {
		for ci, a := range c.Chunks {
			zeroNulls(a, out[c.Starts[ci]:c.Starts[ci+1]])
		}
	}
	return out, nil
}

// floatOrder maps a float to a code whose unsigned order is the float's
// order, NaN above +Inf and -0 equal to +0.
func floatOrder(x float64) uint64 {
	if x != x {
		return math.MaxUint64
	}
	if x == 0 {
		x = 0
	}
	b := math.Float64bits(x)
	if b>>63 != 0 {
		return ^b
	}
	return b | bias
}

// bytesRanks writes, per row, the rank of its value among the column's
// distinct values in bytewise order (nulls get 0, values 1...).
func bytesRanks(c Col, out []uint32) {
	t := bytesDict(c, out)
	order := make([]int32, t.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(t.keys[a], t.keys[b]) })
	rank := make([]uint32, len(order)+1) // by code: 0 stays 0 (null)
	for r, id := range order {
		rank[id+1] = uint32(r) + 1
	}
	for i, code := range out {
		out[i] = rank[code]
	}
}

// SortByCodes returns the stable permutation of n rows sorting them by keys
// (the first most significant).
func SortByCodes(n int, keys []OrderKey) ([]int32, error) {
	if err := CheckRows(n); err != nil {
		return nil, err
	}
	ns := make([]keyNorm, len(keys))
	total := 0
	for k, key := range keys {
		ns[k] = normOf(key)
		total += ns[k].width + ns[k].nbit
	}
	codes := make([]uint64, n)
	if total <= 64 {
		// One radix sort over the keys packed into one code.
		for k, key := range keys {
			ns[k].pack(codes, key)
		}
		return sortPacked(codes, total), nil
	}
	perm := identityPerm(n)
	if n < 2 {
		return perm, nil
	}
	// Least significant key first; each pass is stable.
	var tmp []int32
	for k := len(keys) - 1; k >= 0; k-- {
		key, nk := keys[k], ns[k]
		for i, p := range perm {
			codes[i] = key.Codes[p] - nk.lo
			if key.Null != nil && key.Null[p] {
				codes[i] = 0
			}
		}
		radixSort(codes, perm, nk.width)
		if key.Null != nil {
			tmp = grow(&tmp, n)
			w := 0
			for pass := range 2 {
				wantNull := (pass == 0) == key.NullsFirst
				for _, p := range perm {
					if key.Null[p] == wantNull {
						tmp[w] = p
						w++
					}
				}
			}
			copy(perm, tmp)
		}
	}
	return perm, nil
}

// keyNorm maps a key's codes to [0, 2^width) (nulls 0) plus, when the key
// has nulls, one bit that places them first or last.
type keyNorm struct {
	lo    uint64
	width int // value bits
	nbit  int // 1 when the key has nulls
}

func normOf(key OrderKey) keyNorm {
	lo, hi, any := uint64(math.MaxUint64), uint64(0), false
	for i, c := range key.Codes {
		if key.Null != nil && key.Null[i] {
			continue
		}
		lo, hi, any = min(lo, c), max(hi, c), true
	}
	if !any {
		lo, hi = 0, 0
	}
	nk := keyNorm{lo: lo, width: bits.Len64(hi - lo)}
	if key.Null != nil {
		nk.nbit = 1
	}
	return nk
}

// pack shifts codes left by the key's bits and puts the key's normalized
// code in the low bits.
func (nk keyNorm) pack(codes []uint64, key OrderKey) {
	w := uint(nk.width + nk.nbit)
	for i := range codes {
		v := key.Codes[i] - nk.lo
		if nk.nbit == 1 {
			null := key.Null[i]
			if null {
				v = 0
			}
			if null != key.NullsFirst { // nulls last: null bit 1; nulls first: values 1
				v |= 1 << nk.width
			}
		}
		codes[i] = codes[i]<<w | v // a shift by 64 gives 0
	}
}

// sortPacked returns the stable permutation sorting codes (width bits
// each); codes is used as scratch. Large inputs take one pass on the top
// digit that places row numbers only, then sort each bucket's codes,
// gathered into scratch of the bucket's size (buckets in parallel, the
// same permutation at any thread count): besides codes, the sort holds
// the permutation and a few buckets' scratch instead of a second copy of
// both.
func sortPacked(codes []uint64, width int) []int32 {
	n := len(codes)
	if n < 1<<16 || width <= radixBits {
		perm := identityPerm(n)
		if n >= 2 && width > 0 {
			radixSort(codes, perm, width)
		}
		return perm
	}
	const buckets = 1 << radixBits
	shift := uint(width - radixBits)
	start := digitStarts(codes, shift)
	perm := make([]int32, n)
	pos := start
	for i, c := range codes {
		d := c >> shift
		perm[pos[d]] = int32(i)
		pos[d]++
	}
	low := uint64(1)<<shift - 1
	const tasks = 64
	_ = par.Do(context.Background(), tasks, func(t int) error {
		var bc, bc2 []uint64
		var bp2 []int32
		for b := t * buckets / tasks; b < (t+1)*buckets/tasks; b++ {
			lo, hi := start[b], start[b+1]
			m := hi - lo
			if m < 2 {
				continue
			}
			// The bucket's rows are in input order: sorting them stably
			// on the low bits finishes the stable sort.
			bp := perm[lo:hi]
			bc = grow(&bc, m)
			for k, r := range bp {
				bc[k] = codes[r] & low
			}
			if m <= 64 {
				smallSort(bc, bp)
				continue
			}
			bc2, bp2 = grow(&bc2, m), grow(&bp2, m)
			if lsd(bc, bp, bc2, bp2, int(shift)) {
				copy(bp, bp2)
			}
		}
		return nil
	})
	return perm
}

func identityPerm(n int) []int32 {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	return perm
}

const radixBits = 8

// digitStarts returns where each value of the radixBits-wide digit of
// codes at shift starts in codes sorted on that digit (and len(codes)
// last).
func digitStarts(codes []uint64, shift uint) [1<<radixBits + 1]int {
	var start [1<<radixBits + 1]int
	for _, c := range codes {
		start[(c>>shift)+1]++
	}
	for b := range 1 << radixBits {
		start[b+1] += start[b]
	}
	return start
}

// radixSort stably sorts perm by codes (both permuted together). Every code
// must be below 2^width. Large inputs take one pass on the top digit, then
// sort each bucket (small enough for the cache) on the rest, buckets in
// parallel: the result is the same permutation at any thread count.
func radixSort(codes []uint64, perm []int32, width int) {
	n := len(codes)
	if width == 0 || n < 2 {
		return
	}
	if n <= 256 {
		smallSort(codes, perm)
		return
	}
	c2 := make([]uint64, n)
	p2 := make([]int32, n)
	if n < 1<<16 || width <= radixBits {
		if lsd(codes, perm, c2, p2, width) {
			copy(codes, c2)
			copy(perm, p2)
		}
		return
	}
	const buckets = 1 << radixBits
	shift := uint(width - radixBits)
	start := digitStarts(codes, shift)
	pos := start
	for i, c := range codes {
		d := c >> shift
		j := pos[d]
		pos[d]++
		c2[j] = c
		p2[j] = perm[i]
	}
	const tasks = 64
	_ = par.Do(context.Background(), tasks, func(t int) error {
		for b := t * buckets / tasks; b < (t+1)*buckets/tasks; b++ {
			lo, hi := start[b], start[b+1]
			if hi-lo < 2 {
				copy(codes[lo:hi], c2[lo:hi])
				copy(perm[lo:hi], p2[lo:hi])
				continue
			}
			if hi-lo <= 64 {
				smallSort(c2[lo:hi], p2[lo:hi])
				copy(codes[lo:hi], c2[lo:hi])
				copy(perm[lo:hi], p2[lo:hi])
				continue
			}
			// Sort c2[lo:hi] on its low bits using codes[lo:hi] as scratch.
			if !lsd(c2[lo:hi], p2[lo:hi], codes[lo:hi], perm[lo:hi], int(shift)) {
				copy(codes[lo:hi], c2[lo:hi])
				copy(perm[lo:hi], p2[lo:hi])
			}
		}
		return nil
	})
}

// smallSort is a stable insertion sort for short runs.
func smallSort(codes []uint64, perm []int32) {
	for i := 1; i < len(codes); i++ {
		c, p := codes[i], perm[i]
		j := i
		for j > 0 && codes[j-1] > c {
			codes[j], perm[j] = codes[j-1], perm[j-1]
			j--
		}
		codes[j], perm[j] = c, p
	}
}

// lsd sorts codes and perm stably on the low width bits with 8-bit digits,
// using c2 and p2 as scratch. It reports whether the result ended up in the
// scratch slices.
func lsd(codes []uint64, perm []int32, c2 []uint64, p2 []int32, width int) bool {
	n := len(codes)
	passes := (width + 7) / 8
	var hist [8][256]int
	for _, c := range codes {
		for p := range passes {
			hist[p][(c>>(8*p))&255]++
		}
	}
	src, dst := codes, c2
	sp, dp := perm, p2
	swapped := false
	for p := range passes {
		h := &hist[p]
		if h[(src[0]>>(8*p))&255] == n {
			continue // every code has the same digit
		}
		sum := 0
		for b := range h {
			h[b], sum = sum, sum+h[b]
		}
		shift := uint(8 * p)
		for i, c := range src {
			d := (c >> shift) & 255
			j := h[d]
			h[d]++
			dst[j] = c
			dp[j] = sp[i]
		}
		src, dst = dst, src
		sp, dp = dp, sp
		swapped = !swapped
	}
	return swapped
}
