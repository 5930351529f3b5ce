package jsonarrow

import (
	"fmt"
	"strconv"
)

// Span is the position of a JSON value in a document: doc[Start:End].
type Span struct{ Start, End int }

// Root returns the span of the document's top-level value. The document must
// have passed Validate.
func Root(doc []byte) Span {
	s := skipSpace(doc, 0)
	e := len(doc)
	for e > s && isSpace(doc[e-1]) {
		e--
	}
	return Span{s, e}
}

// Lookup follows the object keys of path from the value at. It reports false
// when a key is missing, or a value on the way is not an object. With
// duplicate keys the last one wins. The document must have passed Validate.
func Lookup(doc []byte, at Span, path []string) (Span, bool, error) {
	var keyBuf []byte
	for _, key := range path {
		if at.Start >= len(doc) || doc[at.Start] != '{' {
			return Span{}, false, nil
		}
		found := false
		var next Span
		_, err := eachMember(doc, at.Start, func(ks, ke int, esc bool, v int) (int, error) {
			end, err := skipValue(doc, v, 1)
			if err != nil {
				return end, err
			}
			k := doc[ks:ke]
			if esc {
				keyBuf = unescape(keyBuf[:0], k)
				k = keyBuf
			}
			if string(k) == key {
				found, next = true, Span{v, end}
			}
			return end, nil
		})
		if err != nil || !found {
			return Span{}, false, err
		}
		at = next
	}
	return at, true, nil
}

// Elements calls fn for each element of the array at, in order. A JSON null
// has no elements; any other non-array value is an error.
func Elements(doc []byte, at Span, fn func(i int, el Span) error) error {
	switch {
	case at.Start >= len(doc):
		return syntaxErr(at.Start, "want an array")
	case doc[at.Start] == 'n':
		return nil
	case doc[at.Start] != '[':
		return fmt.Errorf("want an array, got %s", describe(doc[at.Start:at.End]))
	}
	_, err := eachElement(doc, at.Start, func(i, v int) (int, error) {
		end, err := skipValue(doc, v, 1)
		if err != nil {
			return end, err
		}
		return end, fn(i, Span{v, end})
	})
	return err
}

// Text returns a scalar's text: a string's unescaped content, or a number's
// or boolean's literal. A JSON null gives "" and false; objects and arrays
// are an error.
func Text(doc []byte, at Span) (string, bool, error) {
	v := doc[at.Start:at.End]
	if len(v) == 0 {
		return "", false, syntaxErr(at.Start, "want a value")
	}
	switch v[0] {
	case 'n':
		return "", false, nil
	case '"':
		return string(unescape(nil, v[1:len(v)-1])), true, nil
	case '{', '[':
		return "", false, fmt.Errorf("want a string or number, got %s", describe(v))
	}
	return string(v), true, nil
}

// Int returns an integer scalar (a JSON number, or a string holding one).
func Int(doc []byte, at Span) (int64, bool, error) {
	s, ok, err := Text(doc, at)
	if err != nil || !ok {
		return 0, ok, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("want an integer, got %s", describe(doc[at.Start:at.End]))
	}
	return n, true, nil
}
