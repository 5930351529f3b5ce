package kiln

import "time"

// SetMetricsClock sets the clock the freshness lag is computed with.
func SetMetricsClock(m *Metrics, now func() time.Time) { m.now = now }

// SetProgressClock sets the clock of a Progress (elapsed time, ETA).
func SetProgressClock(p *Progress, now func() time.Time) { p.now = now }
