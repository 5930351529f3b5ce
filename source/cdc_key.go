package source

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// keyColumn compares and encodes the values of one key (or sequence) column.
type keyColumn struct {
	arr       arrow.Array
	compare   func(i, j int) int
	appendKey func(buf []byte, i int) []byte
}

func signedKey[T int8 | int16 | int32 | int64](a arrow.Array, v func(int) T) keyColumn {
	return keyColumn{arr: a,
		compare:   func(i, j int) int { return cmp.Compare(v(i), v(j)) },
		appendKey: func(b []byte, i int) []byte { return binary.BigEndian.AppendUint64(b, uint64(int64(v(i)))) },
	}
}

func unsignedKey[T uint8 | uint16 | uint32 | uint64](a arrow.Array, v func(int) T) keyColumn {
	return keyColumn{arr: a,
		compare:   func(i, j int) int { return cmp.Compare(v(i), v(j)) },
		appendKey: func(b []byte, i int) []byte { return binary.BigEndian.AppendUint64(b, uint64(v(i))) },
	}
}

func floatKey[T float32 | float64](a arrow.Array, v func(int) T) keyColumn {
	return keyColumn{arr: a,
		compare:   func(i, j int) int { return cmp.Compare(v(i), v(j)) },
		appendKey: func(b []byte, i int) []byte { return binary.BigEndian.AppendUint64(b, math.Float64bits(float64(v(i)))) },
	}
}

func bytesKey(a arrow.Array, v func(int) []byte) keyColumn {
	return keyColumn{arr: a,
		compare: func(i, j int) int { return bytes.Compare(v(i), v(j)) },
		appendKey: func(b []byte, i int) []byte {
			x := v(i)
			b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
			return append(b, x...)
		},
	}
}

// newKeyColumn returns the key column for an array of a supported type:
// integers, floats, strings, binary, booleans, dates and timestamps.
func newKeyColumn(a arrow.Array) (keyColumn, error) {
	switch x := a.(type) {
	case *array.Int8:
		return signedKey(a, x.Value), nil
	case *array.Int16:
		return signedKey(a, x.Value), nil
	case *array.Int32:
		return signedKey(a, x.Value), nil
	case *array.Int64:
		return signedKey(a, x.Value), nil
	case *array.Uint8:
		return unsignedKey(a, x.Value), nil
	case *array.Uint16:
		return unsignedKey(a, x.Value), nil
	case *array.Uint32:
		return unsignedKey(a, x.Value), nil
	case *array.Uint64:
		return unsignedKey(a, x.Value), nil
	case *array.Float32:
		return floatKey(a, x.Value), nil
	case *array.Float64:
		return floatKey(a, x.Value), nil
	case *array.Date32:
		return signedKey(a, func(i int) int32 { return int32(x.Value(i)) }), nil
	case *array.Date64:
		return signedKey(a, func(i int) int64 { return int64(x.Value(i)) }), nil
	case *array.Timestamp:
		return signedKey(a, func(i int) int64 { return int64(x.Value(i)) }), nil
	case *array.Boolean:
		return unsignedKey(a, func(i int) uint8 {
			if x.Value(i) {
				return 1
			}
			return 0
		}), nil
	case *array.String:
		return bytesKey(a, func(i int) []byte { return x.ValueBytes()[x.ValueOffset(i):x.ValueOffset(i+1)] }), nil
	case *array.LargeString:
		return bytesKey(a, func(i int) []byte { return []byte(x.Value(i)) }), nil
	case *array.Binary:
		return bytesKey(a, x.Value), nil
	case *array.LargeBinary:
		return bytesKey(a, x.Value), nil
	}
	return keyColumn{}, fmt.Errorf("type %s cannot be a CDC key or sequence", a.DataType())
}

// compareKeys compares rows i and j by the key columns in turn.
func compareKeys(cols []keyColumn, i, j int) int {
	for _, c := range cols {
		if r := c.compare(i, j); r != 0 {
			return r
		}
	}
	return 0
}
