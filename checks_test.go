package kiln_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// notNull is a minimal not-null check for engine tests.
type notNull struct {
	col string
	sev kiln.Severity
}

func (c notNull) Spec() kiln.Spec {
	return kiln.Spec{Name: "test.not_null", Version: "1", Config: map[string]string{"column": c.col, "severity": string(c.sev)}}
}

func (c notNull) ValidateSchema(s *arrow.Schema) error {
	_, err := kiln.FieldIndex(s, c.col, nil)
	return err
}

func (c notNull) Evaluate(ctx *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	col, err := kiln.Column(t, c.col, nil)
	if err != nil {
		return kiln.CheckResult{}, err
	}
	res := kiln.CheckResult{Check: "not_null", Column: c.col, Severity: c.sev, ElementCount: t.NumRows()}
	row := int64(0)
	for _, a := range col.Chunks() {
		for i := range a.Len() {
			if a.IsNull(i) {
				res.FailedRows = append(res.FailedRows, row)
			}
			row++
		}
	}
	res.UnexpectedCount = int64(len(res.FailedRows))
	res.Success = res.UnexpectedCount == 0
	return res, nil
}

func TestErrorCheckHaltsAndKeepsPrevious(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	build := func(sev kiln.Severity) *kiln.Pipeline {
		p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
		src := p.Source("bronze.readings", newSource(cfg5))
		p.Transform("silver.summary", summarize, src.Check(notNull{"value", sev}))
		return p
	}
	res, err := build(kiln.SeverityWarn).Run(ctx, day("2024-03-02"))
	require.NoError(t, err, "a warn check records and goes on")
	n, _ := res.Node("bronze.readings")
	require.Len(t, n.Checks, 1)
	assert.False(t, n.Checks[0].Success)
	assert.EqualValues(t, 71, n.Checks[0].UnexpectedCount) // rows i%7==3 of 500
	before := treeHashes(t, lake)

	res, err = build(kiln.SeverityError).Run(ctx, day("2024-03-02"))
	require.ErrorIs(t, err, kiln.ErrCheckFailed)
	assert.Contains(t, err.Error(), `not_null on column "value"`)
	s, _ := res.Node("silver.summary")
	assert.Equal(t, kiln.StatusSkipped, s.Status, "nothing downstream runs")
	assert.Equal(t, before, treeHashes(t, lake), "the previous partitions stay as they were")
}

func TestQuarantineSplitsRowsInOrder(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	src := p.Source("bronze.readings", newSource(cfg5)).Check(notNull{"value", kiln.SeverityQuarantine})
	p.Transform("silver.summary", summarize, src)
	res, err := p.Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	n, _ := res.Node("bronze.readings")
	assert.EqualValues(t, 500-71, n.Rows)
	assert.EqualValues(t, 71, n.Quarantined)

	q := kiln.New("reader", kiln.WithLake(t.TempDir()), kiln.WithLogger(discard()))
	q.Source("bronze.q", source.Parquet(filepath.Join(lake, "bronze", "readings_quarantine")))
	q.Source("bronze.ok", source.Parquet(filepath.Join(lake, "bronze", "readings")))
	qres, err := q.Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	qn, _ := qres.Node("bronze.q")
	assert.EqualValues(t, 71, qn.Rows)

	// Passed + quarantined = input, each in input order.
	lakeTable := func(ds string) arrow.Table {
		src := source.Parquet(filepath.Join(lake, filepath.FromSlash(ds)))
		tbl, err := src.Read(kiln.NewContext(ctx, "r", day("2024-03-02")))
		require.NoError(t, err)
		return tbl
	}
	ok, bad := lakeTable("bronze/readings"), lakeTable("bronze/readings_quarantine")
	ids := func(t2 arrow.Table) []int64 {
		var out []int64
		for _, c := range t2.Column(0).Data().Chunks() {
			out = append(out, c.(*array.Int64).Int64Values()...)
		}
		return out
	}
	okIDs, badIDs := ids(ok), ids(bad)
	assert.IsIncreasing(t, okIDs)
	assert.IsIncreasing(t, badIDs)
	assert.Len(t, append(okIDs, badIDs...), 500)
	for _, id := range badIDs {
		assert.EqualValues(t, 3, (id%100000)%7)
	}
	assert.Equal(t, "_kiln_check", bad.Schema().Field(bad.Schema().NumFields()-2).Name)
}

func TestSinkExportsAndSkipsWhenCurrent(t *testing.T) {
	ctx := context.Background()
	lake, out := t.TempDir(), filepath.Join(t.TempDir(), "export")
	build := func() *kiln.Pipeline {
		p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
		src := p.Source("bronze.readings", newSource(cfg5))
		sum := p.Transform("silver.summary", summarize, src)
		p.Sink(sum, sinkParquet(out))
		return p
	}
	_, err := build().Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	exported := filepath.Join(out, "dt=2024-03-02", "part-00000.parquet")
	lakeFile := filepath.Join(lake, "silver", "summary", "dt=2024-03-02", "part-00000.parquet")
	a, err := os.ReadFile(exported)
	require.NoError(t, err)
	b, err := os.ReadFile(lakeFile)
	require.NoError(t, err)
	assert.Equal(t, b, a, "the export is byte-identical to the lake's copy")

	// Delete the export: the cached node exports again.
	require.NoError(t, os.RemoveAll(filepath.Join(out, "dt=2024-03-02")))
	res, err := build().Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	n, _ := res.Node("silver.summary")
	assert.Equal(t, kiln.StatusCached, n.Status)
	assert.FileExists(t, exported)
}

func TestVerifyNamesFirstDifferingNode(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	calls := 0
	// A transform that breaks the contract: it counts its calls.
	leaky := kiln.Func("test.leaky", "v1", func(kctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		if !kctx.Planning() {
			calls++
		}
		type Out struct {
			Calls int64 `kiln:"calls"`
		}
		return kiln.TableOf([]Out{{int64(calls)}})
	})
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	src := p.Source("bronze.readings", newSource(cfg5))
	l := p.Transform("silver.leaky", leaky, src)
	p.Transform("gold.after", kiln.Func("test.copy", "v1", func(_ *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		in.Retain()
		return in, nil
	}), l)
	parts := []kiln.Partition{day("2024-03-02")}
	_, err := p.Backfill(ctx, parts)
	require.NoError(t, err)

	rep, err := p.Verify(ctx, parts)
	require.ErrorIs(t, err, kiln.ErrNotReproducible)
	assert.Contains(t, err.Error(), `"silver.leaky"`)
	m := rep.FirstMismatch()
	require.NotNil(t, m)
	assert.Equal(t, "silver.leaky", m.Node)
	src0, _ := func() (kiln.NodeResult, bool) {
		for _, n := range rep.Nodes {
			if n.Node == "bronze.readings" {
				return n, true
			}
		}
		return kiln.NodeResult{}, false
	}()
	assert.Equal(t, kiln.StatusVerified, src0.Status)
	assert.False(t, rep.OK())

	// Verify committed nothing.
	before := treeHashes(t, lake)
	_, _ = p.Verify(ctx, parts)
	assert.Equal(t, before, treeHashes(t, lake))
}

func TestCorruptParquetNamesTheFile(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	_, err := testPipeline(t, lake, cfg5).Run(ctx, day("2024-03-02"))
	require.NoError(t, err)
	// Land a corrupt file in an uncommitted dataset directory.
	landing := filepath.Join(t.TempDir(), "landing")
	bad := filepath.Join(landing, "dt=2024-03-02", "part-0.parquet")
	require.NoError(t, os.MkdirAll(filepath.Dir(bad), 0o755))
	good, err := os.ReadFile(filepath.Join(lake, "bronze", "readings", "dt=2024-03-02", "part-00000.parquet"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, good[:len(good)/2], 0o644))

	out := t.TempDir()
	p := kiln.New("test", kiln.WithLake(out), kiln.WithLogger(discard()))
	p.Transform("silver.summary", summarize, p.Source("bronze.landed",
		source.Parquet(landing, source.AllowUncommitted(), source.WithSchema(readingSchema(t)))))
	_, err = p.Run(ctx, day("2024-03-02"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad)
	assert.Contains(t, err.Error(), `node "bronze.landed"`)
	assert.Empty(t, treeHashes(t, out), "nothing is committed")
}

func readingSchema(t *testing.T) *arrow.Schema {
	pl, err := testPipeline(t, t.TempDir(), cfg5).Plan(context.Background())
	require.NoError(t, err)
	return pl.Node("bronze.readings").Schema
}

func TestPreviousAndSourceState(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	type state struct {
		Next int64 `json:"next"`
	}
	type Row struct {
		N int64 `kiln:"n"`
	}
	var seen []int64
	counter := kiln.SourceFunc("test.counter", "v1", func(kctx *kiln.Context, _ struct{}) iter.Seq2[Row, error] {
		return func(yield func(Row, error) bool) {
			var st state
			if _, err := kctx.PreviousState(&st); err != nil {
				yield(Row{}, err)
				return
			}
			seen = append(seen, st.Next)
			if err := kctx.SetState(state{Next: st.Next + 10}); err != nil {
				yield(Row{}, err)
				return
			}
			yield(Row{N: st.Next}, nil)
		}
	})
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	p.Source("bronze.counter", counter)
	days, err := kiln.Days("2024-03-01", "2024-03-03")
	require.NoError(t, err)
	for _, d := range days { // one at a time, so each sees the previous commit
		_, err := p.Run(ctx, d)
		require.NoError(t, err)
	}
	assert.Equal(t, []int64{0, 10, 20}, seen)
}

func TestRejectedRecordsAreCommittedAndCleared(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	type Row struct {
		N int64 `kiln:"n"`
	}
	build := func(bad int) *kiln.Pipeline {
		src := kiln.SourceFunc("test.rejecting", "v1", func(kctx *kiln.Context, bad int) iter.Seq2[Row, error] {
			return func(yield func(Row, error) bool) {
				for i := range 5 {
					if i < bad {
						kctx.Reject(kiln.Rejected{Where: "line " + string(rune('1'+i)), Reason: `column "n": not a number`, Raw: "x"})
						continue
					}
					if !yield(Row{N: int64(i)}, nil) {
						return
					}
				}
			}
		}).With(bad)
		p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
		p.Source("bronze.rows", src)
		return p
	}
	res, err := build(2).Run(ctx, day("2024-03-01"))
	require.NoError(t, err)
	n, _ := res.Node("bronze.rows")
	assert.EqualValues(t, 3, n.Rows)
	assert.EqualValues(t, 2, n.Rejected)
	rej := filepath.Join(lake, "bronze", "rows_rejected", "dt=2024-03-01")
	tbl, err := source.Parquet(filepath.Join(lake, "bronze", "rows_rejected")).Read(kiln.NewContext(ctx, "r", day("2024-03-01")))
	require.NoError(t, err)
	assert.EqualValues(t, 2, tbl.NumRows())
	assert.Equal(t, "_kiln_reason", tbl.Schema().Field(1).Name)

	// A fixed input clears the rejected partition.
	_, err = build(0).Run(ctx, day("2024-03-01"))
	require.NoError(t, err)
	tbl, err = source.Parquet(filepath.Join(lake, "bronze", "rows_rejected")).Read(kiln.NewContext(ctx, "r", day("2024-03-01")))
	require.NoError(t, err)
	assert.EqualValues(t, 0, tbl.NumRows())
	assert.DirExists(t, rej)
}

type failingSink struct{}

func (failingSink) Spec() kiln.Spec { return kiln.Spec{Name: "test.failing_sink", Version: "1"} }
func (failingSink) Write(*kiln.Context, arrow.Table, *kiln.Manifest) error {
	return errors.New("warehouse unreachable")
}

func TestFailingSinkFailsRunButKeepsCommit(t *testing.T) {
	lake := t.TempDir()
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	src := p.Source("bronze.readings", newSource(cfg5))
	p.Sink(src, failingSink{})
	p.Transform("silver.summary", summarize, src)
	res, err := p.Run(context.Background(), day("2024-03-02"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sink test.failing_sink: warehouse unreachable")
	n, _ := res.Node("bronze.readings")
	assert.Equal(t, kiln.StatusComputed, n.Status, "the partition itself committed")
	s, _ := res.Node("silver.summary")
	assert.Equal(t, kiln.StatusComputed, s.Status, "downstream still runs on the committed data")
}
