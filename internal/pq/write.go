package pq

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Writer writes one Parquet file from a stream of record batches. Rows are
// buffered until a row group is full, so the file's bytes depend only on the
// schema, the rows in order, and Options, not on how the rows were split into
// batches. A Writer is not safe for concurrent use.
type Writer struct {
	fw   *pqarrow.FileWriter
	sink *countingWriter
	in   *arrow.Schema // schema batches must have
	out  *arrow.Schema // schema written: no metadata, no dictionaries
	mem  memory.Allocator
	opts Options

	pending     [][]arrow.Array // per column, retained pieces not yet written
	pendingRows int64
	rows        int64
	closed      bool
	err         error // first error; the Writer is unusable after it
}

// NewWriter starts a Parquet file on w for batches of schema sc. It never
// closes w. The stored schema is sc normalised as described in the package
// documentation (metadata dropped, dictionary types replaced by their value
// types).
func NewWriter(w io.Writer, sc *arrow.Schema, opts Options) (_ *Writer, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pq: writer panic: %v", p)
		}
	}()
	if sc == nil {
		return nil, errors.New("pq: nil schema")
	}
	out, err := normalizeSchema(sc)
	if err != nil {
		return nil, err
	}
	mem := memory.DefaultAllocator
	props, arrProps, err := opts.writerProps(out, mem)
	if err != nil {
		return nil, err
	}
	sink := &countingWriter{w: w}
	fw, err := pqarrow.NewFileWriter(out, sink, props, arrProps)
	if err != nil {
		return nil, fmt.Errorf("pq: schema %s: %w", out, err)
	}
	return &Writer{
		fw: fw, sink: sink, in: sc, out: out, mem: mem, opts: opts,
		pending: make([][]arrow.Array, sc.NumFields()),
	}, nil
}

// Write adds the rows of rec. rec's schema must normalise to the Writer's
// (metadata and top-level dictionary encoding may differ). Full row groups
// are written out; the rest is retained (rec's arrays are referenced, not
// copied) until more rows arrive or Close.
func (w *Writer) Write(ctx context.Context, rec arrow.RecordBatch) (err error) {
	defer w.recover(&err)
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("pq: Write on closed Writer")
	}
	if !rec.Schema().Equal(w.in) {
		if ns, err := normalizeSchema(rec.Schema()); err != nil || !ns.Equal(w.out) {
			return w.fail(fmt.Errorf("pq: record schema %s does not match writer schema %s", rec.Schema(), w.in))
		}
	}
	if rec.NumRows() == 0 {
		return nil
	}
	for i, col := range rec.Columns() {
		col.Retain()
		w.pending[i] = append(w.pending[i], col)
	}
	w.pendingRows += rec.NumRows()
	for w.pendingRows >= w.opts.RowGroupRows {
		if err := w.flushRowGroup(ctx, w.opts.RowGroupRows); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// Rows returns the number of rows accepted so far.
func (w *Writer) Rows() int64 { return w.rows + w.pendingRows }

// Bytes returns the number of bytes written to the underlying writer so far;
// after Close, the file size.
func (w *Writer) Bytes() int64 { return w.sink.n }

// Close writes the last row group and the footer. It does not close the
// underlying writer. After an error Close writes no footer, so what was
// written is not a readable Parquet file, releases memory and returns the
// error. A second Close returns nil.
func (w *Writer) Close(ctx context.Context) (err error) {
	if w.closed {
		return nil
	}
	defer w.recover(&err)
	if w.err == nil && w.pendingRows > 0 {
		if err := w.flushRowGroup(ctx, w.pendingRows); err != nil {
			w.fail(err)
		}
	}
	w.closed = true
	w.releasePending()
	if w.err != nil {
		return w.err
	}
	if err := w.fw.Close(); err != nil {
		w.err = fmt.Errorf("pq: closing file: %w", err)
	}
	return w.err
}

// recover turns a panic in arrow-go (for instance on an inconsistent batch)
// into an error that also makes the Writer unusable.
func (w *Writer) recover(err *error) {
	if p := recover(); p != nil {
		*err = w.fail(fmt.Errorf("pq: writer panic: %v", p))
	}
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

func (w *Writer) releasePending() {
	for i, pieces := range w.pending {
		for _, a := range pieces {
			a.Release()
		}
		w.pending[i] = nil
	}
	w.pendingRows = 0
}

// flushRowGroup writes the first n pending rows as one row group. The
// column writer checks page and dictionary limits per call and per
// writeBatchSize values, so the pieces are regrouped into windows of
// writeWindow rows (a multiple of writeBatchSize) whatever the batch sizes:
// the limits are then checked at the same rows as for one contiguous array,
// and only a window at a time is ever copied. Columns with repeated
// (list-like) fields, whose value counts differ from row counts, are handed
// over as one contiguous array instead.
func (w *Writer) flushRowGroup(ctx context.Context, n int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.fw.NewRowGroupChecked(); err != nil {
		return fmt.Errorf("pq: new row group: %w", err)
	}
	for i := range w.pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		dt := w.out.Field(i).Type
		window := int64(writeWindow)
		if repeated(dt) {
			window = n
		}
		col, rest, err := w.take(w.pending[i], n, window, dt)
		w.pending[i] = rest
		if err != nil {
			return fmt.Errorf("pq: column %q: %w", w.out.Field(i).Name, err)
		}
		err = w.fw.WriteColumnChunked(col, 0, n)
		col.Release()
		if err != nil {
			return fmt.Errorf("pq: writing column %q: %w", w.out.Field(i).Name, err)
		}
	}
	w.pendingRows -= n
	w.rows += n
	return nil
}

// writeWindow is the number of rows handed to the column writer per call:
// a multiple of writeBatchSize.
const writeWindow = 64 * writeBatchSize

// repeated reports whether dt has a list-like field at any depth.
func repeated(dt arrow.DataType) bool {
	switch t := dt.(type) {
	case arrow.ListLikeType:
		return true
	case arrow.NestedType:
		for _, f := range t.Fields() {
			if repeated(f.Type) {
				return true
			}
		}
	}
	return false
}

// take removes the first n rows from pieces and returns them as a chunked
// array of type dt (dictionaries decoded) whose chunks hold window rows
// each (the last one the rest), plus the remaining pieces. A window inside
// one piece is a slice of it; only windows spanning pieces are copied.
func (w *Writer) take(pieces []arrow.Array, n, window int64, dt arrow.DataType) (*arrow.Chunked, []arrow.Array, error) {
	var chunks []arrow.Array
	defer func() {
		for _, c := range chunks {
			c.Release()
		}
	}()
	var parts []arrow.Array // the current window's pieces
	var partRows int64
	flush := func() error {
		win := parts[0]
		var err error
		if len(parts) > 1 {
			win, err = array.Concatenate(parts, w.mem)
			for _, p := range parts {
				p.Release()
			}
		}
		parts, partRows = nil, 0
		if err != nil {
			return err
		}
		chunks = append(chunks, win)
		return nil
	}
	// add appends a piece to the window, decoded to dt (pieces may differ
	// in dictionary encoding, and Concatenate needs one type).
	add := func(a arrow.Array) error {
		plain, err := toPlain(a, dt, w.mem)
		a.Release()
		if err != nil {
			return err
		}
		parts = append(parts, plain)
		return nil
	}
	fail := func(err error) (*arrow.Chunked, []arrow.Array, error) {
		for _, p := range parts {
			p.Release()
		}
		return nil, pieces, err
	}
	for need := n; need > 0; {
		a := pieces[0]
		m := int64(a.Len())
		take := min(m, need, window-partRows)
		var piece arrow.Array
		if take == m {
			piece = a // the reference moves from pieces to the window
			pieces[0] = nil
			pieces = pieces[1:]
		} else {
			piece = array.NewSlice(a, 0, take)
			pieces[0] = array.NewSlice(a, take, m)
			a.Release()
		}
		if err := add(piece); err != nil {
			return fail(err)
		}
		partRows += take
		need -= take
		if partRows == window || need == 0 {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	out := arrow.NewChunked(dt, chunks)
	return out, pieces, nil
}

// Write writes tbl to w as one Parquet file with opts and returns the number
// of rows written. The bytes depend only on tbl's normalised schema, its rows
// in order, and opts: not on how tbl is chunked. w is not closed.
func Write(ctx context.Context, w io.Writer, tbl arrow.Table, opts Options) (rows int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, err = 0, fmt.Errorf("pq: writer panic: %v", p)
		}
	}()
	pw, err := NewWriter(w, tbl.Schema(), opts)
	if err != nil {
		return 0, err
	}
	// Zero-copy batches along the table's own chunk boundaries.
	tr := array.NewTableReader(tbl, -1)
	defer tr.Release()
	for tr.Next() {
		if err := pw.Write(ctx, tr.RecordBatch()); err != nil {
			pw.Close(ctx)
			return 0, err
		}
	}
	if err := tr.Err(); err != nil {
		pw.Close(ctx)
		return 0, fmt.Errorf("pq: reading table: %w", err)
	}
	if err := pw.Close(ctx); err != nil {
		return 0, err
	}
	return pw.Rows(), nil
}

// WriteFile writes tbl to path (created or truncated, mode 0o644) as Write
// does, fsyncs it, and returns its size in bytes. On error the partial file
// is removed. Errors name the path.
func WriteFile(ctx context.Context, path string, tbl arrow.Table, opts Options) (size int64, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("pq: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
			err = fmt.Errorf("pq: write %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err = Write(ctx, bw, tbl, opts); err != nil {
		return 0, err
	}
	if err = bw.Flush(); err != nil {
		return 0, err
	}
	if err = f.Sync(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if err = f.Close(); err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// countingWriter counts bytes and hides any Close method of the wrapped
// writer (arrow-go closes sinks that are io.Closers).
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
