package quality_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
	"github.com/kiln-data/kiln/quality"
)

// Event is a row of the test source.
type Event struct {
	ID     int64     `kiln:"id"`
	User   *int64    `kiln:"user_id"`
	Kind   string    `kiln:"kind"`
	Amount *float64  `kiln:"amount"`
	TS     time.Time `kiln:"ts"`
}

// GenCfg configures the test source.
type GenCfg struct {
	Rows      int     `json:"rows"`
	Scale     float64 `json:"scale"`      // amounts are uniform in [0, 100·Scale)
	NullEvery int     `json:"null_every"` // user_id is null when i % NullEvery == 5
	BadEvery  int     `json:"bad_every"`  // amount is -1 when i % BadEvery == 3
	Buy       float64 `json:"buy"`        // share of "purchase" events
}

var baseCfg = GenCfg{Rows: 2000, Scale: 1, NullEvery: 50, Buy: 0.05}

func events(ctx *kiln.Context, cfg GenCfg) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		r := ctx.Rand()
		start := ctx.Partition().Start()
		d := int64(start.Sub(day0) / (24 * time.Hour))
		for i := range cfg.Rows {
			e := Event{ID: d*1_000_000 + int64(i), TS: start.Add(time.Duration(i) * (24 * time.Hour) / time.Duration(cfg.Rows))}
			if cfg.NullEvery == 0 || i%cfg.NullEvery != 5 {
				u := int64(r.IntN(500) + 1)
				e.User = &u
			}
			switch x := r.Float64(); {
			case x < cfg.Buy:
				e.Kind = "purchase"
			case x < cfg.Buy+0.15:
				e.Kind = "add_to_cart"
			default:
				e.Kind = "view"
			}
			a := r.Float64() * 100 * cfg.Scale
			if cfg.BadEvery > 0 && i%cfg.BadEvery == 3 {
				a = -1
			}
			e.Amount = &a
			if !yield(e, nil) {
				return
			}
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func day(s string) kiln.Partition {
	p, err := kiln.ParsePartition("dt=" + s)
	if err != nil {
		panic(err)
	}
	return p
}

// passThrough copies its input, so a node downstream of the checks exists.
var passThrough = kiln.Func("test.copy", "v1", func(_ *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
	in.Retain()
	return in, nil
})

// readCommitted reads a committed partition of a dataset back from the lake.
func readCommitted(t *testing.T, lakeDir, dataset, part string) (arrow.Table, *kiln.Manifest) {
	t.Helper()
	dir := filepath.Join(lakeDir, filepath.FromSlash(dataset), part)
	b, err := lake.ReadManifest(dir)
	require.NoError(t, err)
	m, err := lineage.UnmarshalManifest(b)
	require.NoError(t, err)
	var tables []arrow.Table
	for _, f := range m.Files {
		tbl, err := pq.ReadFile(context.Background(), filepath.Join(dir, f.Path), pq.ReadOptions{})
		require.NoError(t, err)
		tables = append(tables, tbl)
	}
	require.Len(t, tables, 1)
	return tables[0], m
}

func int64Col(t *testing.T, tbl arrow.Table, name string) []int64 {
	t.Helper()
	col, err := kiln.Column(tbl, name, arrow.PrimitiveTypes.Int64)
	require.NoError(t, err)
	var out []int64
	for _, c := range col.Chunks() {
		out = append(out, c.(*array.Int64).Int64Values()...)
	}
	return out
}

func TestQuarantineThroughPipeline(t *testing.T) {
	ctx := context.Background()
	lakeDir := t.TempDir()
	cfg := baseCfg
	cfg.NullEvery, cfg.BadEvery = 11, 7
	p := kiln.New("test", kiln.WithLake(lakeDir), kiln.WithLogger(discard()))
	src := p.Source("bronze.events", kiln.SourceFunc("test.events", "v1", events).With(cfg)).Check(
		quality.NotNull("user_id").Quarantine(),
		quality.AtLeast("amount", 0).Quarantine().Named("amount_non_negative"),
		quality.InSet("kind", "view", "add_to_cart", "purchase"),
	)
	p.Transform("silver.events", passThrough, src)
	res, err := p.Run(ctx, day("2024-03-02"))
	require.NoError(t, err)

	n, _ := res.Node("bronze.events")
	nulls, bad := 0, 0
	for i := range cfg.Rows {
		switch {
		case i%11 == 5:
			nulls++
		case i%7 == 3:
			bad++
		}
	}
	assert.EqualValues(t, nulls+bad, n.Quarantined)
	assert.EqualValues(t, cfg.Rows-nulls-bad, n.Rows)
	require.Len(t, n.Checks, 3)
	assert.EqualValues(t, nulls, n.Checks[0].Quarantined)
	assert.EqualValues(t, bad, n.Checks[1].Quarantined, "rows already flagged by not_null go with that check")
	assert.True(t, n.Checks[2].Success)

	ok, _ := readCommitted(t, lakeDir, "bronze/events", "dt=2024-03-02")
	q, qm := readCommitted(t, lakeDir, "bronze/events_quarantine", "dt=2024-03-02")
	okIDs, badIDs := int64Col(t, ok, "id"), int64Col(t, q, "id")
	assert.True(t, slices.IsSorted(okIDs), "passed rows keep input order")
	assert.True(t, slices.IsSorted(badIDs), "quarantined rows keep input order")
	all := slices.Concat(okIDs, badIDs)
	slices.Sort(all)
	want := make([]int64, cfg.Rows)
	for i := range want {
		want[i] = int64(i) // 2024-03-02 is day 0 of the generator
	}
	assert.True(t, slices.Equal(want, all), "passed + quarantined = input, no row lost or doubled")
	assert.EqualValues(t, nulls+bad, qm.Rows)

	checkCol, err := kiln.Column(q, "_kiln_check", nil)
	require.NoError(t, err)
	reasons := map[string]int{}
	for _, c := range checkCol.Chunks() {
		s := c.(*array.String)
		for i := range s.Len() {
			reasons[s.Value(i)]++
		}
	}
	assert.Equal(t, map[string]int{"not_null": nulls, "amount_non_negative": bad}, reasons)

	// Downstream saw exactly the passed rows.
	down, _ := readCommitted(t, lakeDir, "silver/events", "dt=2024-03-02")
	assert.Equal(t, okIDs, int64Col(t, down, "id"))
}

func treeHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if rel == "_lineage" || rel == "_kiln" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h := blake3.Sum256(b)
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%x", h[:8])
		return nil
	}))
	return out
}

func TestErrorCheckKeepsPreviousPartition(t *testing.T) {
	ctx := context.Background()
	lakeDir := t.TempDir()
	build := func(cfg GenCfg) *kiln.Pipeline {
		p := kiln.New("test", kiln.WithLake(lakeDir), kiln.WithLogger(discard()))
		src := p.Source("bronze.events", kiln.SourceFunc("test.events", "v1", events).With(cfg)).Check(
			quality.NotNull("user_id").Mostly(0.95),
			quality.AtLeast("amount", 0),
			quality.Mean("amount").Between(25, 75),
		)
		p.Transform("silver.events", passThrough, src)
		return p
	}
	for _, d := range []string{"2024-03-01", "2024-03-02"} {
		_, err := build(baseCfg).Run(ctx, day(d))
		require.NoError(t, err)
	}
	before := treeHashes(t, lakeDir)
	require.Contains(t, before, "bronze/events/dt=2024-03-02/_kiln/manifest.json")

	broken := baseCfg
	broken.BadEvery = 13
	res, err := build(broken).Run(ctx, day("2024-03-02"))
	require.ErrorIs(t, err, kiln.ErrCheckFailed)
	assert.Contains(t, err.Error(), `between on column "amount"`)
	n, _ := res.Node("bronze.events")
	assert.Equal(t, kiln.StatusFailed, n.Status)
	require.Len(t, n.Checks, 3)
	assert.True(t, n.Checks[0].Success)
	assert.False(t, n.Checks[1].Success)
	assert.InDelta(t, 2.0/3, res.QualityPassRate(), 1e-12)
	s, _ := res.Node("silver.events")
	assert.Equal(t, kiln.StatusSkipped, s.Status, "nothing downstream runs")
	assert.Equal(t, before, treeHashes(t, lakeDir), "the committed partitions stay as they were")

	// The committed partition still reads back with its own results.
	rep, err := quality.ReadReport(lakeDir, "bronze.events", day("2024-03-02"))
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Summary.Passed)
}

// shifted is a day whose data drifted: fewer rows, more nulls, larger
// amounts, more purchases.
var shifted = GenCfg{Rows: 1500, Scale: 2, NullEvery: 10, Buy: 0.3}

func driftPipeline(lakeDir string, cfg GenCfg) *kiln.Pipeline {
	p := kiln.New("test", kiln.WithLake(lakeDir), kiln.WithLogger(discard()))
	p.Source("bronze.events", kiln.SourceFunc("test.events", "v1", events).With(cfg)).Check(
		quality.RowCountChange(quality.DefaultRowCountChange).Warn(),
		quality.NullRateChange("user_id", 0.03).Warn(),
		quality.MeanShift("amount", 0.25).Warn(),
		quality.PSI("amount", 0.25).Warn(),
		quality.KS("amount", 0.1).Warn(),
		quality.KS("amount", 0.1).Against(quality.Committed("", "dt=2024-03-01")).Warn().Named("ks_vs_first_day"),
		quality.ChiSquare("kind", 0.001).Warn(),
		quality.SchemaChange().Warn(),
		quality.Freshness("ts", time.Hour),
		quality.Profile(),
	)
	return p
}

func TestDriftAcrossPartitions(t *testing.T) {
	ctx := context.Background()
	lakeDir := t.TempDir()
	run := func(d string, cfg GenCfg) *kiln.Result {
		res, err := driftPipeline(lakeDir, cfg).Run(ctx, day(d))
		require.NoError(t, err)
		return res
	}
	status := func(res *kiln.Result) map[string]bool {
		n, _ := res.Node("bronze.events")
		out := map[string]bool{}
		for _, c := range n.Checks {
			out[c.Check] = c.Success
		}
		return out
	}
	first := run("2024-03-01", baseCfg)
	n, _ := first.Node("bronze.events")
	for _, c := range n.Checks {
		assert.True(t, c.Success, "%s: %s", c.Check, c.Message)
	}
	assert.Contains(t, n.Checks[0].Message, "no reference")

	second := run("2024-03-02", baseCfg)
	for name, ok := range status(second) {
		assert.True(t, ok, "day 2 looks like day 1: %s", name)
	}

	third := run("2024-03-03", shifted)
	assert.Equal(t, map[string]bool{
		"row_count_change": false, "null_rate_change": false, "mean_shift": false, "psi": false,
		"ks": false, "ks_vs_first_day": false, "chi_square": false, "schema_change": true,
		"freshness": true, "profile": true,
	}, status(third))
	assert.InDelta(t, 3.0/10, third.QualityPassRate(), 1e-12)

	// The profiles are in the manifest, and read back.
	_, m := readCommitted(t, lakeDir, "bronze/events", "dt=2024-03-03")
	prof, err := quality.ReadProfile(m)
	require.NoError(t, err)
	assert.EqualValues(t, 1500, prof.Rows)
	amount := prof.Column("amount")
	require.NotNil(t, amount)
	assert.EqualValues(t, 1500, amount.Sketch.Count())
	assert.InDelta(t, 100, *amount.Mean, 10)
	kind := prof.Column("kind")
	require.NotNil(t, kind)
	assert.EqualValues(t, 3, kind.Distinct)
	assert.Len(t, kind.Top, 3)

	// The report read from the manifest is the report of the run.
	fromRun, err := quality.ReportOf(third).JSON()
	require.NoError(t, err)
	rep, err := quality.ReadReport(lakeDir, "bronze.events", day("2024-03-03"))
	require.NoError(t, err)
	fromLake, err := rep.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, string(fromRun), string(fromLake))

	// Rerunning day 3 is a cache hit with the same results.
	again := run("2024-03-03", shifted)
	n, _ = again.Node("bronze.events")
	assert.Equal(t, kiln.StatusCached, n.Status)
	assert.Equal(t, status(third), status(again))
}
