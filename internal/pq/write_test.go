package pq

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/internal/version"
)

func TestWriteIndependentOfChunking(t *testing.T) {
	const n = 5500 // 6 row groups of 1000, the last 500
	tbl := makeTable(t, n, 1)
	defer tbl.Release()
	opts := smallOpts()
	want := writeBytes(t, tbl, opts)

	variants := map[string]arrow.Table{
		"copied chunks up to 700":   rechunk(t, tbl, 2, 700, true),
		"copied chunks up to 3":     rechunk(t, tbl, 3, 3, true),
		"sliced chunks up to 1500":  rechunk(t, tbl, 4, 1500, false),
		"sliced chunks up to 37":    rechunk(t, tbl, 5, 37, false),
		"copied chunks up to 10000": rechunk(t, tbl, 6, 10000, true),
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			defer v.Release()
			require.Greater(t, len(v.Column(0).Data().Chunks()), 1, "test needs several chunks")
			got := writeBytes(t, v, opts)
			require.True(t, bytes.Equal(want, got), "bytes differ: %d vs %d bytes", len(want), len(got))
		})
	}

	t.Run("Writer with random batches", func(t *testing.T) {
		v := rechunk(t, tbl, 7, 900, false)
		defer v.Release()
		var buf bytes.Buffer
		w, err := NewWriter(&buf, v.Schema(), opts)
		require.NoError(t, err)
		tr := array.NewTableReader(v, -1)
		defer tr.Release()
		for tr.Next() {
			require.NoError(t, w.Write(context.Background(), tr.RecordBatch()))
		}
		require.NoError(t, w.Close(context.Background()))
		assert.Equal(t, int64(n), w.Rows())
		assert.Equal(t, int64(buf.Len()), w.Bytes())
		require.True(t, bytes.Equal(want, buf.Bytes()))
	})

	t.Run("row groups", func(t *testing.T) {
		pf, err := file.NewParquetReader(bytes.NewReader(want))
		require.NoError(t, err)
		require.Equal(t, 6, pf.NumRowGroups())
		for i := 0; i < 5; i++ {
			assert.Equal(t, int64(1000), pf.MetaData().RowGroup(i).NumRows())
		}
		assert.Equal(t, int64(500), pf.MetaData().RowGroup(5).NumRows())
	})

	t.Run("same bytes twice", func(t *testing.T) {
		require.True(t, bytes.Equal(want, writeBytes(t, tbl, opts)))
	})
}

func TestWriteIgnoresValuesUnderNulls(t *testing.T) {
	const n = 3000
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = i%3 != 0
	}
	build := func(garbage func(i int) float64) arrow.Table {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		defer b.Release()
		for i := 0; i < n; i++ {
			b.Append(float64(i))
		}
		arr := b.NewFloat64Array()
		defer arr.Release()
		vals := arr.Float64Values()
		bm := make([]byte, (n+7)/8)
		for i := 0; i < n; i++ {
			if valid[i] {
				bm[i/8] |= 1 << (i % 8)
			} else {
				vals[i] = garbage(i)
			}
		}
		data := array.NewData(arrow.PrimitiveTypes.Float64, n,
			[]*memory.Buffer{memory.NewBufferBytes(bm), arr.Data().Buffers()[1]}, nil, n/3, 0)
		defer data.Release()
		col := array.MakeFromData(data)
		defer col.Release()
		sc := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
		rec := array.NewRecordBatch(sc, []arrow.Array{col}, n)
		defer rec.Release()
		return array.NewTableFromRecords(sc, []arrow.RecordBatch{rec})
	}
	rng := rand.New(rand.NewPCG(9, 9))
	a := build(func(int) float64 { return 0 })
	defer a.Release()
	b := build(func(int) float64 { return rng.NormFloat64() * 1e300 })
	defer b.Release()
	require.Equal(t, writeBytes(t, a, smallOpts()), writeBytes(t, b, smallOpts()))
}

func TestWriteDictionaryAsValues(t *testing.T) {
	const n = 2500
	plainB := array.NewStringBuilder(memory.DefaultAllocator)
	defer plainB.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	dictB := array.NewDictionaryBuilder(memory.DefaultAllocator, dt).(*array.BinaryDictionaryBuilder)
	defer dictB.Release()
	for i := 0; i < n; i++ {
		if i%13 == 0 {
			plainB.AppendNull()
			dictB.AppendNull()
			continue
		}
		// Reverse order of first appearance in the dictionary builder, so
		// the dictionary's order differs from the Parquet dictionary's.
		s := events[(n-i)%3]
		plainB.Append(s)
		require.NoError(t, dictB.AppendString(s))
	}
	plain, dict := plainB.NewArray(), dictB.NewArray()
	defer plain.Release()
	defer dict.Release()
	table := func(a arrow.Array) arrow.Table {
		sc := arrow.NewSchema([]arrow.Field{{Name: "event", Type: a.DataType(), Nullable: true}}, nil)
		rec := array.NewRecordBatch(sc, []arrow.Array{a}, n)
		defer rec.Release()
		return array.NewTableFromRecords(sc, []arrow.RecordBatch{rec})
	}
	pt, dtb := table(plain), table(dict)
	defer pt.Release()
	defer dtb.Release()
	dchunked := rechunk(t, dtb, 1, 400, false)
	defer dchunked.Release()

	want := writeBytes(t, pt, smallOpts())
	assert.Equal(t, want, writeBytes(t, dtb, smallOpts()), "dictionary column must write like its values")
	assert.Equal(t, want, writeBytes(t, dchunked, smallOpts()))

	// A Writer takes dictionary and plain batches of the same column.
	var buf bytes.Buffer
	w, err := NewWriter(&buf, dtb.Schema(), smallOpts())
	require.NoError(t, err)
	for i, src := range []arrow.Table{dtb, pt} {
		tr := array.NewTableReader(src, -1)
		require.True(t, tr.Next())
		half := tr.RecordBatch().NewSlice(int64(i*n/2), int64((i+1)*n/2))
		require.NoError(t, w.Write(context.Background(), half))
		half.Release()
		tr.Release()
	}
	require.NoError(t, w.Close(context.Background()))
	assert.Equal(t, want, buf.Bytes())

	got := readBytes(t, want, ReadOptions{})
	defer got.Release()
	assert.True(t, arrow.TypeEqual(arrow.BinaryTypes.String, got.Schema().Field(0).Type), "got %s", got.Schema().Field(0).Type)
	assert.True(t, array.TableEqual(pt, got))
}

func TestWriteDropsMetadata(t *testing.T) {
	tbl := makeTable(t, 10, 1)
	defer tbl.Release()
	md := arrow.NewMetadata([]string{"pandas", "written_at"}, []string{"{}", "2024-01-30T12:00:00Z"})
	fields := tbl.Schema().Fields()
	fields[0].Metadata = arrow.NewMetadata([]string{"comment"}, []string{"primary key"})
	sc := arrow.NewSchema(fields, &md)
	cols := make([]arrow.Column, tbl.NumCols())
	for i := range cols {
		cols[i] = *arrow.NewColumn(sc.Field(i), tbl.Column(i).Data())
		defer cols[i].Release()
	}
	withMD := array.NewTable(sc, cols, tbl.NumRows())
	defer withMD.Release()
	assert.Equal(t, writeBytes(t, tbl, Defaults()), writeBytes(t, withMD, Defaults()))
}

func TestFooter(t *testing.T) {
	tbl := makeTable(t, 100, 1)
	defer tbl.Release()
	data := writeBytes(t, tbl, Defaults())
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	require.NoError(t, err)
	md := pf.MetaData()
	assert.Equal(t, version.CreatedBy, md.GetCreatedBy())
	assert.Equal(t, []string{"ARROW:schema"}, md.KeyValueMetadata().Keys())
	assert.Equal(t, parquet.V2_6, md.Version())
	for c := 0; c < md.Schema.NumColumns(); c++ {
		cc, err := md.RowGroup(0).ColumnChunk(c)
		require.NoError(t, err)
		assert.Equal(t, "ZSTD", strings.ToUpper(cc.Compression().String()), "column %d", c)
		stats, err := cc.StatsSet()
		require.NoError(t, err)
		assert.True(t, stats, "column %d has statistics", c)
		dict := cc.HasDictionaryPage()
		isBytes := md.Schema.Column(c).PhysicalType() == parquet.Types.ByteArray
		assert.Equal(t, isBytes, dict, "column %s: dictionary iff BYTE_ARRAY", md.Schema.Column(c).Path())
	}
	// Nothing host- or time-specific anywhere in the file.
	host, _ := os.Hostname()
	if host != "" {
		assert.NotContains(t, string(data), host)
	}
	assert.NotContains(t, string(data), "parquet-go version")
}

func TestEmptyTable(t *testing.T) {
	tbl := makeTable(t, 0, 1)
	defer tbl.Release()
	path := filepath.Join(t.TempDir(), "empty.parquet")
	size, err := WriteFile(context.Background(), path, tbl, Defaults())
	require.NoError(t, err)
	assert.Positive(t, size)
	rows, err := FileRows(path)
	require.NoError(t, err)
	assert.Zero(t, rows)
	got, err := ReadFile(context.Background(), path, ReadOptions{})
	require.NoError(t, err)
	defer got.Release()
	assert.Zero(t, got.NumRows())
	assert.True(t, got.Schema().Equal(tbl.Schema()), "got %s", got.Schema())
}

func TestWriteFile(t *testing.T) {
	tbl := makeTable(t, 2000, 1)
	defer tbl.Release()
	dir := t.TempDir()
	path := filepath.Join(dir, "part-00000.parquet")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("x"), 1<<20), 0o644)) // truncated on write
	size, err := WriteFile(context.Background(), path, tbl, smallOpts())
	require.NoError(t, err)
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, int64(len(onDisk)), size)
	assert.Equal(t, writeBytes(t, tbl, smallOpts()), onDisk)

	_, err = WriteFile(context.Background(), filepath.Join(dir, "missing", "x.parquet"), tbl, Defaults())
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), filepath.Join(dir, "missing", "x.parquet"))

	bad := Defaults()
	bad.Dictionary = "some"
	badPath := filepath.Join(dir, "bad.parquet")
	_, err = WriteFile(context.Background(), badPath, tbl, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), badPath)
	assert.NoFileExists(t, badPath, "a failed write leaves no file")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = WriteFile(ctx, badPath, tbl, smallOpts())
	require.ErrorIs(t, err, context.Canceled)
	assert.NoFileExists(t, badPath)
}

func TestOptions(t *testing.T) {
	o := Defaults()
	require.NoError(t, o.validate())
	assert.Equal(t, `codec=ZSTD level=1 rowgroup=1048576 page=262144 dictpage=1048576 dict=strings stats=true created_by="kiln version 0.1.0"`, o.String())
	for _, mut := range []func(*Options){
		func(o *Options) { o.RowGroupRows = 0 },
		func(o *Options) { o.PageBytes = -1 },
		func(o *Options) { o.DictPageBytes = 0 },
		func(o *Options) { o.Dictionary = "" },
		func(o *Options) { o.CreatedBy = "" },
	} {
		o := Defaults()
		mut(&o)
		assert.Error(t, o.validate())
	}
	var zero Options
	_, err := Write(context.Background(), &bytes.Buffer{}, makeTable(t, 1, 1), zero)
	assert.ErrorContains(t, err, "pq.Defaults()")

	// Every dictionary policy and codec writes a readable file.
	tbl := makeTable(t, 1500, 3)
	defer tbl.Release()
	for _, d := range []string{DictAll, DictNone, DictStrings} {
		o := smallOpts()
		o.Dictionary = d
		got := readBytes(t, writeBytes(t, tbl, o), ReadOptions{})
		assert.True(t, array.TableEqual(tbl, got), "dictionary %s", d)
		got.Release()
	}
}

func TestWriterErrors(t *testing.T) {
	ctx := context.Background()
	tbl := makeTable(t, 10, 1)
	defer tbl.Release()
	rec := tableRecord(t, tbl)
	defer rec.Release()

	_, err := NewWriter(io.Discard, nil, Defaults())
	require.Error(t, err)

	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	for _, dt := range []arrow.DataType{arrow.ListOf(dict), arrow.StructOf(arrow.Field{Name: "d", Type: dict})} {
		_, err := NewWriter(io.Discard, arrow.NewSchema([]arrow.Field{{Name: "nested", Type: dt}}, nil), Defaults())
		assert.ErrorContains(t, err, `"nested"`, "nested dictionaries are rejected up front")
	}

	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	w, err := NewWriter(io.Discard, other, Defaults())
	require.NoError(t, err)
	require.ErrorContains(t, w.Write(ctx, rec), "does not match")
	require.Error(t, w.Write(ctx, rec), "a failed Writer stays failed")
	require.Error(t, w.Close(ctx))
	require.NoError(t, w.Close(ctx), "second Close")

	w, err = NewWriter(io.Discard, tbl.Schema(), Defaults())
	require.NoError(t, err)
	empty := rec.NewSlice(0, 0)
	defer empty.Release()
	require.NoError(t, w.Write(ctx, empty))
	require.NoError(t, w.Write(ctx, rec))
	require.NoError(t, w.Close(ctx))
	assert.Equal(t, int64(10), w.Rows())
	require.Error(t, w.Write(ctx, rec), "Write after Close")
}
