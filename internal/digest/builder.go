package digest

import (
	"encoding/binary"

	"github.com/zeebo/blake3"
)

// Builder builds a domain-separated digest of structured data: a domain
// string followed by a sequence of keyed, typed fields, for example a
// fingerprint:
//
//	fp := digest.NewBuilder("kiln.fingerprint.v1").
//		String("node", "gold.user_daily").
//		String("transform", "rolling_purchases@v1").
//		Sum("config", cfgHash).
//		Sum("input", inputHash).
//		Digest()
//
// The encoding is injective: the domain, every key and every variable-length
// value is length-prefixed and every field carries a type tag, so
// ("ab","c") and ("a","bc") differ, and so do two builders that differ only
// in domain. Field order matters. The exact byte layout, a stable contract,
// is the plain BLAKE3-256 of
//
//	u64(len(domain)) domain
//	then per field: tag(1 byte) u64(len(key)) key value
//
// where u64 is 8 bytes little-endian and value is, by tag:
// 's' String and 'b' Bytes: u64(len) bytes; 'u' Uint: u64; 'i' Int: the
// two's complement u64; 't' Bool: one byte 0 or 1; 'h' Sum: 32 bytes.
//
// The zero value is not usable; call NewBuilder. A Builder is not safe for
// concurrent use.
type Builder struct {
	h   *blake3.Hasher
	buf [9]byte
}

// NewBuilder returns a Builder for the given domain, a constant naming what
// is being hashed and its version, such as "kiln.fingerprint.v1".
func NewBuilder(domain string) *Builder {
	b := &Builder{h: blake3.New()}
	b.u64(uint64(len(domain)))
	_, _ = b.h.WriteString(domain)
	return b
}

func (b *Builder) u64(v uint64) {
	binary.LittleEndian.PutUint64(b.buf[:8], v)
	_, _ = b.h.Write(b.buf[:8])
}

func (b *Builder) field(tag byte, key string) {
	b.buf[0] = tag
	_, _ = b.h.Write(b.buf[:1])
	b.u64(uint64(len(key)))
	_, _ = b.h.WriteString(key)
}

// String appends a string field.
func (b *Builder) String(key, value string) *Builder {
	b.field('s', key)
	b.u64(uint64(len(value)))
	_, _ = b.h.WriteString(value)
	return b
}

// Bytes appends a byte-string field.
func (b *Builder) Bytes(key string, value []byte) *Builder {
	b.field('b', key)
	b.u64(uint64(len(value)))
	_, _ = b.h.Write(value)
	return b
}

// Uint appends an unsigned integer field.
func (b *Builder) Uint(key string, v uint64) *Builder {
	b.field('u', key)
	b.u64(v)
	return b
}

// Int appends a signed integer field.
func (b *Builder) Int(key string, v int64) *Builder {
	b.field('i', key)
	b.u64(uint64(v))
	return b
}

// Bool appends a boolean field.
func (b *Builder) Bool(key string, v bool) *Builder {
	b.field('t', key)
	b.buf[0] = 0
	if v {
		b.buf[0] = 1
	}
	_, _ = b.h.Write(b.buf[:1])
	return b
}

// Sum appends a digest field, for example the content hash of an input or
// the hash of a config.
func (b *Builder) Sum(key string, v Sum) *Builder {
	b.field('h', key)
	_, _ = b.h.Write(v[:])
	return b
}

// Digest returns the digest of the domain and the fields appended so far.
// It does not change the Builder; more fields may be appended afterwards.
func (b *Builder) Digest() Sum { return sumOf(b.h) }

// newPooledBuilder is NewBuilder with a recycled hasher; call release after
// the last Digest.
func newPooledBuilder(domain string) *Builder {
	b := &Builder{h: getHasher()}
	b.u64(uint64(len(domain)))
	_, _ = b.h.WriteString(domain)
	return b
}

// release returns a pooled builder's hasher; b must not be used afterwards.
func (b *Builder) release() {
	putHasher(b.h)
	b.h = nil
}
