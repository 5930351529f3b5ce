package expr

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/stats"
)

// Keyer turns the values of an array into byte keys whose byte order is
// the values' order: strings are their bytes; integers, booleans, dates
// and timestamps are the 8 big-endian bytes of stats.IntKey; floats those
// of stats.FloatKey (-0 and +0 share a key). Keys of one column compare
// with bytes.Compare as the values do, so sorting keys sorts values.
type Keyer struct {
	kind  cat // catString, catInt or catFloat
	s     strVec
	i     []int64
	f     []float64
	valid []byte
	buf   [8]byte
}

// NewKeyer reads a (dictionary arrays are decoded). Supported: strings,
// integers (uint64 above the int64 range is an error), bool, floats,
// timestamps and dates.
func NewKeyer(a arrow.Array) (*Keyer, error) {
	a, err := decoded(a)
	if err != nil {
		return nil, err
	}
	k := &Keyer{valid: validity(a)}
	switch c := catOf(a.DataType()); {
	case c == catString:
		k.kind, k.s = catString, stringsOf(a)
	case c == catFloat:
		k.kind = catFloat
		if k.f, _, err = Float64s(a); err != nil {
			return nil, err
		}
	case isInteger(c) && a.DataType().ID() == arrow.UINT64:
		k.kind = catInt
		if k.i, _, err = Int64s(a, "value"); err != nil {
			return nil, err
		}
	case isInteger(c) || c == catBool || c == catDate || c == catTimestamp:
		k.kind = catInt
		s, err := loadNumeric(a)
		if err != nil {
			return nil, err
		}
		k.i = s.i
		if s.kind == catUint {
			k.i = widen[uint64, int64](s.u)
		}
	default:
		return nil, fmt.Errorf("cannot use values of type %s as keys", TypeName(a.DataType()))
	}
	return k, nil
}

// Key returns the key of row i, valid until the next call, and false for
// a null (or NaN) row.
func (k *Keyer) Key(i int) ([]byte, bool) {
	if k.valid != nil && !getBit(k.valid, i) {
		return nil, false
	}
	switch k.kind {
	case catString:
		return k.s.value(i), true
	case catFloat:
		f := k.f[i]
		if f != f {
			return nil, false
		}
		binary.BigEndian.PutUint64(k.buf[:], stats.FloatKey(f))
		return k.buf[:], true
	}
	binary.BigEndian.PutUint64(k.buf[:], stats.IntKey(k.i[i]))
	return k.buf[:], true
}

// Int returns the int64 value of row i of an integer keyer.
func (k *Keyer) Int(i int) int64 { return k.i[i] }

// DecodeIntKey returns the int64 of a key of integers.
func DecodeIntKey(k []byte) int64 { return stats.KeyInt(binary.BigEndian.Uint64(k)) }

// KeyValue returns the value of key as a length-1 array of type dt (the
// type the keys were made from).
func KeyValue(key []byte, dt arrow.DataType) (arrow.Array, error) {
	if d, ok := dt.(*arrow.DictionaryType); ok {
		dt = d.ValueType
	}
	var src arrow.Array
	switch c := catOf(dt); {
	case c == catString:
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		b.Append(string(key))
		src = b.NewArray()
	case c == catFloat:
		f := stats.KeyFloat(binary.BigEndian.Uint64(key))
		src = makeFixed(arrow.PrimitiveTypes.Float64, []float64{f}, nil)
	default:
		src = makeFixed(arrow.PrimitiveTypes.Int64, []int64{DecodeIntKey(key)}, nil)
	}
	if c := catOf(dt); c == catTimestamp || c == catDate {
		return retype(castOrSame(src, c), dt), nil
	}
	return castArray(src, dt, castOpts{text: "key"})
}

func castOrSame(a arrow.Array, c cat) arrow.Array {
	if c == catDate {
		v := fixedValues[int64](a)
		return makeFixed(arrow.PrimitiveTypes.Int32, []int32{int32(v[0])}, nil)
	}
	return a
}

// ValueText returns value i of a in literal form (see Lit): true/false,
// decimal integers, shortest round-trip floats, raw strings, RFC 3339
// timestamps in UTC, YYYY-MM-DD dates.
func ValueText(a arrow.Array, i int) (string, error) {
	if isNullAt(a, i) {
		return "", fmt.Errorf("null has no literal text")
	}
	a, err := decoded(a)
	if err != nil {
		return "", err
	}
	switch c := catOf(a.DataType()); {
	case c == catString:
		return string(stringsOf(a).value(i)), nil
	case c == catBool:
		return strconv.FormatBool(getBit(boolBits(a), i)), nil
	case c == catTimestamp:
		ups := unitsPerSecond(a.DataType().(*arrow.TimestampType).Unit)
		v := fixedValues[int64](a)[i]
		return time.Unix(floorDiv(v, ups), floorMod(v, ups)*(1_000_000_000/ups)).UTC().Format(time.RFC3339Nano), nil
	case c == catDate:
		return string(appendDate(nil, int64(fixedValues[int32](a)[i]))), nil
	case isNumeric(c):
		s, err := loadNumeric(a)
		if err != nil {
			return "", err
		}
		return s.text(i), nil
	}
	return "", fmt.Errorf("no literal form for %s", TypeName(a.DataType()))
}

// FillMissing returns a with its nulls (and, for floats, NaN) replaced by
// the single value of fill, which must have a's (decoded) type.
func FillMissing(a, fill arrow.Array) (arrow.Array, error) {
	a, err := decoded(a)
	if err != nil {
		return nil, err
	}
	if !arrow.TypeEqual(a.DataType(), fill.DataType()) {
		return nil, fmt.Errorf("fill value of type %s for a column of type %s", TypeName(fill.DataType()), TypeName(a.DataType()))
	}
	n := a.Len()
	valid := validity(a)
	which := make([]int16, n)
	if valid != nil {
		for i := range which {
			if !getBit(valid, i) {
				which[i] = 1
			}
		}
	}
	if catOf(a.DataType()) == catFloat {
		s, err := loadNumeric(a)
		if err != nil {
			return nil, err
		}
		for i, f := range s.f {
			if f != f {
				which[i] = 1
			}
		}
	}
	return gather(a.DataType(), n, []val{{a: a}, {a: fill, scalar: true}}, which)
}
