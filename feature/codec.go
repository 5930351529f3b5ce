package feature

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln/internal/digest"
)

// Online value encoding
//
// An entity's record value (after the version, see package online) is:
//
//	byte     format, 1
//	8 bytes  schema id: the first 8 bytes of BLAKE3 over the group's feature
//	         names, each followed by a zero byte, in definition order
//	uvarint  number of values n
//	n values each a tag byte and its data:
//	           0 null
//	           1 signed integer, date, time, timestamp or duration: 8 bytes, little-endian two's complement, in the column's own unit
//	           2 unsigned integer: 8 bytes little-endian
//	           3 float64: 8 bytes little-endian IEEE 754 bits (as written, NaN payload included)
//	           4 float32: 4 bytes little-endian IEEE 754 bits
//	           5 false, 6 true: no data
//	           7 string or binary: uvarint length, then the bytes
//
// The encoding depends only on the values, so equal rows give equal bytes.
// The schema id lets a reader map values to names after a compatible
// schema change (a feature added): the online store's metadata keeps every
// schema id it has written with its feature names.

const valueFormat = 1

const (
	tagNull = iota
	tagInt
	tagUint
	tagFloat64
	tagFloat32
	tagFalse
	tagTrue
	tagBytes
)

// checkValueType reports whether kiln can store values of type dt online.
func checkValueType(dt arrow.DataType) error {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.DURATION, arrow.TIME32, arrow.TIME64:
		return nil
	}
	return fmt.Errorf("has type %s: features must be integers, floats, booleans, strings, binaries, dates, times, timestamps or durations", dt)
}

// schemaID is the id of a list of feature names.
func schemaID(names []string) [8]byte {
	b := digest.NewBuilder("kiln.feature.online.schema.v1")
	for _, n := range names {
		b.String("feature", n)
	}
	s := b.Digest()
	var id [8]byte
	copy(id[:], s[:8])
	return id
}

// valueEncoder appends one column's value at a row to a record.
type valueEncoder func(b []byte, row int) []byte

// newEncoder returns the encoder of one array.
func newEncoder(a arrow.Array) (valueEncoder, error) {
	withNull := func(enc valueEncoder) valueEncoder {
		if a.NullN() == 0 {
			return enc
		}
		return func(b []byte, row int) []byte {
			if a.IsNull(row) {
				return append(b, tagNull)
			}
			return enc(b, row)
		}
	}
	i64 := func(get func(int) int64) valueEncoder {
		return withNull(func(b []byte, row int) []byte {
			return binary.LittleEndian.AppendUint64(append(b, tagInt), uint64(get(row)))
		})
	}
	switch a := a.(type) {
	case *array.Int64:
		return i64(a.Value), nil
	case *array.Int32:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Int16:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Int8:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Date32:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Date64:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Timestamp:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Duration:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Time32:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Time64:
		return i64(func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Uint64, *array.Uint32, *array.Uint16, *array.Uint8:
		get := uintGetter(a)
		return withNull(func(b []byte, row int) []byte {
			return binary.LittleEndian.AppendUint64(append(b, tagUint), get(row))
		}), nil
	case *array.Float64:
		return withNull(func(b []byte, row int) []byte {
			return binary.LittleEndian.AppendUint64(append(b, tagFloat64), math.Float64bits(a.Value(row)))
		}), nil
	case *array.Float32:
		return withNull(func(b []byte, row int) []byte {
			return binary.LittleEndian.AppendUint32(append(b, tagFloat32), math.Float32bits(a.Value(row)))
		}), nil
	case *array.Boolean:
		return withNull(func(b []byte, row int) []byte {
			if a.Value(row) {
				return append(b, tagTrue)
			}
			return append(b, tagFalse)
		}), nil
	case *array.String:
		return withNull(func(b []byte, row int) []byte { return appendBytes(b, a.Value(row)) }), nil
	case *array.LargeString:
		return withNull(func(b []byte, row int) []byte { return appendBytes(b, a.Value(row)) }), nil
	case *array.Binary:
		return withNull(func(b []byte, row int) []byte { return appendBytes(b, string(a.Value(row))) }), nil
	case *array.LargeBinary:
		return withNull(func(b []byte, row int) []byte { return appendBytes(b, string(a.Value(row))) }), nil
	}
	return nil, fmt.Errorf("cannot encode %s values online", a.DataType())
}

func uintGetter(a arrow.Array) func(int) uint64 {
	switch a := a.(type) {
	case *array.Uint64:
		return a.Value
	case *array.Uint32:
		return func(i int) uint64 { return uint64(a.Value(i)) }
	case *array.Uint16:
		return func(i int) uint64 { return uint64(a.Value(i)) }
	case *array.Uint8:
		return func(i int) uint64 { return uint64(a.Value(i)) }
	}
	return nil
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(append(b, tagBytes), uint64(len(s)))
	return append(b, s...)
}

// rawValue is one decoded value before it is given its Arrow type.
type rawValue struct {
	tag byte
	u   uint64 // integer bits, float bits
	s   []byte // string and binary bytes (aliasing the record)
}

// decodeValues parses a record value into its schema id and raw values.
func decodeValues(b []byte, dst []rawValue) ([8]byte, []rawValue, error) {
	var id [8]byte
	if len(b) < 10 || b[0] != valueFormat {
		return id, nil, fmt.Errorf("feature value: not format %d (%d bytes)", valueFormat, len(b))
	}
	copy(id[:], b[1:9])
	n, k := binary.Uvarint(b[9:])
	if k <= 0 || n > uint64(len(b)) {
		return id, nil, fmt.Errorf("feature value: bad value count")
	}
	p := 9 + k
	dst = dst[:0]
	for i := uint64(0); i < n; i++ {
		if p >= len(b) {
			return id, nil, fmt.Errorf("feature value %d: truncated", i)
		}
		v := rawValue{tag: b[p]}
		p++
		switch v.tag {
		case tagNull, tagFalse, tagTrue:
		case tagInt, tagUint, tagFloat64:
			if p+8 > len(b) {
				return id, nil, fmt.Errorf("feature value %d: truncated", i)
			}
			v.u = binary.LittleEndian.Uint64(b[p:])
			p += 8
		case tagFloat32:
			if p+4 > len(b) {
				return id, nil, fmt.Errorf("feature value %d: truncated", i)
			}
			v.u = uint64(binary.LittleEndian.Uint32(b[p:]))
			p += 4
		case tagBytes:
			l, k := binary.Uvarint(b[p:])
			if k <= 0 || l > uint64(len(b)-p-k) {
				return id, nil, fmt.Errorf("feature value %d: bad length", i)
			}
			p += k
			v.s = b[p : p+int(l)]
			p += int(l)
		default:
			return id, nil, fmt.Errorf("feature value %d: unknown tag %d", i, v.tag)
		}
		dst = append(dst, v)
	}
	if p != len(b) {
		return id, nil, fmt.Errorf("feature value: %d trailing bytes", len(b)-p)
	}
	return id, dst, nil
}

// goValue converts a raw value to the Go value documented for type dt (see
// Result). A tag that does not fit dt is an error.
func goValue(v rawValue, dt arrow.DataType) (any, error) {
	if v.tag == tagNull {
		return nil, nil
	}
	mismatch := func() (any, error) {
		return nil, fmt.Errorf("stored value with tag %d does not fit type %s", v.tag, dt)
	}
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		if v.tag != tagInt {
			return mismatch()
		}
		return int64(v.u), nil
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		if v.tag != tagUint {
			return mismatch()
		}
		return v.u, nil
	case arrow.FLOAT64:
		if v.tag != tagFloat64 {
			return mismatch()
		}
		return math.Float64frombits(v.u), nil
	case arrow.FLOAT32:
		if v.tag != tagFloat32 {
			return mismatch()
		}
		return math.Float32frombits(uint32(v.u)), nil
	case arrow.BOOL:
		if v.tag != tagTrue && v.tag != tagFalse {
			return mismatch()
		}
		return v.tag == tagTrue, nil
	case arrow.STRING, arrow.LARGE_STRING:
		if v.tag != tagBytes {
			return mismatch()
		}
		return string(v.s), nil
	case arrow.BINARY, arrow.LARGE_BINARY:
		if v.tag != tagBytes {
			return mismatch()
		}
		return append([]byte{}, v.s...), nil
	}
	if v.tag != tagInt {
		return mismatch()
	}
	return intGoValue(int64(v.u), dt), nil
}

// intGoValue converts the storage value of a temporal type: timestamps and
// dates become time.Time in UTC, durations time.Duration, times of day
// time.Duration since midnight.
func intGoValue(x int64, dt arrow.DataType) any {
	switch t := dt.(type) {
	case *arrow.TimestampType:
		switch t.Unit {
		case arrow.Second:
			return time.Unix(x, 0).UTC()
		case arrow.Millisecond:
			return time.UnixMilli(x).UTC()
		case arrow.Microsecond:
			return time.UnixMicro(x).UTC()
		}
		return time.Unix(0, x).UTC()
	case *arrow.Date32Type:
		return time.Unix(x*86400, 0).UTC()
	case *arrow.Date64Type:
		return time.UnixMilli(x).UTC()
	case *arrow.DurationType:
		return time.Duration(x) * t.Unit.Multiplier()
	case *arrow.Time32Type:
		return time.Duration(x) * t.Unit.Multiplier()
	case *arrow.Time64Type:
		return time.Duration(x) * t.Unit.Multiplier()
	}
	return x
}
