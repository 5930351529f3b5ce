package expr

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
)

// strVec gives allocation-free access to the values of a utf8 array.
type strVec struct {
	offs []int32 // len+1 offsets into data
	data []byte
}

func (s strVec) value(i int) []byte { return s.data[s.offs[i]:s.offs[i+1]] }

// stringsOf returns the values of a string-typed array, converting
// large_utf8 and utf8_view to utf8 first.
func stringsOf(a arrow.Array) strVec {
	if a.DataType().ID() != arrow.STRING {
		u, err := toUTF8(a)
		if err != nil {
			// Only a value over 2 GiB could fail; show it as empty rather
			// than panic, the caller's cast reported the error already.
			return strVec{offs: make([]int32, a.Len()+1)}
		}
		a = u
	}
	s := a.(*array.String)
	var data []byte
	if buf := s.Data().Buffers()[2]; buf != nil {
		data = buf.Bytes()
	}
	return strVec{offs: s.ValueOffsets(), data: data}
}

// toUTF8 converts a large_utf8 or utf8_view array to utf8.
func toUTF8(a arrow.Array) (arrow.Array, error) {
	if a.DataType().ID() == arrow.STRING {
		return a, nil
	}
	return compute.CastArray(context.Background(), a, compute.SafeCastOptions(arrow.BinaryTypes.String))
}

// fromUTF8 converts a utf8 array to another string type.
func fromUTF8(a arrow.Array, to arrow.DataType) arrow.Array {
	out, err := compute.CastArray(context.Background(), a, compute.SafeCastOptions(to))
	if err != nil {
		return allNull(to, a.Len())
	}
	return out
}

// decodeDictionary returns the values a dictionary array refers to.
func decodeDictionary(a arrow.Array) (arrow.Array, error) {
	dt := a.DataType().(*arrow.DictionaryType)
	return compute.CastArray(context.Background(), a, compute.SafeCastOptions(dt.ValueType))
}

// strBuilder builds a utf8 array value by value without per-value
// allocation.
type strBuilder struct {
	offs []int32
	data []byte
}

func newStrBuilder(n, dataHint int) *strBuilder {
	b := &strBuilder{offs: make([]int32, 1, n+1), data: make([]byte, 0, dataHint)}
	return b
}

func (b *strBuilder) next() { b.offs = append(b.offs, int32(len(b.data))) }

func (b *strBuilder) finish(valid []byte) arrow.Array {
	n := len(b.offs) - 1
	return makeArray(arrow.BinaryTypes.String, n, valid, bytesOf(b.offs), b.data)
}

func (c *compiler) compileString(n *Node) (*cnode, error) {
	args, err := c.compileArgs(n)
	if err != nil {
		return nil, err
	}
	a := args[0]
	if k := catOf(a.typ); k != catString && k != catNull {
		return nil, errAt(n, "%s needs a string, got %s", n.Op, TypeName(a.typ))
	}
	var re *regexp.Regexp
	if n.Op == "regexp_match" {
		if re, err = regexp.Compile(n.Param); err != nil {
			return nil, errAt(n, "bad regular expression: %v", err)
		}
	}
	typ := arrow.DataType(arrow.FixedWidthTypes.Boolean)
	switch n.Op {
	case "lower", "upper", "trim":
		typ = arrow.BinaryTypes.String
	}
	op, param := n.Op, []byte(n.Param)
	return &cnode{typ: typ, nullable: a.nullable, constant: a.constant,
		ev: func(c *evalCtx, mask []byte) (val, error) {
			v, err := a.ev(c, mask)
			if err != nil {
				return val{}, err
			}
			m := rows(c, v)
			if scalarNull(v) || v.a.DataType().ID() == arrow.NULL {
				return nullResult(typ, m, v.scalar), nil
			}
			s := stringsOf(v.a)
			valid := validity(v.a)
			var out arrow.Array
			switch op {
			case "lower", "upper", "trim":
				out = mapStrings(op, s, m, valid)
			default:
				out = matchStrings(op, s, m, valid, param, re)
			}
			return val{a: out, scalar: v.scalar}, nil
		}}, nil
}

// mapStrings applies lower, upper or trim. lower and upper map each rune
// with unicode.ToLower / ToUpper (simple case mapping, as strings.ToLower
// does for all but a few special cases); ASCII takes a fast path. trim
// removes leading and trailing Unicode white space.
func mapStrings(op string, s strVec, n int, valid []byte) arrow.Array {
	b := newStrBuilder(n, int(s.offs[n]-s.offs[0]))
	for i := range n {
		v := s.value(i)
		switch op {
		case "trim":
			b.data = append(b.data, bytes.TrimSpace(v)...)
		case "lower":
			b.data = appendCase(b.data, v, false)
		case "upper":
			b.data = appendCase(b.data, v, true)
		}
		b.next()
	}
	return b.finish(valid)
}

func appendCase(dst, v []byte, upper bool) []byte {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case upper && 'a' <= c && c <= 'z':
				c -= 'a' - 'A'
			case !upper && 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, c) // keep invalid bytes as they are
			i++
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
		} else {
			r = unicode.ToLower(r)
		}
		dst = utf8.AppendRune(dst, r)
		i += size
	}
	return dst
}

// matchStrings computes contains, has_prefix, has_suffix or regexp_match
// (an unanchored RE2 search, like DuckDB's regexp_matches).
func matchStrings(op string, s strVec, n int, valid, param []byte, re *regexp.Regexp) arrow.Array {
	out := make([]byte, bitmapBytes(n))
	for i := range n {
		if valid != nil && !getBit(valid, i) {
			continue
		}
		v := s.value(i)
		var r bool
		switch op {
		case "contains":
			r = bytes.Contains(v, param)
		case "has_prefix":
			r = bytes.HasPrefix(v, param)
		case "has_suffix":
			r = bytes.HasSuffix(v, param)
		case "regexp_match":
			r = re.Match(v)
		}
		out[i>>3] |= b2u(r) << (uint(i) & 7)
	}
	return makeBool(n, out, valid)
}

// quoteValue renders a string value for error messages, shortened.
func quoteValue(b []byte) string {
	const limit = 64
	if len(b) > limit {
		return fmt.Sprintf("%q...", b[:limit])
	}
	return fmt.Sprintf("%q", b)
}
