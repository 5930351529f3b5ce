package expr

import (
	"testing"
	"time"
	_ "time/tzdata" // IANA zones in tests even without a system database

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCivilMatchesTimePackage(t *testing.T) {
	for days := int64(-800_000); days <= 800_000; days += 997 {
		tm := time.Unix(days*86400, 0).UTC()
		y, m, d := civil(days)
		require.Equal(t, []int64{int64(tm.Year()), int64(tm.Month()), int64(tm.Day())}, []int64{y, int64(m), int64(d)}, "day %d", days)
		require.Equal(t, days, daysFromCivil(y, m, d))
		wd := int64(tm.Weekday())
		if wd == 0 {
			wd = 7
		}
		require.Equal(t, wd, isoWeekday(days), "day %d", days)
	}
}

func TestFloorDiv(t *testing.T) {
	assert.Equal(t, int64(-1), floorDiv(-1, 86400))
	assert.Equal(t, int64(86399), floorMod(-1, 86400))
	assert.Equal(t, int64(0), floorDiv(0, 7))
	assert.Equal(t, int64(1), floorDiv(7, 7))
	assert.Equal(t, int64(-2), floorDiv(-7, 4))
}

func TestZoneInstant(t *testing.T) {
	ny, err := LoadZone("America/New_York")
	if err != nil {
		t.Skip("no time zone database: ", err)
	}
	z := newZoner(ny)
	wall := func(s string) int64 {
		tm, err := time.Parse("2006-01-02T15:04:05", s)
		require.NoError(t, err)
		return tm.Unix()
	}
	inst := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return tm.Unix()
	}
	// Ordinary winter and summer times.
	assert.Equal(t, inst("2024-01-15T17:00:00Z"), z.instant(wall("2024-01-15T12:00:00")))
	assert.Equal(t, inst("2024-07-15T16:00:00Z"), z.instant(wall("2024-07-15T12:00:00")))
	// Fall back: 01:30 happens twice (EDT then EST); the earlier instant.
	assert.Equal(t, inst("2024-11-03T05:30:00Z"), z.instant(wall("2024-11-03T01:30:00")))
	// Spring forward: 02:30 does not exist; moved forward by the gap to 03:30 EDT.
	assert.Equal(t, inst("2024-03-10T07:30:00Z"), z.instant(wall("2024-03-10T02:30:00")))
	// Round trip instant -> local -> instant away from transitions.
	for s := inst("2024-01-01T00:00:00Z"); s < inst("2025-01-01T00:00:00Z"); s += 3599 {
		l := z.local(s)
		back := z.instant(l)
		_, off1 := time.Unix(s, 0).In(ny).Zone()
		require.Equal(t, int64(off1), l-s)
		if back != s {
			// Only in the repeated hour may the earlier instant differ.
			require.Equal(t, int64(-3600), back-s, "instant %d", s)
		}
	}
}

func TestLoadZone(t *testing.T) {
	for _, tz := range []string{"", "UTC", "Z", "+00:00"} {
		loc, err := LoadZone(tz)
		require.NoError(t, err)
		assert.Equal(t, time.UTC, loc, tz)
	}
	loc, err := LoadZone("+05:30")
	require.NoError(t, err)
	_, off := time.Unix(0, 0).In(loc).Zone()
	assert.Equal(t, 5*3600+30*60, off)
	loc, err = LoadZone("-0800")
	require.NoError(t, err)
	_, off = time.Unix(0, 0).In(loc).Zone()
	assert.Equal(t, -8*3600, off)
	_, err = LoadZone("Mars/Olympus")
	assert.ErrorContains(t, err, "unknown time zone")
	_, err = LoadZone("+25:00")
	assert.Error(t, err)
}
