package transform

import (
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestFillNulls(t *testing.T) {
	s := rlSchema("f", arrow.PrimitiveTypes.Float64, "i", arrow.PrimitiveTypes.Int32, "s", arrow.BinaryTypes.String,
		"ts", rlTS, "b", arrow.FixedWidthTypes.Boolean)
	tbl := rlTable(t, s, `[
		{"f": null, "i": null, "s": null, "ts": null, "b": null},
		{"f": 1.5, "i": 2, "s": "x", "ts": 5, "b": true}
	]`, 1)
	out := rlApply(t, FillNulls(map[string]any{"f": 0, "i": 7, "s": "unknown", "ts": time.Unix(1, 0), "b": false}), tbl)
	rlEqualValues(t, []any{0.0, 1.5}, rlValues(t, out, "f"))
	rlEqualValues(t, []any{7, 2}, rlValues(t, out, "i"))
	rlEqualValues(t, []any{"unknown", "x"}, rlValues(t, out, "s"))
	rlEqualValues(t, []any{1_000_000, 5}, rlValues(t, out, "ts"))
	rlEqualValues(t, []any{false, true}, rlValues(t, out, "b"))
	for _, f := range out.Schema().Fields() {
		assert.False(t, f.Nullable, f.Name)
	}
	assert.Equal(t, arrow.PrimitiveTypes.Int32, out.Schema().Field(1).Type)

	// NaN is not null.
	nan := rlFloatTable(t, rlSchema("f", arrow.PrimitiveTypes.Float64, "g", arrow.PrimitiveTypes.Float64), [][2]float64{{math.NaN(), 0}})
	out = rlApply(t, FillNulls(map[string]any{"f": 0.0}), nan)
	assert.True(t, math.IsNaN(rlValues(t, out, "f")[0].(float64)))

	for _, c := range []struct {
		fills map[string]any
		col   string
		msg   string
	}{
		{map[string]any{"i": 0.5}, "", "has a fractional part"},
		{map[string]any{"i": 1 << 40}, "", "out of range"},
		{map[string]any{"nope": 1}, "nope", "missing"},
		{map[string]any{"i": nil}, "i", "nil"},
		{map[string]any{"s": 1}, "s", "cannot be filled with a int64"},
	} {
		_, err := FillNulls(c.fills).OutputSchema([]*arrow.Schema{s})
		require.Error(t, err, c.fills)
		assert.Contains(t, err.Error(), c.msg)
		assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
	}
}

func TestDropNulls(t *testing.T) {
	tbl := rlExprTable(t, 1)
	out := rlApply(t, DropNulls("i"), tbl)
	rlEqualValues(t, []any{1, -3, 9223372036854775807}, rlValues(t, out, "i"))
	rlEqualValues(t, []any{"Apple", "  pear ", ""}, rlValues(t, out, "s"))
	assert.False(t, out.Schema().Field(0).Nullable)
	assert.True(t, out.Schema().Field(1).Nullable)

	out = rlApply(t, DropNulls(), tbl)
	rlEqualValues(t, []any{1, -3}, rlValues(t, out, "i"))

	// No nulls at all: the input passes through.
	clean := rlApply(t, DropNulls("i", "j", "s"), out)
	assert.Equal(t, out.NumRows(), clean.NumRows())

	_, err := DropNulls("nope").OutputSchema([]*arrow.Schema{tbl.Schema()})
	var se *kiln.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "nope", se.Column)

	l, err := DropNulls("j").ColumnLineage([]*arrow.Schema{tbl.Schema()})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{{Column: "i", Kind: "DIRECT", Subtype: "IDENTITY"}, {Column: "j", Kind: "INDIRECT", Subtype: "FILTER"}}, l["i"])
}
