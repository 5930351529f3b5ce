package kiln_test

import (
	"context"
	"errors"
	"iter"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// landing is a sequential source: each partition continues the counter the
// previous committed partition stopped at, like Kafka offsets.
type landing struct {
	*kiln.FuncSource[string, landRow]
}

func (landing) Sequential() bool { return true }

type landRow struct {
	Offset int64 `kiln:"offset"`
}

type landState struct {
	End int64 `json:"end"`
}

func newLanding(mu *sync.Mutex, order *[]string, failOn string) landing {
	return landing{kiln.SourceFunc("test.landing", "v1", func(ctx *kiln.Context, fail string) iter.Seq2[landRow, error] {
		return func(yield func(landRow, error) bool) {
			mu.Lock()
			*order = append(*order, ctx.Partition().String())
			mu.Unlock()
			if ctx.Partition().String() == fail {
				yield(landRow{}, errors.New("broker went away"))
				return
			}
			var st landState
			if _, err := ctx.PreviousState(&st); err != nil {
				yield(landRow{}, err)
				return
			}
			if err := ctx.SetState(landState{End: st.End + 3}); err != nil {
				yield(landRow{}, err)
				return
			}
			for o := st.End; o < st.End+3; o++ {
				if !yield(landRow{o}, nil) {
					return
				}
			}
		}
	}).With(failOn)}
}

func TestSequentialSourceLandsInOrder(t *testing.T) {
	var mu sync.Mutex
	var order []string
	lake := t.TempDir()
	days, err := kiln.Days("2024-03-01", "2024-03-06")
	require.NoError(t, err)
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	p.Source("bronze.landed", newLanding(&mu, &order, "dt=2024-03-04"))
	b, err := p.Backfill(context.Background(), days, kiln.Parallel(4))
	require.Error(t, err)
	assert.Equal(t, []string{"dt=2024-03-01", "dt=2024-03-02", "dt=2024-03-03", "dt=2024-03-04"}, order,
		"partitions land one at a time, in order, and stop at the first failure")
	assert.Equal(t, []kiln.Partition{day("2024-03-04"), day("2024-03-05"), day("2024-03-06")}, b.Failed())
	for _, r := range b.Runs[4:] {
		n, _ := r.Node("bronze.landed")
		assert.Equal(t, kiln.StatusSkipped, n.Status)
		assert.ErrorIs(t, n.Err, kiln.ErrUpstream)
	}

	// Fixed, the rerun resumes at 2024-03-04 with offsets 9, 10, 11.
	order = nil
	p2 := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	p2.Source("bronze.landed", newLanding(&mu, &order, "none"))
	b, err = p2.Backfill(context.Background(), days, kiln.Parallel(4))
	require.NoError(t, err)
	rows, err := kiln.Rows[landRow](mustRead(t, lake, "bronze/landed", day("2024-03-04")))
	require.NoError(t, err)
	assert.Equal(t, []landRow{{9}, {10}, {11}}, rows)
	_ = b
}

func TestContextNextAndPrevious(t *testing.T) {
	lake := t.TempDir()
	p := testPipeline(t, lake, cfg5)
	for _, d := range []string{"2024-03-01", "2024-03-03", "2024-03-05"} {
		_, err := p.Run(context.Background(), day(d), kiln.Targets("bronze.readings"))
		require.NoError(t, err)
	}
	var prev, next *kiln.Manifest
	probe := kiln.Func("test.probe", "v1", func(ctx *kiln.Context, _ struct{}, in arrowTable) (arrowTable, error) {
		if !ctx.Planning() {
			var err error
			if prev, err = ctx.Previous(); err != nil {
				return nil, err
			}
			if next, err = ctx.Next(); err != nil {
				return nil, err
			}
		}
		in.Retain()
		return in, nil
	})
	p2 := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	src := p2.Source("bronze.readings", newSource(cfg5))
	p2.Transform("bronze.readings_probe", probe, src)
	_ = src
	// The probe node asks about its own dataset: give it neighbors first.
	for _, d := range []string{"2024-03-01", "2024-03-05"} {
		_, err := p2.Run(context.Background(), day(d))
		require.NoError(t, err)
	}
	_, err := p2.Run(context.Background(), day("2024-03-03"))
	require.NoError(t, err)
	require.NotNil(t, prev)
	require.NotNil(t, next)
	assert.Equal(t, "dt=2024-03-01", prev.Partition)
	assert.Equal(t, "dt=2024-03-05", next.Partition)
}

func TestLandedPartitionOutlivesItsRawFiles(t *testing.T) {
	lake := t.TempDir()
	_, err := testPipeline(t, lake, cfg5).Run(context.Background(), day("2024-03-02"), kiln.Targets("bronze.readings"))
	require.NoError(t, err)
	// The source's data now starts later: 2024-03-02 is gone upstream.
	later := cfg5
	later.First = "2024-03-03"
	res, err := testPipeline(t, lake, later).Run(context.Background(), day("2024-03-02"), kiln.Targets("bronze.readings"))
	require.NoError(t, err)
	n, _ := res.Node("bronze.readings")
	assert.Equal(t, kiln.StatusCached, n.Status, "the landed copy stands")
	assert.EqualValues(t, 500, n.Rows)
}
