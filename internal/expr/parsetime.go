package expr

// ISOTime is a parsed ISO 8601 timestamp.
type ISOTime struct {
	// Wall is the wall-clock time in seconds since 1970-01-01T00:00:00 as
	// if it were UTC.
	Wall int64
	// Nsec is the fraction of the second in nanoseconds.
	Nsec int64
	// Offset is the UTC offset in seconds east, when HasOffset.
	Offset int64
	// HasOffset reports whether the text gave an offset (or Z).
	HasOffset bool
}

// ParseISO parses the common ISO 8601 / RFC 3339 forms, without
// allocating:
//
//	YYYY-MM-DD
//	YYYY-MM-DD{T| }HH:MM[:SS[.F]][Z|±HH[:MM]|±HHMM]
//
// where F is 1 to 9 digits, T may be lower case and so may Z. Fields are
// range-checked (month 1-12, day within the month, hour 0-23, minute and
// second 0-59). It reports false for anything else.
func ParseISO(b []byte) (ISOTime, bool) {
	var t ISOTime
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return t, false
	}
	y, ok1 := digits(b[0:4])
	mo, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return t, false
	}
	days := daysFromCivil(int64(y), mo, d)
	t.Wall = days * 86400
	rest := b[10:]
	if len(rest) == 0 {
		return t, true
	}
	if c := rest[0]; c != 'T' && c != 't' && c != ' ' {
		return t, false
	}
	rest = rest[1:]
	if len(rest) < 5 || rest[2] != ':' {
		return t, false
	}
	h, ok1 := digits(rest[0:2])
	mi, ok2 := digits(rest[3:5])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return t, false
	}
	sec := 0
	rest = rest[5:]
	if len(rest) > 0 && rest[0] == ':' {
		if len(rest) < 3 {
			return t, false
		}
		s, ok := digits(rest[1:3])
		if !ok || s > 59 {
			return t, false
		}
		sec = s
		rest = rest[3:]
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			rest = rest[1:]
			k := 0
			var ns int64
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				if k == 9 {
					return t, false
				}
				ns = ns*10 + int64(rest[k]-'0')
				k++
			}
			if k == 0 {
				return t, false
			}
			for j := k; j < 9; j++ {
				ns *= 10
			}
			t.Nsec = ns
			rest = rest[k:]
		}
	}
	t.Wall += int64(h*3600 + mi*60 + sec)
	if len(rest) == 0 {
		return t, true
	}
	switch rest[0] {
	case 'Z', 'z':
		if len(rest) != 1 {
			return t, false
		}
		t.HasOffset = true
		return t, true
	case '+', '-':
		oh, om := 0, 0
		body := rest[1:]
		var ok bool
		switch len(body) {
		case 2:
			oh, ok = digits(body)
		case 4:
			oh, ok = digits(body[0:2])
			if ok {
				om, ok = digits(body[2:4])
			}
		case 5:
			if body[2] != ':' {
				return t, false
			}
			oh, ok = digits(body[0:2])
			if ok {
				om, ok = digits(body[3:5])
			}
		}
		if !ok || oh > 23 || om > 59 {
			return t, false
		}
		off := int64(oh*3600 + om*60)
		if rest[0] == '-' {
			off = -off
		}
		t.Offset, t.HasOffset = off, true
		return t, true
	}
	return t, false
}

// digits parses a run of ASCII digits.
func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
