package expr

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Values under null slots are garbage: they must never raise errors.
func TestGarbageUnderNullsIgnored(t *testing.T) {
	valid := []byte{0b01} // row 0 valid, row 1 null
	a := makeFixed(i64, []int64{1, math.MaxInt64}, valid)
	s := arrow.NewSchema([]arrow.Field{{Name: "a", Type: i64, Nullable: true}}, nil)
	for _, n := range []*Node{
		{Op: "add", Args: []*Node{{Op: "col", Name: "a"}, {Op: "lit", Type: "int64", Value: strp("1")}}},
		{Op: "mul", Args: []*Node{{Op: "col", Name: "a"}, {Op: "col", Name: "a"}}},
		{Op: "cast", Type: "int8", Args: []*Node{{Op: "col", Name: "a"}}},
	} {
		p, err := Compile(n, s)
		require.NoError(t, err)
		out, err := p.Eval(Batch{Rows: 2, Cols: []arrow.Array{a}}, nil)
		require.NoError(t, err, n.String())
		assert.True(t, out.IsNull(1))
		assert.False(t, out.IsNull(0))
	}
	// The mask limits errors to the rows it holds.
	b := makeFixed(i64, []int64{1, math.MaxInt64}, nil)
	p, err := Compile(&Node{Op: "add", Args: []*Node{{Op: "col", Name: "a"}, {Op: "lit", Type: "int64", Value: strp("1")}}}, s)
	require.NoError(t, err)
	_, err = p.Eval(Batch{Rows: 2, RowBase: 10, Cols: []arrow.Array{b}}, nil)
	assert.ErrorIs(t, err, ErrOverflow)
	assert.ErrorContains(t, err, "row 11")
	_, err = p.Eval(Batch{Rows: 2, Cols: []arrow.Array{b}}, []byte{0b01})
	assert.NoError(t, err)
}

func TestNodeString(t *testing.T) {
	n := &Node{Op: "and", Args: []*Node{
		{Op: "is_null", Args: []*Node{{Op: "col", Name: "weird name"}}},
		{Op: "regexp_match", Param: "it's", Args: []*Node{{Op: "lit", Type: "utf8", Value: strp("x")}}},
	}}
	assert.Equal(t, `(("weird name" IS NULL) AND regexp_matches('x', 'it''s'))`, n.String())
	assert.Equal(t, []string{"weird name"}, n.Columns())
	assert.ErrorContains(t, (&Node{Op: "frobnicate"}).check(), "unknown operator")
	assert.ErrorContains(t, (&Node{Op: "add", Args: []*Node{{Op: "col", Name: "a"}}}).check(), "takes 2 operand(s)")
	assert.ErrorContains(t, (&Node{Op: "lit", Type: "decimal"}).check(), "unsupported type")
}
