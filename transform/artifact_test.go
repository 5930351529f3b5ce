package transform

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/par"
)

func TestArtifactFloatsRoundTripExactly(t *testing.T) {
	tricky := []float64{0.1, 1.0 / 3, -0.0, math.Copysign(0, -1), 5e-324, math.MaxFloat64, 1e21, 1e-7,
		math.NaN(), math.Inf(1), math.Inf(-1), 123456789.123456789, -2.2250738585072014e-308}
	cols := make([]scalerColumn, len(tricky))
	for i, f := range tricky {
		cols[i] = scalerColumn{Name: string(rune('a' + i)), Count: 1, Mean: prepFloat(f), Center: prepFloat(f), Scale: prepFloat(f)}
	}
	art, err := newArtifact(kindStandardScaler, "1", scalerParams{Columns: cols})
	require.NoError(t, err)
	b, err := json.Marshal(art)
	require.NoError(t, err)
	back, err := ParseArtifact(b)
	require.NoError(t, err)
	assert.Equal(t, art.Hash, back.Hash)
	var p scalerParams
	require.NoError(t, json.Unmarshal(back.Params, &p))
	for i, f := range tricky {
		got := float64(p.Columns[i].Mean)
		if math.IsNaN(f) {
			assert.True(t, math.IsNaN(got))
			continue
		}
		assert.Equal(t, math.Float64bits(f), math.Float64bits(got), "%v", f)
	}
}

func TestArtifactHashPinned(t *testing.T) {
	// Never change these: a changed hash means fitted artifacts stored by
	// users no longer match what this code computes.
	tbl := rlPrepTable(t, 0)
	for _, c := range []struct {
		p    Preprocessor
		hash string
	}{
		{StandardScaler("x", "n"), "blake3:644f79620865c86d958c97cae7ebaf4d8a578a3c1a745b8f3c4e22ba032145e2"},
		{OneHot("c"), "blake3:a15deafde862c7fe5d29f6ae32444b20d371735103f12dba40cf68a0b911b2fd"},
		{TargetEncode("y", "k"), "blake3:aba39a8e08f42da6eb3a8b1fcfd58a1114fc082bd488d02d081b0c782b8bb0d9"},
	} {
		art, err := c.p.Fit(context.Background(), tbl)
		require.NoError(t, err)
		assert.Equal(t, c.hash, art.Hash, "%s %s", art.Kind, art.Params)
	}
}

func TestArtifactTampering(t *testing.T) {
	art, err := StandardScaler("x").Fit(context.Background(), rlPrepTable(t, 0))
	require.NoError(t, err)
	b, err := json.Marshal(art)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	m["params"].(map[string]any)["columns"].([]any)[0].(map[string]any)["center"] = 2.5
	bad, err := json.Marshal(m)
	require.NoError(t, err)
	_, err = ParseArtifact(bad)
	require.ErrorIs(t, err, ErrArtifact)
	assert.ErrorContains(t, err, "hashes to")

	forged := *art
	forged.Kind = "mystery"
	forged.Hash, _ = forged.computeHash()
	assert.ErrorIs(t, forged.Verify(), ErrArtifact)
	_, err = Apply(&forged).OutputSchema([]*arrow.Schema{rlPrepTable(t, 0).Schema()})
	assert.ErrorContains(t, err, `unknown kind "mystery"`)

	future := *art
	future.Version = "2"
	future.Hash, _ = future.computeHash()
	assert.ErrorContains(t, future.Verify(), `unsupported version "2"`)

	_, err = ParseArtifact([]byte(`{`))
	assert.ErrorIs(t, err, ErrArtifact)
	assert.ErrorIs(t, (*Artifact)(nil).Verify(), ErrArtifact)
}

func TestApplySpecAndLineage(t *testing.T) {
	tbl := rlPrepTable(t, 0)
	a1, err := StandardScaler("x").Fit(context.Background(), tbl)
	require.NoError(t, err)
	a2, err := StandardScaler("x").Fit(context.Background(), rlApply(t, Filter(Col("x").Lt(Lit(5))), tbl))
	require.NoError(t, err)
	s1, s2 := Apply(a1).Spec(), Apply(a2).Spec()
	assert.Equal(t, "transform.apply", s1.Name)
	assert.Equal(t, applyConfig{Kind: kindStandardScaler, Version: "1", Hash: a1.Hash}, s1.Config)
	assert.NotEqual(t, s1.Config, s2.Config, "a different fit must change the fingerprint")

	art, err := OneHot("c").Fit(context.Background(), tbl)
	require.NoError(t, err)
	l, err := Apply(art).ColumnLineage([]*arrow.Schema{tbl.Schema()})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{{Column: "c", Kind: "DIRECT", Subtype: "TRANSFORMATION"}}, l["c_b"])
	assert.Equal(t, []kiln.ColumnRef{{Column: "x", Kind: "DIRECT", Subtype: "IDENTITY"}}, l["x"])
}

// TestApplyRecordMatchesApply checks the online path: one small record
// batch gives exactly the rows the table path gives.
func TestApplyRecordMatchesApply(t *testing.T) {
	train := rlPrepTable(t, 2)
	for _, p := range []Preprocessor{StandardScaler("x"), ImputeMode("c"), OneHot("c", "k"), TargetEncode("y", "c"), QuantileBuckets("n", 2), HashBuckets("c", 7)} {
		art, err := p.Fit(context.Background(), train)
		require.NoError(t, err)
		step := Apply(art)
		want := rlApply(t, step, train)
		tr := array.NewTableReader(train, 2)
		var got []arrow.RecordBatch
		for tr.Next() {
			rec, err := step.ApplyRecord(context.Background(), tr.RecordBatch())
			require.NoError(t, err)
			got = append(got, rec)
		}
		tr.Release()
		gt := array.NewTableFromRecords(want.Schema(), got)
		assert.Equal(t, rlHash(t, want), rlHash(t, gt), art.Kind)
	}
}

// rlBigTable is a table of several par.ChunkRows chunks with nulls, NaN and
// repeated categories, cut into chunks of chunk rows.
func rlBigTable(t testing.TB, chunk int) arrow.Table {
	t.Helper()
	rlBigMu.Lock()
	defer rlBigMu.Unlock()
	if tbl, ok := rlBigCache[chunk]; ok {
		return tbl
	}
	tbl := rlMakeBigTable(chunk)
	rlBigCache[chunk] = tbl
	return tbl
}

var (
	rlBigMu    sync.Mutex
	rlBigCache = map[int]arrow.Table{}
)

func rlMakeBigTable(chunk int) arrow.Table {
	n := 5*par.ChunkRows + 777
	s := rlSchema("x", arrow.PrimitiveTypes.Float64, "c", arrow.BinaryTypes.String, "k", arrow.PrimitiveTypes.Int64,
		"y", arrow.FixedWidthTypes.Boolean, "ts", rlTS, "s", arrow.BinaryTypes.String)
	r := rand.New(rand.NewPCG(7, 7))
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	var recs []arrow.RecordBatch
	for lo := 0; lo < n; lo += chunk {
		for i := lo; i < min(lo+chunk, n); i++ {
			switch k := r.IntN(100); {
			case k == 0:
				b.Field(0).AppendNull()
			case k == 1:
				b.Field(0).(*array.Float64Builder).Append(math.NaN())
			default:
				b.Field(0).(*array.Float64Builder).Append(r.NormFloat64()*1e3 + 1/float64(1+r.IntN(7)))
			}
			if r.IntN(50) == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(string(rune('a' + r.IntN(20))))
			}
			b.Field(2).(*array.Int64Builder).Append(r.Int64N(1000) - 500)
			b.Field(3).(*array.BooleanBuilder).Append(r.IntN(3) == 0)
			b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + r.Int64N(1e14)))
			b.Field(5).(*array.StringBuilder).Append(" " + string(rune('A'+r.IntN(26))) + "x ")
		}
		recs = append(recs, b.NewRecordBatch())
	}
	tbl := array.NewTableFromRecords(s, recs)
	for _, rec := range recs {
		rec.Release()
	}
	return tbl
}

// TestDeterministicAcrossParallelismAndChunking runs every transform and
// fit at GOMAXPROCS 1 on one chunking and at GOMAXPROCS 2 on another, and
// compares artifact hashes and output content hashes.
func TestDeterministicAcrossParallelismAndChunking(t *testing.T) {
	a, b := rlBigTable(t, 1000), rlBigTable(t, 70001)
	require.Equal(t, rlHash(t, a), rlHash(t, b))
	transforms := []kiln.Transform{
		Derive("z", Col("x").Mul(Lit(2.5)).Add(Col("k").Div(Lit(3)))),
		Derive("h", Col("ts").AtZone("Europe/Paris").DateTrunc("day")),
		Derive("u", Case().When(Col("c").Eq(Lit("a")), Col("s").Trim().Lower()).Else(Col("c").Upper())),
		Filter(Col("x").Gt(Lit(0)).Or(Col("c").Contains("b"))),
		DropNulls("x", "c"),
		FillNulls(map[string]any{"x": 0, "c": "?"}),
		Cast("k", arrow.PrimitiveTypes.Float32),
	}
	preps := []Preprocessor{StandardScaler("x", "k"), MinMaxScaler("x"), ImputeMean("x"), ImputeMedian("x"), ImputeMode("c"),
		OneHot("c"), Ordinal("c").MaxCategories(5), TargetEncode("x", "c"), QuantileBuckets("x", 10), HashBuckets("c", 13)}
	run := func(tbl arrow.Table) (outs, arts []string) {
		for _, tr := range transforms {
			outs = append(outs, rlHash(t, rlApply(t, tr, tbl)).String())
		}
		for _, p := range preps {
			art, err := p.Fit(context.Background(), tbl)
			require.NoError(t, err)
			arts = append(arts, art.Hash)
			outs = append(outs, rlHash(t, rlApply(t, Apply(art), tbl)).String())
		}
		return outs, arts
	}
	var o1, a1, o2, a2 []string
	rlAtProcs(1, func() { o1, a1 = run(a) })
	rlAtProcs(2, func() { o2, a2 = run(b) })
	assert.Equal(t, a1, a2, "artifact hashes")
	assert.Equal(t, o1, o2, "output content hashes")
}
