// Package jsonarrow maps JSON records to Arrow columns with an explicit
// schema, without encoding/json and without an allocation per value.
//
// A Decoder appends one JSON object per call (a Kafka message value, one
// item of an API page) to Arrow builders. Each column names the path of
// object keys its value sits at; keys nobody maps are validated and skipped.
// Types are strict: a JSON string never fills an int64 column, a float never
// fills an integer one. Append is all or nothing, so a bad record can be set
// aside without leaving a half-written row.
//
// Lookup and Elements navigate a whole document (an API response page) to the
// array of records and to scalars such as a next-page cursor. Validate checks
// a document once so later navigation can trust it.
//
// Supported column types: bool, int8..int64, uint8..uint64, float32,
// float64, utf8 and large_utf8 (a JSON string, or with Column.Raw any value's
// JSON text), timestamp (an RFC 3339 string, or an integer epoch in the
// column's unit) and date32 (a YYYY-MM-DD string).
package jsonarrow
