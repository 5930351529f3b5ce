package digest

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Size is the length of a Sum in bytes.
const Size = 32

// prefix is the algorithm tag of the textual form of a Sum.
const prefix = "blake3:"

// Sum is a 32-byte BLAKE3 digest.
//
// Its textual form, used in manifests and logs, is "blake3:" followed by 64
// lowercase hex digits. The zero value is the all-zero digest, which no real
// input hashes to in practice; use IsZero to test for "not set".
type Sum [Size]byte

// String returns "blake3:" followed by the 64 lowercase hex digits of s.
func (s Sum) String() string { return prefix + s.Hex() }

// Hex returns the 64 lowercase hex digits of s, without the "blake3:" prefix.
func (s Sum) Hex() string { return hex.EncodeToString(s[:]) }

// Short returns the first 12 hex digits of s, for logs and messages. It is
// not unique enough to identify data; never store it.
func (s Sum) Short() string { return s.Hex()[:12] }

// IsZero reports whether s is the zero (unset) digest.
func (s Sum) IsZero() bool { return s == Sum{} }

// MarshalText implements encoding.TextMarshaler; the text is s.String().
func (s Sum) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts exactly the
// form written by MarshalText: "blake3:" and 64 lowercase hex digits.
func (s *Sum) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ErrSyntax is wrapped by the errors of Parse and Sum.UnmarshalText.
var ErrSyntax = errors.New("invalid digest")

// Parse parses the textual form of a Sum: "blake3:" followed by 64 lowercase
// hex digits. Anything else (another algorithm, a missing prefix, uppercase
// or a wrong length) is an error wrapping ErrSyntax.
func Parse(s string) (Sum, error) {
	var out Sum
	hexPart, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return out, fmt.Errorf("digest: %w %q: want %q followed by %d lowercase hex digits", ErrSyntax, abbreviate(s), prefix, 2*Size)
	}
	if len(hexPart) != 2*Size {
		return out, fmt.Errorf("digest: %w %q: want %d hex digits after %q, got %d", ErrSyntax, abbreviate(s), 2*Size, prefix, len(hexPart))
	}
	for i := 0; i < len(hexPart); i++ {
		c := hexPart[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return out, fmt.Errorf("digest: %w %q: byte %d (%q) is not a lowercase hex digit", ErrSyntax, abbreviate(s), len(prefix)+i, c)
		}
	}
	if _, err := hex.Decode(out[:], []byte(hexPart)); err != nil {
		return Sum{}, fmt.Errorf("digest: %w %q: %w", ErrSyntax, abbreviate(s), err)
	}
	return out, nil
}

// abbreviate shortens overly long inputs quoted in error messages.
func abbreviate(s string) string {
	const max = 100
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
