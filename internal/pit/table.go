package pit

import "math/bits"

// Table maps uint64 key codes to dense ids 0, 1, 2... in order of first
// insertion. It is an open-addressing hash table with linear probing; Find
// is safe for concurrent use once no more Inserts happen.
type Table struct {
	keys  []uint64
	ids   []int32 // -1: empty slot
	mask  uint64
	shift uint
	n     int32
}

// NewTable returns a table sized for about hint keys.
func NewTable(hint int) *Table {
	size := 16
	for size < hint*2 {
		size <<= 1
	}
	t := &Table{}
	t.alloc(size)
	return t
}

func (t *Table) alloc(size int) {
	t.keys = make([]uint64, size)
	t.ids = make([]int32, size)
	for i := range t.ids {
		t.ids[i] = -1
	}
	t.mask = uint64(size - 1)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

func (t *Table) slot(k uint64) uint64 {
	return (k * 0x9E3779B97F4A7C15) >> t.shift
}

// Len returns the number of distinct keys.
func (t *Table) Len() int { return int(t.n) }

// Insert returns the id of k, adding it when new (added reports that).
func (t *Table) Insert(k uint64) (id int32, added bool) {
	if int(t.n)*2 >= len(t.keys) {
		t.grow()
	}
	for s := t.slot(k); ; s = (s + 1) & t.mask {
		switch t.ids[s] {
		case -1:
			t.keys[s], t.ids[s] = k, t.n
			t.n++
			return t.n - 1, true
		default:
			if t.keys[s] == k {
				return t.ids[s], false
			}
		}
	}
}

// Find returns the id of k, or -1.
func (t *Table) Find(k uint64) int32 {
	for s := t.slot(k); ; s = (s + 1) & t.mask {
		id := t.ids[s]
		if id < 0 || t.keys[s] == k {
			return id
		}
	}
}

func (t *Table) grow() {
	keys, ids := t.keys, t.ids
	t.alloc(len(keys) * 2)
	for i, id := range ids {
		if id < 0 {
			continue
		}
		k := keys[i]
		s := t.slot(k)
		for t.ids[s] >= 0 {
			s = (s + 1) & t.mask
		}
		t.keys[s], t.ids[s] = k, id
	}
}
