package stats

// SortKeys sorts keys in ascending unsigned order with an LSD radix sort of
// 8-bit digits, skipping digits that are equal in every key (and all of
// them when the keys are already sorted). tmp must have the same length as
// keys (it is used as scratch). The sort is stable and its cost is linear
// in len(keys) times the number of varying digits.
func SortKeys(keys, tmp []uint64) {
	sortPairs(keys, tmp, nil, nil)
}

// SortPairs sorts keys ascending and permutes rows alongside, stably (equal
// keys keep their relative order, so rows stay in input order within a run
// of equal keys). tmpKeys and tmpRows are scratch of the same lengths.
func SortPairs(keys, tmpKeys []uint64, rows, tmpRows []int32) {
	sortPairs(keys, tmpKeys, rows, tmpRows)
}

func sortPairs(keys, tmpK []uint64, rows, tmpR []int32) {
	n := len(keys)
	if n < 2 {
		return
	}
	if n <= 64 {
		insertionSort(keys, rows)
		return
	}
	var counts [8][256]int
	sorted := true
	prev := keys[0]
	for _, k := range keys {
		sorted = sorted && k >= prev
		prev = k
		counts[0][byte(k)]++
		counts[1][byte(k>>8)]++
		counts[2][byte(k>>16)]++
		counts[3][byte(k>>24)]++
		counts[4][byte(k>>32)]++
		counts[5][byte(k>>40)]++
		counts[6][byte(k>>48)]++
		counts[7][byte(k>>56)]++
	}
	if sorted {
		return
	}
	src, dst := keys, tmpK[:n]
	srcR, dstR := rows, tmpR
	if rows != nil {
		dstR = tmpR[:n]
	}
	swapped := false
	for d := range 8 {
		c := &counts[d]
		if c[byte(keys[0]>>(8*d))] == n {
			continue // every key has the same digit
		}
		var offs [256]int
		sum := 0
		for b := range 256 {
			offs[b] = sum
			sum += c[b]
		}
		shift := uint(8 * d)
		if srcR == nil {
			for _, k := range src {
				b := byte(k >> shift)
				dst[offs[b]] = k
				offs[b]++
			}
		} else {
			for i, k := range src {
				b := byte(k >> shift)
				o := offs[b]
				dst[o] = k
				dstR[o] = srcR[i]
				offs[b] = o + 1
			}
		}
		src, dst = dst, src
		srcR, dstR = dstR, srcR
		swapped = !swapped
	}
	if swapped {
		copy(keys, src)
		if rows != nil {
			copy(rows, srcR)
		}
	}
}

func insertionSort(keys []uint64, rows []int32) {
	for i := 1; i < len(keys); i++ {
		k := keys[i]
		var r int32
		if rows != nil {
			r = rows[i]
		}
		j := i
		for j > 0 && keys[j-1] > k {
			keys[j] = keys[j-1]
			if rows != nil {
				rows[j] = rows[j-1]
			}
			j--
		}
		keys[j] = k
		if rows != nil {
			rows[j] = r
		}
	}
}
