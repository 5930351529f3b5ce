// Package typed converts between Go structs and Arrow record batches.
//
// The Arrow schema of a struct type T is derived once, on first use, and
// cached (SchemaOf, CodecOf). The cached Codec holds, per field, the field's
// byte offset and an append and a decode function specialized for its type,
// so the hot path does no reflection per value: Builder.Append,
// Builder.AppendSlice and FromSlice write Go values into Arrow builders
// column by column, and Decode and DecodeRecordBatch write Arrow columns
// into a preallocated []T.
//
// # Columns
//
// Every exported field is a column, in field order. Its name is the field's
// kiln tag, or else the field name in snake case (see SnakeCase: UserID →
// user_id, HTTPStatus → http_status). `kiln:"-"` skips a field; unexported
// fields are skipped. Fields of embedded structs are promoted as with
// encoding/json: a shallower field hides a deeper one of the same column
// name, two at the same depth are an error, and an embedded struct with a
// tag name is a nested struct column instead. Embedded pointers to structs
// are not supported.
//
// Tag options follow the name after commas:
//
//	kiln:"ts,unit=ms"    timestamp or duration unit: s, ms, us or ns
//	kiln:"ts,tz=UTC"     timestamp time zone (default UTC); tz= for naive
//	kiln:"kind,dict"     string as dictionary<int32, utf8>
//
// An option that does not apply to the field's type is an error. Options on
// a slice or pointer field apply to its elements.
//
// # Types
//
//	Go type                        Arrow type
//	bool                           bool
//	int8, int16, int32, int64      int8, int16, int32, int64
//	int                            int64
//	uint8, uint16, uint32, uint64  uint8, uint16, uint32, uint64
//	uint                           uint64
//	float32, float64               float32, float64
//	string                         utf8 (dictionary<int32, utf8> with dict)
//	[]byte                         binary
//	[N]byte                        fixed_size_binary(N)
//	time.Time                      timestamp[us, tz=UTC] (unit=, tz= options)
//	time.Duration                  duration[ns] (unit= option)
//	Date                           date32
//	[]E (E not byte)               list<E> (element nullable if E is a pointer)
//	struct (named field)           struct, its fields mapped by these rules
//	*E (any E above)               the type of E, nullable
//
// Named types map by their underlying type (type UserID int64 is int64).
// Non-pointer fields are non-nullable columns; a nil pointer is null. Maps,
// interfaces, channels, functions, complex numbers, pointers to pointers
// and recursive struct types are rejected with an error naming the field.
//
// Values:
//
//   - time.Time is stored in the column's unit, rounded toward negative
//     infinity (as time.Time.UnixMicro does). A zoned column stores the
//     instant: a non-UTC time comes back as the same instant, in UTC (or in
//     the tag's tz location). A naive column (tz=) stores the wall-clock
//     reading in the value's own location and decodes it as UTC. A time
//     outside the unit's int64 range (about years 1678-2262 at ns; note
//     that the zero time.Time is out of range at ns) is an error naming the
//     row and column.
//   - time.Duration is truncated toward zero to the unit, as
//     time.Duration.Microseconds does; the default ns unit is lossless.
//   - nil and empty slices (and []byte) are both stored as empty lists or
//     values, and empty ones decode as nil.
//   - Decode reads null into a pointer field as nil and fails on null into a
//     non-pointer field.
//
// Decode also accepts other encodings of the same values: large_utf8 and
// dictionary-encoded strings (any integer index) for string fields,
// large_binary for []byte, timestamps of any unit and time zone, durations
// of any unit. Numbers must match exactly: no widening or narrowing.
//
// # Determinism
//
// A record batch depends only on the rows appended to build it: null slots
// hold zeros, and dictionaries hold values in order of first appearance,
// fresh for every batch. Top-level fixed-width columns without nulls have
// no validity bitmap.
//
// Codecs are safe for concurrent use; Builders are not.
package typed
