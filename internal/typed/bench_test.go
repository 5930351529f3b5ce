package typed

import (
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchEvent is the 6-field event struct of the benchmarks.
type benchEvent struct {
	EventID   int64
	UserID    *int64
	ItemID    int64
	EventType string `kiln:"event_type,dict"`
	Amount    *float64
	TS        time.Time `kiln:"ts"`
}

const benchRows = 1 << 20

func benchEvents(n int) []benchEvent {
	types := []string{"view", "click", "add_to_cart", "purchase", "refund"}
	t0 := time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC)
	users := make([]int64, n)
	amounts := make([]float64, n)
	rows := make([]benchEvent, n)
	for i := range rows {
		users[i] = int64(i % 9973)
		amounts[i] = float64(i%1000) / 10
		r := benchEvent{
			EventID:   int64(i),
			ItemID:    int64(i % 4099),
			EventType: types[i%len(types)],
			TS:        t0.Add(time.Duration(i) * time.Millisecond),
		}
		if i%10 != 0 {
			r.UserID = &users[i]
		}
		if i%3 == 0 {
			r.Amount = &amounts[i]
		}
		rows[i] = r
	}
	return rows
}

// perRow reports wall time per row and, because benchmarks on shared
// machines are noisy, process CPU time per row (including the garbage
// collector's). Call it before the timed loop and call the result after.
func perRow(b *testing.B, rows int) func() {
	cpu0 := cpuTime()
	b.ResetTimer()
	return func() {
		b.StopTimer()
		n := float64(b.N) * float64(rows)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/row")
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/n, "cpu-ns/row")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBuilderAppend appends 1M events one Append call at a time, as a
// streaming source would: the rows come from a small ring, not a 1M-row
// slice the garbage collector has to scan.
func BenchmarkBuilderAppend(b *testing.B) {
	ring := benchEvents(4096)
	c, err := CodecOf[benchEvent]()
	if err != nil {
		b.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	b.ReportAllocs()
	defer perRow(b, benchRows)()
	for range b.N {
		bld := c.NewBuilder(mem)
		for i := range benchRows {
			if err := bld.Append(&ring[i%len(ring)]); err != nil {
				b.Fatal(err)
			}
		}
		bld.NewRecordBatch().Release()
		bld.Release()
	}
}

// BenchmarkBuilderAppendReserved is BenchmarkBuilderAppend with the batch
// size reserved up front, so the fixed-width columns never reallocate.
func BenchmarkBuilderAppendReserved(b *testing.B) {
	ring := benchEvents(4096)
	c, err := CodecOf[benchEvent]()
	if err != nil {
		b.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	b.ReportAllocs()
	defer perRow(b, benchRows)()
	for range b.N {
		bld := c.NewBuilder(mem)
		bld.Reserve(benchRows)
		for i := range benchRows {
			if err := bld.Append(&ring[i%len(ring)]); err != nil {
				b.Fatal(err)
			}
		}
		bld.NewRecordBatch().Release()
		bld.Release()
	}
}

// BenchmarkFromSlice builds the same batch column by column.
func BenchmarkFromSlice(b *testing.B) {
	rows := benchEvents(benchRows)
	mem := memory.NewGoAllocator()
	b.ReportAllocs()
	defer perRow(b, benchRows)()
	for range b.N {
		rec, err := FromSlice(mem, rows)
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}

// BenchmarkDecode reads 1M events from an 8-chunk table.
func BenchmarkDecode(b *testing.B) {
	rows := benchEvents(benchRows)
	mem := memory.NewGoAllocator()
	const chunks = 8
	var recs []arrow.RecordBatch
	for i := range chunks {
		rec, err := FromSlice(mem, rows[i*benchRows/chunks:(i+1)*benchRows/chunks])
		if err != nil {
			b.Fatal(err)
		}
		defer rec.Release()
		recs = append(recs, rec)
	}
	tbl := array.NewTableFromRecords(recs[0].Schema(), recs)
	defer tbl.Release()
	b.ReportAllocs()
	defer perRow(b, benchRows)()
	for range b.N {
		got, err := Decode[benchEvent](tbl)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != benchRows {
			b.Fatal(len(got))
		}
	}
}
