package kernels

import "math/bits"

// u64Table maps uint64 keys to dense ids 0, 1, 2... in insertion order
// (open addressing, linear probing, load factor at most 1/2). Its ids never
// depend on the hash function, only on the order of insertions.
type u64Table struct {
	slots []u64Slot
	shift uint
	keys  []uint64 // keys[id]
}

type u64Slot struct {
	key uint64
	id  uint32 // id+1; 0 marks an empty slot
}

func newU64Table(hint int) *u64Table {
	size := 16
	for size < 2*hint {
		size <<= 1
	}
	return &u64Table{slots: make([]u64Slot, size), shift: uint(64 - bits.TrailingZeros(uint(size))), keys: make([]uint64, 0, hint)}
}

func hash64(k uint64) uint64 {
	k ^= k >> 31
	k *= 0xbf58476d1ce4e5b9
	k ^= k >> 29
	return k * 0x94d049bb133111eb
}

// insert returns k's id, giving it the next id when it is new.
func (t *u64Table) insert(k uint64) int32 {
	mask := uint64(len(t.slots) - 1)
	i := hash64(k) >> t.shift
	for {
		s := &t.slots[i]
		if s.id == 0 {
			id := uint32(len(t.keys))
			s.key, s.id = k, id+1
			t.keys = append(t.keys, k)
			if 2*len(t.keys) > len(t.slots) {
				t.rehash()
			}
			return int32(id)
		}
		if s.key == k {
			return int32(s.id - 1)
		}
		i = (i + 1) & mask
	}
}

// find returns k's id, or -1.
func (t *u64Table) find(k uint64) int32 {
	mask := uint64(len(t.slots) - 1)
	i := hash64(k) >> t.shift
	for {
		s := &t.slots[i]
		if s.id == 0 {
			return -1
		}
		if s.key == k {
			return int32(s.id - 1)
		}
		i = (i + 1) & mask
	}
}

func (t *u64Table) len() int { return len(t.keys) }

func (t *u64Table) rehash() {
	size := 2 * len(t.slots)
	t.slots = make([]u64Slot, size)
	t.shift--
	mask := uint64(size - 1)
	for id, k := range t.keys {
		i := hash64(k) >> t.shift
		for t.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = u64Slot{key: k, id: uint32(id) + 1}
	}
}

// bytesTable maps byte strings to dense ids in insertion order. Keys are
// stored as borrowed slices: the table must not outlive the arrays they
// point into.
type bytesTable struct {
	slots []bytesSlot
	shift uint
	keys  [][]byte
}

type bytesSlot struct {
	hash uint64
	id   uint32 // id+1; 0 marks an empty slot
}

func newBytesTable(hint int) *bytesTable {
	size := 16
	for size < 2*hint {
		size <<= 1
	}
	return &bytesTable{slots: make([]bytesSlot, size), shift: uint(64 - bits.TrailingZeros(uint(size)))}
}

// hashBytes is a fixed 64-bit hash (FNV-1a over 8-byte words, then mixed).
// Ids never depend on it; only speed does.
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037) ^ uint64(len(b))
	for len(b) >= 8 {
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = (h ^ w) * 1099511628211
		h ^= h >> 32
		b = b[8:]
	}
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return hash64(h)
}

func (t *bytesTable) insert(k []byte) int32 {
	h := hashBytes(k)
	mask := uint64(len(t.slots) - 1)
	i := h >> t.shift
	for {
		s := &t.slots[i]
		if s.id == 0 {
			id := uint32(len(t.keys))
			s.hash, s.id = h, id+1
			t.keys = append(t.keys, k)
			if 2*len(t.keys) > len(t.slots) {
				t.rehash()
			}
			return int32(id)
		}
		if s.hash == h && string(t.keys[s.id-1]) == string(k) {
			return int32(s.id - 1)
		}
		i = (i + 1) & mask
	}
}

func (t *bytesTable) len() int { return len(t.keys) }

func (t *bytesTable) rehash() {
	size := 2 * len(t.slots)
	old := t.slots
	t.slots = make([]bytesSlot, size)
	t.shift--
	mask := uint64(size - 1)
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		i := s.hash >> t.shift
		for t.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}
