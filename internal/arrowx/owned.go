package arrowx

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Owned is a table that its holder owns outright: nothing else references
// its columns (kiln hands a node's input to its last consumer this way).
// It behaves as the table it wraps. A holder that knows the type may
// instead take the columns out with TakeColumns and drop each one as soon
// as it is done with it, so that a transform copying its input frees the
// input column by column instead of holding all of it until the end.
type Owned struct {
	t arrow.Table
}

// Own wraps t, which the caller hands over (its reference moves to the
// Owned).
func Own(t arrow.Table) *Owned { return &Owned{t: t} }

// table returns the wrapped table; using an Owned whose columns were taken
// is a bug in kiln, reported as a panic that the engine turns into an error.
func (o *Owned) table() arrow.Table {
	if o.t == nil {
		panic("kiln: input table used after its columns were handed over")
	}
	return o.t
}

// TakeColumns moves the columns out and leaves the Owned empty. Reference
// counts are left as they are: the caller holds the columns as the table
// did and lets go of each by dropping it (kiln's engine frees tables
// through the garbage collector, not Release, so a column that some other
// table also holds stays valid).
func (o *Owned) TakeColumns() (*arrow.Schema, []*arrow.Chunked, int64) {
	t := o.table()
	o.t = nil
	cols := make([]*arrow.Chunked, t.NumCols())
	for i := range cols {
		cols[i] = t.Column(i).Data()
	}
	return t.Schema(), cols, t.NumRows()
}

// Unwrap returns the wrapped table and leaves the Owned empty.
func (o *Owned) Unwrap() arrow.Table {
	t := o.table()
	o.t = nil
	return t
}

// Taken reports whether the columns were taken out (or the table
// unwrapped).
func (o *Owned) Taken() bool { return o.t == nil }

// Schema implements arrow.Table.
func (o *Owned) Schema() *arrow.Schema { return o.table().Schema() }

// NumRows implements arrow.Table.
func (o *Owned) NumRows() int64 { return o.table().NumRows() }

// NumCols implements arrow.Table.
func (o *Owned) NumCols() int64 { return o.table().NumCols() }

// Column implements arrow.Table.
func (o *Owned) Column(i int) *arrow.Column { return o.table().Column(i) }

// AddColumn implements arrow.Table.
func (o *Owned) AddColumn(pos int, f arrow.Field, c arrow.Column) (arrow.Table, error) {
	return o.table().AddColumn(pos, f, c)
}

// Retain implements arrow.Table.
func (o *Owned) Retain() { o.table().Retain() }

// Release implements arrow.Table. Releasing an Owned whose columns were
// taken does nothing.
func (o *Owned) Release() {
	if o.t != nil {
		o.t.Release()
	}
}

// String implements arrow.Table.
func (o *Owned) String() string { return o.table().String() }
