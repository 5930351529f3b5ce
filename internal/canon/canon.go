// Package canon serializes configs canonically, so that they can be hashed
// into fingerprints ("Config is data", DESIGN.md).
//
// JSON(v) is encoding/json's view of v, re-encoded in one canonical form:
//
//   - Values are first marshaled with encoding/json, so struct tags,
//     omitempty, "-", embedded structs, MarshalJSON and MarshalText methods
//     all apply as usual, and then decoded (with UseNumber) and re-encoded.
//   - Object keys are sorted bytewise (Go string order on UTF-8), so the
//     order of struct fields and map iteration order never matter.
//   - No insignificant whitespace.
//   - Numbers are kept exactly as encoding/json wrote them: int64 and
//     uint64 values stay exact, floats use Go's shortest representation
//     (1.0 and 1 are both written 1; 1e21 is written 1e+21).
//   - Strings escape only '"', '\' and control characters below U+0020
//     (\b \f \n \r \t, others as \u00XX with lowercase hex); HTML
//     characters (<, >, &), U+2028, U+2029 and all other Unicode are
//     written raw. Invalid UTF-8 has already become U+FFFD in encoding/json.
//   - Arrays keep their order.
//
// A nil v (or nil pointer, map or slice) encodes as null. Values that
// encoding/json refuses (NaN and infinite floats, funcs, channels, complex
// numbers, cyclic data) give an error.
//
// What changes the canonical form, and so the config hash: renaming a JSON
// key, changing a value, adding a field that is not omitted. What does not:
// reordering fields, reformatting, map insertion order.
package canon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/kiln-data/kiln/internal/digest"
)

// Domain is the domain prefix of Hash. It is part of every fingerprint:
// never change it (use a new version instead).
const Domain = "kiln.canon.json.v1"

// JSON returns the canonical JSON encoding of v: encoding/json semantics
// for Go values (struct tags honored), then re-encoded with object keys
// sorted bytewise, no insignificant whitespace, no HTML escaping, numbers
// kept exactly as encoding/json wrote them (decoded with UseNumber), arrays
// in order. Reordering struct fields does not change the result. NaN, Inf,
// funcs and channels are errors.
func JSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canon: marshal %T: %w", v, err)
	}
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("canon: decode JSON of %T: %w", v, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("canon: JSON of %T holds more than one value", v)
	}
	return appendValue(make([]byte, 0, buf.Len()), tree)
}

// Hash returns the BLAKE3-256 digest of Domain, a zero byte and JSON(v):
// the config hash that goes into fingerprints. (The zero byte cannot occur
// in JSON text, so the prefix is unambiguous.)
func Hash(v any) (digest.Sum, error) {
	js, err := JSON(v)
	if err != nil {
		return digest.Sum{}, err
	}
	msg := make([]byte, 0, len(Domain)+1+len(js))
	msg = append(append(append(msg, Domain...), 0), js...)
	return digest.Bytes(msg), nil
}

func appendValue(out []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(out, "null"...), nil
	case bool:
		return strconv.AppendBool(out, x), nil
	case json.Number:
		return append(out, x...), nil
	case string:
		return appendString(out, x), nil
	case []any:
		out = append(out, '[')
		for i, e := range x {
			if i > 0 {
				out = append(out, ',')
			}
			var err error
			if out, err = appendValue(out, e); err != nil {
				return nil, err
			}
		}
		return append(out, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out = append(out, '{')
		for i, k := range keys {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendString(out, k)
			out = append(out, ':')
			var err error
			if out, err = appendValue(out, x[k]); err != nil {
				return nil, err
			}
		}
		return append(out, '}'), nil
	}
	return nil, fmt.Errorf("canon: unexpected decoded JSON value of type %T", v)
}

const hexDigits = "0123456789abcdef"

func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			out = utf8.AppendRune(out, r) // invalid UTF-8 becomes U+FFFD
			i += size
			continue
		}
		switch {
		case c == '"':
			out = append(out, '\\', '"')
		case c == '\\':
			out = append(out, '\\', '\\')
		case c == '\b':
			out = append(out, '\\', 'b')
		case c == '\f':
			out = append(out, '\\', 'f')
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			out = append(out, c)
		}
		i++
	}
	return append(out, '"')
}
