package digest

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/zeebo/blake3"
)

// Bytes returns the plain (unkeyed) BLAKE3-256 digest of b, the same value
// the reference b3sum tool prints for a file holding b.
func Bytes(b []byte) Sum { return Sum(blake3.Sum256(b)) }

// readBufSize is the read size of Reader; large writes are fastest in BLAKE3.
const readBufSize = 256 << 10

var readBufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// Reader returns the plain BLAKE3-256 digest of everything read from r until
// io.EOF, and the number of bytes read. A read error is returned wrapped,
// together with the count read so far.
func Reader(r io.Reader) (Sum, int64, error) {
	s, n, err := hashReader(r)
	if err != nil {
		return Sum{}, n, fmt.Errorf("digest: read: %w", err)
	}
	return s, n, nil
}

func hashReader(r io.Reader) (Sum, int64, error) {
	h := getHasher()
	defer putHasher(h)
	bp := readBufPool.Get().(*[]byte)
	defer readBufPool.Put(bp)
	buf := *bp
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			_, _ = h.Write(buf[:k])
			n += int64(k)
		}
		if err == io.EOF {
			return sumOf(h), n, nil
		}
		if err != nil {
			return Sum{}, n, err
		}
	}
}

// File returns the plain BLAKE3-256 digest of the file at path and its size
// in bytes (the file hash of DESIGN.md). Errors name the path.
func File(path string) (Sum, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return Sum{}, 0, fmt.Errorf("digest: hash file: %w", err) // *PathError names the path
	}
	defer f.Close()
	s, n, err := hashReader(f)
	if err != nil {
		return Sum{}, n, fmt.Errorf("digest: hash file %q: %w", path, err)
	}
	return s, n, nil
}

// Writer is an io.Writer that forwards writes to an underlying writer and
// hashes the bytes that were accepted, so a file's hash is known as soon as
// it has been written. The zero value is not usable; call NewWriter.
// A Writer is not safe for concurrent use.
type Writer struct {
	w io.Writer
	h *blake3.Hasher
	n int64
}

// NewWriter returns a Writer that writes through to w. If w is nil, the
// Writer only hashes.
func NewWriter(w io.Writer) *Writer {
	if w == nil {
		w = io.Discard
	}
	return &Writer{w: w, h: blake3.New()}
}

// Write writes p to the underlying writer and hashes the bytes it accepted
// (p[:n], also on error).
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if n < 0 || n > len(p) {
		return 0, fmt.Errorf("digest: underlying writer returned invalid count %d for %d bytes", n, len(p))
	}
	_, _ = w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Sum returns the plain BLAKE3-256 digest of the bytes written so far. It
// does not change the state; writing may continue.
func (w *Writer) Sum() Sum { return sumOf(w.h) }

// N returns the number of bytes written so far.
func (w *Writer) N() int64 { return w.n }

// hasherPool recycles BLAKE3 hashers (about 10 KiB each).
var hasherPool = sync.Pool{New: func() any { return blake3.New() }}

func getHasher() *blake3.Hasher {
	h := hasherPool.Get().(*blake3.Hasher)
	h.Reset()
	return h
}

func putHasher(h *blake3.Hasher) { hasherPool.Put(h) }

// sumOf returns the current 32-byte digest of h without changing h.
func sumOf(h *blake3.Hasher) Sum {
	var s Sum
	h.Sum(s[:0])
	return s
}
