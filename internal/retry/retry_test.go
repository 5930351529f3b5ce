package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoRetriesMarkedErrorsOnly(t *testing.T) {
	calls := 0
	err := Do(context.Background(), Policy{Initial: time.Millisecond}, func(context.Context) error {
		calls++
		if calls < 3 {
			return Mark(errors.New("busy"))
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, calls)

	calls = 0
	boom := errors.New("bad request")
	err = Do(context.Background(), Policy{Initial: time.Millisecond}, func(context.Context) error { calls++; return boom })
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, 1, calls)
}

func TestDoGivesUp(t *testing.T) {
	down := errors.New("connection refused")
	calls := 0
	err := Do(context.Background(), Policy{Attempts: 4, Initial: time.Millisecond}, func(context.Context) error { calls++; return Mark(down) })
	assert.ErrorIs(t, err, ErrExhausted)
	assert.ErrorIs(t, err, down)
	assert.Equal(t, 4, calls)

	calls = 0
	err = Do(context.Background(), Policy{Attempts: 100, Initial: 20 * time.Millisecond, Budget: 50 * time.Millisecond},
		func(context.Context) error { calls++; return Mark(down) })
	assert.ErrorIs(t, err, ErrExhausted)
	assert.Equal(t, 2, calls, "after the first 20ms wait, a 40ms wait would pass the 50ms budget")
}

func TestDoHonorsRetryAfterAndCancel(t *testing.T) {
	start := time.Now()
	calls := 0
	err := Do(context.Background(), Policy{Initial: time.Millisecond}, func(context.Context) error {
		calls++
		if calls == 1 {
			return MarkAfter(errors.New("429"), 30*time.Millisecond)
		}
		return nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Do(ctx, Policy{Initial: time.Hour, Max: time.Hour, Budget: 2 * time.Hour}, func(context.Context) error { return Mark(errors.New("down")) })
	assert.ErrorIs(t, err, context.Canceled)
}

func TestDoHonorsRetryAfterBeyondMaxWithinBudget(t *testing.T) {
	pol := Policy{Initial: time.Millisecond, Max: 2 * time.Millisecond, Budget: time.Second}
	start := time.Now()
	calls := 0
	err := Do(context.Background(), pol, func(context.Context) error {
		calls++
		if calls == 1 {
			return MarkAfter(errors.New("429"), 40*time.Millisecond)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
	assert.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond, "the server's wait, not Max")

	// A Retry-After beyond what is left of the budget fails at once,
	// without another call.
	calls = 0
	err = Do(context.Background(), Policy{Initial: 10 * time.Millisecond, Budget: 100 * time.Millisecond}, func(context.Context) error {
		calls++
		if calls == 1 {
			return Mark(errors.New("503"))
		}
		return MarkAfter(errors.New("429"), 95*time.Millisecond)
	})
	assert.ErrorIs(t, err, ErrExhausted)
	assert.ErrorContains(t, err, "the server asked to retry after 95ms")
	assert.Equal(t, 2, calls, "no call after a wait the budget cannot cover")
}
