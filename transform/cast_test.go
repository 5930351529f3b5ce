package transform

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestCastTransform(t *testing.T) {
	s := rlSchema("amount", arrow.BinaryTypes.String, "n", arrow.PrimitiveTypes.Float64)
	tbl := rlTable(t, s, `[{"amount": "12.5", "n": 1}, {"amount": null, "n": 2.5}, {"amount": "x", "n": 1e20}, {"amount": "3", "n": null}]`, 2)

	_, err := rlTry(t, Cast("amount", arrow.PrimitiveTypes.Float64), tbl)
	require.ErrorIs(t, err, ErrLossy)
	assert.Contains(t, err.Error(), `row 2: column "amount": value "x": cannot cast to float64: not a number`)

	out := rlApply(t, Cast("amount", arrow.PrimitiveTypes.Float64).AllowLossy(), tbl)
	rlEqualValues(t, []any{12.5, nil, nil, 3.0}, rlValues(t, out, "amount"))
	assert.True(t, out.Schema().Field(0).Nullable)

	_, err = rlTry(t, Cast("n", arrow.PrimitiveTypes.Int32), tbl)
	require.ErrorIs(t, err, ErrLossy)
	assert.Contains(t, err.Error(), `row 1: column "n": value 2.5: cannot cast to int32: has a fractional part`)
	out = rlApply(t, Cast("n", arrow.PrimitiveTypes.Int32).AllowLossy(), tbl)
	rlEqualValues(t, []any{1, 2, nil, nil}, rlValues(t, out, "n"))

	// A cast that cannot fail keeps the nullability.
	ns := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int32}}, nil)
	out = rlApply(t, Cast("k", arrow.PrimitiveTypes.Int64).AllowLossy(), rlTable(t, ns, `[{"k": 1}]`, 0))
	assert.False(t, out.Schema().Field(0).Nullable)
	assert.Equal(t, "transform.cast", Cast("k", arrow.PrimitiveTypes.Int64).Spec().Name)
	assert.Equal(t, castConfig{Column: "k", To: "timestamp[ms,UTC]"}, Cast("k", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}).Spec().Config)
}

func TestCastPlanErrors(t *testing.T) {
	s := rlSchema("l", arrow.ListOf(arrow.PrimitiveTypes.Int64), "b", arrow.FixedWidthTypes.Boolean)
	for _, c := range []struct {
		tr  kiln.Transform
		col string
		msg string
	}{
		{Cast("nope", arrow.PrimitiveTypes.Int64), "nope", "missing"},
		{Cast("l", arrow.PrimitiveTypes.Int64), "l", "cannot cast list"},
		{Cast("b", arrow.FixedWidthTypes.Date32), "b", "cannot cast bool to date32"},
		{Cast("b", &arrow.Decimal128Type{Precision: 5, Scale: 2}), "b", "unsupported type"},
	} {
		_, err := c.tr.OutputSchema([]*arrow.Schema{s})
		require.Error(t, err)
		var se *kiln.SchemaError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, c.col, se.Column)
		assert.Contains(t, err.Error(), c.msg)
	}
}
