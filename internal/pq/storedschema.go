package pq

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// checkSchemaMessage verifies the bounds of the serialized Arrow IPC schema
// message stored under "ARROW:schema" before arrow-go parses it. arrow-go
// reads flatbuffers without bounds checks and sizes allocations from vector
// lengths in the buffer, so a few corrupt bytes can make it allocate
// hundreds of GiB, which kills the process (no recover catches it). Here
// every table, string and vector reachable by arrow-go's schema reader must
// lie inside the message, so every allocation it makes is bounded by the
// message's size. Offsets only point forward in an accepted buffer, so the
// recursion over child fields is bounded too.
//
// The layout follows Arrow's Message.fbs and Schema.fbs (format version 5).
func checkSchemaMessage(msg []byte) error {
	var fbStart int64 = 4
	if len(msg) < 8 {
		return errors.New("short IPC message")
	}
	n := int64(binary.LittleEndian.Uint32(msg))
	if n == 0xFFFFFFFF { // continuation marker, then the length
		n = int64(binary.LittleEndian.Uint32(msg[4:]))
		fbStart = 8
	}
	if n < 4 || fbStart+n > int64(len(msg)) {
		return fmt.Errorf("IPC metadata length %d out of bounds", n)
	}
	f := &fbuf{b: msg[fbStart : fbStart+n]}
	// A valid buffer holds each table once, in at least 4 bytes; a forged
	// one can reach the same tables many times (exponentially often).
	f.budget = len(f.b) / 4
	root, err := f.u32(0)
	if err != nil {
		return err
	}
	m, err := f.table(root)
	if err != nil {
		return err
	}
	// Message: version, header_type, header, bodyLength, custom_metadata.
	if ht, ok, err := f.scalar(m, 1, 1); err != nil || !ok || f.b[ht] != 1 /* Schema */ {
		return errors.New("IPC message is not a schema")
	}
	if p, ok, err := f.scalar(m, 3, 8); err != nil {
		return err
	} else if ok {
		body := int64(binary.LittleEndian.Uint64(f.b[p:]))
		if body < 0 || body > int64(len(msg))-fbStart-n {
			return fmt.Errorf("IPC body length %d out of bounds", body)
		}
	}
	if err := f.keyValues(m, 4); err != nil {
		return err
	}
	s, ok, err := f.child(m, 2)
	if err != nil || !ok {
		return errors.Join(errors.New("IPC schema missing"), err)
	}
	// Schema: endianness, fields, custom_metadata, features.
	if err := f.tables(s, 1, f.field); err != nil {
		return err
	}
	if err := f.keyValues(s, 2); err != nil {
		return err
	}
	_, _, err = f.vector(s, 3, 8)
	return err
}

// fbuf is a flatbuffer with bounds-checked accessors; positions are int64
// so that no offset arithmetic wraps around.
type fbuf struct {
	b      []byte
	budget int // tables left to visit
}

// fbTable is a table position and its vtable.
type fbTable struct{ pos, vt, vtSize int64 }

func (f *fbuf) u32(p int64) (int64, error) {
	if p < 0 || p+4 > int64(len(f.b)) {
		return 0, fmt.Errorf("flatbuffer offset %d out of bounds", p)
	}
	return int64(binary.LittleEndian.Uint32(f.b[p:])), nil
}

func (f *fbuf) u16(p int64) (int64, error) {
	if p < 0 || p+2 > int64(len(f.b)) {
		return 0, fmt.Errorf("flatbuffer offset %d out of bounds", p)
	}
	return int64(binary.LittleEndian.Uint16(f.b[p:])), nil
}

func (f *fbuf) table(p int64) (fbTable, error) {
	if f.budget--; f.budget < 0 {
		return fbTable{}, errors.New("flatbuffer reaches too many tables")
	}
	soff, err := f.u32(p)
	if err != nil {
		return fbTable{}, err
	}
	vt := p - int64(int32(uint32(soff)))
	size, err := f.u16(vt)
	if err != nil {
		return fbTable{}, err
	}
	tsize, err := f.u16(vt + 2)
	if err != nil {
		return fbTable{}, err
	}
	if size < 4 || vt+size > int64(len(f.b)) || p+tsize > int64(len(f.b)) {
		return fbTable{}, errors.New("flatbuffer vtable out of bounds")
	}
	return fbTable{pos: p, vt: vt, vtSize: size}, nil
}

// scalar returns the position of field slot of t, which has size bytes.
func (f *fbuf) scalar(t fbTable, slot int, size int64) (int64, bool, error) {
	vo := 4 + 2*int64(slot)
	if vo+2 > t.vtSize {
		return 0, false, nil
	}
	off, err := f.u16(t.vt + vo)
	if err != nil || off == 0 {
		return 0, false, err
	}
	p := t.pos + off
	if p+size > int64(len(f.b)) {
		return 0, false, errors.New("flatbuffer field out of bounds")
	}
	return p, true, nil
}

// indirect follows the offset stored in field slot of t.
func (f *fbuf) indirect(t fbTable, slot int) (int64, bool, error) {
	p, ok, err := f.scalar(t, slot, 4)
	if err != nil || !ok {
		return 0, false, err
	}
	u, err := f.u32(p)
	if err != nil {
		return 0, false, err
	}
	target := p + u
	if target+4 > int64(len(f.b)) {
		return 0, false, errors.New("flatbuffer offset out of bounds")
	}
	return target, true, nil
}

func (f *fbuf) child(t fbTable, slot int) (fbTable, bool, error) {
	p, ok, err := f.indirect(t, slot)
	if err != nil || !ok {
		return fbTable{}, false, err
	}
	c, err := f.table(p)
	return c, err == nil, err
}

// vector checks the vector (or string, elem 1) in field slot of t and
// returns the position of its first element and its length.
func (f *fbuf) vector(t fbTable, slot int, elem int64) (int64, int64, error) {
	p, ok, err := f.indirect(t, slot)
	if err != nil || !ok {
		return 0, 0, err
	}
	n, _ := f.u32(p)
	if p+4+n*elem > int64(len(f.b)) {
		return 0, 0, fmt.Errorf("flatbuffer vector of %d out of bounds", n)
	}
	return p + 4, n, nil
}

// tables checks every table of the vector of tables in field slot of t.
func (f *fbuf) tables(t fbTable, slot int, check func(fbTable) error) error {
	start, n, err := f.vector(t, slot, 4)
	if err != nil {
		return err
	}
	for i := int64(0); i < n; i++ {
		e := start + 4*i
		u, _ := f.u32(e)
		c, err := f.table(e + u)
		if err != nil {
			return err
		}
		if err := check(c); err != nil {
			return err
		}
	}
	return nil
}

func (f *fbuf) keyValues(t fbTable, slot int) error {
	return f.tables(t, slot, func(kv fbTable) error {
		if _, _, err := f.vector(kv, 0, 1); err != nil {
			return err
		}
		_, _, err := f.vector(kv, 1, 1)
		return err
	})
}

// field checks a Field table: name, type_type, type, dictionary, children,
// custom_metadata.
func (f *fbuf) field(t fbTable) error {
	if _, _, err := f.vector(t, 0, 1); err != nil {
		return err
	}
	typ, ok, err := f.child(t, 3)
	if err != nil {
		return err
	}
	if ok {
		tt, has, err := f.scalar(t, 2, 1)
		if err != nil {
			return err
		}
		if has {
			switch f.b[tt] {
			case 10: // Timestamp: unit, timezone
				if _, _, err := f.vector(typ, 1, 1); err != nil {
					return err
				}
			case 14: // Union: mode, typeIds
				if _, _, err := f.vector(typ, 1, 4); err != nil {
					return err
				}
			}
		}
	}
	if d, ok, err := f.child(t, 4); err != nil {
		return err
	} else if ok { // DictionaryEncoding: id, indexType
		if _, _, err := f.child(d, 1); err != nil {
			return err
		}
	}
	if err := f.tables(t, 5, f.field); err != nil {
		return err
	}
	return f.keyValues(t, 6)
}

// arrowSchemaKey is the footer key of the stored Arrow schema.
const arrowSchemaKey = "ARROW:schema"

// checkStoredSchema verifies and decodes the stored Arrow schema, if any,
// with bounded memory before pqarrow decodes it unbounded: in arrow-go
// v18.8.0 a corrupt length inside it (IPC body length, flatbuffer vector
// length) makes pqarrow allocate tens of GiB and the process die of an
// out-of-memory error, which no recover catches. See checkSchemaMessage.
func checkStoredSchema(kv interface{ FindValue(string) *string }) (err error) {
	v := kv.FindValue(arrowSchemaKey)
	if v == nil {
		return nil
	}
	// Same decoding order as pqarrow.
	decoded, err := base64.StdEncoding.DecodeString(*v)
	if len(decoded) == 0 || err != nil {
		decoded, err = base64.RawStdEncoding.DecodeString(*v)
	}
	if err != nil {
		return fmt.Errorf("%w: stored Arrow schema: %w", ErrCorrupt, err)
	}
	if err := checkSchemaMessage(decoded); err != nil {
		return fmt.Errorf("%w: stored Arrow schema: %w", ErrCorrupt, err)
	}
	limit := int64(len(decoded))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: stored Arrow schema: %v", ErrCorrupt, p)
		}
	}()
	rdr, err := ipc.NewReader(bytes.NewReader(decoded),
		ipc.WithAllocator(boundedAllocator{limit: int(limit) + 64}),
		ipc.WithMetadataSizeLimit(limit), ipc.WithBodySizeLimit(limit))
	if err != nil {
		return fmt.Errorf("%w: stored Arrow schema: %w", ErrCorrupt, err)
	}
	rdr.Release()
	return nil
}

// boundedAllocator panics instead of allocating more than limit bytes.
type boundedAllocator struct{ limit int }

func (b boundedAllocator) Allocate(size int) []byte {
	if size > b.limit {
		panic(fmt.Sprintf("allocation of %d bytes exceeds %d", size, b.limit))
	}
	return memory.DefaultAllocator.Allocate(size)
}

func (b boundedAllocator) Reallocate(size int, p []byte) []byte {
	if size > b.limit {
		panic(fmt.Sprintf("allocation of %d bytes exceeds %d", size, b.limit))
	}
	return memory.DefaultAllocator.Reallocate(size, p)
}

func (b boundedAllocator) Free(p []byte) { memory.DefaultAllocator.Free(p) }
