package transform

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform/transformtest"
)

func groupbyTestTable(t testing.TB, chunk int) arrow.Table {
	s := keyedSchema("g", arrow.BinaryTypes.String, "v", arrow.PrimitiveTypes.Int64, "x", arrow.PrimitiveTypes.Float64, "o", arrow.PrimitiveTypes.Int64)
	return keyedTable(t, s, chunk,
		[]any{"a", 1, 1.5, 3},
		[]any{"b", nil, nil, 1},
		[]any{"a", 3, nil, 1},
		[]any{nil, 5, 2.0, 2},
		[]any{"a", nil, 4.5, 2},
		[]any{"b", nil, nil, nil},
		[]any{nil, 7, -1.0, 1},
	)
}

// groupbyAllAggs uses every aggregation once.
var groupbyAllAggs = []Aggregation{
	Count(), CountNonNull("v"), CountDistinct("v"),
	Sum("v"), Sum("x"), Mean("v"), Mean("x"), Min("v"), Max("x"),
	First("v"), Last("v"), First("v").SkipNulls().As("first_nn"), Last("v").SkipNulls().As("last_nn"),
	FirstBy("v", "o").As("first_by_o"), LastBy("x", "o").As("last_by_o"),
	Var("v"), VarPop("x"), Std("v"), StdPop("x"), Median("x"), Quantile("v", 0.25),
}

func TestGroupByEveryAggregate(t *testing.T) {
	sq2 := math.Sqrt(2)
	want := [][]any{
		// g, count, cnn, cd, sum v, sum x, mean v, mean x, min v, max x,
		// first, last, first_nn, last_nn, first_by_o, last_by_o,
		// var v, var_pop x, std v, std_pop x, median x, q.25 v
		{"a", int64(3), int64(2), int64(2), int64(4), 6.0, 2.0, 3.0, int64(1), 4.5,
			int64(1), nil, int64(1), int64(3), int64(3), 1.5,
			2.0, 2.25, sq2, 1.5, 3.0, 1.5},
		{"b", int64(2), int64(0), int64(0), nil, nil, nil, nil, nil, nil,
			nil, nil, nil, nil, nil, nil,
			nil, nil, nil, nil, nil, nil},
		{nil, int64(2), int64(2), int64(2), int64(12), 1.0, 6.0, 0.5, int64(5), 2.0,
			int64(5), int64(7), int64(5), int64(7), int64(7), 2.0,
			2.0, 2.25, sq2, 1.5, 0.5, 5.5},
	}
	for _, chunk := range []int{0, 2} {
		out := keyedApply(t, GroupBy("g").Agg(groupbyAllAggs...), groupbyTestTable(t, chunk))
		names := fieldNames(out.Schema())
		assert.Equal(t, []string{"g", "count", "count_non_null_v", "count_distinct_v", "sum_v", "sum_x",
			"mean_v", "mean_x", "min_v", "max_x", "first_v", "last_v", "first_nn", "last_nn",
			"first_by_o", "last_by_o", "var_v", "var_pop_x", "std_v", "std_pop_x", "median_x", "quantile_0.25_v"}, names)
		keyedRowsEqual(t, want, keyedRows(t, out))
		assert.False(t, out.Schema().Field(1).Nullable, "counts are never null")
		assert.True(t, out.Schema().Field(4).Nullable)
	}
}

func TestGroupByGolden(t *testing.T) {
	transformtest.Golden(t, GroupBy("g").Agg(groupbyAllAggs...), []arrow.Table{groupbyTestTable(t, 3)}, "testdata/groupby_all")
}

func TestGroupByFloatEdgeCases(t *testing.T) {
	s := keyedSchema("k", arrow.PrimitiveTypes.Float64, "x", arrow.PrimitiveTypes.Float64)
	nan := math.NaN()
	in := keyedTable(t, s, 0,
		[]any{0.0, 1.0}, []any{math.Copysign(0, -1), nan}, []any{nan, 2.0}, []any{nan, -3.0}, []any{1.0, math.Inf(1)})
	out := keyedRows(t, keyedApply(t, GroupBy("k").Agg(Count(), Sum("x"), Min("x"), Max("x"), CountDistinct("x")), in))
	// Groups: 0 (0 and -0 together), 1, NaN (last: NaN sorts above all).
	require.Len(t, out, 3)
	assert.Equal(t, 0.0, out[0][0])
	assert.Equal(t, int64(2), out[0][1])
	assert.True(t, math.IsNaN(out[0][2].(float64)), "NaN propagates through sums")
	assert.Equal(t, 1.0, out[0][3], "min ignores NaN")
	assert.True(t, math.IsNaN(out[0][4].(float64)), "max is NaN: NaN sorts above all")
	assert.Equal(t, []any{1.0, int64(1), math.Inf(1), math.Inf(1), math.Inf(1), int64(1)}, out[1])
	assert.True(t, math.IsNaN(out[2][0].(float64)))
	assert.Equal(t, []any{int64(2), -1.0, -3.0, 2.0, int64(2)}, out[2][1:])
}

func TestGroupByEmptyAndGlobal(t *testing.T) {
	empty := keyedTable(t, groupbyTestTable(t, 0).Schema(), 0)
	out := keyedApply(t, GroupBy("g").Agg(Count(), Sum("v")), empty)
	assert.EqualValues(t, 0, out.NumRows())

	global := GroupBy().Agg(Count(), Sum("v"), Mean("x"), First("v"))
	assert.Equal(t, [][]any{{int64(0), nil, nil, nil}}, keyedRows(t, keyedApply(t, global, empty)),
		"no keys: one row even for an empty input, count 0, sum null")
	assert.Equal(t, [][]any{{int64(7), int64(16), 1.75, int64(1)}}, keyedRows(t, keyedApply(t, global, groupbyTestTable(t, 2))))
}

func TestGroupByErrors(t *testing.T) {
	in := groupbyTestTable(t, 0)
	for _, tc := range []struct {
		name string
		tr   kiln.Transform
		msg  string
	}{
		{"missing key", GroupBy("nope").Agg(Count()), `"nope"`},
		{"missing column", GroupBy("g").Agg(Sum("nope")), `"nope"`},
		{"sum of strings", GroupBy("v").Agg(Sum("g")), "has type utf8"},
		{"unknown func", GroupBy("g").Agg(Aggregation{Func: "mode", Column: "v"}), "unknown function"},
		{"duplicate names", GroupBy("g").Agg(Sum("v").As("s"), Sum("x").As("s")), "named twice"},
		{"name clash with key", GroupBy("g").Agg(Count().As("g")), "named twice"},
		{"quantile range", GroupBy("g").Agg(Quantile("v", 1.5)), "outside"},
		{"count with column", GroupBy("g").Agg(Aggregation{Func: "count", Column: "v"}), "CountNonNull"},
		{"order_by on sum", GroupBy("g").Agg(Aggregation{Func: "sum", Column: "v", OrderBy: "o"}), "first and last"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keyedTry(tc.tr, in)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	s := keyedSchema("k", arrow.PrimitiveTypes.Int64, "v", arrow.PrimitiveTypes.Int64)
	big := keyedTable(t, s, 0, []any{1, math.MaxInt64}, []any{1, 1})
	_, err := keyedTry(GroupBy("k").Agg(Sum("v")), big)
	assert.ErrorContains(t, err, "overflow")
	out := keyedRows(t, keyedApply(t, GroupBy("k").Agg(Mean("v")), big))
	assert.InDelta(t, float64(math.MaxInt64)/2, out[0][1], 1e3, "mean falls back to float sums on overflow")
}

// groupbyNaive computes aggregates of float column x per int key k (nil
// keys grouped last) by the definitions.
func groupbyNaive(keys []any, xs []any) [][]any {
	type grp struct {
		k    any
		vals []float64
		rows []int
	}
	idx := map[any]int{}
	var gs []*grp
	for i, k := range keys {
		j, ok := idx[k]
		if !ok {
			j = len(gs)
			idx[k] = j
			gs = append(gs, &grp{k: k})
		}
		gs[j].rows = append(gs[j].rows, i)
		if xs[i] != nil {
			gs[j].vals = append(gs[j].vals, xs[i].(float64))
		}
	}
	sort.SliceStable(gs, func(a, b int) bool {
		if gs[a].k == nil || gs[b].k == nil {
			return gs[b].k == nil && gs[a].k != nil
		}
		return gs[a].k.(int) < gs[b].k.(int)
	})
	var out [][]any
	for _, g := range gs {
		var k any
		if g.k != nil {
			k = int64(g.k.(int))
		}
		row := []any{k, int64(len(g.rows)), int64(len(g.vals))}
		if len(g.vals) == 0 {
			row = append(row, nil, nil, nil, nil, nil, nil)
			out = append(out, row)
			continue
		}
		sum := 0.0
		for _, v := range g.vals {
			sum += v
		}
		mean := sum / float64(len(g.vals))
		ss := 0.0
		for _, v := range g.vals {
			ss += (v - mean) * (v - mean)
		}
		var variance any
		if len(g.vals) > 1 {
			variance = ss / float64(len(g.vals)-1)
		}
		sorted := slices.Clone(g.vals)
		slices.Sort(sorted)
		pos := 0.9 * float64(len(sorted)-1)
		lo := int(math.Floor(pos))
		q := sorted[lo]
		if lo+1 < len(sorted) {
			q += (pos - float64(lo)) * (sorted[lo+1] - sorted[lo])
		}
		row = append(row, sum, mean, sorted[0], sorted[len(sorted)-1], variance, q)
		out = append(out, row)
	}
	return out
}

func TestGroupByRandomMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	s := keyedSchema("k", arrow.PrimitiveTypes.Int32, "x", arrow.PrimitiveTypes.Float64)
	n := 5000
	keys, xs := make([]any, n), make([]any, n)
	rows := make([][]any, n)
	for i := range n {
		keys[i] = r.IntN(200) - 100
		if r.IntN(30) == 0 {
			keys[i] = nil
		}
		if r.IntN(5) > 0 {
			xs[i] = math.Round(r.NormFloat64()*1e4) / 100
		}
		rows[i] = []any{keys[i], xs[i]}
	}
	in := keyedTable(t, s, 777, rows...)
	tr := GroupBy("k").Agg(Count(), CountNonNull("x"), Sum("x"), Mean("x"), Min("x"), Max("x"), Var("x"), Quantile("x", 0.9))
	keyedRowsEqual(t, groupbyNaive(keys, xs), keyedRows(t, keyedApply(t, tr, in)))
}

func TestGroupByLineage(t *testing.T) {
	in := groupbyTestTable(t, 0)
	l, err := GroupBy("g").Agg(Sum("v"), LastBy("x", "o"), Count()).ColumnLineage([]*arrow.Schema{in.Schema()})
	require.NoError(t, err)
	assert.Equal(t, []kiln.ColumnRef{ref(0, "g", "DIRECT", "IDENTITY"), ref(0, "g", "INDIRECT", "GROUP_BY")}, l["g"])
	assert.Equal(t, []kiln.ColumnRef{ref(0, "v", "DIRECT", "AGGREGATION"), ref(0, "g", "INDIRECT", "GROUP_BY")}, l["sum_v"])
	assert.Equal(t, []kiln.ColumnRef{ref(0, "x", "DIRECT", "AGGREGATION"), ref(0, "o", "INDIRECT", "SORT"), ref(0, "g", "INDIRECT", "GROUP_BY")}, l["last_x"])
	assert.Equal(t, []kiln.ColumnRef{ref(0, "g", "INDIRECT", "GROUP_BY")}, l["count"])
}

func TestGroupBySameAtAnyParallelism(t *testing.T) {
	in := keyedBig(t, 210_000)
	keyedSameAtAnyParallelism(t, GroupBy("user", "day").Agg(Count(), Sum("amount"), Mean("amount"), Var("qty"),
		Max("item"), LastBy("amount", "ts"), CountDistinct("item"), Quantile("amount", 0.5)), in)
}
