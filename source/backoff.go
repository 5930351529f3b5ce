package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kiln-data/kiln/internal/retry"
)

// ErrUnavailable is wrapped by the error of a run whose source gave up on a
// server that stayed down, throttling or unreachable through its retry
// budget (see Backoff): a database (SQL), an API (HTTP) or a Kafka cluster.
// The error also wraps the last cause. Nothing is committed and the previous
// partition stays as it was; rerun once the server is back.
var ErrUnavailable = errors.New("unavailable")

// Backoff bounds the retries of a source that reaches a server (SQL's
// SQLRetry, HTTPConfig.Retry, KafkaConfig.Retry): exponential waits from
// Initial, doubling up to Max, at most Attempts requests and Budget of
// waiting in all. When they run out the run fails with an error wrapping
// ErrUnavailable. Zero fields take the source's defaults. Retries never
// change what is read, so a Backoff is not part of any fingerprint.
type Backoff struct {
	// Attempts is the maximum number of requests, the first included
	// (default 5).
	Attempts int
	// Initial is the first wait; waits double.
	Initial time.Duration
	// Max caps one backoff step. A wait the server asks for (an HTTP
	// Retry-After) is honored even beyond Max, as long as it fits in what
	// is left of Budget; when it does not, the source gives up at once.
	Max time.Duration
	// Budget caps the total wait.
	Budget time.Duration
}

// policy converts b to the internal retry policy, taking def's value for
// each zero field.
func (b Backoff) policy(def Backoff) retry.Policy {
	or := func(v, d time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return d
	}
	p := retry.Policy{Attempts: b.Attempts, Initial: or(b.Initial, def.Initial), Max: or(b.Max, def.Max), Budget: or(b.Budget, def.Budget)}
	if p.Attempts <= 0 {
		p.Attempts = def.Attempts
	}
	return p
}

// retryUnavailable runs fn, retrying the errors it marks with retry.Mark
// within p. When the retries run out, the error wraps ErrUnavailable and the
// last cause.
func retryUnavailable(ctx context.Context, p retry.Policy, fn func(ctx context.Context) error) error {
	err := retry.Do(ctx, p, fn)
	if errors.Is(err, retry.ErrExhausted) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
