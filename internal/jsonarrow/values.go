package jsonarrow

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln/internal/arrowx"
)

type kind uint8

const (
	kBool kind = iota
	kInt
	kUint
	kFloat32
	kFloat64
	kString // utf8, large_utf8: a JSON string
	kRaw    // utf8, large_utf8: the value's JSON text
	kTimestamp
	kDate32
)

// kindOf says how a column of type dt is decoded.
func kindOf(dt arrow.DataType, raw bool) (kind, error) {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		if raw {
			return kRaw, nil
		}
		return kString, nil
	}
	if raw {
		return 0, fmt.Errorf("raw JSON text needs a utf8 or large_utf8 column, not %s", dt)
	}
	switch dt.ID() {
	case arrow.BOOL:
		return kBool, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return kInt, nil
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return kUint, nil
	case arrow.FLOAT32:
		return kFloat32, nil
	case arrow.FLOAT64:
		return kFloat64, nil
	case arrow.TIMESTAMP:
		return kTimestamp, nil
	case arrow.DATE32:
		return kDate32, nil
	}
	return 0, fmt.Errorf("type %s is not supported (use bool, integers, floats, utf8, timestamp, date32, or utf8 with raw JSON text for nested values)", dt)
}

// col is one output column: its builder and the current record's value.
type col struct {
	name     string
	kind     kind
	nullable bool
	typ      arrow.DataType
	unit     arrow.TimeUnit

	// Typed builders; the one for kind is set.
	b    *array.BooleanBuilder
	i8   *array.Int8Builder
	i16  *array.Int16Builder
	i32  *array.Int32Builder
	i64  *array.Int64Builder
	u8   *array.Uint8Builder
	u16  *array.Uint16Builder
	u32  *array.Uint32Builder
	u64  *array.Uint64Builder
	f32  *array.Float32Builder
	f64  *array.Float64Builder
	bin  *array.BinaryBuilder // utf8 and large_utf8 share it
	ts   *array.TimestampBuilder
	date *array.Date32Builder

	// The current record's value: its span in the record, and once parsed,
	// the value.
	set, null bool
	vs, ve    int
	iv        int64
	uv        uint64
	fv        float64
	bv        bool
	inBuf     bool // the string is buf[ss:se] (unescaped), else rec[ss:se]
	ss, se    int
}

func (c *col) bind(b array.Builder) {
	switch b := b.(type) {
	case *array.BooleanBuilder:
		c.b = b
	case *array.Int8Builder:
		c.i8 = b
	case *array.Int16Builder:
		c.i16 = b
	case *array.Int32Builder:
		c.i32 = b
	case *array.Int64Builder:
		c.i64 = b
	case *array.Uint8Builder:
		c.u8 = b
	case *array.Uint16Builder:
		c.u16 = b
	case *array.Uint32Builder:
		c.u32 = b
	case *array.Uint64Builder:
		c.u64 = b
	case *array.Float32Builder:
		c.f32 = b
	case *array.Float64Builder:
		c.f64 = b
	case *array.StringBuilder:
		c.bin = b.BinaryBuilder
	case *array.LargeStringBuilder:
		c.bin = b.BinaryBuilder
	case *array.TimestampBuilder:
		c.ts = b
	case *array.Date32Builder:
		c.date = b
	}
}

// view returns b as a string without copying; the string must not outlive b.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (c *col) typeErr(v []byte) error {
	return &ValueError{Column: c.name, Msg: fmt.Sprintf("want %s, got %s", c.typ, describe(v))}
}

// parse converts the current record's value, reporting a value that does not
// fit the column.
func (c *col) parse(rec []byte, d *Decoder) error {
	c.null = !c.set || rec[c.vs] == 'n'
	if c.null {
		if !c.nullable {
			if !c.set {
				return &ValueError{Column: c.name, Msg: "missing in a non-nullable column"}
			}
			return &ValueError{Column: c.name, Msg: "null in a non-nullable column"}
		}
		return nil
	}
	v := rec[c.vs:c.ve]
	switch c.kind {
	case kBool:
		if v[0] != 't' && v[0] != 'f' {
			return c.typeErr(v)
		}
		c.bv = v[0] == 't'
	case kInt:
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return c.typeErr(v)
		}
		n, err := strconv.ParseInt(view(v), 10, c.typ.(arrow.FixedWidthDataType).BitWidth())
		if err != nil {
			return &ValueError{Column: c.name, Msg: fmt.Sprintf("want %s, got %s (not an integer in range)", c.typ, describe(v))}
		}
		c.iv = n
	case kUint:
		if v[0] < '0' || v[0] > '9' {
			return c.typeErr(v)
		}
		n, err := strconv.ParseUint(view(v), 10, c.typ.(arrow.FixedWidthDataType).BitWidth())
		if err != nil {
			return &ValueError{Column: c.name, Msg: fmt.Sprintf("want %s, got %s (not an unsigned integer in range)", c.typ, describe(v))}
		}
		c.uv = n
	case kFloat32, kFloat64:
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return c.typeErr(v)
		}
		bits := 64
		if c.kind == kFloat32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(view(v), bits)
		if err != nil || math.IsInf(f, 0) {
			return &ValueError{Column: c.name, Msg: fmt.Sprintf("want %s, got %s (out of range)", c.typ, describe(v))}
		}
		c.fv = f
	case kRaw:
		if !utf8.Valid(v) {
			return &ValueError{Column: c.name, Msg: "invalid UTF-8"}
		}
		c.inBuf, c.ss, c.se = false, c.vs, c.ve
	case kString, kTimestamp, kDate32:
		if v[0] != '"' {
			if v[0] == '-' || (v[0] >= '0' && v[0] <= '9') {
				if c.kind == kTimestamp {
					return c.parseEpoch(v)
				}
			}
			return c.typeErr(v)
		}
		s := c.str(rec, d)
		if !utf8.Valid(s) {
			return &ValueError{Column: c.name, Msg: "invalid UTF-8"}
		}
		switch c.kind {
		case kTimestamp:
			t, err := time.Parse(time.RFC3339Nano, view(s))
			if err != nil {
				return &ValueError{Column: c.name, Msg: fmt.Sprintf("want an RFC 3339 time, got %s", describe(v))}
			}
			ts, ok := arrowx.TimeToUnit(t, c.unit)
			if !ok {
				return &ValueError{Column: c.name, Msg: fmt.Sprintf("%s is out of range for %s", describe(v), c.typ)}
			}
			c.iv = ts
		case kDate32:
			t, err := time.Parse(time.DateOnly, view(s))
			if err != nil {
				return &ValueError{Column: c.name, Msg: fmt.Sprintf("want a YYYY-MM-DD date, got %s", describe(v))}
			}
			c.iv = int64(arrow.Date32FromTime(t))
		}
	}
	return nil
}

// str locates the current value's string content (unescaping into d.buf when
// needed) and returns it.
func (c *col) str(rec []byte, d *Decoder) []byte {
	body := rec[c.vs+1 : c.ve-1]
	for _, ch := range body {
		if ch == '\\' {
			start := len(d.buf)
			d.buf = unescape(d.buf, body)
			c.inBuf, c.ss, c.se = true, start, len(d.buf)
			return d.buf[start:]
		}
	}
	c.inBuf, c.ss, c.se = false, c.vs+1, c.ve-1
	return body
}

// parseEpoch reads a JSON number as an integer count of the column's unit
// since the Unix epoch.
func (c *col) parseEpoch(v []byte) error {
	n, err := strconv.ParseInt(view(v), 10, 64)
	if err != nil {
		return &ValueError{Column: c.name, Msg: fmt.Sprintf("want an RFC 3339 time or an integer epoch in %s, got %s", c.unit, describe(v))}
	}
	c.iv = n
	return nil
}

// append adds the parsed value to the builder.
func (c *col) append(rec, buf []byte) {
	if c.null {
		switch c.kind {
		case kBool:
			c.b.AppendNull()
		case kInt:
			c.appendNullInt()
		case kUint:
			c.appendNullUint()
		case kFloat32:
			c.f32.AppendNull()
		case kFloat64:
			c.f64.AppendNull()
		case kString, kRaw:
			c.bin.AppendNull()
		case kTimestamp:
			c.ts.AppendNull()
		case kDate32:
			c.date.AppendNull()
		}
		return
	}
	switch c.kind {
	case kBool:
		c.b.Append(c.bv)
	case kInt:
		switch {
		case c.i64 != nil:
			c.i64.Append(c.iv)
		case c.i32 != nil:
			c.i32.Append(int32(c.iv))
		case c.i16 != nil:
			c.i16.Append(int16(c.iv))
		default:
			c.i8.Append(int8(c.iv))
		}
	case kUint:
		switch {
		case c.u64 != nil:
			c.u64.Append(c.uv)
		case c.u32 != nil:
			c.u32.Append(uint32(c.uv))
		case c.u16 != nil:
			c.u16.Append(uint16(c.uv))
		default:
			c.u8.Append(uint8(c.uv))
		}
	case kFloat32:
		c.f32.Append(float32(c.fv))
	case kFloat64:
		c.f64.Append(c.fv)
	case kString, kRaw:
		if c.inBuf {
			c.bin.Append(buf[c.ss:c.se])
		} else {
			c.bin.Append(rec[c.ss:c.se])
		}
	case kTimestamp:
		c.ts.Append(arrow.Timestamp(c.iv))
	case kDate32:
		c.date.Append(arrow.Date32(c.iv))
	}
}

func (c *col) appendNullInt() {
	switch {
	case c.i64 != nil:
		c.i64.AppendNull()
	case c.i32 != nil:
		c.i32.AppendNull()
	case c.i16 != nil:
		c.i16.AppendNull()
	default:
		c.i8.AppendNull()
	}
}

func (c *col) appendNullUint() {
	switch {
	case c.u64 != nil:
		c.u64.AppendNull()
	case c.u32 != nil:
		c.u32.AppendNull()
	case c.u16 != nil:
		c.u16.AppendNull()
	default:
		c.u8.AppendNull()
	}
}
