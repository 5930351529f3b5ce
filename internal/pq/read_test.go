package pq

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	tbl := makeTable(t, 3500, 11)
	defer tbl.Release()
	data := writeBytes(t, tbl, smallOpts())
	for _, parallel := range []bool{false, true} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		got := readBytes(t, data, ReadOptions{Parallel: parallel, Allocator: mem, BatchRows: 100})
		require.True(t, got.Schema().Equal(tbl.Schema()), "schema\n got %s\nwant %s", got.Schema(), tbl.Schema())
		require.True(t, array.TableEqual(tbl, got), "parallel=%v", parallel)
		for i := 0; i < int(got.NumCols()); i++ {
			assert.Equal(t, tbl.Column(i).NullN(), got.Column(i).NullN(), "column %s nulls", got.Column(i).Name())
		}
		got.Release()
		mem.AssertSize(t, 0) // nothing leaked once the table is released
	}
}

// TestTypesRoundTrip covers types whose Parquet mapping loses information
// that only the stored Arrow schema restores.
func TestTypesRoundTrip(t *testing.T) {
	mem := memory.DefaultAllocator
	cases := []struct {
		name string
		dt   arrow.DataType
		json string
	}{
		{"ts_us_utc", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, `["2024-01-30T10:00:00.123456Z", null]`},
		{"ts_ns_ny", &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "America/New_York"}, `["2024-01-30T10:00:00.123456789Z", null]`},
		{"ts_ms_naive", &arrow.TimestampType{Unit: arrow.Millisecond}, `["2024-01-30T10:00:00.123", null]`},
		{"ts_s", &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, `["2024-01-30T10:00:00Z", null]`},
		{"date32", arrow.FixedWidthTypes.Date32, `["2024-01-30", null]`},
		{"large_string", arrow.BinaryTypes.LargeString, `["a", null]`},
		{"binary", arrow.BinaryTypes.Binary, `["AAE=", null]`},
		{"int8", arrow.PrimitiveTypes.Int8, `[-1, null]`},
		{"uint64", arrow.PrimitiveTypes.Uint64, `[18446744073709551615, null]`},
		{"float32", arrow.PrimitiveTypes.Float32, `[1.5, null]`},
		{"decimal", &arrow.Decimal128Type{Precision: 12, Scale: 2}, `["1234.56", null]`},
		{"map", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), `[[{"key": "a", "value": 1}], null]`},
		{"large_list", arrow.LargeListOf(arrow.BinaryTypes.String), `[["x", null], null]`},
		{"fixed_list", arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), `[[1, 2], null]`},
	}
	var fields []arrow.Field
	var cols []arrow.Array
	for _, c := range cases {
		a, _, err := array.FromJSON(mem, c.dt, bytes.NewReader([]byte(c.json)))
		require.NoError(t, err, c.name)
		defer a.Release()
		fields = append(fields, arrow.Field{Name: c.name, Type: c.dt, Nullable: true})
		cols = append(cols, a)
	}
	// Nullability: a required column stays required.
	req, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int64, bytes.NewReader([]byte(`[1, 2]`)))
	require.NoError(t, err)
	defer req.Release()
	fields = append(fields, arrow.Field{Name: "required", Type: arrow.PrimitiveTypes.Int64})
	cols = append(cols, req)

	sc := arrow.NewSchema(fields, nil)
	rec := array.NewRecordBatch(sc, cols, 2)
	defer rec.Release()
	tbl := array.NewTableFromRecords(sc, []arrow.RecordBatch{rec})
	defer tbl.Release()

	path := filepath.Join(t.TempDir(), "types.parquet")
	_, err = WriteFile(context.Background(), path, tbl, Defaults())
	require.NoError(t, err)
	got, err := ReadFile(context.Background(), path, ReadOptions{})
	require.NoError(t, err)
	defer got.Release()
	for i, f := range sc.Fields() {
		g := got.Schema().Field(i)
		if f.Name == "large_list" {
			// pqarrow stores list elements under Parquet's name, "element";
			// arrow-go compares large_list element names (not list ones).
			f.Type = arrow.LargeListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true})
			assert.True(t, f.Equal(g), "field %s: read %s", f.Name, g)
			continue
		}
		assert.True(t, f.Equal(g), "field %s: wrote %s, read %s", f.Name, f, g)
		assert.True(t, array.ChunkedEqual(tbl.Column(i).Data(), got.Column(i).Data()), "values of %s", f.Name)
	}
	rs, err := ReadSchema(path)
	require.NoError(t, err)
	assert.True(t, rs.Equal(got.Schema()))

	// The Parquet types other readers see: no INT96, UTC-adjusted for zoned
	// timestamps (DuckDB: TIMESTAMP WITH TIME ZONE), local for naive ones.
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	require.NoError(t, err)
	for _, want := range []struct {
		col      string
		unit     schema.TimeUnitType
		adjusted bool
	}{
		{"ts_us_utc", schema.TimeUnitMicros, true},
		{"ts_ns_ny", schema.TimeUnitNanos, true},
		{"ts_ms_naive", schema.TimeUnitMillis, false},
		{"ts_s", schema.TimeUnitMillis, true},
	} {
		c := pf.MetaData().Schema.Column(pf.MetaData().Schema.ColumnIndexByName(want.col))
		lt, ok := c.LogicalType().(schema.TimestampLogicalType)
		require.True(t, ok, "%s has %s", want.col, c.LogicalType())
		assert.Equal(t, want.adjusted, lt.IsAdjustedToUTC(), want.col)
		assert.Equal(t, want.unit, lt.TimeUnit(), want.col)
		assert.Equal(t, "INT64", c.PhysicalType().String(), want.col)
	}
}

func TestProjection(t *testing.T) {
	tbl := makeTable(t, 1200, 5)
	defer tbl.Release()
	path := filepath.Join(t.TempDir(), "p.parquet")
	_, err := WriteFile(context.Background(), path, tbl, smallOpts())
	require.NoError(t, err)

	got, err := ReadFile(context.Background(), path, ReadOptions{Columns: []string{"item", "event", "id"}})
	require.NoError(t, err)
	defer got.Release()
	require.Equal(t, int64(3), got.NumCols())
	for i, name := range []string{"item", "event", "id"} {
		assert.Equal(t, name, got.Column(i).Name(), "request order")
		idx := tbl.Schema().FieldIndices(name)[0]
		assert.True(t, array.ChunkedEqual(tbl.Column(idx).Data(), got.Column(i).Data()), name)
	}

	none, err := ReadFile(context.Background(), path, ReadOptions{Columns: []string{}})
	require.NoError(t, err)
	assert.Equal(t, int64(0), none.NumCols())
	assert.Equal(t, int64(1200), none.NumRows(), "row count survives an empty projection")
	none.Release()

	_, err = ReadFile(context.Background(), path, ReadOptions{Columns: []string{"id", "nope"}})
	require.ErrorIs(t, err, ErrNoColumn)
	assert.NotErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), `"nope"`)
	assert.Contains(t, err.Error(), path)

	_, err = ReadFile(context.Background(), path, ReadOptions{Columns: []string{"id", "id"}})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), path)
}

func TestFooterOnly(t *testing.T) {
	tbl := makeTable(t, 2345, 5)
	defer tbl.Release()
	path := filepath.Join(t.TempDir(), "f.parquet")
	_, err := WriteFile(context.Background(), path, tbl, smallOpts())
	require.NoError(t, err)
	n, err := FileRows(path)
	require.NoError(t, err)
	assert.Equal(t, int64(2345), n)
	sc, err := ReadSchema(path)
	require.NoError(t, err)
	assert.True(t, sc.Equal(tbl.Schema()), "got %s", sc)
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	tbl := makeTable(t, 3000, 8)
	defer tbl.Release()
	good := writeBytes(t, tbl, smallOpts())

	missing := filepath.Join(dir, "missing.parquet")
	for name, fn := range map[string]func(string) error{
		"ReadFile":   func(p string) error { _, err := ReadFile(context.Background(), p, ReadOptions{}); return err },
		"ReadSchema": func(p string) error { _, err := ReadSchema(p); return err },
		"FileRows":   func(p string) error { _, err := FileRows(p); return err },
	} {
		t.Run(name+"/missing", func(t *testing.T) {
			err := fn(missing)
			require.ErrorIs(t, err, fs.ErrNotExist)
			assert.NotErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), missing)
		})
		t.Run(name+"/directory", func(t *testing.T) {
			err := fn(dir)
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrCorrupt, "an I/O error is not corruption: %v", err)
			assert.Contains(t, err.Error(), dir)
		})
	}

	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 10000)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	bad := map[string][]byte{
		"empty":            {},
		"random":           random,
		"magic only":       []byte("PAR1PAR1"),
		"truncated footer": good[:len(good)-10],
		"truncated half":   good[:len(good)/2],
		"no tail magic":    append(append([]byte{}, good[:len(good)-4]...), 'X', 'X', 'X', 'X'),
	}
	for name, data := range bad {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".parquet")
			require.NoError(t, os.WriteFile(p, data, 0o644))
			_, err := ReadFile(context.Background(), p, ReadOptions{})
			requireCorrupt(t, err, p)
			_, err = ReadSchema(p)
			requireCorrupt(t, err, p)
			_, err = FileRows(p)
			requireCorrupt(t, err, p)
		})
	}

	// A flipped byte anywhere in the column data (pages) is detected: every
	// page is a zstd frame with a checksum, page headers are Thrift.
	t.Run("flipped page bytes", func(t *testing.T) {
		pf, err := file.NewParquetReader(bytes.NewReader(good))
		require.NoError(t, err)
		rg := pf.MetaData().RowGroup(1)
		detected, benign := 0, 0
		defer func() {
			t.Logf("flips detected %d, benign %d", detected, benign)
			assert.Greater(t, detected, 2*benign)
		}()
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			require.NoError(t, err)
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() {
				start = cc.DictionaryPageOffset()
			}
			size := cc.TotalCompressedSize()
			for _, at := range []int64{start + size/2, start + size - 3, start + 1} {
				data := append([]byte{}, good...)
				data[at] ^= 0x5a
				p := filepath.Join(dir, "flip.parquet")
				require.NoError(t, os.WriteFile(p, data, 0o644))
				got, err := ReadFile(context.Background(), p, ReadOptions{})
				if err == nil {
					// Some header flips (e.g. in statistics) leave the data
					// intact: then it must still read back exactly.
					assert.True(t, array.TableEqual(tbl, got), "column %d byte %d: silent wrong data", c, at)
					got.Release()
					benign++
					continue
				}
				detected++
				requireCorrupt(t, err, p)
			}
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Read(ctx, bytes.NewReader(good), "x.parquet", ReadOptions{})
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, ErrCorrupt)
	})

	t.Run("cancelled while decoding", func(t *testing.T) {
		for _, parallel := range []bool{false, true} {
			ctx, cancel := context.WithCancel(context.Background())
			r := &cancellingReader{Reader: bytes.NewReader(good), after: 4, cancel: cancel}
			_, err := Read(ctx, r, "x.parquet", ReadOptions{Parallel: parallel, BatchRows: 10})
			require.ErrorIs(t, err, context.Canceled, "parallel=%v", parallel)
			assert.NotErrorIs(t, err, ErrCorrupt)
			cancel()
		}
	})

	t.Run("reader error", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := Read(context.Background(), failingReader{bytes.NewReader(good), boom}, "blob://x", ReadOptions{})
		require.ErrorIs(t, err, boom)
		assert.NotErrorIs(t, err, ErrCorrupt)
		assert.Contains(t, err.Error(), "blob://x")
	})
}

func requireCorrupt(t *testing.T, err error, path string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), path)
}

// failingReader fails every read past the first 1000 bytes from the end,
// like a blob store that drops the connection after the footer.
type failingReader struct {
	*bytes.Reader
	err error
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off < f.Size()-1000 {
		return 0, f.err
	}
	return f.Reader.ReadAt(p, off)
}

// cancellingReader cancels a context on its after-th ReadAt.
type cancellingReader struct {
	*bytes.Reader
	after  int
	n      atomic.Int32
	cancel context.CancelFunc
}

func (c *cancellingReader) ReadAt(p []byte, off int64) (int, error) {
	if int(c.n.Add(1)) == c.after {
		c.cancel()
	}
	return c.Reader.ReadAt(p, off)
}
