package pit

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Codes are entity key codes of one side's rows.
type Codes struct {
	// Code is the key code of each row.
	Code []uint64
	// Null marks rows with a null key part, or (left side) a key that no
	// right row has.
	Null []bool
}

// Keys encodes the key columns of both sides so that rows with equal key
// tuples get equal codes. Columns are paired in order; a pair must have the
// same type, or both be integers (compared by value), or both be strings.
// A single integer key is its own code; other keys are numbered by a
// dictionary built over the right side, and left keys absent from it are
// marked Null (they cannot match).
func Keys(left, right []*arrow.Chunked) (l, r Codes, err error) {
	if len(left) != len(right) || len(left) == 0 {
		return l, r, fmt.Errorf("pit: %d left and %d right key columns", len(left), len(right))
	}
	for i := range left {
		if err := compatible(left[i].DataType(), right[i].DataType()); err != nil {
			return l, r, fmt.Errorf("key %d: %w", i, err)
		}
	}
	if len(left) == 1 && isInt(left[0].DataType()) {
		lv, ln, lneg := Ints(left[0])
		rv, rn, rneg := Ints(right[0])
		// A uint64 above MaxInt64 can only equal a uint64: compare bits
		// when both sides are unsigned, else treat it as unmatched.
		signedMix := isSigned(left[0].DataType()) != isSigned(right[0].DataType())
		if signedMix {
			ln = orMask(ln, lneg, len(lv))
			rn = orMask(rn, rneg, len(rv))
		}
		return Codes{Code: asU64(lv), Null: ln}, Codes{Code: asU64(rv), Null: rn}, nil
	}
	enc := func(cols []*arrow.Chunked) ([][]byte, []bool) {
		n := int(cols[0].Len())
		keys := make([][]byte, n)
		var null []bool
		for _, c := range cols {
			row := 0
			for _, a := range c.Chunks() {
				for j := 0; j < a.Len(); j++ {
					if a.IsNull(j) {
						if null == nil {
							null = make([]bool, n)
						}
						null[row] = true
					} else {
						keys[row] = appendKey(keys[row], a, j)
					}
					row++
				}
			}
		}
		return keys, null
	}
	rk, rnull := enc(right)
	dict := make(map[string]uint64, len(rk))
	r = Codes{Code: make([]uint64, len(rk)), Null: rnull}
	for i, k := range rk {
		if rnull != nil && rnull[i] {
			continue
		}
		code, ok := dict[string(k)]
		if !ok {
			code = uint64(len(dict))
			dict[string(k)] = code
		}
		r.Code[i] = code
	}
	lk, lnull := enc(left)
	l = Codes{Code: make([]uint64, len(lk)), Null: lnull}
	for i, k := range lk {
		if lnull != nil && lnull[i] {
			continue
		}
		code, ok := dict[string(k)]
		if !ok {
			if l.Null == nil {
				l.Null = make([]bool, len(lk))
			}
			l.Null[i] = true
			continue
		}
		l.Code[i] = code
	}
	return l, r, nil
}

func orMask(a, b []bool, n int) []bool {
	if b == nil {
		return a
	}
	if a == nil {
		a = make([]bool, n)
	}
	for i, v := range b {
		a[i] = a[i] || v
	}
	return a
}

func asU64(v []int64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = uint64(x)
	}
	return out
}

// appendKey appends a canonical, self-delimiting encoding of a[j]: integers
// by value, strings and binaries by length and bytes, others by their
// storage value.
func appendKey(b []byte, a arrow.Array, j int) []byte {
	switch a := a.(type) {
	case *array.String:
		return appendBytes(append(b, 's'), a.Value(j))
	case *array.LargeString:
		return appendBytes(append(b, 's'), a.Value(j))
	case *array.StringView:
		return appendBytes(append(b, 's'), a.Value(j))
	case *array.Binary:
		return appendBytes(append(b, 'x'), string(a.Value(j)))
	case *array.Boolean:
		if a.Value(j) {
			return append(b, 'b', 1)
		}
		return append(b, 'b', 0)
	}
	if v, ok := intAt(a, j); ok {
		return binary.BigEndian.AppendUint64(append(b, 'i'), uint64(v))
	}
	if u, ok := a.(*array.Uint64); ok { // above MaxInt64
		return binary.BigEndian.AppendUint64(append(b, 'u'), u.Value(j))
	}
	return append(append(b, 'v'), a.ValueStr(j)...)
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func compatible(a, b arrow.DataType) error {
	switch {
	case arrow.TypeEqual(a, b):
		return nil
	case isInt(a) && isInt(b):
		return nil
	case isString(a) && isString(b):
		return nil
	}
	return fmt.Errorf("types %s and %s cannot be compared", a, b)
}

func isString(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

func isInt(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

func isSigned(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

// intAt returns a[j] as an int64 for integer, date and timestamp arrays
// (false for uint64 values above MaxInt64 and other types).
func intAt(a arrow.Array, j int) (int64, bool) {
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(j), true
	case *array.Int32:
		return int64(a.Value(j)), true
	case *array.Int16:
		return int64(a.Value(j)), true
	case *array.Int8:
		return int64(a.Value(j)), true
	case *array.Uint64:
		v := a.Value(j)
		return int64(v), v <= math.MaxInt64
	case *array.Uint32:
		return int64(a.Value(j)), true
	case *array.Uint16:
		return int64(a.Value(j)), true
	case *array.Uint8:
		return int64(a.Value(j)), true
	case *array.Date32:
		return int64(a.Value(j)), true
	case *array.Date64:
		return int64(a.Value(j)), true
	case *array.Timestamp:
		return int64(a.Value(j)), true
	}
	return 0, false
}

// Ints reads an integer, date or timestamp column as int64 storage values
// with its null mask (nil when there are no nulls). over marks uint64
// values above MaxInt64 (nil when there are none); their int64 is the same
// bits.
func Ints(c *arrow.Chunked) (vals []int64, null, over []bool) {
	n := c.Len()
	vals = make([]int64, n)
	if c.NullN() > 0 {
		null = make([]bool, n)
	}
	row := 0
	for _, a := range c.Chunks() {
		m := a.Len()
		dst := vals[row : row+m]
		switch a := a.(type) {
		case *array.Int64:
			copy(dst, a.Int64Values())
		case *array.Timestamp:
			for j, v := range a.TimestampValues() {
				dst[j] = int64(v)
			}
		case *array.Int32:
			for j, v := range a.Int32Values() {
				dst[j] = int64(v)
			}
		case *array.Date32:
			for j, v := range a.Date32Values() {
				dst[j] = int64(v)
			}
		case *array.Uint64:
			for j, v := range a.Uint64Values() {
				dst[j] = int64(v)
				if v > math.MaxInt64 {
					if over == nil {
						over = make([]bool, n)
					}
					over[row+j] = true
				}
			}
		default:
			for j := range m {
				dst[j], _ = intAt(a, j)
			}
		}
		if null != nil && a.NullN() > 0 {
			for j := range m {
				null[row+j] = a.IsNull(j)
			}
		}
		row += m
	}
	return vals, null, over
}

// TimeUnit returns the length of one storage unit of a time column type:
// a timestamp's unit, a day for date32, a millisecond for date64.
func TimeUnit(dt arrow.DataType) (time.Duration, error) {
	switch t := dt.(type) {
	case *arrow.TimestampType:
		return t.Unit.Multiplier(), nil
	case *arrow.Date32Type:
		return 24 * time.Hour, nil
	case *arrow.Date64Type:
		return time.Millisecond, nil
	}
	return 0, fmt.Errorf("type %s is not a timestamp or date", dt)
}

// Times reads a time column (see TimeUnit) in units of unit, which must
// divide the column's own unit. Values that overflow int64 in that unit are
// an error.
func Times(c *arrow.Chunked, unit time.Duration) ([]int64, []bool, error) {
	own, err := TimeUnit(c.DataType())
	if err != nil {
		return nil, nil, err
	}
	if unit <= 0 || own%unit != 0 {
		return nil, nil, fmt.Errorf("time unit %s does not divide %s", unit, own)
	}
	vals, null, _ := Ints(c)
	if mul := int64(own / unit); mul != 1 {
		lim := math.MaxInt64 / mul
		for i, v := range vals {
			if null != nil && null[i] {
				continue
			}
			if v > lim || v < -lim {
				return nil, nil, fmt.Errorf("row %d: time %d overflows at unit %s", i, v, unit)
			}
			vals[i] = v * mul
		}
	}
	return vals, null, nil
}

// Codes1 encodes the key columns of one side (see Keys): equal key tuples
// get equal codes.
func Codes1(cols []*arrow.Chunked) (Codes, error) {
	_, r, err := Keys(cols, cols)
	return r, err
}
