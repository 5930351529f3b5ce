package expr

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// Casts. A cast is exact unless told otherwise: a value the target type
// cannot represent is an error naming the row (ErrLossy). Lossy means: out
// of the target's range; a float with a fractional part, NaN or an infinity
// to an integer; NaN to bool; a finite float64 that overflows float32; a
// string that does not parse; a timestamp with more precision than a
// coarser target unit or a time of day when cast to a date. Rounding a
// large integer to the nearest float is not lossy (that is what floats
// are). With lossy casts allowed, float to integer truncates toward zero,
// a timestamp to a coarser unit or a date rounds down (toward the past),
// and every other failure gives null.
//
// Supported: between bool, integers and floats; anything listed here to
// and from strings (numbers in Go's shortest round-trip form, timestamps
// in RFC 3339 in their zone, dates as YYYY-MM-DD; parsing accepts what
// ParseISO accepts, strings without an offset being wall time in the
// target's zone); between string types; timestamps between units and
// zones (the instant is kept); timestamps to and from date32 (midnight in
// the timestamp's zone) and integers (the raw count of units since the
// epoch); date32 to and from integers (days since the epoch).

// CastOptions configures Cast.
type CastOptions struct {
	// AllowLossy turns lossy values into nulls (float to integer
	// truncates) instead of errors.
	AllowLossy bool
	// RowBase is the table row of the array's first value, for errors.
	RowBase int64
	// Name names what is cast in errors (a column name).
	Name string
}

// Cast converts a to type to. See the rules above.
func Cast(a arrow.Array, to arrow.DataType, o CastOptions) (arrow.Array, error) {
	if err := CanCast(a.DataType(), to); err != nil {
		return nil, err
	}
	return castArray(a, to, castOpts{lossy: o.AllowLossy, rowBase: o.RowBase, text: o.Name})
}

// CastNullable reports whether casting from may create nulls from valid
// values (it can when lossy values are allowed and the cast can fail).
func CastNullable(from, to arrow.DataType, lossy bool) bool {
	if !lossy || arrow.TypeEqual(from, to) {
		return false
	}
	return !castNeverFails(from, to)
}

// castNeverFails reports casts that are exact for every value.
func castNeverFails(from, to arrow.DataType) bool {
	cf, ct := catOf(from), catOf(to)
	switch {
	case ct == catString:
		return true
	case cf == catBool && (isNumeric(ct) || ct == catBool):
		return true
	case cf == catFloat && to.ID() == arrow.FLOAT64:
		return true
	case isInteger(cf) && ct == catFloat:
		return true
	case (cf == catInt || cf == catUint) && isInteger(ct):
		fw, tw := from.(arrow.FixedWidthDataType).Bytes(), to.(arrow.FixedWidthDataType).Bytes()
		return cf == catUint && (ct == catUint && tw >= fw || ct == catInt && tw > fw) ||
			cf == catInt && ct == catInt && tw >= fw
	}
	return false
}

type castOpts struct {
	lossy   bool
	mask    []byte
	rowBase int64
	text    string
	scalar  bool
	verb    string // "cast to" unless set: "parse as", "convert to"
}

// CanCast reports (as an error saying why not) whether from can be cast to
// to.
func CanCast(from, to arrow.DataType) error {
	if dt, ok := from.(*arrow.DictionaryType); ok {
		from = dt.ValueType
	}
	cf, ct := catOf(from), catOf(to)
	ok := false
	switch {
	case ct == catOther:
	case cf == catNull || arrow.TypeEqual(from, to):
		ok = true
	case cf == catString || ct == catString:
		ok = cf != catOther
	case (isNumeric(cf) || cf == catBool) && (isNumeric(ct) || ct == catBool):
		ok = true
	case cf == catTimestamp:
		ok = ct == catTimestamp || ct == catDate || isInteger(ct)
	case cf == catDate:
		ok = ct == catTimestamp || isInteger(ct)
	case isInteger(cf) && (ct == catTimestamp || ct == catDate):
		ok = true
	}
	if !ok {
		return fmt.Errorf("cannot cast %s to %s", TypeName(from), TypeName(to))
	}
	return nil
}

func (c *compiler) compileCast(n *Node) (*cnode, error) {
	args, err := c.compileArgs(n)
	if err != nil {
		return nil, err
	}
	to, err := ParseType(n.Type)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	a := args[0]
	if err := CanCast(a.typ, to); err != nil {
		return nil, errAt(n, "%v", err)
	}
	text := n.String()
	return &cnode{typ: to, nullable: a.nullable, constant: a.constant,
		ev: func(c *evalCtx, mask []byte) (val, error) {
			v, err := a.ev(c, mask)
			if err != nil {
				return val{}, err
			}
			out, err := castArray(v.a, to, castOpts{mask: mask, rowBase: c.rowBase, text: text, scalar: v.scalar})
			if err != nil {
				return val{}, err
			}
			return val{a: out, scalar: v.scalar}, nil
		}}, nil
}

// failer turns conversion failures into errors or nulls.
type failer struct {
	o     castOpts
	n     int
	in    []byte // input validity (read only)
	valid []byte // output validity, copied from in on the first failure
	owned bool   // valid is a copy
	to    arrow.DataType
}

func newFailer(o castOpts, n int, in []byte, to arrow.DataType) *failer {
	return &failer{o: o, n: n, in: in, valid: in, to: to}
}

// fail records that row i cannot be converted.
func (f *failer) fail(i int, value, why string) error {
	if !f.o.lossy && (f.o.mask == nil || getBit(f.o.mask, i)) {
		row := f.o.rowBase + int64(i)
		if f.o.scalar {
			row = f.o.rowBase
		}
		verb := f.o.verb
		if verb == "" {
			verb = "cast to"
		}
		return &RowError{Row: row, Expr: f.o.text, Value: value, Err: ErrLossy,
			Detail: fmt.Sprintf("cannot %s %s: %s", verb, TypeName(f.to), why)}
	}
	if !f.owned {
		f.valid = allBits(f.n)
		if f.in != nil {
			copy(f.valid, f.in)
		}
		f.owned = true
	}
	clearBit(f.valid, i)
	return nil
}

// isValid reports whether input row i is valid.
func (f *failer) isValid(i int) bool { return f.in == nil || getBit(f.in, i) }

func castArray(a arrow.Array, to arrow.DataType, o castOpts) (arrow.Array, error) {
	from := a.DataType()
	if from.ID() == arrow.DICTIONARY {
		d, err := decodeDictionary(a)
		if err != nil {
			return nil, err
		}
		a, from = d, d.DataType()
	}
	if arrow.TypeEqual(from, to) {
		return a, nil
	}
	n := a.Len()
	cf, ct := catOf(from), catOf(to)
	switch {
	case cf == catNull:
		return allNull(to, n), nil
	case cf == catString && ct == catString:
		if cf == catString && from.ID() != arrow.STRING {
			u, err := toUTF8(a)
			if err != nil {
				return nil, err
			}
			if to.ID() == arrow.STRING {
				return u, nil
			}
			a = u
		}
		return fromUTF8(a, to), nil
	case ct == catString:
		return formatArray(a, to)
	case cf == catString:
		return parseArray(a, to, o)
	case cf == catTimestamp && ct == catTimestamp:
		return castTimestampUnit(a, to.(*arrow.TimestampType), o)
	case cf == catTimestamp && ct == catDate:
		return castTimestampToDate(a, o)
	case cf == catDate && ct == catTimestamp:
		return castDateToTimestamp(a, to.(*arrow.TimestampType), o)
	case ct == catTimestamp:
		i, err := castArray(a, arrow.PrimitiveTypes.Int64, o)
		if err != nil {
			return nil, err
		}
		return retype(i, to), nil
	case ct == catDate:
		i, err := castArray(a, arrow.PrimitiveTypes.Int32, o)
		if err != nil {
			return nil, err
		}
		return retype(i, to), nil
	}
	src, err := loadNumeric(a)
	if err != nil {
		return nil, err
	}
	return storeNumeric(src, to, newFailer(o, n, validity(a), to))
}

// numSrc holds numeric values widened to 64 bits.
type numSrc struct {
	kind cat // catInt (also bool, dates, timestamps), catUint or catFloat
	f32  bool
	i    []int64
	u    []uint64
	f    []float64
}

func widen[S, D int64 | uint64 | float64 | int8 | int16 | int32 | uint8 | uint16 | uint32 | float32](s []S) []D {
	out := make([]D, len(s))
	for i, v := range s {
		out[i] = D(v)
	}
	return out
}

func loadNumeric(a arrow.Array) (numSrc, error) {
	switch a.DataType().ID() {
	case arrow.INT8:
		return numSrc{kind: catInt, i: widen[int8, int64](fixedValues[int8](a))}, nil
	case arrow.INT16:
		return numSrc{kind: catInt, i: widen[int16, int64](fixedValues[int16](a))}, nil
	case arrow.INT32, arrow.DATE32:
		return numSrc{kind: catInt, i: widen[int32, int64](fixedValues[int32](a))}, nil
	case arrow.INT64, arrow.TIMESTAMP:
		return numSrc{kind: catInt, i: fixedValues[int64](a)}, nil
	case arrow.UINT8:
		return numSrc{kind: catUint, u: widen[uint8, uint64](fixedValues[uint8](a))}, nil
	case arrow.UINT16:
		return numSrc{kind: catUint, u: widen[uint16, uint64](fixedValues[uint16](a))}, nil
	case arrow.UINT32:
		return numSrc{kind: catUint, u: widen[uint32, uint64](fixedValues[uint32](a))}, nil
	case arrow.UINT64:
		return numSrc{kind: catUint, u: fixedValues[uint64](a)}, nil
	case arrow.FLOAT32:
		return numSrc{kind: catFloat, f32: true, f: widen[float32, float64](fixedValues[float32](a))}, nil
	case arrow.FLOAT64:
		return numSrc{kind: catFloat, f: fixedValues[float64](a)}, nil
	case arrow.BOOL:
		bits := boolBits(a)
		out := make([]int64, a.Len())
		for i := range out {
			if getBit(bits, i) {
				out[i] = 1
			}
		}
		return numSrc{kind: catInt, i: out}, nil
	}
	return numSrc{}, fmt.Errorf("cannot read %s as a number", TypeName(a.DataType()))
}

func (s numSrc) text(i int) string {
	switch s.kind {
	case catUint:
		return strconv.FormatUint(s.u[i], 10)
	case catFloat:
		if s.f32 {
			return strconv.FormatFloat(s.f[i], 'g', -1, 32)
		}
		return FormatFloat(s.f[i])
	}
	return strconv.FormatInt(s.i[i], 10)
}

// storeNumeric writes widened numbers to a numeric or bool type.
func storeNumeric(s numSrc, to arrow.DataType, f *failer) (arrow.Array, error) {
	var (
		out any
		err error
	)
	switch to.ID() {
	case arrow.INT8:
		out, err = toInt[int8](s, f, math.MinInt8, math.MaxInt8)
	case arrow.INT16:
		out, err = toInt[int16](s, f, math.MinInt16, math.MaxInt16)
	case arrow.INT32:
		out, err = toInt[int32](s, f, math.MinInt32, math.MaxInt32)
	case arrow.INT64:
		out, err = toInt[int64](s, f, math.MinInt64, math.MaxInt64)
	case arrow.UINT8:
		out, err = toInt[uint8](s, f, 0, math.MaxUint8)
	case arrow.UINT16:
		out, err = toInt[uint16](s, f, 0, math.MaxUint16)
	case arrow.UINT32:
		out, err = toInt[uint32](s, f, 0, math.MaxUint32)
	case arrow.UINT64:
		out, err = toInt[uint64](s, f, 0, math.MaxUint64)
	case arrow.FLOAT64:
		return makeFixed(to, toFloat64(s), f.in), nil
	case arrow.FLOAT32:
		v, err := toFloat32(s, f)
		if err != nil {
			return nil, err
		}
		return makeFixed(to, v, f.valid), nil
	case arrow.BOOL:
		return toBool(s, f)
	default:
		return nil, fmt.Errorf("cannot cast numbers to %s", TypeName(to))
	}
	if err != nil {
		return nil, err
	}
	switch v := out.(type) {
	case []int8:
		return makeFixed(to, v, f.valid), nil
	case []int16:
		return makeFixed(to, v, f.valid), nil
	case []int32:
		return makeFixed(to, v, f.valid), nil
	case []int64:
		return makeFixed(to, v, f.valid), nil
	case []uint8:
		return makeFixed(to, v, f.valid), nil
	case []uint16:
		return makeFixed(to, v, f.valid), nil
	case []uint32:
		return makeFixed(to, v, f.valid), nil
	}
	return makeFixed(to, out.([]uint64), f.valid), nil
}

const two63 = 9223372036854775808.0

func toInt[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](s numSrc, f *failer, lo int64, hi uint64) ([]T, error) {
	n := f.n
	out := make([]T, n)
	flo, fhi := float64(lo), float64(hi)+1
	if hi == math.MaxUint64 {
		fhi = 2 * two63
	}
	switch s.kind {
	case catInt:
		for i, v := range s.i[:n] {
			if v >= lo && (v < 0 || uint64(v) <= hi) {
				out[i] = T(v)
			} else if f.isValid(i) {
				if err := f.fail(i, s.text(i), "out of range"); err != nil {
					return nil, err
				}
			}
		}
	case catUint:
		for i, v := range s.u[:n] {
			if v <= hi {
				out[i] = T(v)
			} else if f.isValid(i) {
				if err := f.fail(i, s.text(i), "out of range"); err != nil {
					return nil, err
				}
			}
		}
	case catFloat:
		for i, v := range s.f[:n] {
			if !f.isValid(i) {
				continue
			}
			t := math.Trunc(v)
			switch {
			case v != v || math.IsInf(v, 0):
				if err := f.fail(i, s.text(i), "not a finite number"); err != nil {
					return nil, err
				}
			case t < flo || t >= fhi:
				if err := f.fail(i, s.text(i), "out of range"); err != nil {
					return nil, err
				}
			case t != v && !f.o.lossy:
				if err := f.fail(i, s.text(i), "has a fractional part"); err != nil {
					return nil, err
				}
			case t >= two63:
				out[i] = T(uint64(t))
			default:
				out[i] = T(int64(t))
			}
		}
	}
	return out, nil
}

func toFloat64(s numSrc) []float64 {
	switch s.kind {
	case catFloat:
		if s.f32 {
			return s.f
		}
		out := make([]float64, len(s.f))
		copy(out, s.f)
		return out
	case catUint:
		return widen[uint64, float64](s.u)
	}
	return widen[int64, float64](s.i)
}

func toFloat32(s numSrc, f *failer) ([]float32, error) {
	n := f.n
	switch s.kind {
	case catUint:
		return widen[uint64, float32](s.u[:n]), nil
	case catInt:
		return widen[int64, float32](s.i[:n]), nil
	}
	out := make([]float32, n)
	for i, v := range s.f[:n] {
		r := float32(v)
		if math.IsInf(float64(r), 0) && !math.IsInf(v, 0) && f.isValid(i) {
			if err := f.fail(i, s.text(i), "out of the float32 range"); err != nil {
				return nil, err
			}
		}
		out[i] = r
	}
	return out, nil
}

func toBool(s numSrc, f *failer) (arrow.Array, error) {
	n := f.n
	out := make([]byte, bitmapBytes(n))
	for i := range n {
		var r bool
		switch s.kind {
		case catInt:
			r = s.i[i] != 0
		case catUint:
			r = s.u[i] != 0
		default:
			v := s.f[i]
			if v != v && f.isValid(i) {
				if err := f.fail(i, "NaN", "NaN is neither true nor false"); err != nil {
					return nil, err
				}
			}
			r = v != 0 && v == v
		}
		out[i>>3] |= b2u(r) << (uint(i) & 7)
	}
	return makeBool(n, out, f.valid), nil
}
