package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// cat is the category of a type as far as expressions care.
type cat int

const (
	catOther cat = iota
	catNull
	catBool
	catInt  // signed integers
	catUint // unsigned integers
	catFloat
	catString
	catTimestamp
	catDate
)

func catOf(dt arrow.DataType) cat {
	switch dt.ID() {
	case arrow.NULL:
		return catNull
	case arrow.BOOL:
		return catBool
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return catInt
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return catUint
	case arrow.FLOAT32, arrow.FLOAT64:
		return catFloat
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return catString
	case arrow.TIMESTAMP:
		return catTimestamp
	case arrow.DATE32:
		return catDate
	}
	return catOther
}

func isNumeric(c cat) bool { return c == catInt || c == catUint || c == catFloat }
func isInteger(c cat) bool { return c == catInt || c == catUint }

// TypeName returns the name of a type as written in expression and config
// JSON: bool, int8..int64, uint8..uint64, float32, float64, utf8,
// large_utf8, utf8_view, date32, timestamp[U] or timestamp[U,TZ] (U one of
// s, ms, us, ns), null. Other types get Arrow's own name, which ParseType
// does not accept.
func TypeName(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.NULL:
		return "null"
	case arrow.STRING:
		return "utf8"
	case arrow.LARGE_STRING:
		return "large_utf8"
	case arrow.STRING_VIEW:
		return "utf8_view"
	case arrow.TIMESTAMP:
		ts := dt.(*arrow.TimestampType)
		if ts.TimeZone == "" {
			return "timestamp[" + unitName(ts.Unit) + "]"
		}
		return "timestamp[" + unitName(ts.Unit) + "," + ts.TimeZone + "]"
	}
	return dt.String()
}

func unitName(u arrow.TimeUnit) string {
	switch u {
	case arrow.Second:
		return "s"
	case arrow.Millisecond:
		return "ms"
	case arrow.Microsecond:
		return "us"
	}
	return "ns"
}

// ParseUnit parses s, ms, us or ns.
func ParseUnit(s string) (arrow.TimeUnit, error) {
	switch s {
	case "s":
		return arrow.Second, nil
	case "ms":
		return arrow.Millisecond, nil
	case "us":
		return arrow.Microsecond, nil
	case "ns":
		return arrow.Nanosecond, nil
	}
	return 0, fmt.Errorf("unknown time unit %q (want s, ms, us or ns)", s)
}

var simpleTypes = map[string]arrow.DataType{
	"null":       arrow.Null,
	"bool":       arrow.FixedWidthTypes.Boolean,
	"int8":       arrow.PrimitiveTypes.Int8,
	"int16":      arrow.PrimitiveTypes.Int16,
	"int32":      arrow.PrimitiveTypes.Int32,
	"int64":      arrow.PrimitiveTypes.Int64,
	"uint8":      arrow.PrimitiveTypes.Uint8,
	"uint16":     arrow.PrimitiveTypes.Uint16,
	"uint32":     arrow.PrimitiveTypes.Uint32,
	"uint64":     arrow.PrimitiveTypes.Uint64,
	"float32":    arrow.PrimitiveTypes.Float32,
	"float64":    arrow.PrimitiveTypes.Float64,
	"utf8":       arrow.BinaryTypes.String,
	"large_utf8": arrow.BinaryTypes.LargeString,
	"utf8_view":  arrow.BinaryTypes.StringView,
	"date32":     arrow.FixedWidthTypes.Date32,
}

// ParseType is the inverse of TypeName for the types expressions support.
func ParseType(s string) (arrow.DataType, error) {
	if dt, ok := simpleTypes[s]; ok {
		return dt, nil
	}
	if rest, ok := strings.CutPrefix(s, "timestamp["); ok && strings.HasSuffix(rest, "]") {
		rest = strings.TrimSuffix(rest, "]")
		unit, tz, _ := strings.Cut(rest, ",")
		u, err := ParseUnit(unit)
		if err != nil {
			return nil, fmt.Errorf("type %q: %w", s, err)
		}
		if _, err := LoadZone(tz); err != nil {
			return nil, fmt.Errorf("type %q: %w", s, err)
		}
		return &arrow.TimestampType{Unit: u, TimeZone: tz}, nil
	}
	return nil, fmt.Errorf("unsupported type %q (want bool, int8..int64, uint8..uint64, float32, float64, utf8, large_utf8, date32 or timestamp[unit,zone])", s)
}

// finerUnit returns the finer of two time units.
func finerUnit(a, b arrow.TimeUnit) arrow.TimeUnit { return max(a, b) }

// unitsPerSecond returns how many ticks of u make a second.
func unitsPerSecond(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1
	case arrow.Millisecond:
		return 1_000
	case arrow.Microsecond:
		return 1_000_000
	}
	return 1_000_000_000
}

// unify returns the common type of a and b for coalesce and case branches,
// or an error saying why there is none.
func unify(a, b arrow.DataType) (arrow.DataType, error) {
	ca, cb := catOf(a), catOf(b)
	switch {
	case ca == catNull:
		return b, nil
	case cb == catNull:
		return a, nil
	case arrow.TypeEqual(a, b):
		return a, nil
	case isInteger(ca) && isInteger(cb):
		return arrow.PrimitiveTypes.Int64, nil
	case isNumeric(ca) && isNumeric(cb):
		return arrow.PrimitiveTypes.Float64, nil
	case ca == catString && cb == catString:
		return arrow.BinaryTypes.String, nil
	case ca == catTimestamp && cb == catTimestamp:
		ta, tb := a.(*arrow.TimestampType), b.(*arrow.TimestampType)
		if ta.TimeZone != tb.TimeZone {
			return nil, fmt.Errorf("timestamps in different time zones (%q and %q): convert one with AtZone", ta.TimeZone, tb.TimeZone)
		}
		return &arrow.TimestampType{Unit: finerUnit(ta.Unit, tb.Unit), TimeZone: ta.TimeZone}, nil
	}
	return nil, fmt.Errorf("incompatible types %s and %s", TypeName(a), TypeName(b))
}

// computeType is the type arithmetic and comparisons run in for two operand
// types of the same broad kind: int64 for integers, float64 when a float is
// involved, utf8 for strings, the finer unit for timestamps.
func computeType(a, b arrow.DataType) (arrow.DataType, error) {
	ca, cb := catOf(a), catOf(b)
	switch {
	case ca == catNull && cb == catNull:
		return arrow.Null, nil
	case ca == catNull:
		return computeType(b, b)
	case cb == catNull:
		return computeType(a, a)
	case isInteger(ca) && isInteger(cb):
		return arrow.PrimitiveTypes.Int64, nil
	case isNumeric(ca) && isNumeric(cb):
		return arrow.PrimitiveTypes.Float64, nil
	case ca == catString && cb == catString:
		return arrow.BinaryTypes.String, nil
	case ca == catBool && cb == catBool:
		return arrow.FixedWidthTypes.Boolean, nil
	case ca == catDate && cb == catDate:
		return arrow.FixedWidthTypes.Date32, nil
	case ca == catTimestamp && cb == catTimestamp:
		ta, tb := a.(*arrow.TimestampType), b.(*arrow.TimestampType)
		return &arrow.TimestampType{Unit: finerUnit(ta.Unit, tb.Unit), TimeZone: ta.TimeZone}, nil
	}
	return nil, fmt.Errorf("cannot compare %s with %s", TypeName(a), TypeName(b))
}

// FillKind reports whether a constant of type from may stand for a value
// of a column of type to: numbers for numbers, strings for strings,
// booleans for booleans, timestamps for timestamps and dates, dates for
// dates.
func FillKind(from, to arrow.DataType) bool {
	if d, ok := to.(*arrow.DictionaryType); ok {
		to = d.ValueType
	}
	cf, ct := catOf(from), catOf(to)
	switch {
	case isNumeric(cf):
		return isNumeric(ct)
	case cf == catTimestamp:
		return ct == catTimestamp || ct == catDate
	}
	return cf == ct && cf != catOther && cf != catNull
}
