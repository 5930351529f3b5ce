package source

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON scanner's primitives: whitespace, literals, numbers, strings
// (with escapes) and skipping values the schema does not ask for.

func (p *jsonParser) ws() {
	for p.pos < len(p.b) {
		switch p.b[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) peek() byte {
	if p.pos < len(p.b) {
		return p.b[p.pos]
	}
	return 0
}

// literal consumes the literal word if it is next.
func (p *jsonParser) literal(word string) bool {
	if bytes.HasPrefix(p.b[p.pos:], []byte(word)) {
		p.pos += len(word)
		return true
	}
	return false
}

// scanNumber consumes a number per the JSON grammar and reports whether it
// is an integer (no fraction or exponent).
func (p *jsonParser) scanNumber() (integer, ok bool) {
	b, i := p.b, p.pos
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false, false
		}
		integer = false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false, false
		}
		integer = false
	}
	p.pos = i
	return integer, true
}

// str parses the string at p.pos. The result aliases the line or the
// parser's scratch buffer, valid until the next call.
func (p *jsonParser) str() ([]byte, string) {
	start := p.pos + 1
	i := start
	b := p.b
	for i < len(b) {
		c := b[i]
		if c == '"' {
			p.pos = i + 1
			s := b[start:i]
			if !p.utf8ok && !utf8.Valid(s) {
				return nil, "invalid UTF-8 in a string"
			}
			return s, ""
		}
		if c == '\\' {
			return p.strEscaped(start, i)
		}
		if c < 0x20 {
			p.pos = i
			return nil, "control character in a string"
		}
		i++
	}
	p.pos = i
	return nil, "unterminated string"
}

func (p *jsonParser) strEscaped(start, i int) ([]byte, string) {
	b := p.b
	out := append(p.scratch[:0], b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.scratch = out
			if !utf8.Valid(out) {
				return nil, "invalid UTF-8 in a string"
			}
			return out, ""
		case c < 0x20:
			p.pos = i
			return nil, "control character in a string"
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			break
		}
		e := b[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b, i)
			if !ok {
				p.pos = i
				return nil, "invalid \\u escape"
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					r2, ok = hex4(b, i+2)
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			p.pos = i - 1
			return nil, fmt.Sprintf("invalid escape \\%c", e)
		}
	}
	p.pos = i
	p.scratch = out
	return nil, "unterminated string"
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip consumes a value the schema does not ask for, checking its syntax.
func (p *jsonParser) skip(depth int) string {
	if depth > maxJSONDepth {
		return "nested too deeply"
	}
	p.ws()
	switch p.peek() {
	case '"':
		_, r := p.str()
		return r
	case '{', '[':
		closer := byte('}')
		if p.peek() == '[' {
			closer = ']'
		}
		p.pos++
		p.ws()
		if p.peek() == closer {
			p.pos++
			return ""
		}
		for {
			p.ws()
			if closer == '}' {
				if p.peek() != '"' {
					return "expected a key"
				}
				if _, r := p.str(); r != "" {
					return r
				}
				p.ws()
				if p.peek() != ':' {
					return "expected ':' after a key"
				}
				p.pos++
			}
			if r := p.skip(depth + 1); r != "" {
				return r
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.pos++
			case closer:
				p.pos++
				return ""
			default:
				return fmt.Sprintf("expected ',' or '%c'", closer)
			}
		}
	case 't':
		if p.literal("true") {
			return ""
		}
	case 'f':
		if p.literal("false") {
			return ""
		}
	case 'n':
		if p.literal("null") {
			return ""
		}
	default:
		if _, ok := p.scanNumber(); ok {
			return ""
		}
	}
	return "invalid value"
}
