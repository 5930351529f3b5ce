// Package retry runs an operation with exponential backoff within a bounded
// budget: how kiln's sources ride out a server that is briefly down or
// throttling, and then fail cleanly with the cause.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy bounds the retries of one operation.
type Policy struct {
	// Attempts is the maximum number of calls, including the first (default 5).
	Attempts int
	// Initial is the first wait (default 100ms).
	Initial time.Duration
	// Max caps any one backoff step (default 10s). A wait the server asked
	// for (Retryable.After) is not capped by Max, only by Budget.
	Max time.Duration
	// Budget caps the total time spent waiting (default 1 minute).
	Budget time.Duration
	// Jitter, when true, waits a random 50-100% of each backoff step.
	// Waits never influence results, so jitter does not break determinism.
	Jitter bool
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Initial <= 0 {
		p.Initial = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	if p.Budget <= 0 {
		p.Budget = time.Minute
	}
	return p
}

// Retryable marks an error as worth retrying. After, when positive, is the
// wait the server asked for (an HTTP Retry-After).
type Retryable struct {
	Err   error
	After time.Duration
}

func (e *Retryable) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Retryable) Unwrap() error { return e.Err }

// Mark wraps err as retryable (nil stays nil).
func Mark(err error) error {
	if err == nil {
		return nil
	}
	return &Retryable{Err: err}
}

// MarkAfter wraps err as retryable after at least d.
func MarkAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &Retryable{Err: err, After: d}
}

// ErrExhausted is wrapped by the error Do returns when it gave up.
var ErrExhausted = errors.New("retries exhausted")

// Do calls fn until it returns nil or an error not marked Retryable, the
// attempts or the wait budget run out, or ctx is done. Waits grow
// exponentially from Initial up to Max. A Retryable's After, when longer,
// replaces the step even beyond Max: the server said when to come back, and
// asking earlier only spends an attempt. A wait that would pass the Budget is
// not started: Do gives up at once. The returned error wraps the last cause
// and, when retries ran out, ErrExhausted.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	p = p.withDefaults()
	wait := min(p.Initial, p.Max)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		var r *Retryable
		if err == nil || !errors.As(err, &r) {
			return err
		}
		if attempt >= p.Attempts {
			return fmt.Errorf("%w after %d attempts: %w", ErrExhausted, attempt, r.Err)
		}
		d := wait
		if p.Jitter {
			d = d/2 + rand.N(d/2+1)
		}
		if r.After > d {
			d = r.After
		}
		if waited+d > p.Budget {
			asked := ""
			if d == r.After {
				asked = " (the server asked to retry after " + r.After.String() + ")"
			}
			return fmt.Errorf("%w: waiting %s more%s would pass the %s budget after %d attempts: %w", ErrExhausted, d, asked, p.Budget, attempt, r.Err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), r.Err)
		case <-t.C:
		}
		waited += d
		wait *= 2
		if wait > p.Max {
			wait = p.Max
		}
	}
}
