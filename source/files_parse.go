package source

import (
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/arrowx"
)

// Text-to-value parsers shared by the CSV and NDJSON readers. They take byte
// slices and neither allocate nor call through interfaces on success.

// str views b as a string without copying; the string must not outlive b.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// parseInt parses a decimal integer with an optional sign.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	v, ok := parseDigits(b)
	if !ok {
		return 0, false
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// parseUint parses a decimal unsigned integer with an optional '+'.
func parseUint(b []byte) (uint64, bool) {
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	return parseDigits(b)
}

func parseDigits(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if len(b) > 19 {
		v, err := strconv.ParseUint(str(b), 10, 64)
		return v, err == nil
	}
	var v uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return v, true
}

// parseFloat parses a decimal or special (NaN, Inf) floating-point number
// at the given bit size.
func parseFloat(b []byte, bits int) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if c := b[0]; c != '-' && c != '+' && c != '.' && (c < '0' || c > '9') && c != 'N' && c != 'n' && c != 'I' && c != 'i' {
		return 0, false
	}
	v, err := strconv.ParseFloat(str(b), bits)
	return v, err == nil
}

// parseBool accepts true/false (any case), t/f, T/F and 1/0.
func parseBool(b []byte) (bool, bool) {
	switch len(b) {
	case 1:
		switch b[0] {
		case '1', 't', 'T':
			return true, true
		case '0', 'f', 'F':
			return false, true
		}
	case 4:
		if b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e' {
			return true, true
		}
	case 5:
		if b[0]|0x20 == 'f' && b[1]|0x20 == 'a' && b[2]|0x20 == 'l' && b[3]|0x20 == 's' && b[4]|0x20 == 'e' {
			return false, true
		}
	}
	return false, false
}

// parseDate parses YYYY-MM-DD as days since 1970-01-01.
func parseDate(b []byte) (int64, bool) {
	if len(b) != 10 {
		return 0, false
	}
	y, m, d, ok := parseYMD(b)
	if !ok {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

func parseYMD(b []byte) (y, m, d int, ok bool) {
	if b[4] != '-' || b[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := num(b[0:4])
	m, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func num(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + int(d)
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

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseISO parses YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)fraction]][Z|z|±HH[:MM]]]
// into seconds and nanoseconds since the Unix epoch. A time without an
// offset is UTC.
func parseISO(b []byte) (sec, nsec int64, ok bool) {
	if len(b) < 10 {
		return 0, 0, false
	}
	y, mo, d, ok := parseYMD(b)
	if !ok {
		return 0, 0, false
	}
	sec = daysFromCivil(y, mo, d) * 86400
	if len(b) == 10 {
		return sec, 0, true
	}
	if (b[10] != 'T' && b[10] != 't' && b[10] != ' ') || len(b) < 16 || b[13] != ':' {
		return 0, 0, false
	}
	hh, ok1 := num(b[11:13])
	mm, ok2 := num(b[14:16])
	if !ok1 || !ok2 || hh > 23 || mm > 59 {
		return 0, 0, false
	}
	sec += int64(hh*3600 + mm*60)
	i := 16
	if i < len(b) && b[i] == ':' {
		if len(b) < i+3 {
			return 0, 0, false
		}
		ss, ok := num(b[i+1 : i+3])
		if !ok || ss > 59 {
			return 0, 0, false
		}
		sec += int64(ss)
		i += 3
		if i < len(b) && (b[i] == '.' || b[i] == ',') {
			i++
			start := i
			scale := int64(1e8)
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				nsec += int64(b[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == start {
				return 0, 0, false
			}
		}
	}
	if i == len(b) {
		return sec, nsec, true
	}
	switch b[i] {
	case 'Z', 'z':
		return sec, nsec, i+1 == len(b)
	case '+', '-':
		sign := int64(1)
		if b[i] == '-' {
			sign = -1
		}
		z := b[i+1:]
		var oh, om int
		var okh, okm bool
		switch len(z) {
		case 2:
			oh, okh = num(z)
			okm = true
		case 4:
			oh, okh = num(z[:2])
			om, okm = num(z[2:])
		case 5:
			if z[2] != ':' {
				return 0, 0, false
			}
			oh, okh = num(z[:2])
			om, okm = num(z[3:])
		default:
			return 0, 0, false
		}
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, 0, false
		}
		return sec - sign*int64(oh*3600+om*60), nsec, true
	}
	return 0, 0, false
}

// parseTimestamp parses a timestamp in the unit: ISO 8601 (see parseISO),
// or the Go time layout when one is given. Digits finer than the unit are
// truncated.
func parseTimestamp(b []byte, unit arrow.TimeUnit, layout string) (int64, bool) {
	var sec, nsec int64
	if layout != "" {
		t, err := time.Parse(layout, str(b))
		if err != nil {
			return 0, false
		}
		sec, nsec = t.Unix(), int64(t.Nanosecond())
	} else {
		var ok bool
		if sec, nsec, ok = parseISO(b); !ok {
			return 0, false
		}
	}
	return arrowx.UnixToUnit(sec, nsec, unit)
}
