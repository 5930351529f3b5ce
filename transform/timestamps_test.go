package transform

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestToUTC(t *testing.T) {
	paris := &arrow.TimestampType{Unit: arrow.Second, TimeZone: "Europe/Paris"}
	naive := &arrow.TimestampType{Unit: arrow.Second}
	s := rlSchema("p", paris, "n", naive)
	// n: 2024-03-10T02:30 (a New York gap), 2024-11-03T01:30 (the repeated hour), 2024-01-15T12:00.
	tbl := rlTable(t, s, `[
		{"p": 1710037800, "n": 1710037800},
		{"p": 1730597400, "n": 1730597400},
		{"p": null, "n": 1705320000}
	]`, 2)
	out := rlApply(t, ToUTC("p"), tbl)
	rlTypeIs(t, &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, out.Schema().Field(0).Type)
	rlEqualValues(t, rlValues(t, tbl, "p"), rlValues(t, out, "p"), "instants kept")

	_, err := ToUTC("n").OutputSchema([]*arrow.Schema{s})
	var se *kiln.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "n", se.Column)
	assert.Contains(t, err.Error(), "Assume(zone)")
	_, err = ToUTC("p").Assume("UTC").OutputSchema([]*arrow.Schema{s})
	assert.ErrorContains(t, err, "already has time zone")
	_, err = ToUTC("n").Assume("Atlantis").OutputSchema([]*arrow.Schema{s})
	assert.ErrorContains(t, err, "unknown time zone")

	out, err = rlTry(t, ToUTC("n").Assume("America/New_York"), tbl)
	if err != nil {
		t.Skip("no time zone database: ", err)
	}
	// Gap: 02:30 -> 03:30 EDT = 07:30Z. Overlap: 01:30 EDT = 05:30Z. Winter: 12:00 EST = 17:00Z.
	rlEqualValues(t, []any{1710055800, 1730611800, 1705338000}, rlValues(t, out, "n"))
	out = rlApply(t, ToUTC("n").Assume("+02:00"), tbl)
	rlEqualValues(t, []any{1710037800 - 7200, 1730597400 - 7200, 1705320000 - 7200}, rlValues(t, out, "n"))
}

func TestParseTimestamp(t *testing.T) {
	s := rlSchema("s", arrow.BinaryTypes.String, "k", arrow.PrimitiveTypes.Int64)
	tbl := rlTable(t, s, `[
		{"s": "2024-01-30T10:00:00Z", "k": 1},
		{"s": "2024-01-30 10:00:00.123456", "k": 2},
		{"s": null, "k": 3},
		{"s": "2024-01-30T12:00:00+02:00", "k": 4},
		{"s": "2024-01-30", "k": 5}
	]`, 2)
	const base = 1706608800_000000 // 2024-01-30T10:00:00Z in µs
	out := rlApply(t, ParseTimestamp("s"), tbl)
	rlTypeIs(t, rlTS, out.Schema().Field(0).Type)
	rlEqualValues(t, []any{base, base + 123456, nil, base, base - 36000_000000}, rlValues(t, out, "s"))

	out = rlApply(t, ParseTimestamp("s").Zone("+01:00").Unit(arrow.Millisecond).AllowLossy().As("ts"), tbl)
	assert.Equal(t, []string{"s", "k", "ts"}, rlNames(out.Schema()))
	rlEqualValues(t, []any{base / 1000, base/1000 - 3600_000 + 123, nil, base / 1000, base/1000 - 36000_000 - 3600_000}, rlValues(t, out, "ts"))

	_, err := rlTry(t, ParseTimestamp("s").Unit(arrow.Second), tbl)
	require.ErrorIs(t, err, ErrLossy)
	assert.Contains(t, err.Error(), `row 1: column "s": value "2024-01-30 10:00:00.123456": cannot parse as timestamp[s,UTC]: more precise than s`)

	lay := rlTable(t, s, `[{"s": "30/01/2024 10:00", "k": 1}, {"s": "bad", "k": 2}]`, 0)
	_, err = rlTry(t, ParseTimestamp("s").Layout("02/01/2006 15:04"), lay)
	assert.ErrorContains(t, err, `row 1: column "s": value "bad"`)
	out = rlApply(t, ParseTimestamp("s").Layout("02/01/2006 15:04").AllowLossy(), lay)
	rlEqualValues(t, []any{base, nil}, rlValues(t, out, "s"))
	out = rlApply(t, ParseTimestamp("s").Layout("02/01/2006 15:04").Zone("-01:00").AllowLossy(), lay)
	rlEqualValues(t, []any{base + 3600_000000, nil}, rlValues(t, out, "s"))
	lz := rlTable(t, s, `[{"s": "30/01/2024 10:00 +0100", "k": 1}]`, 0)
	out = rlApply(t, ParseTimestamp("s").Layout("02/01/2006 15:04 -0700"), lz)
	rlEqualValues(t, []any{base - 3600_000000}, rlValues(t, out, "s"))

	_, err = ParseTimestamp("k").OutputSchema([]*arrow.Schema{s})
	var se *kiln.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "k", se.Column)
}

func TestFromEpoch(t *testing.T) {
	s := rlSchema("sec", arrow.PrimitiveTypes.Int64, "ms", arrow.PrimitiveTypes.Int32, "f", arrow.PrimitiveTypes.Float64)
	tbl := rlTable(t, s, `[
		{"sec": 1706608800, "ms": 1500, "f": 1706608800.1234567},
		{"sec": null, "ms": -1, "f": null},
		{"sec": -1, "ms": 2000, "f": -0.0000004}
	]`, 2)
	out := rlApply(t, FromEpoch("sec", arrow.Second), tbl)
	rlTypeIs(t, &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}, out.Schema().Field(0).Type)
	rlEqualValues(t, []any{1706608800, nil, -1}, rlValues(t, out, "sec"))

	out = rlApply(t, FromEpoch("ms", arrow.Millisecond).To(arrow.Microsecond).As("t"), tbl)
	rlEqualValues(t, []any{1_500_000, -1000, 2_000_000}, rlValues(t, out, "t"))
	_, err := rlTry(t, FromEpoch("ms", arrow.Millisecond).To(arrow.Second), tbl)
	require.ErrorIs(t, err, ErrLossy)
	assert.Contains(t, err.Error(), "row 0")
	out = rlApply(t, FromEpoch("ms", arrow.Millisecond).To(arrow.Second).AllowLossy(), tbl)
	rlEqualValues(t, []any{1, -1, 2}, rlValues(t, out, "ms"))

	out = rlApply(t, FromEpoch("f", arrow.Second).To(arrow.Microsecond), tbl)
	rlEqualValues(t, []any{1706608800123457, nil, 0}, rlValues(t, out, "f"))

	bad := rlFloatTable(t, rlSchema("f", arrow.PrimitiveTypes.Float64, "g", arrow.PrimitiveTypes.Float64), [][2]float64{{1, 0}, {math.NaN(), 0}, {1e300, 0}})
	_, err = rlTry(t, FromEpoch("f", arrow.Second), bad)
	require.ErrorIs(t, err, ErrLossy)
	assert.Contains(t, err.Error(), "row 1")
	out = rlApply(t, FromEpoch("f", arrow.Second).AllowLossy(), bad)
	rlEqualValues(t, []any{1, nil, nil}, rlValues(t, out, "f"))

	_, err = FromEpoch("f", arrow.TimeUnit(9)).OutputSchema([]*arrow.Schema{s})
	assert.Error(t, err)
}
