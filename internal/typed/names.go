package typed

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
)

// tagKey is the struct tag key read by this package.
const tagKey = "kiln"

// tagOptions holds the parsed options of one kiln struct tag. The used* flags
// are set while the field's type is compiled, so that an option that does not
// apply to the field's Go type is reported instead of silently ignored.
type tagOptions struct {
	unit    arrow.TimeUnit
	hasUnit bool
	tz      string
	hasTZ   bool
	loc     *time.Location // loaded from tz; nil for a naive timestamp
	dict    bool

	usedUnit, usedTZ, usedDict bool
}

// parseTag splits a kiln tag into the column name (possibly empty, meaning
// "derive it from the field name") and its options.
func parseTag(tag string) (name string, opts tagOptions, err error) {
	opts.tz = "UTC"
	opts.loc = time.UTC
	name, rest, _ := strings.Cut(tag, ",")
	name = strings.TrimSpace(name)
	for rest != "" {
		var opt string
		opt, rest, _ = strings.Cut(rest, ",")
		opt = strings.TrimSpace(opt)
		key, val, hasVal := strings.Cut(opt, "=")
		switch {
		case opt == "":
			// tolerate "name,,dict"
		case key == "dict" && !hasVal:
			opts.dict = true
		case key == "unit" && hasVal:
			u, ok := parseUnit(val)
			if !ok {
				return "", opts, fmt.Errorf("unknown unit %q (want s, ms, us or ns)", val)
			}
			opts.unit, opts.hasUnit = u, true
		case key == "tz" && hasVal:
			opts.tz, opts.hasTZ = val, true
			opts.loc = nil
			if val != "" {
				loc, err := time.LoadLocation(val)
				if err != nil {
					return "", opts, fmt.Errorf("tz=%s: %w", val, err)
				}
				opts.loc = loc
			}
		default:
			return "", opts, fmt.Errorf("unknown tag option %q (want unit=, tz= or dict)", opt)
		}
	}
	return name, opts, nil
}

func parseUnit(s string) (arrow.TimeUnit, bool) {
	switch s {
	case "s":
		return arrow.Second, true
	case "ms":
		return arrow.Millisecond, true
	case "us":
		return arrow.Microsecond, true
	case "ns":
		return arrow.Nanosecond, true
	}
	return 0, false
}

// unusedOption names the first option that was given but did not apply to
// the field's Go type, or returns "".
func (o *tagOptions) unusedOption() string {
	switch {
	case o.hasUnit && !o.usedUnit:
		return "unit=" + o.unit.String()
	case o.hasTZ && !o.usedTZ:
		return "tz=" + o.tz
	case o.dict && !o.usedDict:
		return "dict"
	}
	return ""
}

// SnakeCase converts a Go field name to the column name used when a field has
// no kiln tag: words are split at lower-to-upper case changes and at the end
// of an upper-case run, then lower-cased and joined with underscores. Digits
// stay with the word before them, and a plural "s" after an acronym stays
// with the acronym.
//
//	UserID     → user_id
//	EventTS    → event_ts
//	HTTPStatus → http_status
//	UserIDs    → user_ids
//	MD5Sum     → md5_sum
//	Price2     → price2
func SnakeCase(name string) string {
	runes := []rune(name)
	var sb strings.Builder
	sb.Grow(len(name) + 4)
	for i, r := range runes {
		if i > 0 && unicode.IsUpper(r) && runes[i-1] != '_' {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			// "IDs" and "IDsByX": a lone trailing "s" is a plural, not a word.
			plural := nextLower && runes[i+1] == 's' &&
				(i+2 == len(runes) || !unicode.IsLower(runes[i+2]))
			switch {
			case unicode.IsLower(prev) || unicode.IsDigit(prev):
				sb.WriteByte('_')
			case unicode.IsUpper(prev) && nextLower && !plural:
				sb.WriteByte('_')
			}
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return sb.String()
}

// validColumnName reports whether s can be used as a column name.
func validColumnName(s string) bool {
	return s != "" && utf8.ValidString(s)
}
