package quality

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/kiln-data/kiln/internal/par"
)

// carry is the last comparable value before a segment.
type carry struct {
	i  int64
	u  uint64
	f  float64
	ok bool
}

// evalMonotone checks that the non-null values of col increase (or
// decrease) in row order. Segments run in parallel: a first pass finds the
// last comparable value of each segment, so each segment knows the value
// before it.
func evalMonotone(ctx context.Context, col *column, strict, dec, collect bool) (outcome, error) {
	segs := segments(col.n)
	lasts := make([]carry, len(segs))
	if err := par.Do(ctx, len(segs), func(s int) error {
		lasts[s] = lastComparable(col, int64(segs[s][0]), int64(segs[s][1]))
		return nil
	}); err != nil {
		return outcome{}, err
	}
	ins := make([]carry, len(segs))
	var cur carry
	for s := range segs {
		ins[s] = cur
		if lasts[s].ok {
			cur = lasts[s]
		}
	}
	outs := make([]segOut, len(segs))
	err := par.Do(ctx, len(segs), func(s int) error {
		lo, hi := int64(segs[s][0]), int64(segs[s][1])
		sc := getScratch()
		defer putScratch(sc)
		bad := sc.bad[:hi-lo]
		prev := ins[s]
		var missing int64
		col.pieces(lo, hi, func(a arrow.Array, off, n int, at int64) {
			b := bad[at-lo : at-lo+int64(n)]
			bm, base, hasNulls := a.NullBitmapBytes(), a.Data().Offset()+off, a.NullN() > 0
			switch col.dom {
			case domInt:
				prev.i, prev.ok = markMono(intValues(a, off, n, sc.ints), bm, base, hasNulls, prev.i, prev.ok, strict, dec, b)
			case domUint:
				prev.u, prev.ok = markMono(uintValues(a, off, n), bm, base, hasNulls, prev.u, prev.ok, strict, dec, b)
			default:
				prev.f, prev.ok = markMono(floatValues(a, off, n, sc), bm, base, hasNulls, prev.f, prev.ok, strict, dec, b)
			}
			missing += int64(nulls(a, off, n))
		})
		outs[s] = collectBad(bad, lo, missing, collect)
		return nil
	})
	if err != nil {
		return outcome{}, err
	}
	return mergeSegs(outs), nil
}

// markMono marks the values that break the order, comparing each non-null,
// non-NaN value with the previous one (prev, when have). NaN is marked and
// skipped. It returns the last comparable value.
func markMono[T int64 | uint64 | float64](vals []T, bm []byte, base int, hasNulls bool, prev T, have, strict, dec bool, bad []byte) (T, bool) {
	bad = bad[:len(vals)]
	for i, v := range vals {
		if hasNulls && !bitutil.BitIsSet(bm, base+i) {
			bad[i] = 0
			continue
		}
		if v != v { // NaN
			bad[i] = 1
			continue
		}
		if !have {
			bad[i] = 0
			prev, have = v, true
			continue
		}
		x, y := v, prev
		if dec {
			x, y = prev, v
		}
		bad[i] = flag(!(x > y || (!strict && x == y)))
		prev = v
	}
	return prev, have
}

// lastComparable returns the last non-null, non-NaN value in rows [lo, hi).
func lastComparable(col *column, lo, hi int64) carry {
	type piece struct {
		a      arrow.Array
		off, n int
	}
	var ps []piece
	col.pieces(lo, hi, func(a arrow.Array, off, n int, _ int64) { ps = append(ps, piece{a, off, n}) })
	sc := getScratch()
	defer putScratch(sc)
	for k := len(ps) - 1; k >= 0; k-- {
		p := ps[k]
		valid := func(i int) bool { return p.a.NullN() == 0 || p.a.IsValid(p.off+i) }
		switch col.dom {
		case domInt:
			vals := intValues(p.a, p.off, p.n, sc.ints)
			for i := p.n - 1; i >= 0; i-- {
				if valid(i) {
					return carry{i: vals[i], ok: true}
				}
			}
		case domUint:
			vals := uintValues(p.a, p.off, p.n)
			for i := p.n - 1; i >= 0; i-- {
				if valid(i) {
					return carry{u: vals[i], ok: true}
				}
			}
		default:
			vals := floatValues(p.a, p.off, p.n, sc)
			for i := p.n - 1; i >= 0; i-- {
				if valid(i) && vals[i] == vals[i] {
					return carry{f: vals[i], ok: true}
				}
			}
		}
	}
	return carry{}
}
