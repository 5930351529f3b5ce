package feature

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// valueAt returns a[i] as the Go value documented on Result.
func valueAt(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Uint64:
		return a.Value(i)
	case *array.Uint32:
		return uint64(a.Value(i))
	case *array.Uint16:
		return uint64(a.Value(i))
	case *array.Uint8:
		return uint64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return append([]byte{}, a.Value(i)...)
	case *array.LargeBinary:
		return append([]byte{}, a.Value(i)...)
	case *array.Timestamp:
		return intGoValue(int64(a.Value(i)), a.DataType())
	case *array.Date32:
		return intGoValue(int64(a.Value(i)), a.DataType())
	case *array.Date64:
		return intGoValue(int64(a.Value(i)), a.DataType())
	case *array.Duration:
		return intGoValue(int64(a.Value(i)), a.DataType())
	case *array.Time32:
		return intGoValue(int64(a.Value(i)), a.DataType())
	case *array.Time64:
		return intGoValue(int64(a.Value(i)), a.DataType())
	}
	return a.ValueStr(i)
}

// buildArray builds an array of type dt from Go values as valueAt returns
// them (nil for null).
func buildArray(mem memory.Allocator, dt arrow.DataType, vals []any) (arrow.Array, error) {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	b.Reserve(len(vals))
	for i, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		if err := appendValue(b, v); err != nil {
			return nil, fmt.Errorf("value %d: %w", i, err)
		}
	}
	return b.NewArray(), nil
}

func appendValue(b array.Builder, v any) error {
	bad := func() error { return fmt.Errorf("%v (%T) does not fit %s", v, v, b.Type()) }
	switch b := b.(type) {
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Int32Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		b.Append(int32(x))
	case *array.Int16Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		b.Append(int16(x))
	case *array.Int8Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		b.Append(int8(x))
	case *array.Uint64Builder:
		x, ok := v.(uint64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Uint32Builder:
		x, ok := v.(uint64)
		if !ok {
			return bad()
		}
		b.Append(uint32(x))
	case *array.Uint16Builder:
		x, ok := v.(uint64)
		if !ok {
			return bad()
		}
		b.Append(uint16(x))
	case *array.Uint8Builder:
		x, ok := v.(uint64)
		if !ok {
			return bad()
		}
		b.Append(uint8(x))
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Float32Builder:
		x, ok := v.(float32)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.StringBuilder:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.LargeStringBuilder:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.TimestampBuilder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		ts, err := arrow.TimestampFromTime(x, b.Type().(*arrow.TimestampType).Unit)
		if err != nil {
			return err
		}
		b.Append(ts)
	case *array.Date32Builder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		b.Append(arrow.Date32FromTime(x))
	case *array.Date64Builder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		b.Append(arrow.Date64FromTime(x))
	case *array.DurationBuilder:
		x, ok := v.(time.Duration)
		if !ok {
			return bad()
		}
		b.Append(arrow.Duration(x / b.Type().(*arrow.DurationType).Unit.Multiplier()))
	case *array.Time32Builder:
		x, ok := v.(time.Duration)
		if !ok {
			return bad()
		}
		b.Append(arrow.Time32(x / b.Type().(*arrow.Time32Type).Unit.Multiplier()))
	case *array.Time64Builder:
		x, ok := v.(time.Duration)
		if !ok {
			return bad()
		}
		b.Append(arrow.Time64(x / b.Type().(*arrow.Time64Type).Unit.Multiplier()))
	default:
		return bad()
	}
	return nil
}
