package pq

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// benchRows is the size of the benchmark table: an events table of 5
// columns (id, user_id, price with 10% nulls, event with 3 values, ts).
const benchRows = 5_000_000

var (
	benchOnce  sync.Once
	benchTable arrow.Table
	benchBytes int64 // Arrow in-memory size
)

func eventsTable(b testing.TB) (arrow.Table, int64) {
	benchOnce.Do(func() {
		sc := arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "event", Type: arrow.BinaryTypes.String},
			{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		}, nil)
		rng := rand.New(rand.NewPCG(42, 42))
		const chunk = 64 << 10
		var recs []arrow.RecordBatch
		bld := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		defer bld.Release()
		for off := 0; off < benchRows; off += chunk {
			n := min(chunk, benchRows-off)
			id := bld.Field(0).(*array.Int64Builder)
			user := bld.Field(1).(*array.Int64Builder)
			price := bld.Field(2).(*array.Float64Builder)
			ev := bld.Field(3).(*array.StringBuilder)
			ts := bld.Field(4).(*array.TimestampBuilder)
			for i := off; i < off+n; i++ {
				id.Append(int64(i))
				user.Append(rng.Int64N(100_000))
				if rng.IntN(10) == 0 {
					price.AppendNull()
				} else {
					price.Append(float64(rng.IntN(20000)) / 100)
				}
				ev.Append(events[rng.IntN(3)])
				// about 20 events per second, in time order
				ts.Append(arrow.Timestamp(testTS + int64(i)*50_000 + rng.Int64N(50_000)))
			}
			recs = append(recs, bld.NewRecordBatch())
		}
		benchTable = array.NewTableFromRecords(sc, recs)
		for _, r := range recs {
			for _, c := range r.Columns() {
				for _, buf := range c.Data().Buffers() {
					if buf != nil {
						benchBytes += int64(buf.Len())
					}
				}
			}
			r.Release()
		}
	})
	return benchTable, benchBytes
}

// peakHeap samples the Go heap while fn runs and returns the peak growth
// over the heap in use before it, in MiB. The GC runs at GOGC=10 meanwhile
// so that the figure is close to live memory, not to uncollected garbage.
func peakHeap(fn func()) float64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	fn()
	close(done)
	if peak.Load() < base {
		return 0
	}
	return float64(peak.Load()-base) / (1 << 20)
}

func reportRows(b *testing.B, rows int64) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWrite measures Write with Defaults and with alternative settings,
// reporting rows/s, MB/s of Arrow data, the file size and the peak heap.
func BenchmarkWrite(b *testing.B) {
	tbl, size := eventsTable(b)
	variants := []struct {
		name string
		mod  func(*Options)
	}{
		{"defaults", func(*Options) {}},
		{"zstd1", func(o *Options) { o.Level = 1 }},
		{"zstd3", func(o *Options) { o.Level = 3 }},
		{"zstd6", func(o *Options) { o.Level = 6 }},
		{"snappy", func(o *Options) { o.Compression = compress.Codecs.Snappy; o.Level = 0 }},
		{"uncompressed", func(o *Options) { o.Compression = compress.Codecs.Uncompressed; o.Level = 0 }},
		{"dict_all", func(o *Options) { o.Dictionary = DictAll }},
		{"dict_none", func(o *Options) { o.Dictionary = DictNone }},
		{"rowgroup_128K", func(o *Options) { o.RowGroupRows = 1 << 17 }},
		{"rowgroup_4M", func(o *Options) { o.RowGroupRows = 1 << 22 }},
		{"page_128K", func(o *Options) { o.PageBytes = 128 << 10 }},
		{"page_256K", func(o *Options) { o.PageBytes = 256 << 10 }},
		{"page_512K", func(o *Options) { o.PageBytes = 512 << 10 }},
		{"page_1M", func(o *Options) { o.PageBytes = 1 << 20 }},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			o := Defaults()
			v.mod(&o)
			var fileSize int64
			peak := peakHeap(func() {
				cw := &countingWriter{w: io.Discard}
				if _, err := Write(context.Background(), cw, tbl, o); err != nil {
					b.Fatal(err)
				}
				fileSize = cw.n
			})
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Write(context.Background(), io.Discard, tbl, o); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportRows(b, tbl.NumRows())
			b.ReportMetric(float64(fileSize)/(1<<20), "file-MiB")
			b.ReportMetric(peak, "peak-heap-MiB")
		})
	}
}

// BenchmarkRead measures Read of the benchmark table written with Defaults
// (and with zstd level 3 and 6, and with 1 MiB pages, to weigh decode speed
// into those choices).
func BenchmarkRead(b *testing.B) {
	tbl, size := eventsTable(b)
	for _, v := range []struct {
		level int
		page  int64
	}{{1, 0}, {3, 0}, {6, 0}, {1, 1 << 20}} {
		o := Defaults()
		o.Level = v.level
		name := fmt.Sprintf("zstd%d", v.level)
		if v.page != 0 {
			o.PageBytes = v.page
			name += fmt.Sprintf("_page%dK", v.page>>10)
		}
		var buf bytes.Buffer
		if _, err := Write(context.Background(), &buf, tbl, o); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		for _, parallel := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/parallel=%t", name, parallel), func(b *testing.B) {
				ro := ReadOptions{Parallel: parallel}
				peak := peakHeap(func() {
					got, err := Read(context.Background(), bytes.NewReader(data), "bench", ro)
					if err != nil {
						b.Fatal(err)
					}
					got.Release()
				})
				b.SetBytes(size)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					got, err := Read(context.Background(), bytes.NewReader(data), "bench", ro)
					if err != nil {
						b.Fatal(err)
					}
					if got.NumRows() != benchRows {
						b.Fatalf("read %d rows", got.NumRows())
					}
					got.Release()
				}
				b.StopTimer()
				reportRows(b, benchRows)
				b.ReportMetric(peak, "peak-heap-MiB")
			})
		}
	}
}
