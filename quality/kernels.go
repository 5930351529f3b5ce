package quality

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// marker returns the kernel of a column check kind for col.
func (c *ColumnCheck) marker(col *column) (marker, error) {
	cfg := c.cfg
	switch cfg.Kind {
	case kindBetween:
		return newRangeMarker(cfg.bounds, col)
	case kindInSet, kindNotInSet:
		set, err := newValueSet(cfg.Set, col.dom)
		if err != nil {
			return nil, err
		}
		set.wantFound = cfg.Kind == kindInSet
		return set, nil
	case kindMatchRegex, kindNotMatchRegex:
		return &regexMarker{re: c.re, want: cfg.Kind == kindMatchRegex}, nil
	case kindLengths:
		lo, hi := intBounds(cfg.Min, cfg.Max, cfg.StrictMin, cfg.StrictMax)
		return lengthMarker{lo: lo, hi: hi}, nil
	case kindIncreasing, kindDecreasing:
		return nil, nil // evaluated by evalMonotone
	}
	return nil, fmt.Errorf("quality: unknown check kind %q", cfg.Kind)
}

// rangeMarker marks values outside [lo, hi] (inclusive; strict bounds are
// turned into inclusive ones of the column's domain).
type rangeMarker struct {
	dom      domain
	ilo, ihi int64
	ulo, uhi uint64
	flo, fhi float64
}

func newRangeMarker(cfg bounds, col *column) (*rangeMarker, error) {
	m := &rangeMarker{dom: col.dom}
	switch {
	case cfg.MinTime != nil || cfg.MaxTime != nil:
		m.ilo, m.ihi = math.MinInt64, math.MaxInt64
		if cfg.MinTime != nil {
			v, exact, err := inUnit(*cfg.MinTime, col.typ)
			if err != nil {
				return nil, err
			}
			m.ilo = v
			if !exact || cfg.StrictMin {
				m.ilo = v + 1
			}
		}
		if cfg.MaxTime != nil {
			v, exact, err := inUnit(*cfg.MaxTime, col.typ)
			if err != nil {
				return nil, err
			}
			m.ihi = v
			if exact && cfg.StrictMax {
				m.ihi = v - 1
			}
		}
	case col.dom == domInt:
		m.ilo, m.ihi = intBounds(cfg.Min, cfg.Max, cfg.StrictMin, cfg.StrictMax)
	case col.dom == domUint:
		m.ulo, m.uhi = uintBounds(cfg.Min, cfg.Max, cfg.StrictMin, cfg.StrictMax)
	default:
		m.flo, m.fhi = math.Inf(-1), math.Inf(1)
		if cfg.Min != nil {
			m.flo = *cfg.Min
			if cfg.StrictMin {
				m.flo = math.Nextafter(m.flo, math.Inf(1))
			}
		}
		if cfg.Max != nil {
			m.fhi = *cfg.Max
			if cfg.StrictMax {
				m.fhi = math.Nextafter(m.fhi, math.Inf(-1))
			}
		}
	}
	return m, nil
}

func (m *rangeMarker) mark(a arrow.Array, off, n int, bad []byte, sc *scratch) {
	switch m.dom {
	case domInt:
		markRange(intValues(a, off, n, sc.ints), m.ilo, m.ihi, bad)
	case domUint:
		markRange(uintValues(a, off, n), m.ulo, m.uhi, bad)
	default:
		markRange(floatValues(a, off, n, sc), m.flo, m.fhi, bad)
	}
}

// markRange sets bad[i] when vals[i] is not in [lo, hi] (NaN never is).
func markRange[T int64 | uint64 | float64](vals []T, lo, hi T, bad []byte) {
	bad = bad[:len(vals)]
	for i, v := range vals {
		bad[i] = flag(!(v >= lo && v <= hi))
	}
}

const two63 = 9223372036854775808.0 // 2^63 as a float64

// intBounds turns optional float bounds into an inclusive int64 range that
// selects exactly the integers the float comparison would. An empty range
// has lo > hi.
func intBounds(min, max *float64, strictMin, strictMax bool) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if min != nil {
		f := math.Ceil(*min)
		if strictMin {
			f = math.Floor(*min) + 1
		}
		switch {
		case f >= two63:
			return math.MaxInt64, math.MinInt64
		case f > -two63:
			lo = int64(f)
		}
	}
	if max != nil {
		f := math.Floor(*max)
		if strictMax {
			f = math.Ceil(*max) - 1
		}
		switch {
		case f < -two63:
			return math.MaxInt64, math.MinInt64
		case f < two63:
			hi = int64(f)
		}
	}
	return lo, hi
}

// uintBounds is intBounds for uint64 columns.
func uintBounds(min, max *float64, strictMin, strictMax bool) (lo, hi uint64) {
	lo, hi = 0, math.MaxUint64
	if min != nil {
		f := math.Ceil(*min)
		if strictMin {
			f = math.Floor(*min) + 1
		}
		switch {
		case f >= 2*two63:
			return math.MaxUint64, 0
		case f > 0:
			lo = uint64(f)
		}
	}
	if max != nil {
		f := math.Floor(*max)
		if strictMax {
			f = math.Ceil(*max) - 1
		}
		switch {
		case f < 0:
			return math.MaxUint64, 0
		case f < 2*two63:
			hi = uint64(f)
		}
	}
	return lo, hi
}

// inUnit returns t in the unit of a timestamp or date type, rounded down,
// and whether that is exact.
func inUnit(t time.Time, dt arrow.DataType) (int64, bool, error) {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	floorDiv := func(a, b int64) (int64, bool) {
		q := a / b
		if a%b != 0 && a < 0 {
			q--
		}
		return q, a%b == 0
	}
	switch dt := dt.(type) {
	case *arrow.TimestampType:
		switch dt.Unit {
		case arrow.Second:
			return sec, nsec == 0, nil
		case arrow.Millisecond:
			return sec*1e3 + nsec/1e6, nsec%1e6 == 0, nil
		case arrow.Microsecond:
			return sec*1e6 + nsec/1e3, nsec%1e3 == 0, nil
		default:
			return t.UnixNano(), true, nil
		}
	case *arrow.Date32Type:
		d, exact := floorDiv(sec, 86400)
		return d, exact && nsec == 0, nil
	case *arrow.Date64Type:
		return sec*1e3 + nsec/1e6, nsec%1e6 == 0, nil
	}
	return 0, false, fmt.Errorf("quality: time bounds need a timestamp or date column, not %s", dt)
}

// valueSet is the value set of InSet/NotInSet in a column's domain.
type valueSet struct {
	dom       domain
	wantFound bool
	ints      []int64
	intMap    map[int64]struct{}
	uints     []uint64
	uintMap   map[uint64]struct{}
	floats    []float64
	floatMap  map[float64]struct{}
	strSmall  []string
	strMap    map[string]struct{}
	bools     [2]bool // [false, true] present
}

// smallSet is the size up to which sets are scanned linearly.
const smallSet = 16

// setValues converts set values to canonical Go types (string, bool, int64,
// uint64, float64).
func setValues[T SetValue](vals []T) ([]any, error) {
	out := make([]any, len(vals))
	for i, v := range vals {
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.String:
			out[i] = rv.String()
		case reflect.Bool:
			out[i] = rv.Bool()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			out[i] = rv.Int()
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			out[i] = rv.Uint()
		case reflect.Float32, reflect.Float64:
			f := rv.Float()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("quality: set value %v cannot be stored in a check's config", f)
			}
			out[i] = f
		}
	}
	return out, nil
}

// newValueSet builds the set for a column domain; values that cannot occur
// in the domain (1.5 in an integer column) are dropped.
func newValueSet(vals []any, d domain) (*valueSet, error) {
	s := &valueSet{dom: d}
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			if d != domString {
				return nil, fmt.Errorf("set value %q is a string, the column is %s", v, d)
			}
			s.strSmall = append(s.strSmall, v)
		case bool:
			if d != domBool {
				return nil, fmt.Errorf("set value %v is a bool, the column is %s", v, d)
			}
			s.bools[b2i(v)] = true
		case int64, uint64, float64:
			if !d.numeric() {
				return nil, fmt.Errorf("set value %v is a number, the column is %s", v, d)
			}
			s.addNumber(v)
		default:
			return nil, fmt.Errorf("set value %v has unsupported type %T", v, v)
		}
	}
	if len(s.ints) > smallSet {
		s.intMap = toMap(s.ints)
	}
	if len(s.uints) > smallSet {
		s.uintMap = toMap(s.uints)
	}
	if len(s.floats) > smallSet {
		s.floatMap = toMap(s.floats)
	}
	if len(s.strSmall) > smallSet {
		s.strMap = toMap(s.strSmall)
	}
	return s, nil
}

func (s *valueSet) addNumber(v any) {
	switch s.dom {
	case domFloat:
		switch v := v.(type) {
		case int64:
			s.floats = append(s.floats, float64(v))
		case uint64:
			s.floats = append(s.floats, float64(v))
		case float64:
			s.floats = append(s.floats, v)
		}
	case domInt:
		switch v := v.(type) {
		case int64:
			s.ints = append(s.ints, v)
		case uint64:
			if v <= math.MaxInt64 {
				s.ints = append(s.ints, int64(v))
			}
		case float64:
			if v == math.Trunc(v) && v >= -two63 && v < two63 {
				s.ints = append(s.ints, int64(v))
			}
		}
	case domUint:
		switch v := v.(type) {
		case int64:
			if v >= 0 {
				s.uints = append(s.uints, uint64(v))
			}
		case uint64:
			s.uints = append(s.uints, v)
		case float64:
			if v == math.Trunc(v) && v >= 0 && v < 2*two63 {
				s.uints = append(s.uints, uint64(v))
			}
		}
	}
}

func toMap[T comparable](vals []T) map[T]struct{} {
	m := make(map[T]struct{}, len(vals))
	for _, v := range vals {
		m[v] = struct{}{}
	}
	return m
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *valueSet) mark(a arrow.Array, off, n int, bad []byte, sc *scratch) {
	switch s.dom {
	case domInt:
		markSet(intValues(a, off, n, sc.ints), s.ints, s.intMap, s.wantFound, bad)
	case domUint:
		markSet(uintValues(a, off, n), s.uints, s.uintMap, s.wantFound, bad)
	case domFloat:
		markSet(floatValues(a, off, n, sc), s.floats, s.floatMap, s.wantFound, bad)
	case domString:
		s.markStrings(stringsOf(a, off, n), n, bad)
	case domBool:
		vb, base := a.Data().Buffers()[1].Bytes(), a.Data().Offset()+off
		for i := range n {
			bad[i] = flag(s.bools[b2i(bitutil.BitIsSet(vb, base+i))] != s.wantFound)
		}
	}
}

// markSet sets bad[i] when vals[i]'s membership differs from wantFound.
func markSet[T int64 | uint64 | float64](vals, small []T, m map[T]struct{}, wantFound bool, bad []byte) {
	bad = bad[:len(vals)]
	if m != nil {
		for i, v := range vals {
			_, ok := m[v]
			bad[i] = flag(ok != wantFound)
		}
		return
	}
	for i, v := range vals {
		ok := false
		for _, w := range small {
			if v == w {
				ok = true
				break
			}
		}
		bad[i] = flag(ok != wantFound)
	}
}

func (s *valueSet) markStrings(p stringPiece, n int, bad []byte) {
	if p.offs32 != nil {
		markStrings(p.offs32, p.data, s, bad[:n])
	} else {
		markStrings(p.offs64, p.data, s, bad[:n])
	}
}

// markStrings sets bad[i] when string i's membership differs from
// s.wantFound; offs holds len(bad)+1 offsets into data.
func markStrings[O int32 | int64](offs []O, data []byte, s *valueSet, bad []byte) {
	want := s.wantFound
	offs = offs[:len(bad)+1]
	if s.strMap != nil {
		for i := range bad {
			_, ok := s.strMap[string(data[offs[i]:offs[i+1]])]
			bad[i] = flag(ok != want)
		}
		return
	}
	set := s.strSmall
	for i := range bad {
		v := data[offs[i]:offs[i+1]]
		ok := false
		for _, w := range set {
			if len(w) == len(v) && w == string(v) {
				ok = true
				break
			}
		}
		bad[i] = flag(ok != want)
	}
}

// at returns the bytes of value i of the piece.
func (p stringPiece) at(i int) []byte {
	if p.offs32 != nil {
		return p.data[p.offs32[i]:p.offs32[i+1]]
	}
	return p.data[p.offs64[i]:p.offs64[i+1]]
}

// regexMarker marks strings whose match result differs from want. Results
// are memoized per segment for repeated values.
type regexMarker struct {
	re   *regexp.Regexp
	want bool
}

const regexMemo = 4096

func (m *regexMarker) mark(a arrow.Array, off, n int, bad []byte, _ *scratch) {
	p := stringsOf(a, off, n)
	memo := make(map[string]bool, 64)
	var last []byte
	lastOK, haveLast := false, false
	for i := range n {
		v := p.at(i)
		if haveLast && bytes.Equal(v, last) {
			bad[i] = flag(lastOK != m.want)
			continue
		}
		ok, hit := memo[string(v)]
		if !hit {
			ok = m.re.Match(v)
			if len(memo) < regexMemo {
				memo[string(v)] = ok
			}
		}
		last, lastOK, haveLast = v, ok, true
		bad[i] = flag(ok != m.want)
	}
}

// lengthMarker marks strings whose length in code points is outside
// [lo, hi].
type lengthMarker struct{ lo, hi int64 }

func (m lengthMarker) mark(a arrow.Array, off, n int, bad []byte, _ *scratch) {
	p := stringsOf(a, off, n)
	for i := range n {
		l := int64(utf8.RuneCount(p.at(i)))
		bad[i] = flag(l < m.lo || l > m.hi)
	}
}
