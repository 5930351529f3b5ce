package digest

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// regressColumn is one column of a pinned table, given as Arrow JSON.
type regressColumn struct {
	name     string
	dt       arrow.DataType
	nullable bool
	json     string
}

// regressTables are small fixed tables whose content hashes are pinned in
// TestRegression. Do not edit them: add new cases instead.
var regressTables = []struct {
	name string
	cols []regressColumn
	want string
}{
	// DO NOT CHANGE THE WANT VALUES. They pin the on-disk content hash
	// contract: every committed manifest stores content hashes computed
	// this way, and a changed value here means every stored partition
	// would suddenly fail verification. If a change to the package makes
	// this test fail, the change is wrong (or needs a new domain version,
	// "kiln.content.v2", and a migration plan), not this test.
	{"no columns", nil,
		"blake3:edf97834149360763f6efd97a4e05c2608540010cd10a3ad0a88c1ee826ecee7"},
	{"empty int64", []regressColumn{
		{"a", arrow.PrimitiveTypes.Int64, false, `[]`},
	}, "blake3:b2401de7bc5acf3006bde5e3b649375dbec5e469e895b969afb70b075a6c0a8a"},
	{"primitives", []regressColumn{
		{"id", arrow.PrimitiveTypes.Int64, false, `[1, 2, 3, -9223372036854775808, 9223372036854775807]`},
		{"u8", arrow.PrimitiveTypes.Uint8, true, `[0, null, 255, 7, 8]`},
		{"flag", arrow.FixedWidthTypes.Boolean, true, `[true, false, null, true, true]`},
		{"f32", arrow.PrimitiveTypes.Float32, true, `[1.5, -0.0, 0.0, null, 3.25]`},
		{"day", arrow.FixedWidthTypes.Date32, true, `[19000, 19001, null, 0, -1]`},
		{"ts", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, false, `[0, 1, 1700000000000000, 2, 3]`},
		{"price", &arrow.Decimal128Type{Precision: 10, Scale: 2}, true, `["1.00", "-12345678.99", null, "0.01", "3.14"]`},
	}, "blake3:1261461020a9496393feed1faa00b7ca747b98ab89f7cdb17c5cfb5b902d5ec9"},
	{"strings", []regressColumn{
		{"s", arrow.BinaryTypes.String, true, `["", "a", null, "héllo wörld, a longer string", "😀"]`},
		{"b", arrow.BinaryTypes.Binary, true, `["AAEC", null, "", "/w==", "a2lsbg=="]`},
		{"fsb", &arrow.FixedSizeBinaryType{ByteWidth: 2}, true, `["AAE=", null, "//8=", "a2k=", "AAA="]`},
		{"dict", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, true, `["x", "y", "x", null, "z"]`},
	}, "blake3:9510cfde4d3fe420072c8c86bcc12a13f9b6bbb40a309e3a6bf28652afef86a1"},
	{"nested", []regressColumn{
		{"l", arrow.ListOf(arrow.PrimitiveTypes.Int32), true, `[[1, 2], [], null, [null, 3]]`},
		{"st", arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			arrow.Field{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: false},
		), true, `[{"x": 1.5, "tag": "a"}, null, {"x": null, "tag": "b"}, {"x": -2, "tag": ""}]`},
		{"m", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), true,
			`[[{"key": "a", "value": 1}], null, [], [{"key": "b", "value": null}, {"key": "c", "value": 3}]]`},
		{"fsl", arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Int16), true, `[[1, 2], null, [3, null], [5, 6]]`},
		{"ll", arrow.LargeListOf(arrow.ListOf(arrow.BinaryTypes.String)), true, `[[["a"], []], null, [null], []]`},
	}, "blake3:8395ec5dfbd1de65719afbd0434ed37ce1511937e61ec0e4a1a37c7542a44529"},
}

func TestRegression(t *testing.T) {
	for _, tc := range regressTables {
		t.Run(tc.name, func(t *testing.T) {
			var fields []arrow.Field
			var cols []*arrow.Chunked
			for _, c := range tc.cols {
				arr, _, err := array.FromJSON(memory.DefaultAllocator, c.dt, strings.NewReader(c.json))
				require.NoError(t, err)
				fields = append(fields, arrow.Field{Name: c.name, Type: c.dt, Nullable: c.nullable})
				cols = append(cols, chunked(arr))
			}
			schema := arrow.NewSchema(fields, nil)
			got, err := Columns(schema, cols)
			require.NoError(t, err)
			require.Equal(t, tc.want, got.String(), "content hash of pinned table %q changed", tc.name)
			require.Equal(t, tc.want, refContent(t, schema, cols).String(), "reference implementation disagrees")
		})
	}
}

// TestRegressionNaN pins the canonical NaN: a float64 column with several
// NaN payloads, Inf and both zeros.
func TestRegressionNaN(t *testing.T) {
	// DO NOT CHANGE (see regressTables).
	const want = "blake3:f11fa47690350ec542f201fa7d7d290b2d5bb8da643aaebbc8ec82561351180b"
	vals := []uint64{0x7FF8000000000000, 0xFFF8000000000001, 0x7FF0000000000001,
		math.Float64bits(math.Inf(1)), 0, 0x8000000000000000}
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[i*8:], v)
	}
	col := chunked(newArray(arrow.PrimitiveTypes.Float64, len(vals), 0, [][]byte{nil, b}))
	got := hashColumn(t, "f", arrow.PrimitiveTypes.Float64, true, col)
	require.Equal(t, want, got.String())
}

// TestRegressionBuilder pins the Builder encoding.
func TestRegressionBuilder(t *testing.T) {
	// DO NOT CHANGE (see regressTables): fingerprints are Builder digests.
	const want = "blake3:3bfd3c6b01f37fd3143be8851ff33462320ed18e3e950d3bd13d53666594864f"
	got := NewBuilder("kiln.test.v1").String("s", "v").Bytes("b", []byte{0, 1}).Uint("u", 42).
		Int("i", -1).Bool("t", true).Sum("h", Bytes([]byte("abc"))).Digest()
	require.Equal(t, want, got.String())
}
