package pq

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/kiln-data/kiln/internal/version"
)

// Dictionary policies for Options.Dictionary.
const (
	// DictStrings dictionary-encodes only BYTE_ARRAY leaves (Arrow string,
	// large_string, binary, large_binary). It is the default: low-cardinality
	// strings shrink a lot, while dictionary-encoding numbers costs write time
	// and rarely pays off once pages are zstd-compressed.
	DictStrings = "strings"
	// DictAll dictionary-encodes every leaf that Parquet allows.
	DictAll = "all"
	// DictNone writes every leaf PLAIN.
	DictNone = "none"
)

// Fixed writer settings that are not options. They are part of the
// determinism contract as much as Options are; changing any of them changes
// file bytes.
const (
	// writeBatchSize is how many values the column writer encodes between
	// page-size checks (parquet-cpp's and arrow-go's default).
	writeBatchSize = 1024
	// maxStatsSize is the largest min or max value written to statistics;
	// longer values are left out (arrow-go's default).
	maxStatsSize = 4096
	// readBatchRows is ReadOptions.BatchRows when it is zero.
	readBatchRows = 64 << 10
)

// Options are kiln's fixed Parquet writer settings. The zero value is never
// used directly: start from Defaults() and change fields only where a test or
// a benchmark needs to. Every field is part of the determinism contract: the
// same table written with equal Options gives the same bytes, and any change
// of Options may change the bytes (never the content). Options.String gives a
// canonical form suitable for a manifest or a fingerprint.
type Options struct {
	// Compression is the page codec. Default compress.Codecs.Zstd.
	Compression compress.Compression
	// Level is the codec's compression level. For zstd, arrow-go uses
	// klauspost/compress, which maps levels onto four encoders: <3 fastest,
	// 3-5 default, 6-9 better, >=10 best (so 1 and 2 give the same bytes).
	// Default 1. Measured with BenchmarkWrite (5M rows, 5 columns, on a
	// shared 2-core machine, three runs): level 1 writes 3.3-4.1M rows/s
	// and 47.7 MiB, level 3 3.1-3.3M rows/s and 47.6 MiB (-0.3%), level 6
	// 2.4M rows/s and 46.4 MiB (-2.7%); BenchmarkRead decodes all three at
	// the same 10-11M rows/s. Page compression is the writer's largest
	// cost, and higher levels buy almost nothing on typical feature data.
	Level int
	// RowGroupRows is the number of rows in every row group but the last
	// (which holds the rest). Default 1<<20; see DefaultRowGroupRows.
	RowGroupRows int64
	// PageBytes is the target size of a data page before compression.
	// Default 256 KiB. The writer holds a page's values, its encoded and
	// its compressed bytes at once, per column writer, and the compressor's
	// history is sized to the page (see zstd.go): measured with
	// BenchmarkWrite (5M rows, 5 columns, this 2-core machine, one run),
	// 256 KiB pages give a 0.5% larger file than 1 MiB pages, the same
	// speed, 28% fewer bytes allocated and a 25% lower writer peak heap;
	// 128 KiB pages add another 0.8% to the file for little memory.
	// DuckDB and pandas read either alike.
	PageBytes int64
	// DictPageBytes is the largest dictionary page: once a column chunk's
	// dictionary grows past it, the writer falls back to PLAIN for the
	// rest of the chunk. Default 1 MiB (arrow-go's and parquet-cpp's).
	DictPageBytes int64
	// Dictionary is the dictionary-encoding policy: DictStrings (default),
	// DictAll or DictNone. On the benchmark table DictAll writes 5-14%
	// slower and allocates 1.6x for a 9% smaller file (its numeric columns
	// have few distinct values); DictNone writes 2-13% faster for a 7%
	// larger file.
	Dictionary string
	// Stats writes column-chunk and page min/max/null-count statistics, so
	// DuckDB, Spark and others can prune row groups. Default true.
	Stats bool
	// CreatedBy is the footer's created_by. Default version.CreatedBy.
	CreatedBy string
}

// DefaultRowGroupRows is the default Options.RowGroupRows. The writer holds
// about one row group in memory, and readers such as DuckDB parallelise and
// prune by row group. Measured on the benchmark table (5M rows, 5 columns,
// BenchmarkWrite): 128Ki, 1Mi and 4Mi rows per group write at the same speed
// within the machine's noise (3.4-4.1M rows/s each) and give the same file
// size, while the writer's peak heap is 49, about 100 and 240 MiB. 1Mi rows
// (pyarrow's default too) keeps memory bounded for wide tables while
// leaving row groups large enough for efficient scans.
const DefaultRowGroupRows int64 = 1 << 20

// Defaults returns kiln's default writer settings.
func Defaults() Options {
	return Options{
		Compression:   compress.Codecs.Zstd,
		Level:         1,
		RowGroupRows:  DefaultRowGroupRows,
		PageBytes:     256 << 10,
		DictPageBytes: 1 << 20,
		Dictionary:    DictStrings,
		Stats:         true,
		CreatedBy:     version.CreatedBy,
	}
}

// String returns a canonical one-line form of o, stable across releases for
// equal settings, e.g. "codec=ZSTD level=1 rowgroup=1048576 page=262144
// dictpage=1048576 dict=strings stats=true created_by=\"kiln version
// 0.1.0\"".
func (o Options) String() string {
	return fmt.Sprintf("codec=%s level=%d rowgroup=%d page=%d dictpage=%d dict=%s stats=%t created_by=%q",
		o.Compression, o.Level, o.RowGroupRows, o.PageBytes, o.DictPageBytes, o.Dictionary, o.Stats, o.CreatedBy)
}

// validate reports the first unusable field of o.
func (o Options) validate() error {
	switch {
	case o.RowGroupRows <= 0:
		return fmt.Errorf("pq: Options.RowGroupRows must be > 0, got %d (start from pq.Defaults())", o.RowGroupRows)
	case o.PageBytes <= 0:
		return fmt.Errorf("pq: Options.PageBytes must be > 0, got %d (start from pq.Defaults())", o.PageBytes)
	case o.DictPageBytes <= 0:
		return fmt.Errorf("pq: Options.DictPageBytes must be > 0, got %d (start from pq.Defaults())", o.DictPageBytes)
	case o.CreatedBy == "":
		return fmt.Errorf("pq: Options.CreatedBy must not be empty (start from pq.Defaults())")
	}
	switch o.Dictionary {
	case DictStrings, DictAll, DictNone:
	default:
		return fmt.Errorf("pq: Options.Dictionary must be %q, %q or %q, got %q", DictStrings, DictAll, DictNone, o.Dictionary)
	}
	if _, err := compress.GetCodec(o.Compression); err != nil {
		return fmt.Errorf("pq: Options.Compression %s: %w", o.Compression, err)
	}
	return nil
}

// writerProps turns o into arrow-go writer properties for schema sc (already
// normalised). Every property that affects bytes is set explicitly, so a
// change of arrow-go's defaults cannot silently change kiln's files.
func (o Options) writerProps(sc *arrow.Schema, mem memory.Allocator) (*parquet.WriterProperties, pqarrow.ArrowWriterProperties, error) {
	if err := o.validate(); err != nil {
		return nil, pqarrow.ArrowWriterProperties{}, err
	}
	base := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithCreatedBy(o.CreatedBy),
		parquet.WithRootName(parquet.DefaultRootName),
		parquet.WithCompression(o.Compression),
		parquet.WithCompressionLevel(o.Level),
		parquet.WithMaxRowGroupLength(o.RowGroupRows),
		parquet.WithDataPageSize(o.PageBytes),
		parquet.WithDictionaryPageSizeLimit(o.DictPageBytes),
		parquet.WithBatchSize(writeBatchSize),
		parquet.WithEncoding(parquet.Encodings.Plain),
		parquet.WithStats(o.Stats),
		parquet.WithMaxStatsSize(maxStatsSize),
		parquet.WithPageIndexEnabled(false),
		parquet.WithBloomFilterEnabled(false),
		parquet.WithStoreDecimalAsInteger(false),
		parquet.WithDictionaryDefault(o.Dictionary == DictAll),
	}
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem))
	if o.Dictionary != DictStrings {
		return parquet.NewWriterProperties(base...), arrProps, nil
	}
	// Enable dictionaries leaf by leaf: every BYTE_ARRAY leaf, wherever it
	// is nested. The Parquet schema does not depend on dictionary settings.
	pqs, err := pqarrow.ToParquet(sc, parquet.NewWriterProperties(base...), arrProps)
	if err != nil {
		return nil, arrProps, fmt.Errorf("pq: schema: %w", err)
	}
	for i := 0; i < pqs.NumColumns(); i++ {
		col := pqs.Column(i)
		if col.PhysicalType() == parquet.Types.ByteArray {
			base = append(base, parquet.WithDictionaryPath(col.ColumnPath(), true))
		}
	}
	return parquet.NewWriterProperties(base...), arrProps, nil
}
