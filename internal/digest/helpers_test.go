package digest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// testTypes are the types exercised by the property tests, one per
// supported layout, with nested combinations.
var testTypes = []arrow.DataType{
	arrow.Null,
	arrow.FixedWidthTypes.Boolean,
	arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
	arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64,
	arrow.FixedWidthTypes.Float16, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64,
	arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.StringView,
	arrow.BinaryTypes.Binary, arrow.BinaryTypes.LargeBinary, arrow.BinaryTypes.BinaryView,
	&arrow.FixedSizeBinaryType{ByteWidth: 3},
	arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date64,
	arrow.FixedWidthTypes.Time32ms, arrow.FixedWidthTypes.Time64ns,
	&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
	arrow.FixedWidthTypes.Duration_ms,
	arrow.FixedWidthTypes.MonthInterval, arrow.FixedWidthTypes.DayTimeInterval, arrow.FixedWidthTypes.MonthDayNanoInterval,
	&arrow.Decimal32Type{Precision: 7, Scale: 2},
	&arrow.Decimal64Type{Precision: 15, Scale: 3},
	&arrow.Decimal128Type{Precision: 20, Scale: 4},
	&arrow.Decimal256Type{Precision: 40, Scale: 5},
	&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String},
	&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint8, ValueType: arrow.PrimitiveTypes.Float64},
	arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "c", Type: arrow.FixedWidthTypes.Boolean, Nullable: false},
	),
	arrow.ListOf(arrow.PrimitiveTypes.Int32),
	arrow.LargeListOf(arrow.BinaryTypes.String),
	arrow.ListViewOf(arrow.PrimitiveTypes.Int16),
	arrow.LargeListViewOf(arrow.PrimitiveTypes.Float32),
	arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Int64),
	arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64),
	arrow.ListOf(arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float64), Nullable: true},
		arrow.Field{Name: "y", Type: arrow.ListOf(arrow.BinaryTypes.LargeString), Nullable: true},
	)),
}

// genValue returns a random JSON-marshalable value of type dt (nil for a
// null with probability pNull).
func genValue(r *rand.Rand, dt arrow.DataType, pNull float64) any {
	if dt.ID() != arrow.NULL && r.Float64() < pNull {
		return nil
	}
	switch t := dt.(type) {
	case *arrow.NullType:
		return nil
	case *arrow.BooleanType:
		return r.IntN(2) == 1
	case *arrow.Int8Type:
		return int8(r.Uint32())
	case *arrow.Int16Type:
		return int16(r.Uint32())
	case *arrow.MonthIntervalType:
		return map[string]any{"months": int32(r.Uint32())}
	case *arrow.Int32Type, *arrow.Date32Type:
		return int32(r.Uint32())
	case *arrow.Int64Type, *arrow.Date64Type, *arrow.TimestampType, *arrow.DurationType:
		return int64(r.Uint64())
	case *arrow.Time32Type:
		return r.IntN(86400 * 1000)
	case *arrow.Time64Type:
		return r.Int64N(86400 * 1e9)
	case *arrow.Uint8Type:
		return uint8(r.Uint32())
	case *arrow.Uint16Type:
		return uint16(r.Uint32())
	case *arrow.Uint32Type:
		return r.Uint32()
	case *arrow.Uint64Type:
		return r.Uint64()
	case *arrow.Float16Type:
		return float64(r.IntN(2000)-1000) / 8
	case *arrow.Float32Type:
		return float32(r.NormFloat64() * 100)
	case *arrow.Float64Type:
		if r.IntN(10) == 0 {
			return math.Copysign(0, -1)
		}
		return r.NormFloat64() * 1e6
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return randString(r)
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		return base64.StdEncoding.EncodeToString([]byte(randString(r)))
	case *arrow.FixedSizeBinaryType:
		b := make([]byte, t.ByteWidth)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return base64.StdEncoding.EncodeToString(b)
	case *arrow.DayTimeIntervalType:
		return map[string]any{"days": int32(r.Uint32()), "milliseconds": int32(r.Uint32())}
	case *arrow.MonthDayNanoIntervalType:
		return map[string]any{"months": int32(r.Uint32()), "days": int32(r.Uint32()), "nanoseconds": int64(r.Uint64())}
	case arrow.DecimalType:
		digits := int(t.GetPrecision()) - int(t.GetScale())
		ip := r.Int64N(int64(math.Pow10(min(digits, 15))))
		fp := r.Int64N(int64(math.Pow10(int(t.GetScale()))))
		sign := ""
		if r.IntN(2) == 0 {
			sign = "-"
		}
		return fmt.Sprintf("%s%d.%0*d", sign, ip, int(t.GetScale()), fp)
	case *arrow.DictionaryType:
		// Few distinct values so that indices repeat.
		return genValue(rand.New(rand.NewPCG(uint64(r.IntN(7)), 1)), t.ValueType, 0)
	case *arrow.StructType:
		m := map[string]any{}
		for _, f := range t.Fields() {
			m[f.Name] = genValue(r, f.Type, nullProb(f.Nullable, pNull))
		}
		return m
	case *arrow.MapType:
		n := r.IntN(4)
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{
				"key":   genValue(r, t.KeyType(), 0),
				"value": genValue(r, t.ItemType(), nullProb(t.ItemField().Nullable, pNull)),
			}
		}
		return out
	case *arrow.FixedSizeListType:
		out := make([]any, t.Len())
		for i := range out {
			out[i] = genValue(r, t.Elem(), nullProb(t.ElemField().Nullable, pNull))
		}
		return out
	case arrow.ListLikeType:
		n := r.IntN(5)
		out := make([]any, n)
		for i := range out {
			out[i] = genValue(r, t.Elem(), nullProb(t.ElemField().Nullable, pNull))
		}
		return out
	}
	panic(fmt.Sprintf("genValue: unhandled type %s", dt))
}

func nullProb(nullable bool, p float64) float64 {
	if nullable {
		return p
	}
	return 0
}

func randString(r *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzé€😀"
	n := r.IntN(20)
	if r.IntN(8) == 0 {
		n = 0
	}
	var sb strings.Builder
	runes := []rune(alphabet)
	for i := 0; i < n; i++ {
		sb.WriteRune(runes[r.IntN(len(runes))])
	}
	return sb.String()
}

func genValues(r *rand.Rand, dt arrow.DataType, n int, pNull float64) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = genValue(r, dt, pNull)
	}
	return out
}

// fromValues builds an Arrow array of dt from JSON-marshalable values.
func fromValues(t testing.TB, dt arrow.DataType, vals []any) arrow.Array {
	t.Helper()
	if vals == nil {
		vals = []any{}
	}
	if d, ok := dt.(*arrow.DictionaryType); ok {
		return dictEncode(t, d, vals)
	}
	js, err := json.Marshal(vals)
	require.NoError(t, err)
	arr, _, err := array.FromJSON(memory.DefaultAllocator, dt, strings.NewReader(string(js)))
	require.NoError(t, err, "building %s from %s", dt, js)
	return arr
}

// randomCuts returns sorted cut points splitting [0, n) into random pieces.
func randomCuts(r *rand.Rand, n int) []int {
	cuts := []int{0}
	for c := 0; c < n; {
		c = min(n, c+r.IntN(max(2, n/3)+1))
		cuts = append(cuts, c)
	}
	if cuts[len(cuts)-1] != n {
		cuts = append(cuts, n)
	}
	return cuts
}

// layouts returns the same logical column in several physical layouts:
// one chunk, slices of one array at random offsets, chunks built
// separately, a slice of an array with a junk prefix, and a concatenation.
func layouts(t testing.TB, r *rand.Rand, dt arrow.DataType, vals []any) map[string]*arrow.Chunked {
	t.Helper()
	n := len(vals)
	full := fromValues(t, dt, vals)
	out := map[string]*arrow.Chunked{}
	out["single"] = arrow.NewChunked(dt, []arrow.Array{full})

	var sliced, built []arrow.Array
	cuts := randomCuts(r, n)
	for i := 1; i < len(cuts); i++ {
		sliced = append(sliced, array.NewSlice(full, int64(cuts[i-1]), int64(cuts[i])))
	}
	cuts = randomCuts(r, n)
	for i := 1; i < len(cuts); i++ {
		built = append(built, fromValues(t, dt, vals[cuts[i-1]:cuts[i]]))
	}
	// An empty chunk in the middle must not matter either.
	built = append(built[:len(built)/2], append([]arrow.Array{fromValues(t, dt, nil)}, built[len(built)/2:]...)...)
	out["sliced"] = arrow.NewChunked(dt, sliced)
	out["built"] = arrow.NewChunked(dt, built)

	junk := genValues(r, dt, 1+r.IntN(13), 0.3)
	padded := fromValues(t, dt, append(append(junk, vals...), genValues(r, dt, r.IntN(5), 0.3)...))
	out["offset"] = arrow.NewChunked(dt, []arrow.Array{array.NewSlice(padded, int64(len(junk)), int64(len(junk)+n))})

	if dt.ID() != arrow.LIST_VIEW && dt.ID() != arrow.LARGE_LIST_VIEW && len(sliced) > 0 {
		cat, err := array.Concatenate(sliced, memory.DefaultAllocator)
		require.NoError(t, err)
		out["concat"] = arrow.NewChunked(dt, []arrow.Array{cat})
	}
	return out
}

// hashColumn returns the content hash of a one-column table.
func hashColumn(t testing.TB, name string, dt arrow.DataType, nullable bool, col *arrow.Chunked) Sum {
	t.Helper()
	s, err := Columns(arrow.NewSchema([]arrow.Field{{Name: name, Type: dt, Nullable: nullable}}, nil), []*arrow.Chunked{col})
	require.NoError(t, err)
	return s
}

// hashValues returns the content hash of a one-column table built from
// JSON-marshalable values.
func hashValues(t testing.TB, dt arrow.DataType, vals []any) Sum {
	t.Helper()
	arr := fromValues(t, dt, vals)
	return hashColumn(t, "c", dt, true, arrow.NewChunked(dt, []arrow.Array{arr}))
}

// dictEncode builds a dictionary array of vals by hand (arrow's
// dictionary builder does not support every value type). Dictionary
// entries are in order of first appearance.
func dictEncode(t testing.TB, dt *arrow.DictionaryType, vals []any) arrow.Array {
	t.Helper()
	seen := map[string]int{}
	var distinct []any
	idx := make([]any, len(vals))
	for i, v := range vals {
		if v == nil {
			continue
		}
		js, err := json.Marshal(v)
		require.NoError(t, err)
		k, ok := seen[string(js)]
		if !ok {
			k = len(distinct)
			seen[string(js)] = k
			distinct = append(distinct, v)
		}
		idx[i] = k
	}
	dict := fromValues(t, dt.ValueType, distinct)
	indices := fromValues(t, dt.IndexType, idx)
	return array.NewDictionaryArray(dt, indices, dict)
}
