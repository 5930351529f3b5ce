package expr

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fromJSON(t testing.TB, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(memory.DefaultAllocator, dt, strings.NewReader(js))
	require.NoError(t, err)
	return a
}

// texts renders an array's values (nulls as "null").
func texts(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		out[i] = a.ValueStr(i)
		if a.IsNull(i) {
			out[i] = "null"
		}
	}
	return out
}

var (
	i8  = arrow.PrimitiveTypes.Int8
	i32 = arrow.PrimitiveTypes.Int32
	i64 = arrow.PrimitiveTypes.Int64
	u8  = arrow.PrimitiveTypes.Uint8
	u64 = arrow.PrimitiveTypes.Uint64
	f32 = arrow.PrimitiveTypes.Float32
	f64 = arrow.PrimitiveTypes.Float64
	str = arrow.BinaryTypes.String
	bln = arrow.FixedWidthTypes.Boolean
	d32 = arrow.FixedWidthTypes.Date32
)

func TestCast(t *testing.T) {
	tsS := &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}
	tsMs := &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	tsParis := &arrow.TimestampType{Unit: arrow.Second, TimeZone: "+01:00"}
	cases := []struct {
		name  string
		from  arrow.DataType
		in    string
		to    arrow.DataType
		lossy bool
		want  []string
		err   string // substring of the error; "" for success
	}{
		{"int widen", i32, `[1, null, -5]`, i64, false, []string{"1", "null", "-5"}, ""},
		{"int narrow ok", i64, `[127, -128, null]`, i8, false, []string{"127", "-128", "null"}, ""},
		{"int narrow overflow", i64, `[1, 128]`, i8, false, nil, "row 1: c: value 128: cannot cast to int8: out of range"},
		{"int narrow overflow lossy", i64, `[1, 128]`, i8, true, []string{"1", "null"}, ""},
		{"negative to unsigned", i64, `[-1]`, u8, false, nil, "out of range"},
		{"uint64 to int64", u64, `[18446744073709551615]`, i64, false, nil, "out of range"},
		{"float to int exact", f64, `[2.0, -3.0, null]`, i32, false, []string{"2", "-3", "null"}, ""},
		{"float fraction", f64, `[2.5]`, i32, false, nil, "value 2.5: cannot cast to int32: has a fractional part"},
		{"float fraction lossy truncates", f64, `[2.7, -2.7]`, i32, true, []string{"2", "-2"}, ""},
		{"float huge to int64", f64, `[9.3e18]`, i64, false, nil, "out of range"},
		{"float huge lossy null", f64, `[9.3e18, 1]`, i64, true, []string{"null", "1"}, ""},
		{"float to uint64 top", f64, `[1.8446744073709550e19]`, u64, false, []string{"18446744073709549568"}, ""},
		{"int to float", i64, `[9007199254740993]`, f64, false, []string{"9.007199254740992e+15"}, ""},
		{"float64 to float32 overflow", f64, `[1e300]`, f32, false, nil, "out of the float32 range"},
		{"float64 to float32 rounds", f64, `[0.1]`, f32, false, []string{"0.1"}, ""},
		{"bool to int", bln, `[true, false, null]`, i64, false, []string{"1", "0", "null"}, ""},
		{"int to bool", i64, `[0, 5, null]`, bln, false, []string{"false", "true", "null"}, ""},
		{"string to int", str, `["42", " 7", null]`, i64, false, nil, `row 1: c: value " 7": cannot cast to int64: not a number`},
		{"string to int lossy", str, `["42", "x", "300"]`, u8, true, []string{"42", "null", "null"}, ""},
		{"string to float", str, `["1.5", "NaN", "-1e3"]`, f64, false, []string{"1.5", "NaN", "-1000"}, ""},
		{"string to bool", str, `["true", "0", "T"]`, bln, false, []string{"true", "false", "true"}, ""},
		{"number to string", f64, `[0.1, 1e21, null]`, str, false, []string{"0.1", "1e+21", "null"}, ""},
		{"float32 to string", f32, `[0.1]`, str, false, []string{"0.1"}, ""},
		{"bool to string", bln, `[true]`, str, false, []string{"true"}, ""},
		{"string to timestamp", str, `["2024-01-30T10:00:00Z", "2024-01-30 11:00:00", "2024-01-30"]`, tsS, false,
			[]string{"2024-01-30T10:00:00Z", "2024-01-30T11:00:00Z", "2024-01-30T00:00:00Z"}, ""},
		{"string to timestamp in zone", str, `["2024-01-30T10:00:00"]`, tsParis, false, []string{"2024-01-30T10:00:00+01:00"}, ""},
		{"string to timestamp too precise", str, `["2024-01-30T10:00:00.5Z"]`, tsS, false, nil, "more precise than s"},
		{"string to timestamp bad", str, `["yesterday"]`, tsS, false, nil, `value "yesterday"`},
		{"timestamp to string", tsMs, `[1706608800123]`, str, false, []string{"2024-01-30T10:00:00.123Z"}, ""},
		{"timestamp finer", tsS, `[1, null]`, tsMs, false, []string{"1970-01-01T00:00:01Z", "null"}, ""},
		{"timestamp coarser exact", tsMs, `[2000]`, tsS, false, []string{"1970-01-01T00:00:02Z"}, ""},
		{"timestamp coarser inexact", tsMs, `[2500]`, tsS, false, nil, "more precise than s"},
		{"timestamp coarser lossy floors", tsMs, `[-1500]`, tsS, true, []string{"1969-12-31T23:59:58Z"}, ""},
		{"timestamp to date", tsS, `[86400]`, d32, false, []string{"1970-01-02"}, ""},
		{"timestamp to date with time", tsS, `[86401]`, d32, false, nil, "has a time of day"},
		{"timestamp to date lossy", tsS, `[-1]`, d32, true, []string{"1969-12-31"}, ""},
		{"date to timestamp", d32, `[1]`, tsParis, false, []string{"1970-01-02T00:00:00+01:00"}, ""},
		{"date to string", d32, `[19752]`, str, false, []string{"2024-01-30"}, ""},
		{"string to date", str, `["2024-01-30", "2024-01-30T00:00"]`, d32, true, []string{"2024-01-30", "null"}, ""},
		{"timestamp to int", tsMs, `[1500]`, i64, false, []string{"1500"}, ""},
		{"int to timestamp", i64, `[1500]`, tsMs, false, []string{"1970-01-01T00:00:01.5Z"}, ""},
		{"null to int", arrow.Null, `[null, null]`, i64, false, []string{"null", "null"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, CanCast(c.from, c.to))
			a := fromJSON(t, c.from, c.in)
			out, err := Cast(a, c.to, CastOptions{AllowLossy: c.lossy, Name: "c"})
			if c.err != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrLossy)
				assert.Contains(t, err.Error(), c.err)
				return
			}
			require.NoError(t, err)
			assert.True(t, arrow.TypeEqual(c.to, out.DataType()), "type %s", out.DataType())
			assert.Equal(t, c.want, texts(out))
		})
	}
}

func TestCastRowBaseAndSlices(t *testing.T) {
	a := fromJSON(t, i64, `[1, 2, 300, 4]`)
	s := array.NewSlice(a, 1, 4)
	_, err := Cast(s, i8, CastOptions{RowBase: 100, Name: "n"})
	require.ErrorIs(t, err, ErrLossy)
	var re *RowError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, int64(101), re.Row)
}

func TestCanCast(t *testing.T) {
	assert.Error(t, CanCast(arrow.ListOf(i64), str))
	assert.Error(t, CanCast(d32, bln))
	assert.Error(t, CanCast(i64, arrow.ListOf(i64)))
	assert.NoError(t, CanCast(&arrow.DictionaryType{IndexType: i32, ValueType: str}, i64))
}

func TestCastNaNToInt(t *testing.T) {
	a := makeFixed(f64, []float64{math.NaN(), math.Inf(1)}, nil)
	_, err := Cast(a, i64, CastOptions{Name: "x"})
	assert.ErrorContains(t, err, "not a finite number")
	out, err := Cast(a, i64, CastOptions{AllowLossy: true})
	require.NoError(t, err)
	assert.Equal(t, 2, out.NullN())
	_, err = Cast(a, bln, CastOptions{})
	assert.ErrorContains(t, err, "NaN")
}
