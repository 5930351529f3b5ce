package transform

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/transform/transformtest"
)

// Golden files pin the output (and content hash) of a typical row-local
// chain and of fitted preprocessing: a change of output without a version
// bump fails here. Rewrite with go test -run TestRowLocalGolden -update.
func TestRowLocalGolden(t *testing.T) {
	in := rlExprTable(t, 2)
	transformtest.Golden(t, Chain(
		DropNulls("i"),
		Derive("ratio", Col("j").Div(Col("f"))),
		Derive("label", Case().
			When(Col("s").Trim().Eq(Lit("")), Lit("empty")).
			When(Col("b"), Col("s").Upper()).
			Else(Col("s").Trim())),
		Cast("j", arrow.PrimitiveTypes.Float64),
		FillNulls(map[string]any{"j": -1}),
		Select("i", "j", "ratio", "label"),
	), []arrow.Table{in}, "testdata/rowlocal_chain")

	train := rlPrepTable(t, 2)
	for name, p := range map[string]Preprocessor{
		"rowlocal_onehot":  OneHot("c", "k"),
		"rowlocal_scaler":  StandardScaler("x", "n"),
		"rowlocal_target":  TargetEncode("y", "c").Smoothing(2),
		"rowlocal_buckets": QuantileBuckets("x", 3),
	} {
		art, err := p.Fit(context.Background(), train)
		require.NoError(t, err)
		transformtest.Golden(t, Apply(art), []arrow.Table{train}, "testdata/"+name)
	}
}
