package expr

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Lit returns a literal node for a Go value: nil (null), bool, any integer
// (int64; uint64 values above the int64 range stay uint64), float32 or
// float64 (float64), string (utf8), or time.Time (timestamp in UTC, in the
// coarsest of s, ms, us, ns that holds it exactly).
func Lit(v any) (*Node, error) {
	typ, text, err := litText(v)
	if err != nil {
		return nil, err
	}
	return &Node{Op: "lit", Type: typ, Value: text}, nil
}

func strp(s string) *string { return &s }

func litText(v any) (string, *string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil, nil
	case bool:
		return "bool", strp(strconv.FormatBool(x)), nil
	case int:
		return "int64", strp(strconv.FormatInt(int64(x), 10)), nil
	case int8:
		return "int64", strp(strconv.FormatInt(int64(x), 10)), nil
	case int16:
		return "int64", strp(strconv.FormatInt(int64(x), 10)), nil
	case int32:
		return "int64", strp(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return "int64", strp(strconv.FormatInt(x, 10)), nil
	case uint:
		return litText(uint64(x))
	case uint8:
		return "int64", strp(strconv.FormatUint(uint64(x), 10)), nil
	case uint16:
		return "int64", strp(strconv.FormatUint(uint64(x), 10)), nil
	case uint32:
		return "int64", strp(strconv.FormatUint(uint64(x), 10)), nil
	case uint64:
		if x > math.MaxInt64 {
			return "uint64", strp(strconv.FormatUint(x, 10)), nil
		}
		return "int64", strp(strconv.FormatUint(x, 10)), nil
	case float32:
		return "float64", strp(FormatFloat(float64(x))), nil
	case float64:
		return "float64", strp(FormatFloat(x)), nil
	case string:
		return "utf8", strp(x), nil
	case time.Time:
		u := arrow.Nanosecond
		switch ns := x.Nanosecond(); {
		case ns == 0:
			u = arrow.Second
		case ns%1_000_000 == 0:
			u = arrow.Millisecond
		case ns%1_000 == 0:
			u = arrow.Microsecond
		}
		if _, ok := timeToTicks(x, u); !ok {
			return "", nil, fmt.Errorf("literal time %s is outside the range of timestamp[%s]", x.Format(time.RFC3339Nano), unitName(u))
		}
		return "timestamp[" + unitName(u) + ",UTC]", strp(x.UTC().Format(time.RFC3339Nano)), nil
	}
	return "", nil, fmt.Errorf("unsupported literal of Go type %T (want nil, bool, an integer, a float, string or time.Time)", v)
}

// FormatFloat writes a float64 exactly (shortest text that parses back to
// the same bits): NaN, +Inf and -Inf for the non-finite values.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// timeToTicks converts t to ticks of unit u since the Unix epoch, reporting
// false when that is inexact or overflows.
func timeToTicks(t time.Time, u arrow.TimeUnit) (int64, bool) {
	ups := unitsPerSecond(u)
	per := 1_000_000_000 / ups
	nsec := int64(t.Nanosecond())
	if nsec%per != 0 {
		return 0, false
	}
	hi, ok := mulInt64(t.Unix(), ups)
	if !ok {
		return 0, false
	}
	return addInt64(hi, nsec/per)
}

// compileLit builds the constant array of a literal.
func compileLit(n *Node) (*cnode, error) {
	dt, err := ParseType(n.Type)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	a, err := litArray(dt, n.Value)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	return constNode(dt, a, n.String()), nil
}

// litArray parses a literal's text into a length-1 array of type dt.
func litArray(dt arrow.DataType, text *string) (arrow.Array, error) {
	if text == nil {
		if dt.ID() == arrow.NULL {
			return makeNull(1), nil
		}
		return allNull(dt, 1), nil
	}
	if dt.ID() == arrow.NULL {
		return nil, fmt.Errorf("a null literal has no value")
	}
	s := *text
	switch catOf(dt) {
	case catString:
		b := array.NewBuilder(memory.DefaultAllocator, dt)
		defer b.Release()
		switch bb := b.(type) {
		case *array.StringBuilder:
			bb.Append(s)
		case *array.LargeStringBuilder:
			bb.Append(s)
		case *array.StringViewBuilder:
			bb.Append(s)
		}
		return b.NewArray(), nil
	case catBool:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("bad bool literal %q", s)
		}
		bits := []byte{0}
		if v {
			bits[0] = 1
		}
		return makeBool(1, bits, nil), nil
	case catTimestamp:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("bad timestamp literal %q (want RFC 3339)", s)
		}
		v, ok := timeToTicks(t, dt.(*arrow.TimestampType).Unit)
		if !ok {
			return nil, fmt.Errorf("timestamp literal %q does not fit %s", s, TypeName(dt))
		}
		return makeFixed(dt, []int64{v}, nil), nil
	case catDate:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("bad date literal %q (want YYYY-MM-DD)", s)
		}
		return makeFixed(dt, []int32{int32(t.Unix() / 86400)}, nil), nil
	}
	// Numbers: parse through a one-value string array and the cast kernel,
	// which checks the range of the type.
	src := array.NewStringBuilder(memory.DefaultAllocator)
	defer src.Release()
	src.Append(s)
	sa := src.NewArray()
	defer sa.Release()
	a, err := castArray(sa, dt, castOpts{text: "literal", scalar: true})
	if err != nil {
		return nil, fmt.Errorf("bad %s literal %q", TypeName(dt), s)
	}
	return a, nil
}

// broadcast repeats the single value of a n times.
func broadcast(a arrow.Array, n int) arrow.Array {
	if isNullAt(a, 0) {
		if a.DataType().ID() == arrow.NULL {
			return makeNull(n)
		}
		return allNull(a.DataType(), n)
	}
	dt := a.DataType()
	switch catOf(dt) {
	case catBool:
		bits := make([]byte, bitmapBytes(n))
		if getBit(boolBits(a), 0) {
			for i := range bits {
				bits[i] = 0xFF
			}
		}
		return makeBool(n, bits, nil)
	case catString:
		s := stringsOf(a)
		v := s.value(0)
		offs := make([]int32, n+1)
		data := make([]byte, 0, len(v)*n)
		for i := range n {
			data = append(data, v...)
			offs[i+1] = int32(len(data))
		}
		out := makeArray(arrow.BinaryTypes.String, n, nil, bytesOf(offs), data)
		if dt.ID() != arrow.STRING {
			return fromUTF8(out, dt)
		}
		return out
	}
	w := dt.(arrow.FixedWidthDataType).Bytes()
	src := a.Data().Buffers()[1].Bytes()[a.Data().Offset()*w:][:w]
	out := make([]byte, n*w)
	for i := 0; i < len(out); i += w {
		copy(out[i:], src)
	}
	return makeArray(dt, n, nil, out)
}
