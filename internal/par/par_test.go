package par

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRanges(t *testing.T) {
	assert.Equal(t, [][2]int{{0, 4}, {4, 8}, {8, 10}}, Ranges(10, 4))
	assert.Empty(t, Ranges(0, 4))
	assert.Len(t, Ranges(ChunkRows*3+1, 0), 4)
}

func TestDoSameResultAtAnyParallelism(t *testing.T) {
	sum := func() []int {
		out := make([]int, 100)
		require.NoError(t, Do(context.Background(), 100, func(i int) error { out[i] = i * i; return nil }))
		return out
	}
	prev := runtime.GOMAXPROCS(1)
	a := sum()
	runtime.GOMAXPROCS(2)
	b := sum()
	runtime.GOMAXPROCS(prev)
	assert.Equal(t, a, b)
	assert.Equal(t, 99*99, a[99])
}

func TestDoReportsLowestFailure(t *testing.T) {
	e3, e7 := errors.New("3"), errors.New("7")
	err := Do(context.Background(), 10, func(i int) error {
		switch i {
		case 3:
			return e3
		case 7:
			return e7
		}
		return nil
	})
	require.Error(t, err)
	assert.True(t, errors.Is(err, e3) || errors.Is(err, e7))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, Do(ctx, 5, func(int) error { return nil }), context.Canceled)
}
