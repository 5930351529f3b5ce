package source

import (
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/arrowx"
)

// inferSQLType maps a driver's column type to an Arrow type, following the
// table in the SQLSource documentation.
func inferSQLType(ct *sql.ColumnType) (arrow.DataType, error) {
	full := strings.ToUpper(strings.TrimSpace(ct.DatabaseTypeName()))
	name, args, _ := strings.Cut(full, "(")
	name = strings.TrimSpace(name)
	switch name {
	case "":
		return nil, fmt.Errorf("column %q has no declared type (an expression?): declare the schema with source.SQLSchema", ct.Name())
	case "SMALLINT", "INT2":
		return arrow.PrimitiveTypes.Int16, nil
	case "INT4", "MEDIUMINT":
		return arrow.PrimitiveTypes.Int32, nil
	case "FLOAT4":
		return arrow.PrimitiveTypes.Float32, nil
	case "REAL", "FLOAT", "FLOAT8", "DOUBLE", "DOUBLE PRECISION":
		return arrow.PrimitiveTypes.Float64, nil
	case "NUMERIC", "DECIMAL":
		p, s, ok := ct.DecimalSize()
		if !ok || p <= 0 {
			p, s = parseTypeArgs(args)
		}
		if p >= 1 && p <= 38 && s >= 0 && s <= p {
			return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, nil
		}
		return arrow.PrimitiveTypes.Float64, nil
	case "BYTEA", "BLOB":
		return arrow.BinaryTypes.Binary, nil
	case "BOOL", "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean, nil
	case "DATE":
		return arrow.FixedWidthTypes.Date32, nil
	case "TIMESTAMP", "TIMESTAMPTZ", "DATETIME", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	}
	if strings.Contains(name, "INT") {
		return arrow.PrimitiveTypes.Int64, nil
	}
	return arrow.BinaryTypes.String, nil
}

// parseTypeArgs parses "10,2)" (the rest of "DECIMAL(10,2)").
func parseTypeArgs(args string) (p, s int64) {
	args = strings.TrimSuffix(strings.TrimSpace(args), ")")
	ps, ss, _ := strings.Cut(args, ",")
	p, _ = strconv.ParseInt(strings.TrimSpace(ps), 10, 32)
	s, _ = strconv.ParseInt(strings.TrimSpace(ss), 10, 32)
	return p, s
}

// sqlKind is how a column's values are converted and appended.
type sqlKind uint8

const (
	kInt8 sqlKind = iota
	kInt16
	kInt32
	kInt64
	kUint8
	kUint16
	kUint32
	kUint64
	kFloat32
	kFloat64
	kDecimal
	kString
	kLargeString
	kBinary
	kLargeBinary
	kBool
	kDate32
	kTimestamp
)

// sqlKindOf reports the kind for an Arrow type, or an error for types a SQL
// source cannot produce.
func sqlKindOf(dt arrow.DataType) (sqlKind, error) {
	switch dt.ID() {
	case arrow.INT8:
		return kInt8, nil
	case arrow.INT16:
		return kInt16, nil
	case arrow.INT32:
		return kInt32, nil
	case arrow.INT64:
		return kInt64, nil
	case arrow.UINT8:
		return kUint8, nil
	case arrow.UINT16:
		return kUint16, nil
	case arrow.UINT32:
		return kUint32, nil
	case arrow.UINT64:
		return kUint64, nil
	case arrow.FLOAT32:
		return kFloat32, nil
	case arrow.FLOAT64:
		return kFloat64, nil
	case arrow.DECIMAL128:
		return kDecimal, nil
	case arrow.STRING:
		return kString, nil
	case arrow.LARGE_STRING:
		return kLargeString, nil
	case arrow.BINARY:
		return kBinary, nil
	case arrow.LARGE_BINARY:
		return kLargeBinary, nil
	case arrow.BOOL:
		return kBool, nil
	case arrow.DATE32:
		return kDate32, nil
	case arrow.TIMESTAMP:
		return kTimestamp, nil
	}
	return 0, fmt.Errorf("arrow type %s is not supported by SQL sources", dt)
}

var intBounds = [...]struct{ lo, hi int64 }{
	kInt8:  {math.MinInt8, math.MaxInt8},
	kInt16: {math.MinInt16, math.MaxInt16},
	kInt32: {math.MinInt32, math.MaxInt32},
	kInt64: {math.MinInt64, math.MaxInt64},
}

var uintMax = [...]uint64{kUint8: math.MaxUint8, kUint16: math.MaxUint16, kUint32: math.MaxUint32, kUint64: math.MaxUint64}

// sqlColumn converts one result column into an Arrow builder. A row is
// converted into the scratch fields first (convert) and appended only when
// every column of the row converted (appendRow), so a bad row can be set
// aside without touching the builders.
type sqlColumn struct {
	name     string
	src      int
	kind     sqlKind
	nullable bool
	dt       arrow.DataType
	b        array.Builder
	bin      *array.BinaryBuilder // for string and binary kinds
	prec     int32
	scale    int32
	unit     arrow.TimeUnit

	// scratch of the current row
	null bool
	iv   int64
	uv   uint64
	fv   float64
	dv   decimal128.Num
	sv   string
	bv   []byte
	isB  bool
	tv   bool
}

func newSQLColumn(mem memory.Allocator, f arrow.Field, src int) (*sqlColumn, error) {
	k, err := sqlKindOf(f.Type)
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", f.Name, err)
	}
	c := &sqlColumn{name: f.Name, src: src, kind: k, nullable: f.Nullable, dt: f.Type, b: array.NewBuilder(mem, f.Type)}
	switch t := f.Type.(type) {
	case *arrow.Decimal128Type:
		c.prec, c.scale = t.Precision, t.Scale
	case *arrow.TimestampType:
		c.unit = t.Unit
	}
	switch b := c.b.(type) {
	case *array.StringBuilder:
		c.bin = b.BinaryBuilder
	case *array.LargeStringBuilder:
		c.bin = b.BinaryBuilder
	case *array.BinaryBuilder:
		c.bin = b
	}
	return c, nil
}

// convert stores v in the scratch fields, or says why it does not fit.
func (c *sqlColumn) convert(v any) error {
	c.null = v == nil
	if c.null {
		if !c.nullable {
			return fmt.Errorf("NULL in non-nullable %s column", c.dt)
		}
		return nil
	}
	switch c.kind {
	case kInt8, kInt16, kInt32, kInt64:
		n, err := toInt64(v)
		if err != nil {
			return c.badf(v, err)
		}
		if b := intBounds[c.kind]; n < b.lo || n > b.hi {
			return c.badf(v, errOutOfRange)
		}
		c.iv = n
	case kUint8, kUint16, kUint32, kUint64:
		n, err := toUint64(v)
		if err != nil {
			return c.badf(v, err)
		}
		if n > uintMax[c.kind] {
			return c.badf(v, errOutOfRange)
		}
		c.uv = n
	case kFloat32, kFloat64:
		f, err := toFloat64(v)
		if err != nil {
			return c.badf(v, err)
		}
		c.fv = f
	case kDecimal:
		d, err := toDecimal(v, c.prec, c.scale)
		if err != nil {
			return c.badf(v, err)
		}
		c.dv = d
	case kString, kLargeString, kBinary, kLargeBinary:
		switch x := v.(type) {
		case string:
			c.sv, c.isB = x, false
		case []byte:
			c.bv, c.isB = x, true
		default:
			return c.badf(v, errWrongType)
		}
		if c.kind == kString || c.kind == kLargeString {
			if (c.isB && !utf8.Valid(c.bv)) || (!c.isB && !utf8.ValidString(c.sv)) {
				return c.badf(v, fmt.Errorf("not valid UTF-8"))
			}
		}
	case kBool:
		switch x := v.(type) {
		case bool:
			c.tv = x
		case int64:
			if x != 0 && x != 1 {
				return c.badf(v, errWrongType)
			}
			c.tv = x == 1
		default:
			return c.badf(v, errWrongType)
		}
	case kDate32:
		t, err := toTime(v)
		if err != nil {
			return c.badf(v, err)
		}
		c.iv = int64(arrow.Date32FromTime(t.UTC()))
	case kTimestamp:
		t, err := toTime(v)
		if err != nil {
			return c.badf(v, err)
		}
		var ok bool
		if c.iv, ok = arrowx.TimeToUnit(t, c.unit); !ok {
			return c.badf(v, errOutOfRange)
		}
	}
	return nil
}

// appendRow appends the converted scratch value.
func (c *sqlColumn) appendRow() {
	if c.null {
		c.b.AppendNull()
		return
	}
	switch c.kind {
	case kInt8:
		c.b.(*array.Int8Builder).Append(int8(c.iv))
	case kInt16:
		c.b.(*array.Int16Builder).Append(int16(c.iv))
	case kInt32:
		c.b.(*array.Int32Builder).Append(int32(c.iv))
	case kInt64:
		c.b.(*array.Int64Builder).Append(c.iv)
	case kUint8:
		c.b.(*array.Uint8Builder).Append(uint8(c.uv))
	case kUint16:
		c.b.(*array.Uint16Builder).Append(uint16(c.uv))
	case kUint32:
		c.b.(*array.Uint32Builder).Append(uint32(c.uv))
	case kUint64:
		c.b.(*array.Uint64Builder).Append(c.uv)
	case kFloat32:
		c.b.(*array.Float32Builder).Append(float32(c.fv))
	case kFloat64:
		c.b.(*array.Float64Builder).Append(c.fv)
	case kDecimal:
		c.b.(*array.Decimal128Builder).Append(c.dv)
	case kString, kLargeString, kBinary, kLargeBinary:
		if c.isB {
			c.bin.Append(c.bv)
		} else {
			c.bin.AppendString(c.sv)
		}
	case kBool:
		c.b.(*array.BooleanBuilder).Append(c.tv)
	case kDate32:
		c.b.(*array.Date32Builder).Append(arrow.Date32(c.iv))
	case kTimestamp:
		c.b.(*array.TimestampBuilder).Append(arrow.Timestamp(c.iv))
	}
}

var (
	errWrongType  = fmt.Errorf("wrong type")
	errOutOfRange = fmt.Errorf("out of range")
)

// badf describes a value that does not convert.
func (c *sqlColumn) badf(v any, err error) error {
	return fmt.Errorf("cannot convert %s to %s: %w", describeValue(v), c.dt, err)
}

// describeValue renders a driver value briefly, with its Go type.
func describeValue(v any) string {
	const max = 40
	var s string
	switch x := v.(type) {
	case string:
		s = strconv.Quote(x)
	case []byte:
		s = fmt.Sprintf("%q", x)
	case time.Time:
		s = x.Format(time.RFC3339Nano)
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%T %s", v, s)
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x != math.Trunc(x) || x < -(1<<63) || x >= 1<<63 {
			return 0, errWrongType
		}
		return int64(x), nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	case []byte:
		return strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64)
	}
	return 0, errWrongType
}

func toUint64(v any) (uint64, error) {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return 0, errOutOfRange
		}
		return uint64(x), nil
	case float64:
		if x != math.Trunc(x) || x < 0 || x >= 1<<64 {
			return 0, errWrongType
		}
		return uint64(x), nil
	case string:
		return strconv.ParseUint(strings.TrimSpace(x), 10, 64)
	case []byte:
		return strconv.ParseUint(strings.TrimSpace(string(x)), 10, 64)
	}
	return 0, errWrongType
}

func toFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	case []byte:
		return strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
	}
	return 0, errWrongType
}

func toDecimal(v any, prec, scale int32) (decimal128.Num, error) {
	var n decimal128.Num
	var err error
	switch x := v.(type) {
	case int64:
		n = decimal128.FromI64(x)
		if scale > 0 {
			n, err = n.Rescale(0, scale)
		}
	case float64:
		n, err = decimal128.FromFloat64(x, prec, scale)
	case string:
		n, err = parseDecimal(x, prec, scale)
	case []byte:
		n, err = parseDecimal(string(x), prec, scale)
	default:
		return n, errWrongType
	}
	if err != nil {
		return n, err
	}
	if !n.FitsInPrecision(prec) {
		return n, fmt.Errorf("does not fit precision %d", prec)
	}
	return n, nil
}

// parseDecimal parses decimal text, with a fast path for up to 18 digits
// that need no rounding.
func parseDecimal(s string, prec, scale int32) (decimal128.Num, error) {
	s = strings.TrimSpace(s)
	body := s
	if body != "" && (body[0] == '-' || body[0] == '+') {
		body = body[1:]
	}
	intPart, frac, _ := strings.Cut(body, ".")
	if len(intPart)+len(frac) <= 18 && len(intPart)+len(frac) > 0 && int32(len(frac)) <= scale && allDigits(intPart) && allDigits(frac) {
		var n int64
		for i := 0; i < len(intPart); i++ {
			n = n*10 + int64(intPart[i]-'0')
		}
		for i := 0; i < len(frac); i++ {
			n = n*10 + int64(frac[i]-'0')
		}
		if strings.HasPrefix(s, "-") {
			n = -n
		}
		d := decimal128.FromI64(n)
		if pad := scale - int32(len(frac)); pad > 0 {
			return d.Rescale(0, pad)
		}
		return d, nil
	}
	if s == "" || strings.ContainsAny(s, "eEnN") && !strings.ContainsAny(s, "0123456789") {
		return decimal128.Num{}, errWrongType
	}
	return decimal128.FromString(s, prec, scale)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// timeLayouts are the text forms accepted for dates and timestamps.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	time.DateOnly,
}

func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		return parseTimeText(x)
	case []byte:
		return parseTimeText(string(x))
	}
	return time.Time{}, errWrongType
}

func parseTimeText(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date or time")
}
