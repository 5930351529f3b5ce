package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Time zones. A timestamp's time zone (Arrow type metadata) never changes
// the instant a value denotes; it says in which zone wall-clock fields
// (hour, day, date_trunc boundaries) are computed. A timestamp without a
// zone ("naive") holds wall-clock time: its fields are read as written,
// with no conversion. Zone names are "UTC" (also "Z", "Etc/UTC"), fixed
// offsets "+HH:MM" / "-HH:MM", or IANA names resolved with the system's
// time zone database (or Go's embedded copy when the system has none): a
// change of the database's rules can change results for IANA zones, never
// for UTC or fixed offsets.
//
// Wall clock to instant (used by date_trunc in a zone with daylight saving
// time, by parsing strings without an offset, and by ToUTC on naive
// timestamps): a wall time that occurs twice (a fall-back overlap) maps to
// the earlier instant; a wall time that does not exist (a spring-forward
// gap) is moved forward by the length of the gap, as java.time does.

var zones sync.Map // string -> *time.Location

// LoadZone resolves a time zone name. "" (naive) resolves to UTC.
func LoadZone(tz string) (*time.Location, error) {
	switch tz {
	case "", "UTC", "Z", "Etc/UTC", "+00:00", "-00:00":
		return time.UTC, nil
	}
	if l, ok := zones.Load(tz); ok {
		return l.(*time.Location), nil
	}
	var loc *time.Location
	if off, ok := parseOffset(tz); ok {
		loc = time.FixedZone(tz, off)
	} else {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("unknown time zone %q (want UTC, an offset like +05:30, or an IANA name like Europe/Paris)", tz)
		}
		loc = l
	}
	zones.Store(tz, loc)
	return loc, nil
}

// parseOffset parses +HH:MM or -HH:MM (also +HHMM, +HH) into seconds east
// of UTC.
func parseOffset(s string) (int, bool) {
	if len(s) < 3 || s[0] != '+' && s[0] != '-' {
		return 0, false
	}
	body := strings.ReplaceAll(s[1:], ":", "")
	if len(body) != 2 && len(body) != 4 {
		return 0, false
	}
	h, err := strconv.Atoi(body[:2])
	if err != nil || h > 23 {
		return 0, false
	}
	m := 0
	if len(body) == 4 {
		if m, err = strconv.Atoi(body[2:]); err != nil || m > 59 {
			return 0, false
		}
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

// zoner converts between instants and wall-clock seconds in one zone,
// caching the current zone period so that a run of nearby values costs no
// time-package call. Not safe for concurrent use: make one per batch.
type zoner struct {
	loc    *time.Location
	utc    bool
	lo, hi int64 // [lo, hi) Unix seconds with offset off
	off    int64
}

func newZoner(loc *time.Location) *zoner {
	return &zoner{loc: loc, utc: loc == time.UTC, lo: 1, hi: 0}
}

// offset returns the zone's UTC offset in seconds at instant sec.
func (z *zoner) offset(sec int64) int64 {
	if z.utc {
		return 0
	}
	if sec >= z.lo && sec < z.hi {
		return z.off
	}
	t := time.Unix(sec, 0).In(z.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	z.lo, z.hi, z.off = math.MinInt64, math.MaxInt64, int64(off)
	if !start.IsZero() {
		z.lo = start.Unix()
	}
	if !end.IsZero() {
		z.hi = end.Unix()
	}
	return z.off
}

// local returns the wall-clock seconds (written as if UTC) of instant sec.
func (z *zoner) local(sec int64) int64 { return sec + z.offset(sec) }

// instant returns the instant of wall-clock seconds wall: the earlier one
// in an overlap, shifted forward by the gap in a gap.
func (z *zoner) instant(wall int64) int64 {
	if z.utc {
		return wall
	}
	const day = 86400
	before, after := z.offset(wall-2*day), z.offset(wall+2*day)
	t1, t2 := wall-before, wall-after
	ok1, ok2 := z.offset(t1) == before, z.offset(t2) == after
	switch {
	case ok1 && ok2:
		return min(t1, t2)
	case ok1:
		return t1
	case ok2:
		return t2
	}
	// A gap: the offset before the transition puts the wall time after it.
	return t1
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// civil returns the proleptic Gregorian date of a day count since
// 1970-01-01 (H. Hinnant's algorithm).
func civil(days int64) (y int64, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil is the inverse of civil.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// isoWeekday returns the ISO day of the week (Monday 1 .. Sunday 7) of a
// day count since 1970-01-01 (a Thursday).
func isoWeekday(days int64) int64 { return floorMod(days+3, 7) + 1 }
