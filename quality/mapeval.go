package quality

import (
	"context"
	"encoding/binary"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/par"
)

// outcome is what a column (map) check found.
type outcome struct {
	missing, unexpected int64
	// sample holds the first SampleSize unexpected rows.
	sample []int64
	// rows holds every unexpected row, in order, when collected.
	rows []int64
}

// marker marks the failing values of one piece of a column (bad[i] for
// a[off+i]), ignoring validity: nulls are cleared afterwards. It is called
// once per piece, never per value.
type marker interface {
	mark(a arrow.Array, off, n int, bad []byte, sc *scratch)
}

// segOut is one segment's share of an outcome.
type segOut struct {
	missing, unexpected int64
	rows                []int64
}

// segments splits the rows of a column into kiln's fixed chunks.
func segments(n int64) [][2]int { return par.Ranges(int(n), par.ChunkRows) }

// evalMap runs m over col in fixed row segments, in parallel, and combines
// the segments in order.
func evalMap(ctx context.Context, col *column, m marker, collect bool) (outcome, error) {
	segs := segments(col.n)
	outs := make([]segOut, len(segs))
	err := par.Do(ctx, len(segs), func(s int) error {
		lo, hi := int64(segs[s][0]), int64(segs[s][1])
		sc := getScratch()
		defer putScratch(sc)
		bad := sc.bad[:hi-lo]
		var missing int64
		col.pieces(lo, hi, func(a arrow.Array, off, n int, at int64) {
			b := bad[at-lo : at-lo+int64(n)]
			m.mark(a, off, n, b, sc)
			missing += int64(clearNulls(a, off, n, b))
		})
		outs[s] = collectBad(bad, lo, missing, collect)
		return nil
	})
	if err != nil {
		return outcome{}, err
	}
	return mergeSegs(outs), nil
}

// collectBad counts the marked rows (bad[i] == 1) of a segment starting at
// global row lo and keeps their rows (the first SampleSize, or all when
// collect). It skips eight unmarked rows at a time.
func collectBad(bad []byte, lo, missing int64, collect bool) segOut {
	out := segOut{missing: missing}
	keep := func(i int) {
		if collect || len(out.rows) < SampleSize {
			out.rows = append(out.rows, lo+int64(i))
		}
	}
	i := 0
	for ; i+8 <= len(bad); i += 8 {
		w := binary.LittleEndian.Uint64(bad[i:])
		if w == 0 {
			continue
		}
		out.unexpected += int64(bits.OnesCount64(w))
		for ; w != 0; w &= w - 1 {
			keep(i + bits.TrailingZeros64(w)/8)
		}
	}
	for ; i < len(bad); i++ {
		if bad[i] != 0 {
			out.unexpected++
			keep(i)
		}
	}
	return out
}

func mergeSegs(outs []segOut) outcome {
	var o outcome
	total := 0
	for _, s := range outs {
		total += len(s.rows)
	}
	o.rows = make([]int64, 0, total)
	for _, s := range outs {
		o.missing += s.missing
		o.unexpected += s.unexpected
		o.rows = append(o.rows, s.rows...)
	}
	o.sample = o.rows[:min(len(o.rows), SampleSize)]
	return o
}

// evalNotNull finds the null rows of col.
func evalNotNull(ctx context.Context, col *column, collect bool) (outcome, error) {
	segs := segments(col.n)
	outs := make([]segOut, len(segs))
	err := par.Do(ctx, len(segs), func(s int) error {
		lo, hi := int64(segs[s][0]), int64(segs[s][1])
		var out segOut
		col.pieces(lo, hi, func(a arrow.Array, off, n int, at int64) {
			k := nulls(a, off, n)
			if k == 0 {
				return
			}
			out.missing += int64(k)
			out.unexpected += int64(k)
			if !collect && len(out.rows) >= SampleSize {
				return
			}
			allNull := a.DataType().ID() == arrow.NULL
			bm, base := a.NullBitmapBytes(), a.Data().Offset()+off
			for i := range n {
				if allNull || !bitutil.BitIsSet(bm, base+i) {
					out.rows = append(out.rows, at+int64(i))
					if !collect && len(out.rows) >= SampleSize {
						return
					}
				}
			}
		})
		outs[s] = out
		return nil
	})
	if err != nil {
		return outcome{}, err
	}
	return mergeSegs(outs), nil
}

// sampleValues looks up the values of the sampled rows: the value of col,
// or for a multi-column check a map of column to value.
func (o outcome) sampleValues(t arrow.Table, col *column, columns []string) []kiln.Unexpected {
	if len(o.sample) == 0 {
		return nil
	}
	out := make([]kiln.Unexpected, len(o.sample))
	var cols []*column
	if col == nil {
		for _, name := range columns {
			c, err := newColumn(t, name)
			if err != nil {
				return nil
			}
			cols = append(cols, c)
		}
	}
	for i, r := range o.sample {
		out[i].Row = r
		if col != nil {
			a, off := col.locate(r)
			out[i].Value = value(a, off)
			continue
		}
		m := make(map[string]any, len(cols))
		for _, c := range cols {
			a, off := c.locate(r)
			m[c.name] = value(a, off)
		}
		out[i].Value = m
	}
	return out
}
