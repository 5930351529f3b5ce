package kiln_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
)

// click is a row of the CLI tests' source.
type click struct {
	User   int64   `kiln:"user"`
	Amount float64 `kiln:"amount"`
}

// clickCfg configures the clicks source: Base+day-of-month rows per day,
// so that row counts change from one partition to the next.
type clickCfg struct {
	Base int `json:"base"`
}

func clicks(ctx *kiln.Context, cfg clickCfg) iter.Seq2[click, error] {
	return func(yield func(click, error) bool) {
		n := cfg.Base + ctx.Partition().Start().Day()
		r := ctx.Rand()
		for i := range n {
			if !yield(click{User: int64(i % 4), Amount: float64(r.IntN(100))}, nil) {
				return
			}
		}
	}
}

// userTotal is a row of gold.user_totals.
type userTotal struct {
	User  int64   `kiln:"user"`
	N     int64   `kiln:"n"`
	Total float64 `kiln:"total"`
}

// totals sums clicks per user, ordered by user.
func totals(in arrow.Table) (arrow.Table, error) {
	rows, err := kiln.Rows[click](in)
	if err != nil {
		return nil, err
	}
	var out []userTotal
	for _, c := range rows {
		i := slices.IndexFunc(out, func(t userTotal) bool { return t.User == c.User })
		if i < 0 {
			out = append(out, userTotal{User: c.User})
			i = len(out) - 1
		}
		out[i].N++
		out[i].Total += c.Amount
	}
	slices.SortFunc(out, func(a, b userTotal) int { return int(a.User - b.User) })
	return kiln.TableOf(out)
}

// cliTest is a small pipeline for the CLI tests:
//
//	bronze.clicks -> silver.clicks (checked) -> gold.user_totals
//	bronze.clicks -[lookback 3d]-> gold.clicks_3d
//
// gold.user_totals fails for the partition stored in fail, if any.
type cliTest struct {
	p    *kiln.Pipeline
	lake string // pass with --lake
	def  string // the pipeline's WithLake, which --lake overrides
	fail *atomic.Value
	salt *atomic.Int64 // added to amounts by silver.clicks: a change without a version bump
}

var cliNodes = []string{"bronze.clicks", "silver.clicks", "gold.user_totals", "gold.clicks_3d"}

func newCLITest(t testing.TB, opts ...kiln.Option) *cliTest {
	t.Helper()
	dir := t.TempDir()
	ct := &cliTest{lake: filepath.Join(dir, "lake"), def: filepath.Join(dir, "default"), fail: &atomic.Value{}, salt: &atomic.Int64{}}
	ct.fail.Store("")
	p := kiln.New("clitest", append([]kiln.Option{kiln.WithLake(ct.def), kiln.WithLogger(discard())}, opts...)...)
	src := p.Source("bronze.clicks", kiln.SourceFunc("test.clicks", "v1", clicks).With(clickCfg{Base: 9}))
	clean := p.Transform("silver.clicks", kiln.Func("test.clean", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		rows, err := kiln.Rows[click](in)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			rows[i].Amount += float64(ct.salt.Load())
		}
		return kiln.TableOf(rows)
	}), src)
	clean.Check(quality.NotNull("user"), quality.Between("amount", 0, 100), quality.RowCount().AtLeast(1))
	p.Transform("gold.user_totals", kiln.Func("test.totals", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		if f := ct.fail.Load().(string); f != "" && ctx.Partition().String() == f {
			return nil, fmt.Errorf("injected failure for %s", f)
		}
		return totals(in)
	}), clean)
	p.Transform("gold.clicks_3d", kiln.Func("test.totals_3d", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
		return totals(in)
	}), kiln.Lookback(src, 3*kiln.Day))
	ct.p = p
	return ct
}

// cliResult is what MainArgs returned and printed.
type cliResult struct {
	code           int
	stdout, stderr string
}

// run runs the CLI with --lake set to the test lake.
func (ct *cliTest) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(t, ct.p, append([]string{"--lake", ct.lake}, args...)...)
}

func runCLI(t *testing.T, p *kiln.Pipeline, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := kiln.MainArgs(context.Background(), p, args, &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}
