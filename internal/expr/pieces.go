package expr

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln/internal/par"
)

// Piece is the rows [Lo, Lo+Rows) of a table as zero-copy slices of some of
// its columns.
type Piece struct {
	// Lo is the table row of the piece's first row.
	Lo int64
	// Rows is the number of rows.
	Rows int
	// Cols holds one array per schema field; nil for fields not requested.
	Cols []arrow.Array
}

// Batch returns the piece as an evaluation batch.
func (p Piece) Batch() Batch { return Batch{Rows: p.Rows, RowBase: p.Lo, Cols: p.Cols} }

// Split cuts t into pieces at every chunk boundary of the requested
// columns (all when cols is nil) and at every multiple of size rows, so no
// piece crosses either and no data is copied. Row-local results do not
// depend on where the cuts fall; reductions that must be deterministic
// group pieces by Lo/size (see Groups), which depends only on the data.
// Release the pieces when done.
func Split(t arrow.Table, cols []int, size int) []Piece {
	if size <= 0 {
		size = par.ChunkRows
	}
	if cols == nil {
		cols = make([]int, t.NumCols())
		for i := range cols {
			cols[i] = i
		}
	}
	total := t.NumRows()
	cuts := []int64{}
	for lo := int64(0); lo < total; lo += int64(size) {
		cuts = append(cuts, lo)
	}
	for _, c := range cols {
		var at int64
		for _, ch := range t.Column(c).Data().Chunks() {
			at += int64(ch.Len())
			if at < total {
				cuts = append(cuts, at)
			}
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	pieces := make([]Piece, 0, len(cuts))
	type cursor struct {
		chunk int
		start int64 // table row of the chunk's first row
	}
	cur := make([]cursor, t.NumCols())
	for k, lo := range cuts {
		hi := total
		if k+1 < len(cuts) {
			hi = cuts[k+1]
		}
		p := Piece{Lo: lo, Rows: int(hi - lo), Cols: make([]arrow.Array, t.NumCols())}
		for _, c := range cols {
			chunks := t.Column(c).Data().Chunks()
			cu := &cur[c]
			for cu.start+int64(chunks[cu.chunk].Len()) <= lo {
				cu.start += int64(chunks[cu.chunk].Len())
				cu.chunk++
			}
			ch := chunks[cu.chunk]
			if lo == cu.start && hi-lo == int64(ch.Len()) {
				ch.Retain()
				p.Cols[c] = ch
			} else {
				p.Cols[c] = array.NewSlice(ch, lo-cu.start, hi-cu.start)
			}
		}
		pieces = append(pieces, p)
	}
	return pieces
}

// Release releases the pieces' arrays.
func Release(ps []Piece) {
	for _, p := range ps {
		for _, a := range p.Cols {
			if a != nil {
				a.Release()
			}
		}
	}
}

// Groups groups consecutive pieces by the fixed chunk [k*size, (k+1)*size)
// they fall in (pieces never straddle one). The grouping depends only on
// the row count and size, never on the input's chunking or the thread
// count: fold each group in piece order, then combine groups in order.
func Groups(ps []Piece, size int) [][]Piece {
	if size <= 0 {
		size = par.ChunkRows
	}
	var out [][]Piece
	for i := 0; i < len(ps); {
		k := ps[i].Lo / int64(size)
		j := i
		for j < len(ps) && ps[j].Lo/int64(size) == k {
			j++
		}
		out = append(out, ps[i:j])
		i = j
	}
	return out
}

// Map calls fn on every item on up to GOMAXPROCS goroutines and returns the
// results in item order; the error is that of the lowest failing index.
func Map[P, T any](ctx context.Context, items []P, fn func(P) (T, error)) ([]T, error) {
	out := make([]T, len(items))
	err := par.Do(ctx, len(items), func(i int) error {
		r, err := fn(items[i])
		out[i] = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
