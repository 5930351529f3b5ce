// Package digest computes kiln's BLAKE3 hashes: file hashes, fingerprint
// builders and the content hash of Arrow data.
//
// All digests are 32-byte BLAKE3-256 values of type Sum, written as
// "blake3:<64 lowercase hex>".
//
// # Which function to use
//
//   - File hash (the bytes of a written file): File, Reader, or NewWriter
//     to hash while writing. These are plain BLAKE3-256, so `b3sum` agrees.
//   - Fingerprint or any other structured digest: NewBuilder with a
//     versioned domain, then typed fields. See Builder for the encoding.
//   - Content hash of Arrow data: Table, RecordBatch or Columns.
//
// # Content hash contract (stable, version "kiln.content.v1")
//
// The content hash is stored in every manifest and compared across runs,
// machines and kiln versions. Everything below is part of the on-disk
// contract; changing any of it changes every content hash and needs a new
// domain version. TestRegression pins examples.
//
// The content hash depends only on:
//
//   - the schema: field names, canonical logical types (see below) and
//     nullability, in order. Schema and field metadata are ignored;
//   - the row count;
//   - each column's logical values and validity, in row order.
//
// It does not depend on how rows are split into chunks or record batches
// (including empty chunks), on array offsets (slices), on the physical
// encoding (dictionary or plain; string, large_string or string_view;
// list, large_list, list_view or large_list_view), on bytes under null
// slots, on bitmap bits outside an array's range, nor on GOMAXPROCS.
//
// Canonical types. Each Arrow type maps to a canonical type string:
//
//	null, bool, int8..int64, uint8..uint64, float16, float32, float64
//	utf8                       string, large_string, string_view
//	binary                     binary, large_binary, binary_view
//	fixed_size_binary[W]
//	date32, date64, time32[s|ms], time64[us|ns], duration[s|ms|us|ns]
//	timestamp[U] or timestamp[U,TZ]   (the time zone as written, not normalized)
//	interval[month], interval[day_time], interval[month_day_nano]
//	decimal32(P,S), decimal64(P,S), decimal128(P,S), decimal256(P,S)
//	list<T,nullable|notnull>   list, large_list, list_view, large_list_view
//	fixed_size_list<T,nullable|notnull>[N]
//	map<K;V,nullable|notnull>  (keys_sorted and entry/key/value names ignored)
//	struct<name:T,nullable|notnull;...>
//	extension<"name","serialized metadata",T>
//
// A dictionary<I,T> column has the canonical type of T (the index type and
// the ordered flag are ignored). The element field name of list types is
// ignored ("item" and "element" are conventions); its nullability counts.
// Struct field names and time zones are written bare when they consist of
// [A-Za-z0-9_] (time zones also "/+-:.") and are non-empty; otherwise they
// are quoted: '"', then the bytes with '"' and '\' escaped by '\', then
// '"'. Unions and run-end encoded arrays are not supported: Columns
// returns an UnsupportedTypeError naming the column.
//
// Encoding. Below, u64 is 8 bytes and u32 4 bytes, little-endian, and
// H(x) is the plain BLAKE3-256 of the byte stream x. Every composite digest
// is a Builder digest (see Builder) with the domain and fields listed, in
// that order. Let N be the row count and S = SegmentRows (262144).
//
//	content = Builder("kiln.content.v1")
//	    Uint("fields", F)
//	    for each field: String("name", name) String("type", canonical type)
//	                    Bool("nullable", nullable)
//	    Uint("rows", N)
//	    for each field, in schema order: Sum("column", column digest)
//
//	column  = Builder("kiln.column.v1")
//	    String("type", T) Uint("rows", N) Uint("segments", K)
//	    for j in 0..K-1: Sum("segment", node digest of rows [j*S, min((j+1)*S, N)))
//
// where K = ceil(N/S) (0 for an empty table). Segments exist so that large
// columns can be hashed in parallel; the segment boundaries depend only on
// the row count, never on chunking or on the number of CPUs.
//
// A node digest covers a logical sequence of n values of one type:
//
//	node = Builder("kiln.node.v1") String("type", T) Uint("rows", n) then:
//	  null:              nothing more
//	  bool:              Sum("validity", V) Sum("values", H(bits))
//	  fixed width:       Sum("validity", V) Sum("values", H(values))
//	  utf8, binary:      Sum("validity", V) Sum("lengths", H(lengths)) Sum("data", H(bytes))
//	  list, map:         Sum("validity", V) Sum("lengths", H(lengths)) Sum("child", node of elements)
//	  fixed_size_list:   Sum("validity", V) Sum("child", node of elements)
//	  struct:            Sum("validity", V) then Sum("child", node of field i) per field
//	  extension:         as its storage type (with the extension type string)
//
// with these streams:
//
//   - V = H(validity bits): one bit per value (1 = valid), packed least
//     significant bit first into bytes, the last byte padded with zero
//     bits. Always present (all ones when there are no nulls).
//   - bool values: the same bit packing of the values, with 0 for nulls.
//   - fixed-width values: each value's little-endian bytes as in Arrow
//     (int, uint, float, date, time, timestamp, duration, interval,
//     decimal, fixed_size_binary), with a null written as that many zero
//     bytes. Floats are written with every NaN replaced by the canonical
//     positive quiet NaN (0x7E00, 0x7FC00000, 0x7FF8000000000000); -0.0
//     and +0.0 are kept as written, so they differ.
//   - lengths: one u32 per value, the byte length (utf8, binary) or element
//     count (lists, maps), 0 for a null. A value of 2^32 bytes or elements
//     or more is an error (Parquet limits values to 2^31-1 bytes anyway).
//   - bytes: the concatenated bytes of the valid values in row order.
//   - child nodes cover only the children of valid parent rows, in row
//     order: the elements of each valid list (the referenced range only),
//     the N elements of each valid fixed-size list, the field values of
//     each valid struct row. Entries of null parents are skipped entirely,
//     so garbage under a null parent never matters. A map's child is the
//     node of type "struct<key:K,notnull;value:V,nullable|notnull>" over its
//     entries.
//
// Dictionary arrays are hashed as the values they refer to; a row is null
// when its index is null or refers to a null dictionary entry.
//
// Invalid arrays (offsets out of range, short buffers, dictionary indices
// out of range) give an error naming the column, never a panic.
//
// # Performance
//
// Fixed-width columns without nulls (and floats without NaN) are hashed
// straight from the Arrow buffers; other columns are canonicalized in
// blocks into reusable scratch buffers; there are no per-value allocations
// or interface calls. Column segments are hashed on up to GOMAXPROCS
// goroutines.
//
// The encoding assumes a little-endian host, as Arrow buffers are read as
// little-endian.
package digest
