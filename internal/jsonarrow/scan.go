package jsonarrow

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects, so hostile input cannot
// exhaust the stack. It matches encoding/json.
const maxDepth = 10000

// SyntaxError is invalid JSON at a byte offset of the input.
type SyntaxError struct {
	// Offset is the byte offset of the problem, from the start of the input.
	Offset int
	// Msg says what is wrong.
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// Validate reports whether doc is exactly one JSON value, surrounded by
// optional white space.
func Validate(doc []byte) error {
	i := skipSpace(doc, 0)
	end, err := skipValue(doc, i, 0)
	if err != nil {
		return err
	}
	if j := skipSpace(doc, end); j != len(doc) {
		return syntaxErr(j, "unexpected %q after the value", doc[j])
	}
	return nil
}

// skipValue returns the end of the JSON value starting at b[i] (no leading
// white space), validating it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, syntaxErr(i, "unexpected end of input, want a value")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := skipString(b, i)
		return end, err
	case c == '{':
		return skipObject(b, i, depth+1)
	case c == '[':
		return skipArray(b, i, depth+1)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	default:
		return i, syntaxErr(i, "unexpected %q, want a value", c)
	}
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, syntaxErr(i, "invalid literal, want %s", lit)
	}
	return i + len(lit), nil
}

// skipNumber validates the JSON number grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func skipNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, syntaxErr(start, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, syntaxErr(start, "invalid number: no digits after '.'")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, syntaxErr(start, "invalid number: no digits in exponent")
		}
	}
	return i, nil
}

// skipString returns the end of the string starting at b[i] == '"' (just
// after the closing quote) and whether it holds escapes. It validates escapes
// and rejects control characters; UTF-8 validity is checked by callers that
// keep the text.
func skipString(b []byte, i int) (end int, escaped bool, err error) {
	start := i
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return i, false, syntaxErr(start, "unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex4(b[i+2:i+6]) {
					return i, false, syntaxErr(i, "invalid \\u escape")
				}
				i += 6
			default:
				return i, false, syntaxErr(i, "invalid escape \\%c", b[i+1])
			}
		case c < 0x20:
			return i, false, syntaxErr(i, "control character in string")
		default:
			i++
		}
	}
	return i, false, syntaxErr(start, "unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// unescape appends the decoded content of a validated string body (without
// its quotes) to dst. Lone surrogates become U+FFFD, as in encoding/json.
func unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(s[i+2:])); r2 != utf8.RuneError {
						dst = utf8.AppendRune(dst, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}

func skipObject(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return i, syntaxErr(i, "nesting deeper than %d", maxDepth)
	}
	return eachMember(b, i, func(_, _ int, _ bool, v int) (int, error) { return skipValue(b, v, depth) })
}

func skipArray(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return i, syntaxErr(i, "nesting deeper than %d", maxDepth)
	}
	return eachElement(b, i, func(_, v int) (int, error) { return skipValue(b, v, depth) })
}

// eachMember walks the object starting at b[i] == '{'. For each member it
// calls fn with the key's body span b[ks:ke] (without quotes), whether the
// key holds escapes, and the offset v where the value starts; fn returns the
// offset where the value ends. eachMember returns the offset just after the
// closing brace.
func eachMember(b []byte, i int, fn func(ks, ke int, escaped bool, v int) (int, error)) (int, error) {
	start := i
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			if i >= len(b) {
				return i, syntaxErr(start, "unterminated object")
			}
			return i, syntaxErr(i, "unexpected %q, want a string key", b[i])
		}
		kend, esc, err := skipString(b, i)
		if err != nil {
			return i, err
		}
		j := skipSpace(b, kend)
		if j >= len(b) || b[j] != ':' {
			return j, syntaxErr(j, "want ':' after object key")
		}
		v := skipSpace(b, j+1)
		end, err := fn(i+1, kend-1, esc, v)
		if err != nil {
			return end, err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return i, syntaxErr(start, "unterminated object")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, syntaxErr(i, "unexpected %q, want ',' or '}'", b[i])
		}
	}
}

// eachElement walks the array starting at b[i] == '['. For each element it
// calls fn with the element's index and the offset v where it starts; fn
// returns the offset where it ends. eachElement returns the offset just after
// the closing bracket.
func eachElement(b []byte, i int, fn func(idx, v int) (int, error)) (int, error) {
	start := i
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for idx := 0; ; idx++ {
		end, err := fn(idx, i)
		if err != nil {
			return end, err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return i, syntaxErr(start, "unterminated array")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, syntaxErr(i, "unexpected %q, want ',' or ']'", b[i])
		}
	}
}
