package digest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// BLAKE3-256 of the empty input and of "abc", from the reference
// implementation's test vectors (b3sum).
const (
	emptyHex = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	abcHex   = "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
)

func TestBytesMatchesReference(t *testing.T) {
	assert.Equal(t, emptyHex, Bytes(nil).Hex())
	assert.Equal(t, abcHex, Bytes([]byte("abc")).Hex())
}

func TestSumText(t *testing.T) {
	s := Bytes([]byte("abc"))
	assert.Equal(t, "blake3:"+abcHex, s.String())
	assert.Equal(t, abcHex[:12], s.Short())
	assert.False(t, s.IsZero())
	assert.True(t, Sum{}.IsZero())

	txt, err := s.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, s.String(), string(txt))
	var back Sum
	require.NoError(t, back.UnmarshalText(txt))
	assert.Equal(t, s, back)

	p, err := Parse(s.String())
	require.NoError(t, err)
	assert.Equal(t, s, p)

	// JSON uses the text form.
	js, err := json.Marshal(map[string]Sum{"h": s})
	require.NoError(t, err)
	assert.Equal(t, `{"h":"blake3:`+abcHex+`"}`, string(js))
	var m map[string]Sum
	require.NoError(t, json.Unmarshal(js, &m))
	assert.Equal(t, s, m["h"])

	for _, bad := range []string{
		"", abcHex, "sha256:" + abcHex, "blake3:" + abcHex[:63], "blake3:" + abcHex + "0",
		"blake3:" + strings.ToUpper(abcHex), "blake3:" + abcHex[:63] + "g", " blake3:" + abcHex,
	} {
		_, err := Parse(bad)
		assert.ErrorIs(t, err, ErrSyntax, "%q", bad)
		var u Sum
		assert.Error(t, u.UnmarshalText([]byte(bad)))
		assert.True(t, u.IsZero(), "failed unmarshal leaves the value unchanged")
	}
}

func TestReaderFileWriter(t *testing.T) {
	data := bytes.Repeat([]byte("kiln "), 300_000) // > one read buffer
	want := Bytes(data)

	s, n, err := Reader(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, want, s)
	assert.Equal(t, int64(len(data)), n)

	path := filepath.Join(t.TempDir(), "part-00000.parquet")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := NewWriter(f)
	_, err = io.Copy(w, bytes.NewReader(data))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Equal(t, want, w.Sum())
	assert.Equal(t, int64(len(data)), w.N())

	s, n, err = File(path)
	require.NoError(t, err)
	assert.Equal(t, want, s)
	assert.Equal(t, int64(len(data)), n)

	_, _, err = File(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "missing")

	boom := errors.New("boom")
	_, n, err = Reader(io.MultiReader(strings.NewReader("abc"), errReader{boom}))
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, int64(3), n)

	hashOnly := NewWriter(nil)
	_, _ = hashOnly.Write([]byte("abc"))
	assert.Equal(t, abcHex, hashOnly.Sum().Hex())
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestBuilder(t *testing.T) {
	d := func(b *Builder) Sum { return b.Digest() }
	// Length prefixes separate fields.
	assert.NotEqual(t,
		d(NewBuilder("x").String("k", "ab").String("k", "c")),
		d(NewBuilder("x").String("k", "a").String("k", "bc")))
	assert.NotEqual(t,
		d(NewBuilder("x").String("ab", "c")),
		d(NewBuilder("x").String("a", "bc")))
	assert.NotEqual(t, d(NewBuilder("x").String("k", "")), d(NewBuilder("x")))
	// Domains separate digests, also from field data.
	assert.NotEqual(t, d(NewBuilder("a").String("k", "v")), d(NewBuilder("b").String("k", "v")))
	assert.NotEqual(t, d(NewBuilder("ab")), d(NewBuilder("a").String("", "b")))
	assert.NotEqual(t, d(NewBuilder("")), Bytes(nil))
	// Field types are tagged.
	assert.NotEqual(t, d(NewBuilder("x").String("k", "v")), d(NewBuilder("x").Bytes("k", []byte("v"))))
	assert.NotEqual(t, d(NewBuilder("x").Uint("k", 1)), d(NewBuilder("x").Int("k", 1)))
	assert.NotEqual(t, d(NewBuilder("x").Uint("k", 1)), d(NewBuilder("x").Bool("k", true)))
	// Order matters, and equal inputs give equal digests.
	assert.NotEqual(t, d(NewBuilder("x").Uint("a", 1).Uint("b", 2)), d(NewBuilder("x").Uint("b", 2).Uint("a", 1)))
	assert.Equal(t, d(NewBuilder("x").Sum("in", Bytes(nil))), d(NewBuilder("x").Sum("in", Bytes(nil))))
	// Digest does not consume the builder.
	b := NewBuilder("x").String("k", "v")
	first := b.Digest()
	assert.Equal(t, first, b.Digest())
	assert.NotEqual(t, first, b.Uint("n", 1).Digest())
}

func TestBuilderEncoding(t *testing.T) {
	// The documented byte layout, spelled out.
	var buf bytes.Buffer
	u64 := func(v uint64) {
		for i := 0; i < 8; i++ {
			buf.WriteByte(byte(v >> (8 * i)))
		}
	}
	u64(3)
	buf.WriteString("dom")
	buf.WriteByte('s')
	u64(1)
	buf.WriteString("k")
	u64(2)
	buf.WriteString("vv")
	buf.WriteByte('u')
	u64(1)
	buf.WriteString("n")
	u64(7)
	buf.WriteByte('t')
	u64(1)
	buf.WriteString("b")
	buf.WriteByte(1)
	buf.WriteByte('h')
	u64(1)
	buf.WriteString("h")
	e := Bytes(nil)
	buf.Write(e[:])
	got := NewBuilder("dom").String("k", "vv").Uint("n", 7).Bool("b", true).Sum("h", e).Digest()
	assert.Equal(t, Bytes(buf.Bytes()), got)
}
