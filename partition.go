package kiln

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Grain is the time width of a partition.
type Grain int

// Grains.
const (
	// GrainAll is the single partition of an unpartitioned dataset.
	GrainAll Grain = iota
	// GrainDay is a UTC calendar day: dt=YYYY-MM-DD.
	GrainDay
	// GrainHour is a UTC hour: dt=YYYY-MM-DD/hour=HH.
	GrainHour
	// GrainStatic is a fixed key=value slice with no time, e.g. region=eu.
	GrainStatic
)

// String returns "all", "day", "hour" or "static".
func (g Grain) String() string {
	switch g {
	case GrainAll:
		return "all"
	case GrainDay:
		return "day"
	case GrainHour:
		return "hour"
	case GrainStatic:
		return "static"
	}
	return "grain(" + strconv.Itoa(int(g)) + ")"
}

// Duration is the width of one partition of the grain, or 0 for grains
// without time.
func (g Grain) Duration() time.Duration {
	switch g {
	case GrainDay:
		return Day
	case GrainHour:
		return time.Hour
	}
	return 0
}

// Day is 24 hours, for lookback windows: kiln.Lookback(n, 30*kiln.Day).
const Day = 24 * time.Hour

// Partition is one slice of a dataset: a UTC day, a UTC hour, a static
// key=value, or All. A run is always for one partition. The zero value is
// All. Partitions are comparable values.
type Partition struct {
	grain Grain
	start time.Time // UTC, for day and hour
	key   string    // for static
	value string    // for static
}

// All is the single partition of unpartitioned datasets (dimensions).
var All = Partition{}

// Date returns the daily partition of a UTC calendar date. Out-of-range
// values are normalized as time.Date does.
func Date(year int, month time.Month, day int) Partition {
	return DayOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DayOf returns the daily partition holding the instant t (in UTC).
func DayOf(t time.Time) Partition {
	t = t.UTC()
	return Partition{grain: GrainDay, start: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
}

// HourOf returns the hourly partition holding the instant t (in UTC).
func HourOf(t time.Time) Partition {
	t = t.UTC().Truncate(time.Hour)
	return Partition{grain: GrainHour, start: t}
}

// Static returns a partition with no time, written key=value. Key and value
// must be non-empty and free of '/', '=' and path dots.
func Static(key, value string) (Partition, error) {
	if err := checkPathToken(key); err != nil {
		return Partition{}, fmt.Errorf("kiln: static partition key %q: %w", key, err)
	}
	if err := checkPathToken(value); err != nil {
		return Partition{}, fmt.Errorf("kiln: static partition value %q: %w", value, err)
	}
	if key == "dt" || key == "hour" {
		return Partition{}, fmt.Errorf("kiln: static partition key %q is reserved for time partitions", key)
	}
	return Partition{grain: GrainStatic, key: key, value: value}, nil
}

func checkPathToken(s string) error {
	switch {
	case s == "":
		return errors.New("empty")
	case s == "." || s == "..":
		return errors.New("not a name")
	case strings.ContainsAny(s, "/\\=\x00"):
		return errors.New("contains '/', '\\', '=' or NUL")
	}
	return nil
}

// ParsePartition parses the String form of a partition: "all",
// "dt=2024-01-30", "dt=2024-01-30/hour=13", or "key=value".
func ParsePartition(s string) (Partition, error) {
	if s == "all" || s == "" {
		return All, nil
	}
	date, hour, hasHour := strings.Cut(s, "/")
	if d, ok := strings.CutPrefix(date, "dt="); ok {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return Partition{}, fmt.Errorf("kiln: partition %q: date must be YYYY-MM-DD: %w", s, err)
		}
		if !hasHour {
			return DayOf(t), nil
		}
		h, ok := strings.CutPrefix(hour, "hour=")
		n, err := strconv.Atoi(h)
		if !ok || err != nil || n < 0 || n > 23 || len(h) != 2 {
			return Partition{}, fmt.Errorf("kiln: partition %q: hour must be hour=00..23", s)
		}
		return HourOf(t.Add(time.Duration(n) * time.Hour)), nil
	}
	if hasHour {
		return Partition{}, fmt.Errorf("kiln: partition %q: not a partition (want all, dt=YYYY-MM-DD, dt=YYYY-MM-DD/hour=HH or key=value)", s)
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return Partition{}, fmt.Errorf("kiln: partition %q: not a partition (want all, dt=YYYY-MM-DD, dt=YYYY-MM-DD/hour=HH or key=value)", s)
	}
	return Static(k, v)
}

// Grain returns the partition's grain.
func (p Partition) Grain() Grain { return p.grain }

// IsAll reports whether p is the All partition.
func (p Partition) IsAll() bool { return p.grain == GrainAll }

// Start returns the first instant of a time partition (UTC), or the zero
// time for All and static partitions.
func (p Partition) Start() time.Time { return p.start }

// End returns the instant just after a time partition (UTC): the start of the
// next one. It is the partition's logical time: the moment its data is
// complete. Zero for All and static partitions.
func (p Partition) End() time.Time {
	if d := p.grain.Duration(); d > 0 {
		return p.start.Add(d)
	}
	return time.Time{}
}

// Add returns the partition n steps later (earlier when n < 0) of the same
// grain. Partitions without time are returned unchanged.
func (p Partition) Add(n int) Partition {
	switch p.grain {
	case GrainDay:
		return Partition{grain: GrainDay, start: p.start.AddDate(0, 0, n)}
	case GrainHour:
		return Partition{grain: GrainHour, start: p.start.Add(time.Duration(n) * time.Hour)}
	}
	return p
}

// String returns the partition's path: "all", "dt=2024-01-30",
// "dt=2024-01-30/hour=13" or "key=value".
func (p Partition) String() string {
	switch p.grain {
	case GrainDay:
		return "dt=" + p.start.Format(time.DateOnly)
	case GrainHour:
		return fmt.Sprintf("dt=%s/hour=%02d", p.start.Format(time.DateOnly), p.start.Hour())
	case GrainStatic:
		return p.key + "=" + p.value
	}
	return "all"
}

// Dir is the partition's directory relative to its dataset, with forward
// slashes: String() for partitioned data, "" for All (whose files sit in the
// dataset directory itself).
func (p Partition) Dir() string {
	if p.grain == GrainAll {
		return ""
	}
	return p.String()
}

// Compare orders partitions by grain, then time, then key and value.
func (p Partition) Compare(q Partition) int {
	if c := cmp.Compare(p.grain, q.grain); c != 0 {
		return c
	}
	if c := p.start.Compare(q.start); c != 0 {
		return c
	}
	if c := cmp.Compare(p.key, q.key); c != 0 {
		return c
	}
	return cmp.Compare(p.value, q.value)
}

// MarshalText implements encoding.TextMarshaler with String.
func (p Partition) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParsePartition.
func (p *Partition) UnmarshalText(b []byte) error {
	q, err := ParsePartition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Range returns the partitions from first to last inclusive, stepping by
// their grain. Both must be of the same time grain (day or hour), and first
// must not be after last.
func Range(first, last Partition) ([]Partition, error) {
	if first.grain != last.grain || first.grain.Duration() == 0 {
		return nil, fmt.Errorf("kiln: range %s..%s: both ends must be daily or both hourly partitions", first, last)
	}
	if first.start.After(last.start) {
		return nil, fmt.Errorf("kiln: range %s..%s: first is after last", first, last)
	}
	var out []Partition
	for p := first; !p.start.After(last.start); p = p.Add(1) {
		out = append(out, p)
	}
	return out, nil
}

// Days returns the daily partitions from the date from to the date to,
// inclusive, both written YYYY-MM-DD.
func Days(from, to string) ([]Partition, error) {
	a, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("kiln: days from %q: %w", from, err)
	}
	b, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("kiln: days to %q: %w", to, err)
	}
	return Range(DayOf(a), DayOf(b))
}
