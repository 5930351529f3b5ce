package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Column access for kernels outside this package (the preprocessing steps
// of package transform). Validity bitmaps start at bit 0; nil means no
// nulls.

// Float64s returns the values of a numeric (or bool, or dictionary of
// numeric) array as float64, with its validity.
func Float64s(a arrow.Array) ([]float64, []byte, error) {
	a, err := decoded(a)
	if err != nil {
		return nil, nil, err
	}
	if a.DataType().ID() == arrow.FLOAT64 {
		return fixedValues[float64](a), validity(a), nil
	}
	k := catOf(a.DataType())
	if !isNumeric(k) && k != catBool {
		return nil, nil, fmt.Errorf("want numbers, got %s", TypeName(a.DataType()))
	}
	s, err := loadNumeric(a)
	if err != nil {
		return nil, nil, err
	}
	return toFloat64(s), validity(a), nil
}

// Int64s returns the values of an integer (or dictionary of integer) array
// as int64, with its validity. uint64 values above the int64 range are an
// error naming the row (RowBase 0).
func Int64s(a arrow.Array, name string) ([]int64, []byte, error) {
	a, err := decoded(a)
	if err != nil {
		return nil, nil, err
	}
	if a.DataType().ID() == arrow.INT64 {
		return fixedValues[int64](a), validity(a), nil
	}
	if !isInteger(catOf(a.DataType())) {
		return nil, nil, fmt.Errorf("want integers, got %s", TypeName(a.DataType()))
	}
	c, err := castArray(a, arrow.PrimitiveTypes.Int64, castOpts{text: name})
	if err != nil {
		return nil, nil, err
	}
	return fixedValues[int64](c), validity(c), nil
}

// Strings gives allocation-free access to string values.
type Strings struct{ v strVec }

// Value returns the bytes of value i (valid until the array is released).
func (s Strings) Value(i int) []byte { return s.v.value(i) }

// StringsOf returns the values of a string-typed (or dictionary of string)
// array, with its validity.
func StringsOf(a arrow.Array) (Strings, []byte, error) {
	a, err := decoded(a)
	if err != nil {
		return Strings{}, nil, err
	}
	if catOf(a.DataType()) != catString {
		return Strings{}, nil, fmt.Errorf("want strings, got %s", TypeName(a.DataType()))
	}
	return Strings{v: stringsOf(a)}, validity(a), nil
}

func decoded(a arrow.Array) (arrow.Array, error) {
	if a.DataType().ID() == arrow.DICTIONARY {
		return decodeDictionary(a)
	}
	return a, nil
}

// IsCategorical reports whether a column type can be a categorical key:
// strings or integers (possibly dictionary encoded). It returns the key
// kind: "utf8" or "int64".
func IsCategorical(dt arrow.DataType) (string, bool) {
	if d, ok := dt.(*arrow.DictionaryType); ok {
		dt = d.ValueType
	}
	switch k := catOf(dt); {
	case k == catString:
		return "utf8", true
	case isInteger(k):
		return "int64", true
	}
	return "", false
}

// IsNumber reports whether a column type is numeric (possibly dictionary
// encoded).
func IsNumber(dt arrow.DataType) bool {
	if d, ok := dt.(*arrow.DictionaryType); ok {
		dt = d.ValueType
	}
	return isNumeric(catOf(dt))
}

// Valid reports whether bit i of a validity bitmap is set (nil: all are).
func Valid(valid []byte, i int) bool { return valid == nil || getBit(valid, i) }

// NewBitmap returns a bitmap of n cleared bits.
func NewBitmap(n int) []byte { return make([]byte, bitmapBytes(n)) }

// SetBit sets bit i of bm.
func SetBit(bm []byte, i int) { setBit(bm, i) }

// NewFloat64 wraps values and validity (nil: no nulls) into an array.
func NewFloat64(vals []float64, valid []byte) arrow.Array {
	return makeFixed(arrow.PrimitiveTypes.Float64, vals, valid)
}

// NewInt64 wraps values and validity into an array.
func NewInt64(vals []int64, valid []byte) arrow.Array {
	return makeFixed(arrow.PrimitiveTypes.Int64, vals, valid)
}

// NewInt8 wraps values and validity into an array.
func NewInt8(vals []int8, valid []byte) arrow.Array {
	return makeFixed(arrow.PrimitiveTypes.Int8, vals, valid)
}

// LitArray parses a literal node's value into a length-1 array of its
// type.
func LitArray(n *Node) (arrow.Array, error) {
	dt, err := ParseType(n.Type)
	if err != nil {
		return nil, err
	}
	return litArray(dt, n.Value)
}
