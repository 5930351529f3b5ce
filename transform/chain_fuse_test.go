package transform

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/par"
)

// fuseTestTable is n rows of (id int64 non-decreasing with repeats, user
// int64 with nulls, kind string with nulls, amount float64 with nulls),
// in chunks of chunk rows.
func fuseTestTable(t testing.TB, n, chunk int, seed uint64) arrow.Table {
	r := rand.New(rand.NewPCG(seed, 7))
	s := keyedSchema("id", arrow.PrimitiveTypes.Int64, "user", arrow.PrimitiveTypes.Int64,
		"kind", arrow.BinaryTypes.String, "amount", arrow.PrimitiveTypes.Float64)
	rows := make([][]any, n)
	id := 0
	for i := range rows {
		if r.Float64() > 0.05 {
			id++
		}
		var user, kind, amount any = r.IntN(50), []string{"view", "cart", "buy"}[r.IntN(3)], float64(r.IntN(1000)) / 10
		if r.Float64() < 0.02 {
			user = nil
		}
		if r.Float64() < 0.01 {
			kind = nil
		}
		if r.Float64() < 0.3 {
			amount = nil
		}
		rows[i] = []any{id, user, kind, amount}
	}
	return keyedTable(t, s, chunk, rows...)
}

// stepwise applies the steps one after another, as a chain without fusion
// would.
func stepwise(t testing.TB, steps []kiln.Transform, in arrow.Table) arrow.Table {
	cur := in
	cur.Retain()
	for _, s := range steps {
		out := keyedApply(t, s, cur)
		cur.Release()
		cur = out
	}
	return cur
}

func TestChainFusedSelectorsMatchStepwise(t *testing.T) {
	chains := map[string][]kiln.Transform{
		"drop_nulls+dedupe sorted": {DropNulls("user"), Dedupe([]string{"id"}, KeepFirst)},
		"drop_nulls+dedupe last":   {DropNulls("user"), Dedupe([]string{"id"}, KeepLast)},
		"filter+dedupe hashed":     {Filter(Col("amount").Gt(Lit(5.0))), Dedupe([]string{"user", "kind"}, KeepFirst)},
		"dedupe first_by+filter": {Dedupe([]string{"user"}, KeepFirstBy(Desc("amount"))),
			Filter(Col("kind").Eq(Lit("buy")))},
		"three selectors then derive": {DropNulls(), Filter(Col("kind").Ne(Lit("view"))), DistinctRows(),
			Derive("double", Col("amount").Mul(Lit(2.0)))},
		"nothing dropped":    {DropNulls("id"), Dedupe([]string{"id", "user", "kind", "amount"}, KeepFirst)},
		"everything dropped": {Filter(Col("amount").Lt(Lit(-1.0))), DropNulls("user")},
	}
	for name, steps := range chains {
		for _, tc := range []struct{ n, chunk int }{{0, 0}, {1, 0}, {500, 64}, {3*par.ChunkRows + 17, 40_000}} {
			t.Run(fmt.Sprintf("%s/n=%d", name, tc.n), func(t *testing.T) {
				in := fuseTestTable(t, tc.n, tc.chunk, uint64(tc.n))
				defer in.Release()
				want := stepwise(t, steps, in)
				defer want.Release()
				ctx := kiln.NewContext(context.Background(), "test", kiln.All)
				got, err := Chain(steps...).Apply(ctx, []arrow.Table{in})
				require.NoError(t, err)
				assert.True(t, want.Schema().Equal(got.Schema()), "schema %s, want %s", got.Schema(), want.Schema())
				assert.Equal(t, want.NumRows(), got.NumRows())
				ws, err := digest.Table(want)
				require.NoError(t, err)
				gs, err := digest.Table(got)
				require.NoError(t, err)
				assert.Equal(t, ws, gs, "fused chain output differs from the steps applied one by one")
				got.Release()
			})
		}
	}
}

func TestChainFusedSelectorErrorNamesStep(t *testing.T) {
	in := fuseTestTable(t, 10, 0, 1)
	defer in.Release()
	_, err := Chain(DropNulls("user"), Dedupe([]string{"nope"}, KeepFirst)).Apply(
		kiln.NewContext(context.Background(), "test", kiln.All), []arrow.Table{in})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chain step 1 (transform.dedupe)")
	assert.Contains(t, err.Error(), "nope")
}

func TestChainFusedSelectorsSameAtAnyParallelism(t *testing.T) {
	in := fuseTestTable(t, 3*par.ChunkRows+17, 40_000, 3)
	defer in.Release()
	keyedSameAtAnyParallelism(t, Chain(DropNulls("user"), Filter(Col("kind").Ne(Lit("view"))),
		Dedupe([]string{"user", "kind"}, KeepLast)), in)
}

func TestChainPrunesColumnsLaterStepsDoNotRead(t *testing.T) {
	in := fuseTestTable(t, 2*par.ChunkRows+5, 30_000, 9)
	defer in.Release()
	ctx := kiln.NewContext(context.Background(), "test", kiln.All)

	// A P1-like chain: its result does not depend on "kind" beyond the
	// flag, nor on "id" after the dedupe.
	p1 := []kiln.Transform{
		DropNulls("user"), Dedupe([]string{"id"}, KeepFirst),
		Derive("is_buy", Col("kind").Eq(Lit("buy")).Cast(arrow.PrimitiveTypes.Int8)),
		GroupBy("user").Agg(Count().As("n"), Sum("is_buy").As("buys"), Sum("amount").As("revenue")),
	}
	want := stepwise(t, p1, in)
	defer want.Release()
	got, err := Chain(p1...).Apply(ctx, []arrow.Table{in})
	require.NoError(t, err)
	defer got.Release()
	assert.Equal(t, rlHash(t, want), rlHash(t, got))

	// A step that declares it reads only "user" gets only "user", once.
	rowsSchema := func(struct{}, []*arrow.Schema) (*arrow.Schema, error) {
		return keyedSchema("rows", arrow.PrimitiveTypes.Int64), nil
	}
	var calls int
	var seen []string
	probe := kiln.Func("test.probe", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		calls++
		seen = fieldNames(in.Schema())
		return keyedTable(t, keyedSchema("rows", arrow.PrimitiveTypes.Int64), 0, []any{int(in.NumRows())}), nil
	}).WithSchema(rowsSchema).
		WithColumnLineage(map[string][]kiln.ColumnRef{"rows": {{Column: "user", Kind: "INDIRECT", Subtype: "AGGREGATION"}}})
	out, err := Chain(DropNulls("user"), Dedupe([]string{"id"}, KeepFirst), probe).Apply(ctx, []arrow.Table{in})
	require.NoError(t, err)
	out.Release()
	assert.Equal(t, 1, calls, "no fallback run")
	assert.Equal(t, []string{"user"}, seen)

	// A step whose lineage leaves out a column it reads still gets a
	// correct result: the chain notices and runs again without pruning.
	calls = 0
	liar := kiln.Func("test.liar", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		calls++
		i := in.Schema().FieldIndices("amount")
		if len(i) == 0 {
			return nil, fmt.Errorf("no amount column")
		}
		n := int(in.NumRows()) - in.Column(i[0]).NullN()
		return keyedTable(t, keyedSchema("rows", arrow.PrimitiveTypes.Int64), 0, []any{n}), nil
	}).WithSchema(rowsSchema).
		WithColumnLineage(map[string][]kiln.ColumnRef{"rows": {{Column: "user", Kind: "INDIRECT", Subtype: "AGGREGATION"}}})
	out, err = Chain(DropNulls("user"), liar).Apply(ctx, []arrow.Table{in})
	require.NoError(t, err)
	defer out.Release()
	assert.Equal(t, 2, calls, "the pruned run failed and the full one ran")
	direct := stepwise(t, []kiln.Transform{DropNulls("user"), liar}, in)
	defer direct.Release()
	assert.Equal(t, rlHash(t, direct), rlHash(t, out))
}
