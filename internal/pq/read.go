package pq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ErrCorrupt is wrapped by every error caused by bytes that are not valid
// Parquet: a bad magic number, a truncated or undecodable footer, a page that
// does not decompress or decode, columns of inconsistent lengths, or a panic
// inside the decoder. Errors from the file system or the reader (missing
// file, permission, I/O) and from the caller (unknown column, cancelled
// context) do not wrap it.
var ErrCorrupt = errors.New("pq: corrupt parquet file")

// ErrNoColumn is wrapped by the error for a projected column that the file
// does not have.
var ErrNoColumn = errors.New("pq: no such column")

// ReadOptions control reads. The zero value reads all columns serially with
// the default allocator.
type ReadOptions struct {
	// Columns projects top-level columns by name. nil reads all columns in
	// file order; otherwise the table has exactly these columns in this
	// (request) order. A name the file lacks, or a repeated name, is an
	// error naming the column and the file.
	Columns []string
	// Allocator allocates the table's memory; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Parallel decodes columns concurrently, on up to GOMAXPROCS
	// goroutines. The result is the same either way.
	Parallel bool
	// BatchRows is the number of rows decoded per step, which bounds the
	// decoder's scratch memory and is the size of the table's chunks: each
	// column comes back in chunks of at most BatchRows rows that never
	// straddle a row group. 0 means 64Ki rows.
	BatchRows int64
}

// ReadFile reads the Parquet file at path into a table, chunked as
// ReadOptions.BatchRows says. The caller must Release the table. Every error
// names the path; errors.Is(err, ErrCorrupt) holds when the bytes are not
// valid Parquet, errors.Is(err, fs.ErrNotExist) when the file is missing.
func ReadFile(ctx context.Context, path string, ro ReadOptions) (arrow.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pq: read %s: %w", path, err)
	}
	defer f.Close()
	return Read(ctx, f, path, ro)
}

// Read reads a Parquet file from r, whose size is found by seeking to its
// end, into a table; name (a path or URL) is used in errors. It is ReadFile
// for any random-access source such as a blob store. r is not closed.
func Read(ctx context.Context, r parquet.ReaderAtSeeker, name string, ro ReadOptions) (tbl arrow.Table, err error) {
	src := &trackingReader{r: r}
	defer func() {
		if p := recover(); p != nil {
			if tbl != nil {
				tbl.Release()
				tbl = nil
			}
			err = fmt.Errorf("pq: read %s: %w: decoder panic: %v", name, ErrCorrupt, p)
		}
	}()
	tbl, err = read(ctx, src, ro)
	if err != nil {
		return nil, classify(ctx, err, src, name)
	}
	return tbl, nil
}

// ReadSchema reads only the footer of the file at path and returns its Arrow
// schema: the stored Arrow schema when the file has one (all kiln files do),
// else the schema derived from the Parquet types.
func ReadSchema(path string) (sc *arrow.Schema, err error) {
	err = withFooter(path, func(_ *file.Reader, fr *pqarrow.FileReader) error {
		s, err := fr.Schema()
		if err != nil {
			return corrupt(err)
		}
		sc = cleanSchema(s)
		if types := secondsFields(sc, fr.Manifest.OriginSchema); types != nil {
			fields := sc.Fields()
			for i, dt := range types {
				if dt != nil {
					fields[i].Type = dt
				}
			}
			md := sc.Metadata()
			sc = arrow.NewSchema(fields, &md)
		}
		return nil
	})
	return sc, err
}

// FileRows returns the number of rows recorded in the footer of the file at
// path, reading nothing else.
func FileRows(path string) (rows int64, err error) {
	err = withFooter(path, func(pf *file.Reader, _ *pqarrow.FileReader) error {
		rows = pf.NumRows()
		return nil
	})
	return rows, err
}

// withFooter opens path, parses and validates its footer and calls fn;
// errors name path and panics become ErrCorrupt.
func withFooter(path string, fn func(*file.Reader, *pqarrow.FileReader) error) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("pq: read %s: %w", path, err)
	}
	defer f.Close()
	src := &trackingReader{r: f}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pq: read %s: %w: decoder panic: %v", path, ErrCorrupt, p)
		}
	}()
	pf, fr, err := openFooter(src, memory.DefaultAllocator)
	if err == nil {
		err = fn(pf, fr)
	}
	if err != nil {
		return classify(context.Background(), err, src, path)
	}
	return nil
}

// read does the work of Read; its errors are classified by the caller.
//
// It does not use pqarrow's ReadTable/ReadRowGroups or record reader: those
// reserve memory for all rows the footer claims in one go (a corrupt row
// count means an allocation no recover survives) and decode in goroutines
// that do not recover panics. Here columns are decoded in batches of at
// most BatchRows rows, in goroutines that recover, after validateFooter.
func read(ctx context.Context, src *trackingReader, ro ReadOptions) (arrow.Table, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mem := ro.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	mem = compactingAllocator{mem}
	batch := ro.BatchRows
	if batch <= 0 {
		batch = readBatchRows
	}
	pf, fr, err := openFooter(src, mem)
	if err != nil {
		return nil, err
	}
	fields, err := project(fr.Manifest, ro.Columns)
	if err != nil {
		return nil, err
	}
	rows := pf.NumRows()
	if len(fields) == 0 {
		// No columns requested: keep the row count.
		return array.NewTable(arrow.NewSchema(nil, fr.Manifest.SchemaMeta), nil, rows), nil
	}
	rgRows := make([]int64, pf.NumRowGroups())
	rgs := make([]int, len(rgRows))
	for i := range rgRows {
		rgs[i] = i
		rgRows[i] = pf.MetaData().RowGroup(i).NumRows()
	}

	cols := make([]arrow.Column, len(fields))
	errs := make([]error, len(fields))
	var failed atomic.Bool // skip the remaining columns after an error
	readCol := func(k int) {
		defer func() {
			if p := recover(); p != nil {
				errs[k] = fmt.Errorf("%w: decoder panic: %v", ErrCorrupt, p)
			}
			if errs[k] != nil {
				failed.Store(true)
			}
		}()
		if !failed.Load() {
			cols[k], errs[k] = readColumn(ctx, fr, mem, fields[k], rgs, rgRows, batch)
		}
	}
	workers := 1
	if ro.Parallel {
		workers = min(len(fields), runtime.GOMAXPROCS(0))
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				readCol(k)
			}
		}()
	}
	for k := range fields {
		next <- k
	}
	close(next)
	wg.Wait()
	defer releaseColumns(cols)
	for _, err := range errs { // the first column's error, whatever finished first
		if err != nil {
			return nil, err
		}
	}
	fs := make([]arrow.Field, len(cols))
	for i := range cols {
		fs[i] = cols[i].Field()
	}
	tbl := array.NewTable(arrow.NewSchema(fs, fr.Manifest.SchemaMeta), cols, rows)
	return restoreSeconds(cleanTable(tbl), fr.Manifest.OriginSchema, mem)
}

// releaseColumns releases the columns that were set.
func releaseColumns(cols []arrow.Column) {
	for i := range cols {
		if cols[i].Data() != nil {
			cols[i].Release()
		}
	}
}

// openFooter parses and validates the footer and the stored Arrow schema.
func openFooter(src *trackingReader, mem memory.Allocator) (*file.Reader, *pqarrow.FileReader, error) {
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, nil, err
	}
	pf, err := file.NewParquetReader(src, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, nil, err
	}
	if err := validateFooter(pf, size); err != nil {
		return nil, nil, err
	}
	if err := checkStoredSchema(pf.MetaData().KeyValueMetadata()); err != nil {
		return nil, nil, err
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return nil, nil, err
	}
	return pf, fr, nil
}

// validateFooter checks the footer values that arrow-go trusts when sizing
// allocations: row counts and column chunk extents.
func validateFooter(pf *file.Reader, size int64) error {
	md := pf.MetaData()
	var total int64
	for i := 0; i < pf.NumRowGroups(); i++ {
		rg := md.RowGroup(i)
		n := rg.NumRows()
		if n < 0 || total+n < total {
			return fmt.Errorf("%w: row group %d has %d rows", ErrCorrupt, i, n)
		}
		total += n
		if rg.NumColumns() != md.Schema.NumColumns() {
			return fmt.Errorf("%w: row group %d has %d columns, schema %d", ErrCorrupt, i, rg.NumColumns(), md.Schema.NumColumns())
		}
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return fmt.Errorf("%w: row group %d column %d: %w", ErrCorrupt, i, c, err)
			}
			start, length := cc.DataPageOffset(), cc.TotalCompressedSize()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
				start = cc.DictionaryPageOffset()
			}
			if start < 4 || length < 0 || start > size || length > size-start || cc.NumValues() < 0 {
				return fmt.Errorf("%w: row group %d column %d: chunk at %d+%d outside the file's %d bytes",
					ErrCorrupt, i, c, start, length, size)
			}
		}
	}
	if total != pf.NumRows() {
		return fmt.Errorf("%w: row groups hold %d rows, footer says %d", ErrCorrupt, total, pf.NumRows())
	}
	return nil
}

// readColumn decodes top-level field idx from the row groups rgs, in
// batches that never straddle a row group and hold at most batch rows.
func readColumn(ctx context.Context, fr *pqarrow.FileReader, mem memory.Allocator, idx int, rgs []int, rgRows []int64, batch int64) (arrow.Column, error) {
	leaves := make(map[int]bool)
	for _, l := range appendLeaves(nil, &fr.Manifest.Fields[idx]) {
		leaves[l] = true
	}
	rdr, err := fr.GetFieldReader(ctx, idx, leaves, rgs)
	if err != nil {
		return arrow.Column{}, err
	}
	if rdr == nil {
		return arrow.Column{}, fmt.Errorf("%w: column %d has no leaves", ErrCorrupt, idx)
	}
	defer rdr.Release()
	field := *rdr.Field()
	var chunks []arrow.Array
	defer func() {
		for _, a := range chunks {
			a.Release()
		}
	}()
	for rg, n := range rgRows {
		for left := n; left > 0; {
			if err := ctx.Err(); err != nil {
				return arrow.Column{}, err
			}
			want := min(batch, left)
			ch, err := rdr.NextBatch(want)
			if err != nil {
				return arrow.Column{}, err
			}
			got := int64(ch.Len())
			for _, a := range ch.Chunks() {
				chunks = append(chunks, compact(a, mem))
			}
			ch.Release()
			if got == 0 || got > want {
				return arrow.Column{}, fmt.Errorf("%w: column %q: row group %d decoded %d of %d rows",
					ErrCorrupt, field.Name, rg, n-left+got, n)
			}
			left -= got
		}
	}
	ch := arrow.NewChunked(field.Type, chunks)
	defer ch.Release()
	return *arrow.NewColumn(field, ch), nil
}

// project maps top-level column names to field indices, in request order
// (all fields in file order for nil).
func project(m *pqarrow.SchemaManifest, names []string) ([]int, error) {
	if names == nil {
		fields := make([]int, len(m.Fields))
		for i := range fields {
			fields[i] = i
		}
		return fields, nil
	}
	byName := make(map[string]int, len(m.Fields))
	for i := range m.Fields {
		n := m.Fields[i].Field.Name
		if _, dup := byName[n]; dup {
			byName[n] = -1 // ambiguous
			continue
		}
		byName[n] = i
	}
	seen := make(map[string]bool, len(names))
	fields := make([]int, 0, len(names))
	for _, n := range names {
		i, ok := byName[n]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w %q", ErrNoColumn, n)
		case i < 0:
			return nil, &callerError{fmt.Errorf("pq: column name %q is ambiguous: the file has several", n)}
		case seen[n]:
			return nil, &callerError{fmt.Errorf("pq: column %q requested twice", n)}
		}
		seen[n] = true
		fields = append(fields, i)
	}
	return fields, nil
}

func appendLeaves(dst []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for i := range f.Children {
		dst = appendLeaves(dst, &f.Children[i])
	}
	return dst
}

// classify wraps err with the file name and, when the failure is not the
// caller's, the reader's or the context's, with ErrCorrupt.
func classify(ctx context.Context, err error, src *trackingReader, name string) error {
	switch {
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrNoColumn):
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
	case src.ioErr() != nil:
		err = fmt.Errorf("%w (reader error: %w)", err, src.ioErr())
	case isCallerError(err):
	default:
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return fmt.Errorf("pq: read %s: %w", name, err)
}

// isCallerError reports errors that come from the request, not the bytes.
func isCallerError(err error) bool {
	var pe *callerError
	return errors.As(err, &pe)
}

// callerError marks errors caused by ReadOptions.
type callerError struct{ err error }

func (e *callerError) Error() string { return e.err.Error() }
func (e *callerError) Unwrap() error { return e.err }

// corrupt marks a non-nil error from footer decoding as ErrCorrupt.
func corrupt(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// trackingReader remembers the first error of the underlying reader other
// than io.EOF, so decoding failures can be told apart from I/O failures.
type trackingReader struct {
	r   parquet.ReaderAtSeeker
	mu  sync.Mutex
	err error
}

func (t *trackingReader) note(err error) {
	if err == nil || errors.Is(err, io.EOF) {
		return
	}
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
}

func (t *trackingReader) ioErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *trackingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	t.note(err)
	return n, err
}

func (t *trackingReader) Seek(off int64, whence int) (int64, error) {
	n, err := t.r.Seek(off, whence)
	t.note(err)
	return n, err
}
