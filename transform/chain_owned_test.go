package transform

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/par"
)

// An input handed over as arrowx.Owned (kiln does so for a node's last
// consumer) is consumed column by column; the result must be the steps'
// own, and the table the Owned wrapped must be left intact for anyone
// else holding it.
func TestChainOwnedInputMatchesStepwise(t *testing.T) {
	chains := map[string][]kiln.Transform{
		"drop_nulls+dedupe":       {DropNulls("user"), Dedupe([]string{"id"}, KeepFirst)},
		"lone selector":           {DropNulls("user")},
		"lone selector keeps all": {DropNulls("id")},
		"dedupe last then derive": {Dedupe([]string{"id"}, KeepLast), Derive("double", Col("amount").Mul(Lit(2.0)))},
		"derives then group (pruned between steps)": {
			Derive("is_buy", Col("kind").Eq(Lit("buy")).Cast(arrow.PrimitiveTypes.Int8)),
			Derive("big", Col("amount").Gt(Lit(50.0)).Cast(arrow.PrimitiveTypes.Int8)),
			GroupBy("user").Agg(Count().As("n"), Sum("is_buy").As("buys"), Sum("big").As("bigs")),
		},
		"p1-like": {
			DropNulls("user"), Dedupe([]string{"id"}, KeepFirst),
			Derive("is_buy", Col("kind").Eq(Lit("buy")).Cast(arrow.PrimitiveTypes.Int8)),
			GroupBy("user").Agg(Count().As("n"), Sum("is_buy").As("buys"), Sum("amount").As("revenue")),
		},
	}
	for name, steps := range chains {
		for _, n := range []int{0, 500, 2*par.ChunkRows + 5} {
			t.Run(fmt.Sprintf("%s/n=%d", name, n), func(t *testing.T) {
				in := fuseTestTable(t, n, 30_000, uint64(n)+1)
				defer in.Release()
				before := rlHash(t, in)
				want := stepwise(t, steps, in)
				defer want.Release()
				ctx := kiln.NewContext(context.Background(), "test", kiln.All)
				own := arrowx.Own(in)
				got, err := Chain(steps...).Apply(ctx, []arrow.Table{own})
				require.NoError(t, err)
				defer got.Release()
				_, stillOwned := got.(*arrowx.Owned)
				assert.False(t, stillOwned, "the chain returns a plain table")
				assert.True(t, want.Schema().Equal(got.Schema()), "schema %s, want %s", got.Schema(), want.Schema())
				assert.Equal(t, rlHash(t, want), rlHash(t, got))
				assert.Equal(t, before, rlHash(t, in), "the wrapped table changed")
			})
		}
	}
}

func TestChainOwnedSameAtAnyParallelism(t *testing.T) {
	in := fuseTestTable(t, 3*par.ChunkRows+17, 40_000, 5)
	defer in.Release()
	steps := []kiln.Transform{DropNulls("user"), Dedupe([]string{"id"}, KeepLast),
		Derive("is_buy", Col("kind").Eq(Lit("buy")).Cast(arrow.PrimitiveTypes.Int8))}
	var hashes []digest.Sum
	for _, procs := range []int{1, 2, 1} {
		rlAtProcs(procs, func() {
			got, err := Chain(steps...).Apply(kiln.NewContext(context.Background(), "test", kiln.All), []arrow.Table{arrowx.Own(in)})
			require.NoError(t, err)
			hashes = append(hashes, rlHash(t, got))
		})
	}
	assert.Equal(t, hashes[0], hashes[1])
	assert.Equal(t, hashes[0], hashes[2])
}

// A selector used alone consumes an owned input the same way, with the
// result of its ordinary path.
func TestSelectorOwnedInputMatchesPlain(t *testing.T) {
	in := fuseTestTable(t, 2*par.ChunkRows+5, 30_000, 11)
	defer in.Release()
	ctx := kiln.NewContext(context.Background(), "test", kiln.All)
	for _, tr := range []kiln.Transform{DropNulls("user"), DropNulls("id"), Filter(Col("amount").Gt(Lit(5.0))),
		Dedupe([]string{"id"}, KeepLast), Dedupe([]string{"user", "kind"}, KeepFirst)} {
		want, err := tr.Apply(ctx, []arrow.Table{in})
		require.NoError(t, err)
		own := arrowx.Own(in)
		got, err := tr.Apply(ctx, []arrow.Table{own})
		require.NoError(t, err)
		assert.True(t, own.Taken(), "%s did not consume its owned input", tr.Spec().Name)
		assert.True(t, want.Schema().Equal(got.Schema()), tr.Spec().Name)
		assert.Equal(t, rlHash(t, want), rlHash(t, got), tr.Spec().Name)
	}
}

// A sort, alone or after other steps, frees an input kiln hands over
// column by column as it gathers the sorted rows; the result is the plain
// path's.
func TestSortOwnedInputMatchesPlain(t *testing.T) {
	in := fuseTestTable(t, 2*par.ChunkRows+5, 30_000, 13)
	defer in.Release()
	ctx := kiln.NewContext(context.Background(), "test", kiln.All)
	for name, tc := range map[string]struct {
		tr      kiln.Transform
		copying bool // false: the input is already in order and passed on
	}{
		"sort":             {Sort(Asc("user"), Desc("amount")), true},
		"sorted already":   {Sort(Asc("id")), false},
		"dedupe then sort": {Chain(Dedupe([]string{"id"}, KeepFirst), Sort(Desc("kind"), Asc("id"))), true},
	} {
		want, err := tc.tr.Apply(ctx, []arrow.Table{in})
		require.NoError(t, err)
		own := arrowx.Own(in)
		got, err := tc.tr.Apply(ctx, []arrow.Table{own})
		require.NoError(t, err)
		assert.Equal(t, tc.copying, own.Taken(), "%s: owned input consumed", name)
		assert.True(t, want.Schema().Equal(got.Schema()), name)
		assert.Equal(t, rlHash(t, want), rlHash(t, got), name)
	}
}

// A join frees inputs kiln hands over as it copies their rows: the left
// one in order (some rows repeated, some dropped), the right one column by
// column; the result is the plain path's.
func TestJoinOwnedLeftMatchesPlain(t *testing.T) {
	in := fuseTestTable(t, 2*par.ChunkRows+5, 30_000, 17)
	defer in.Release()
	s := keyedSchema("user", arrow.PrimitiveTypes.Int64, "segment", arrow.BinaryTypes.String)
	var rows [][]any
	for u := range 40 { // users 40-49 have no row; 0-9 have two
		rows = append(rows, []any{u, fmt.Sprint("seg", u%3)})
		if u < 10 {
			rows = append(rows, []any{u, "extra"})
		}
	}
	right := keyedTable(t, s, 7, rows...)
	defer right.Release()
	ctx := kiln.NewContext(context.Background(), "test", kiln.All)
	for name, tr := range map[string]kiln.Transform{
		"inner": InnerJoin("user"),
		"left":  LeftJoin("user"),
	} {
		want, err := tr.Apply(ctx, []arrow.Table{in, right})
		require.NoError(t, err)
		own, ownRight := arrowx.Own(in), arrowx.Own(right)
		got, err := tr.Apply(ctx, []arrow.Table{own, ownRight})
		require.NoError(t, err)
		assert.True(t, own.Taken(), "%s did not consume its owned left input", name)
		assert.True(t, ownRight.Taken(), "%s did not consume its owned right input", name)
		assert.True(t, want.Schema().Equal(got.Schema()), name)
		assert.Equal(t, rlHash(t, want), rlHash(t, got), name)
		assert.Greater(t, got.NumRows(), int64(0), name)
	}
}

// A chain over two inputs kiln hands over, whose join consumes them and
// whose later steps are pruned, returns the plain path's result without
// touching the consumed inputs again.
func TestChainOwnedJoinInputs(t *testing.T) {
	in := fuseTestTable(t, 2*par.ChunkRows+5, 30_000, 19)
	defer in.Release()
	s := keyedSchema("user", arrow.PrimitiveTypes.Int64, "segment", arrow.BinaryTypes.String, "score", arrow.PrimitiveTypes.Float64)
	var rows [][]any
	for u := range 45 {
		rows = append(rows, []any{u, fmt.Sprint("seg", u%3), float64(u) / 2})
	}
	right := keyedTable(t, s, 7, rows...)
	defer right.Release()
	chain := Chain(LeftJoin("user"), FillNulls(map[string]any{"segment": "none"}),
		GroupBy("segment").Agg(Count().As("n"), Sum("amount").As("amount")))
	ctx := kiln.NewContext(context.Background(), "test", kiln.All)
	want, err := chain.Apply(ctx, []arrow.Table{in, right})
	require.NoError(t, err)
	got, err := chain.Apply(ctx, []arrow.Table{arrowx.Own(in), arrowx.Own(right)})
	require.NoError(t, err)
	assert.Equal(t, rlHash(t, want), rlHash(t, got))
}

// A right input of keys only adds no column, owned or not.
func TestJoinOwnedRightKeysOnly(t *testing.T) {
	in := fuseTestTable(t, 3000, 700, 23)
	defer in.Release()
	s := keyedSchema("user", arrow.PrimitiveTypes.Int64)
	var rows [][]any
	for u := 0; u < 50; u += 2 {
		rows = append(rows, []any{u})
	}
	right := keyedTable(t, s, 5, rows...)
	defer right.Release()
	ctx := kiln.NewContext(context.Background(), "test", kiln.All)
	want, err := InnerJoin("user").Apply(ctx, []arrow.Table{in, right})
	require.NoError(t, err)
	got, err := InnerJoin("user").Apply(ctx, []arrow.Table{arrowx.Own(in), arrowx.Own(right)})
	require.NoError(t, err)
	assert.Equal(t, in.NumCols(), got.NumCols())
	assert.True(t, want.Schema().Equal(got.Schema()))
	assert.Equal(t, rlHash(t, want), rlHash(t, got))
}
