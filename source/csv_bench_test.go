package source

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// benchRows is the size of the parse benchmarks' files.
const benchRows = 1_000_000

// eventsSchema is the FPB events table.
var eventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "item_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "event_type", Type: arrow.BinaryTypes.String},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
}, nil)

// writeEvents writes n FPB-like event rows (seed 42) as CSV or NDJSON and
// returns the file's path and size.
func writeEvents(tb testing.TB, dir, format string, n int) (string, int64) {
	tb.Helper()
	path := filepath.Join(dir, "events."+format)
	f, err := os.Create(path)
	require.NoError(tb, err)
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(42, 0))
	day := time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC)
	types := []string{"view", "add_to_cart", "purchase"}
	if format == "csv" {
		fmt.Fprintln(w, "event_id,user_id,item_id,event_type,amount,ts")
	}
	for i := range n {
		user := fmt.Sprint(1 + r.IntN(1_000_000))
		if r.IntN(1000) == 0 {
			user = ""
		}
		typ := types[min(r.IntN(20)/16+r.IntN(20)/19, 2)]
		amount := ""
		if typ == "purchase" {
			amount = fmt.Sprintf("%.2f", r.ExpFloat64()*20)
		}
		ts := day.Add(time.Duration(i) * 86400 * time.Second / time.Duration(n)).Format("2006-01-02T15:04:05.000000Z")
		if format == "csv" {
			fmt.Fprintf(w, "%d,%s,%d,%s,%s,%s\n", i+1, user, 1+r.IntN(100_000), typ, amount, ts)
			continue
		}
		if user == "" {
			user = "null"
		}
		if amount == "" {
			amount = "null"
		}
		fmt.Fprintf(w, `{"event_id":%d,"user_id":%s,"item_id":%d,"event_type":"%s","amount":%s,"ts":"%s"}`+"\n",
			i+1, user, 1+r.IntN(100_000), typ, amount, ts)
	}
	require.NoError(tb, w.Flush())
	require.NoError(tb, f.Close())
	st, err := os.Stat(path)
	require.NoError(tb, err)
	return path, st.Size()
}

// benchRead reads the file with s once per iteration and reports MB/s and
// rows/s.
func benchRead(b *testing.B, s *FileSource, size int64) {
	ctx := context.Background()
	_, err := s.plan(ctx)
	require.NoError(b, err)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tbl, _, _, err := s.read(ctx, kiln.All, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		if tbl.NumRows() != benchRows {
			b.Fatalf("read %d rows, want %d", tbl.NumRows(), benchRows)
		}
		tbl.Release()
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVParse reads a 1M-row CSV file of FPB events (~55 MB); run it
// with -cpu 1 for the single-core figure.
func BenchmarkCSVParse(b *testing.B) {
	path, size := writeEvents(b, b.TempDir(), "csv", benchRows)
	benchRead(b, CSV(path, WithSchema(eventsSchema)), size)
}

// BenchmarkCSVParseInferred is BenchmarkCSVParse with an inferred schema.
func BenchmarkCSVParseInferred(b *testing.B) {
	path, size := writeEvents(b, b.TempDir(), "csv", benchRows)
	benchRead(b, CSV(path), size)
}

// BenchmarkNDJSONParse reads a 1M-row NDJSON file of FPB events (~125 MB);
// run it with -cpu 1 for the single-core figure.
func BenchmarkNDJSONParse(b *testing.B) {
	path, size := writeEvents(b, b.TempDir(), "ndjson", benchRows)
	benchRead(b, NDJSON(path, WithSchema(eventsSchema)), size)
}
