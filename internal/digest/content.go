package digest

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
)

// SegmentRows is the number of rows per segment of a column digest. It is
// part of the on-disk contract: changing it changes every content hash.
const SegmentRows = 1 << 18

// segmentRows is SegmentRows; tests lower it to exercise segment edges.
var segmentRows = SegmentRows

// Table returns the content hash of tbl; see the package documentation.
func Table(tbl arrow.Table) (Sum, error) {
	if tbl == nil {
		return Sum{}, errors.New("digest: nil table")
	}
	schema := tbl.Schema()
	cols := make([]*arrow.Chunked, tbl.NumCols())
	for i := range cols {
		cols[i] = tbl.Column(i).Data()
	}
	return columns(schema, cols, int(tbl.NumRows()))
}

// RecordBatch returns the content hash of rec. It equals the content hash
// of a table holding rec alone (or rec split into any number of chunks).
func RecordBatch(rec arrow.RecordBatch) (Sum, error) {
	if rec == nil {
		return Sum{}, errors.New("digest: nil record batch")
	}
	cols := make([]*arrow.Chunked, rec.NumCols())
	for i := range cols {
		col := rec.Column(i)
		if col == nil {
			return Sum{}, fmt.Errorf("digest: record batch column %d is nil", i)
		}
		cols[i] = arrow.NewChunked(col.DataType(), []arrow.Array{col})
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return columns(rec.Schema(), cols, int(rec.NumRows()))
}

// column is one column prepared for hashing.
type column struct {
	name   string
	plan   *plan
	chunks []arrow.Array
	starts []int // first row of each chunk
}

// task is one segment of one column.
type task struct {
	col, seg int
}

// Columns returns the content hash of the columns cols described by
// schema: the primitive behind Table and RecordBatch. cols[i] holds the
// values of schema.Field(i) and must have exactly its type; all columns
// must have the same length. Without columns the row count is 0 (Table and
// RecordBatch hash the row count of a table without columns). Column
// segments are hashed on up to GOMAXPROCS goroutines; the result does not
// depend on how many.
func Columns(schema *arrow.Schema, cols []*arrow.Chunked) (Sum, error) {
	return columns(schema, cols, -1)
}

// columns is Columns with a known row count (rows >= 0), so that a table
// without columns still hashes its row count; rows < 0 takes the row count
// from the first column (0 without columns).
func columns(schema *arrow.Schema, cols []*arrow.Chunked, rows int) (Sum, error) {
	if schema == nil {
		return Sum{}, errors.New("digest: nil schema")
	}
	fields := schema.Fields()
	if len(cols) != len(fields) {
		return Sum{}, fmt.Errorf("digest: schema has %d fields but %d columns were given", len(fields), len(cols))
	}
	prepared := make([]column, len(fields))
	for i, f := range fields {
		c := cols[i]
		if c == nil {
			return Sum{}, fmt.Errorf("digest: column %q is nil", f.Name)
		}
		if !arrow.TypeEqual(f.Type, c.DataType()) {
			return Sum{}, fmt.Errorf("digest: column %q has type %s, schema says %s", f.Name, c.DataType(), f.Type)
		}
		p, err := buildPlan(f.Type)
		if err != nil {
			return Sum{}, fmt.Errorf("digest: column %q of type %s: %w", f.Name, f.Type, err)
		}
		if rows < 0 {
			rows = c.Len()
		}
		if c.Len() != rows {
			if i == 0 {
				return Sum{}, fmt.Errorf("digest: column %q has %d rows, the table has %d", f.Name, c.Len(), rows)
			}
			return Sum{}, fmt.Errorf("digest: column %q has %d rows, column %q has %d", f.Name, c.Len(), fields[0].Name, rows)
		}
		col := column{name: f.Name, plan: p}
		start := 0
		for _, a := range c.Chunks() {
			if a == nil || a.Data() == nil {
				return Sum{}, fmt.Errorf("digest: column %q has a nil chunk", f.Name)
			}
			if a.Len() == 0 {
				continue
			}
			col.chunks = append(col.chunks, a)
			col.starts = append(col.starts, start)
			start += a.Len()
		}
		if start != rows {
			return Sum{}, fmt.Errorf("digest: column %q: chunks hold %d rows, column length is %d", f.Name, start, rows)
		}
		prepared[i] = col
	}

	rows = max(rows, 0)
	segs := (rows + segmentRows - 1) / segmentRows
	tasks := make([]task, 0, segs*len(prepared))
	for c := range prepared {
		for s := 0; s < segs; s++ {
			tasks = append(tasks, task{c, s})
		}
	}
	sums := make([]Sum, len(tasks))
	errs := make([]error, len(tasks))
	runTasks(len(tasks), func(w *worker, t int) {
		sums[t], errs[t] = hashSegment(w, &prepared[tasks[t].col], tasks[t].seg, rows)
	})
	for _, err := range errs {
		if err != nil {
			return Sum{}, err
		}
	}

	b := newPooledBuilder(domainContent)
	defer b.release()
	b.Uint("fields", uint64(len(fields)))
	for i, f := range fields {
		b.String("name", f.Name).String("type", prepared[i].plan.typ).Bool("nullable", f.Nullable)
	}
	b.Uint("rows", uint64(rows))
	for c := range prepared {
		cb := newPooledBuilder(domainColumn)
		cb.String("type", prepared[c].plan.typ).Uint("rows", uint64(rows)).Uint("segments", uint64(segs))
		for s := 0; s < segs; s++ {
			cb.Sum("segment", sums[c*segs+s])
		}
		b.Sum("column", cb.Digest())
		cb.release()
	}
	return b.Digest(), nil
}

var workerPool = sync.Pool{New: func() any { return newWorker() }}

// runTasks calls fn for tasks 0..n-1 on up to GOMAXPROCS goroutines, each
// with its own worker.
func runTasks(n int, fn func(w *worker, t int)) {
	procs := min(runtime.GOMAXPROCS(0), n)
	if procs <= 1 {
		w := workerPool.Get().(*worker)
		for t := 0; t < n; t++ {
			fn(w, t)
		}
		workerPool.Put(w)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < procs; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := workerPool.Get().(*worker)
			defer workerPool.Put(w)
			for {
				t := int(next.Add(1) - 1)
				if t >= n {
					return
				}
				fn(w, t)
			}
		}()
	}
	wg.Wait()
}

// hashSegment returns the node digest of rows [seg*SegmentRows, ...) of
// col. Malformed arrays that slip past the explicit checks and make arrow
// or this package panic are reported as errors.
func hashSegment(w *worker, col *column, seg, rows int) (sum Sum, err error) {
	defer func() {
		if r := recover(); r != nil {
			// The node's hashers are dropped, not returned to the pool.
			err = fmt.Errorf("digest: column %q: malformed array data: %v", col.name, r)
		}
	}()
	lo := seg * segmentRows
	hi := min(lo+segmentRows, rows)
	nd := newNode(col.plan, w)
	// First chunk holding row lo.
	i := sort.Search(len(col.starts), func(i int) bool { return col.starts[i]+col.chunks[i].Len() > lo })
	for ; i < len(col.chunks) && col.starts[i] < hi; i++ {
		a := col.chunks[i]
		start := max(lo-col.starts[i], 0)
		end := min(hi-col.starts[i], a.Len())
		if err := nd.feed(a.Data(), start, end); err != nil {
			return Sum{}, fmt.Errorf("digest: column %q: %w", col.name, err)
		}
	}
	return nd.finish(), nil
}
