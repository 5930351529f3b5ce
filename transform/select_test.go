package transform

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestSelectRenameDrop(t *testing.T) {
	tbl := rlExprTable(t, 2)
	out := rlApply(t, Select("s", "i"), tbl)
	assert.Equal(t, []string{"s", "i"}, rlNames(out.Schema()))
	rlEqualValues(t, []any{"Apple", nil, "  pear ", ""}, rlValues(t, out, "s"))
	// No copy: the chunks are the input's.
	assert.Same(t, tbl.Column(3).Data().Chunk(0), out.Column(0).Data().Chunk(0))

	out = rlApply(t, Rename(map[string]string{"i": "id", "s": "name"}), tbl)
	assert.Equal(t, []string{"id", "j", "f", "name", "b"}, rlNames(out.Schema()))
	rlEqualValues(t, rlValues(t, tbl, "i"), rlValues(t, out, "id"))

	out = rlApply(t, DropColumns("j", "b"), tbl)
	assert.Equal(t, []string{"i", "f", "s"}, rlNames(out.Schema()))
	assert.Equal(t, tbl.NumRows(), out.NumRows())

	l, err := Rename(map[string]string{"i": "id"}).ColumnLineage([]*arrow.Schema{tbl.Schema()})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{{Column: "i", Kind: "DIRECT", Subtype: "IDENTITY"}}, l["id"])
}

func TestSelectErrors(t *testing.T) {
	s := rlExprTable(t, 0).Schema()
	for _, c := range []struct {
		tr  kiln.Transform
		col string
		msg string
	}{
		{Select("i", "nope"), "nope", "missing"},
		{Select("i", "i"), "", `column "i" listed twice`},
		{Rename(map[string]string{"nope": "x"}), "nope", "missing"},
		{Rename(map[string]string{"i": "j"}), "j", "two columns would have this name"},
		{DropColumns("nope"), "nope", "missing"},
	} {
		_, err := c.tr.OutputSchema([]*arrow.Schema{s})
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.msg)
		if c.col != "" {
			var se *kiln.SchemaError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, c.col, se.Column)
		}
	}
}
