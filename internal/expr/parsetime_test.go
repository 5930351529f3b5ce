package expr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseISO(t *testing.T) {
	utc := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return tm.Unix()
	}
	cases := []struct {
		in        string
		ok        bool
		wall      int64
		nsec      int64
		offset    int64
		hasOffset bool
	}{
		{"2024-01-30", true, utc("2024-01-30T00:00:00Z"), 0, 0, false},
		{"2024-01-30T12:34:56Z", true, utc("2024-01-30T12:34:56Z"), 0, 0, true},
		{"2024-01-30t12:34:56z", true, utc("2024-01-30T12:34:56Z"), 0, 0, true},
		{"2024-01-30 12:34", true, utc("2024-01-30T12:34:00Z"), 0, 0, false},
		{"2024-01-30T12:34:56.5", true, utc("2024-01-30T12:34:56Z"), 500_000_000, 0, false},
		{"2024-01-30T12:34:56,123456789+02:00", true, utc("2024-01-30T12:34:56Z"), 123_456_789, 7200, true},
		{"2024-01-30T12:34:56-0530", true, utc("2024-01-30T12:34:56Z"), 0, -19800, true},
		{"2024-01-30T12:34:56+02", true, utc("2024-01-30T12:34:56Z"), 0, 7200, true},
		{"1969-12-31T23:59:59Z", true, -1, 0, 0, true},
		{"2024-02-29", true, utc("2024-02-29T00:00:00Z"), 0, 0, false},
		{"2023-02-29", false, 0, 0, 0, false},
		{"2024-13-01", false, 0, 0, 0, false},
		{"2024-01-30T24:00:00", false, 0, 0, 0, false},
		{"2024-01-30T12:60", false, 0, 0, 0, false},
		{"2024-01-30T12:34:56.", false, 0, 0, 0, false},
		{"2024-01-30T12:34:56.1234567890", false, 0, 0, 0, false},
		{"2024-01-30T12:34:56+2", false, 0, 0, 0, false},
		{"2024-01-30X12:34", false, 0, 0, 0, false},
		{"2024-1-30", false, 0, 0, 0, false},
		{"", false, 0, 0, 0, false},
		{"2024-01-30T12:34:56Zjunk", false, 0, 0, 0, false},
	}
	for _, c := range cases {
		got, ok := ParseISO([]byte(c.in))
		require.Equal(t, c.ok, ok, c.in)
		if !ok {
			continue
		}
		assert.Equal(t, ISOTime{Wall: c.wall, Nsec: c.nsec, Offset: c.offset, HasOffset: c.hasOffset}, got, c.in)
	}
}

// FuzzParseISO checks ParseISO against the time package: whatever it
// accepts in RFC 3339 form must mean what time.Parse says, and it never
// panics.
func FuzzParseISO(f *testing.F) {
	for _, s := range []string{"2024-01-30", "2024-01-30T12:34:56Z", "2024-01-30 12:34:56.123+05:30", "0000-01-01T00:00:00-23:59", "9999-12-31T23:59:59.999999999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParseISO([]byte(s))
		if !ok {
			return
		}
		if len(s) == 10 {
			tm, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t.Fatalf("ParseISO accepted %q, time.Parse refuses it: %v", s, err)
			}
			if tm.Unix() != p.Wall {
				t.Fatalf("%q: wall %d, time.Parse %d", s, p.Wall, tm.Unix())
			}
			return
		}
		if !p.HasOffset || len(s) < 20 || s[10] != 'T' {
			return
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return // forms time.Parse does not take (+0530, +02, ',')
		}
		if tm.Unix() != p.Wall-p.Offset || int64(tm.Nanosecond()) != p.Nsec {
			t.Fatalf("%q: ParseISO instant %d.%09d, time.Parse %d.%09d", s, p.Wall-p.Offset, p.Nsec, tm.Unix(), tm.Nanosecond())
		}
	})
}
