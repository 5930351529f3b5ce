package transform

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func rlPrepTable(t testing.TB, chunk int) arrow.Table {
	s := rlSchema("x", arrow.PrimitiveTypes.Float64, "n", arrow.PrimitiveTypes.Int32,
		"c", arrow.BinaryTypes.String, "k", arrow.PrimitiveTypes.Int64, "y", arrow.FixedWidthTypes.Boolean)
	return rlTable(t, s, `[
		{"x": 1, "n": 10, "c": "a", "k": 7, "y": true},
		{"x": 2, "n": null, "c": "b", "k": 7, "y": false},
		{"x": 3, "n": 30, "c": "a", "k": 9, "y": true},
		{"x": null, "n": 40, "c": null, "k": null, "y": false},
		{"x": 6, "n": 10, "c": "c", "k": 9, "y": null}
	]`, chunk)
}

// rlFitApply fits p on train, round-trips the artifact through JSON and
// applies both to in, checking that they agree.
func rlFitApply(t *testing.T, p Preprocessor, train, in arrow.Table) (arrow.Table, *Artifact) {
	t.Helper()
	art, err := p.Fit(context.Background(), train)
	require.NoError(t, err)
	b, err := json.Marshal(art)
	require.NoError(t, err)
	back, err := ParseArtifact(b)
	require.NoError(t, err)
	require.Equal(t, art.Hash, back.Hash)
	require.JSONEq(t, string(art.Params), string(back.Params))
	direct := rlApply(t, Apply(art), in)
	viaJSON := rlApply(t, Apply(back), in)
	require.Equal(t, rlHash(t, direct), rlHash(t, viaJSON), "fit -> JSON -> apply differs from direct apply")
	return direct, art
}

func TestStandardScaler(t *testing.T) {
	for _, chunk := range []int{0, 2} {
		tbl := rlPrepTable(t, chunk)
		out, _ := rlFitApply(t, StandardScaler("x", "n"), tbl, tbl)
		// x: 1,2,3,6 -> mean 3, population variance (4+1+0+9)/4 = 3.5.
		sd := math.Sqrt(3.5)
		rlEqualValues(t, []any{-2 / sd, -1 / sd, 0.0, nil, 3 / sd}, rlValues(t, out, "x"))
		// n: 10,30,40,10 -> mean 22.5, variance (156.25+56.25+306.25+156.25)/4 = 168.75.
		sn := math.Sqrt(168.75)
		rlEqualValues(t, []any{-12.5 / sn, nil, 7.5 / sn, 17.5 / sn, -12.5 / sn}, rlValues(t, out, "n"))
		assert.Equal(t, arrow.PrimitiveTypes.Float64, out.Schema().Field(1).Type)
	}
}

func TestMinMaxScaler(t *testing.T) {
	tbl := rlPrepTable(t, 3)
	out, art := rlFitApply(t, MinMaxScaler("x", "n"), tbl, tbl)
	rlEqualValues(t, []any{0.0, 0.2, 0.4, nil, 1.0}, rlValues(t, out, "x"))
	rlEqualValues(t, []any{0.0, nil, 20.0 / 30, 1.0, 0.0}, rlValues(t, out, "n"))
	assert.Contains(t, string(art.Params), `"center":1,"count":4,"max":6`)
}

func TestScalerEdgeCases(t *testing.T) {
	s := rlSchema("c", arrow.PrimitiveTypes.Float64, "z", arrow.PrimitiveTypes.Float64)
	nan := math.NaN()
	tbl := rlFloatTable(t, s, [][2]float64{{5, nan}, {5, nan}, {nan, nan}})
	// Zero variance: scale 1, values map to 0; NaN stays NaN.
	out, _ := rlFitApply(t, StandardScaler("c"), tbl, tbl)
	rlEqualValues(t, []any{0.0, 0.0, nan}, rlValues(t, out, "c"))
	out, _ = rlFitApply(t, MinMaxScaler("c"), tbl, tbl)
	rlEqualValues(t, []any{0.0, 0.0, nan}, rlValues(t, out, "c"))
	// Nothing to fit.
	_, err := StandardScaler("z").Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, `column "z": no non-null values to fit`)
	_, err = StandardScaler("c", "c").Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "listed twice")
	_, err = StandardScaler().Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "no columns")
	// Infinite values give non-finite parameters, which survive JSON.
	inf := rlFloatTable(t, s, [][2]float64{{math.Inf(1), 0}, {1, 0}})
	out, art := rlFitApply(t, StandardScaler("c"), inf, inf)
	assert.Contains(t, string(art.Params), `"mean":"+Inf"`)
	assert.True(t, math.IsNaN(rlValues(t, out, "c")[0].(float64)))
	// Strings cannot be scaled.
	_, err = StandardScaler("c").Fit(context.Background(), rlPrepTable(t, 0))
	var se *kiln.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "c", se.Column)
}

func TestImputers(t *testing.T) {
	s := rlSchema("x", arrow.PrimitiveTypes.Float64, "n", arrow.PrimitiveTypes.Int32)
	nan := math.NaN()
	tbl := rlTable(t, s, `[{"x": 1, "n": 3}, {"x": null, "n": null}, {"x": 4, "n": 3}, {"x": 10, "n": 1}, {"x": null, "n": 2}]`, 2)
	withNaN := rlFloatTable(t, rlSchema("x", arrow.PrimitiveTypes.Float64, "y", arrow.PrimitiveTypes.Float64), [][2]float64{{nan, 1}, {2, 1}, {4, 1}})

	out, _ := rlFitApply(t, ImputeMean("x", "n"), tbl, tbl)
	rlEqualValues(t, []any{1.0, 5.0, 4.0, 10.0, 5.0}, rlValues(t, out, "x"))
	rlEqualValues(t, []any{3.0, 2.25, 3.0, 1.0, 2.0}, rlValues(t, out, "n"))
	assert.Equal(t, arrow.PrimitiveTypes.Float64, out.Schema().Field(1).Type)
	assert.False(t, out.Schema().Field(0).Nullable)

	out, _ = rlFitApply(t, ImputeMean("x"), withNaN, withNaN)
	rlEqualValues(t, []any{3.0, 2.0, 4.0}, rlValues(t, out, "x"))

	out, _ = rlFitApply(t, ImputeMedian("x", "n"), tbl, tbl)
	rlEqualValues(t, []any{1.0, 4.0, 4.0, 10.0, 4.0}, rlValues(t, out, "x"))
	rlEqualValues(t, []any{3.0, 2.5, 3.0, 1.0, 2.0}, rlValues(t, out, "n"))

	out, art := rlFitApply(t, ImputeMode("n"), tbl, tbl)
	rlEqualValues(t, []any{3, 3, 3, 1, 2}, rlValues(t, out, "n"))
	assert.Equal(t, arrow.PrimitiveTypes.Int32, out.Schema().Field(1).Type)
	assert.Contains(t, string(art.Params), `"fill":{"op":"lit","type":"int32","value":"3"}`)

	// Mode ties go to the smallest value; strings keep their type.
	cs := rlSchema("c", arrow.BinaryTypes.String)
	ct := rlTable(t, cs, `[{"c": "b"}, {"c": "a"}, {"c": null}, {"c": "b"}, {"c": "a"}]`, 0)
	out, _ = rlFitApply(t, ImputeMode("c"), ct, ct)
	rlEqualValues(t, []any{"b", "a", "a", "b", "a"}, rlValues(t, out, "c"))

	out, _ = rlFitApply(t, ImputeConstant(-1, "x", "n"), tbl, tbl)
	rlEqualValues(t, []any{1.0, -1.0, 4.0, 10.0, -1.0}, rlValues(t, out, "x"))
	rlEqualValues(t, []any{3, -1, 3, 1, 2}, rlValues(t, out, "n"))
	_, err := ImputeConstant(0.5, "n").Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "fractional part")
	_, err = ImputeConstant("x", "n").Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "cannot fill a column of type int32")
	_, err = ImputeMean("x").Fit(context.Background(), rlTable(t, s, `[{"x": null, "n": 1}]`, 0))
	assert.ErrorContains(t, err, "no non-missing values")

	// Applying to a column of another type than fitted is a plan error.
	art, err = ImputeMode("n").Fit(context.Background(), tbl)
	require.NoError(t, err)
	_, err = Apply(art).OutputSchema([]*arrow.Schema{rlSchema("n", arrow.PrimitiveTypes.Int64)})
	assert.ErrorContains(t, err, "fitted on int32")
}

func TestEncoders(t *testing.T) {
	train := rlPrepTable(t, 2)
	s := train.Schema()
	serve := rlTable(t, s, `[{"c": "b", "k": 9}, {"c": "zzz", "k": 8}, {"c": null, "k": null}, {"c": "a", "k": 7}]`, 0)

	out, art := rlFitApply(t, OneHot("c", "k"), train, serve)
	assert.Equal(t, []string{"x", "n", "c_a", "c_b", "c_c", "c__other", "k_7", "k_9", "k__other", "y"}, rlNames(out.Schema()))
	rlEqualValues(t, []any{0, 0, nil, 1}, rlValues(t, out, "c_a"))
	rlEqualValues(t, []any{1, 0, nil, 0}, rlValues(t, out, "c_b"))
	rlEqualValues(t, []any{0, 1, nil, 0}, rlValues(t, out, "c__other"))
	rlEqualValues(t, []any{0, 1, nil, 0}, rlValues(t, out, "k__other"))
	rlEqualValues(t, []any{1, 0, nil, 0}, rlValues(t, out, "k_9"))
	assert.Equal(t, arrow.PrimitiveTypes.Int8, out.Schema().Field(2).Type)
	assert.Contains(t, string(art.Params), `"ints":[7,9]`)

	out, _ = rlFitApply(t, Ordinal("c", "k"), train, serve)
	rlEqualValues(t, []any{2, 0, nil, 1}, rlValues(t, out, "c"))
	rlEqualValues(t, []any{2, 0, nil, 1}, rlValues(t, out, "k"))

	// Rare categories go to the unknown bucket: c has a:2, b:1, c:1.
	out, art = rlFitApply(t, Ordinal("c").MinCount(2), train, serve)
	rlEqualValues(t, []any{0, 0, nil, 1}, rlValues(t, out, "c"))
	assert.Contains(t, string(art.Params), `"other":2`)
	out, _ = rlFitApply(t, OneHot("c").MaxCategories(2), train, serve)
	assert.Equal(t, []string{"x", "n", "c_a", "c_b", "c__other", "k", "y"}, rlNames(out.Schema()))

	// Serving a string column an integer-fitted artifact is a plan error.
	art, err := Ordinal("k").Fit(context.Background(), train)
	require.NoError(t, err)
	_, err = Apply(art).OutputSchema([]*arrow.Schema{rlSchema("k", arrow.BinaryTypes.String)})
	var se *kiln.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "fitted on integers")

	// One-hot names that collide are a plan error.
	clash := rlTable(t, rlSchema("c", arrow.BinaryTypes.String, "c_a", arrow.PrimitiveTypes.Int8), `[{"c": "a", "c_a": 1}]`, 0)
	art, err = OneHot("c").Fit(context.Background(), clash)
	require.NoError(t, err)
	_, err = Apply(art).OutputSchema([]*arrow.Schema{clash.Schema()})
	assert.ErrorContains(t, err, "two output columns would have this name")
}

func TestTargetEncoder(t *testing.T) {
	s := rlSchema("city", arrow.BinaryTypes.String, "label", arrow.PrimitiveTypes.Float64)
	train := rlTable(t, s, `[
		{"city": "a", "label": 1}, {"city": "a", "label": 0}, {"city": "a", "label": 1},
		{"city": "b", "label": 1}, {"city": null, "label": 0}, {"city": "c", "label": null}
	]`, 4)
	// prior = (1+0+1+1+0)/5 = 0.6; a: n=3 mean 2/3; b: n=1 mean 1; c has no target.
	serve := rlTable(t, s, `[{"city": "a"}, {"city": "b"}, {"city": "c"}, {"city": null}]`, 0)
	out, art := rlFitApply(t, TargetEncode("label", "city").Smoothing(2), train, serve)
	prior, m := 0.6, 2.0 // variables: float64 arithmetic as at run time
	rlEqualValues(t, []any{(2 + m*prior) / (3 + m), (1 + m*prior) / (1 + m), 0.6, nil}, rlValues(t, out, "city"))
	assert.Contains(t, string(art.Params), `"prior":0.6`)
	out, art = rlFitApply(t, TargetEncode("label", "city").Smoothing(0), train, serve)
	rlEqualValues(t, []any{2.0 / 3, 1.0, 0.6, nil}, rlValues(t, out, "city"))
	// The target is not needed to apply.
	noLabel := rlTable(t, rlSchema("city", arrow.BinaryTypes.String), `[{"city": "b"}]`, 0)
	out = rlApply(t, Apply(art), noLabel)
	rlEqualValues(t, []any{1.0}, rlValues(t, out, "city"))

	_, err := TargetEncode("label", "label").Fit(context.Background(), train)
	assert.Error(t, err)
	_, err = TargetEncode("city", "label").Fit(context.Background(), train)
	assert.ErrorContains(t, err, "want a number")
	_, err = TargetEncode("label", "city").Smoothing(-1).Fit(context.Background(), train)
	assert.ErrorContains(t, err, "smoothing")
}

func TestBucketizeAndHash(t *testing.T) {
	s := rlSchema("x", arrow.PrimitiveTypes.Float64, "c", arrow.BinaryTypes.String, "k", arrow.PrimitiveTypes.Int64)
	tbl := rlTable(t, s, `[
		{"x": -5, "c": "a", "k": 42}, {"x": 0, "c": "42", "k": -1}, {"x": 0.5, "c": "", "k": 0},
		{"x": 1, "c": null, "k": null}, {"x": 100, "c": "a", "k": 42}, {"x": null, "c": "b", "k": 7}
	]`, 4)
	out, _ := rlFitApply(t, Bucketize("x", 0, 1), tbl, tbl)
	rlEqualValues(t, []any{0, 1, 1, 2, 2, nil}, rlValues(t, out, "x"))
	_, err := Bucketize("x", 1, 1).Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "increase strictly")
	_, err = Bucketize("x", math.NaN()).Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "finite")

	// Values -5, 0, 0.5, 1, 100: quartiles at 0, 0.5, 1.
	out, art := rlFitApply(t, QuantileBuckets("x", 4), tbl, tbl)
	assert.Contains(t, string(art.Params), `"bounds":[0,0.5,1]`)
	rlEqualValues(t, []any{0, 1, 2, 3, 3, nil}, rlValues(t, out, "x"))
	_, err = QuantileBuckets("x", 1).Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "at least 2")

	// FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; "" is the offset basis.
	out, _ = rlFitApply(t, HashBuckets("c", 1000), tbl, tbl)
	a := int64(0xaf63dc4c8601ec8c % 1000)
	empty := int64(14695981039346656037 % 1000)
	got := rlValues(t, out, "c")
	rlEqualValues(t, []any{a, got[1], empty, nil, a, got[5]}, got)
	// Integers hash their decimal text: 42 lands where "42" does.
	outK, _ := rlFitApply(t, HashBuckets("k", 1000), tbl, tbl)
	assert.Equal(t, got[1], rlValues(t, outK, "k")[0])
	_, err = HashBuckets("c", 0).Fit(context.Background(), tbl)
	assert.ErrorContains(t, err, "at least 1")
}

func TestFNV1aMatchesStandardLibrary(t *testing.T) {
	for _, s := range []string{"", "a", "sku-1", "日本語", "\x00\xff"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		assert.Equal(t, h.Sum64(), fnv1a64([]byte(s)), s)
	}
}

// TestEmptyInputs applies every row-local transform and fitted artifact to
// a table without rows: the output has the planned schema and no rows.
func TestEmptyInputs(t *testing.T) {
	train := rlPrepTable(t, 0)
	empty := rlTable(t, train.Schema(), `[]`, 0)
	trs := []kiln.Transform{
		Derive("z", Col("x").Add(Col("n"))), Filter(Col("y")), DropNulls(), FillNulls(map[string]any{"c": "?"}),
		Cast("n", arrow.PrimitiveTypes.Int8), Select("c"), FromEpoch("k", arrow.Second), rlHashBucketsApply(t, train),
	}
	for _, p := range []Preprocessor{StandardScaler("x"), ImputeMode("c"), OneHot("c"), Ordinal("k"), TargetEncode("y", "c"), QuantileBuckets("x", 2)} {
		art, err := p.Fit(context.Background(), train)
		require.NoError(t, err)
		trs = append(trs, Apply(art))
	}
	for _, tr := range trs {
		out := rlApply(t, tr, empty)
		assert.Equal(t, int64(0), out.NumRows(), tr.Spec().Name)
	}
	// Fitting on no rows: encoders learn no categories, scalers refuse.
	art, err := OneHot("c").Fit(context.Background(), empty)
	require.NoError(t, err)
	out := rlApply(t, Apply(art), train)
	rlEqualValues(t, []any{1, 1, 1, nil, 1}, rlValues(t, out, "c__other"))
	_, err = StandardScaler("x").Fit(context.Background(), empty)
	assert.ErrorContains(t, err, "no non-null values")
}

// rlHashBucketsApply fits HashBuckets on c for TestEmptyInputs.
func rlHashBucketsApply(t *testing.T, train arrow.Table) kiln.Transform {
	art, err := HashBuckets("c", 3).Fit(context.Background(), train)
	require.NoError(t, err)
	return Apply(art)
}
