package typed

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkedMem returns an allocator that fails the test if anything it
// allocated is still unreleased when the test ends.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// roundTrip encodes rows with FromSlice and decodes them back.
func roundTrip[T any](t *testing.T, rows []T) []T {
	t.Helper()
	rec, err := FromSlice(checkedMem(t), rows)
	require.NoError(t, err)
	defer rec.Release()
	require.NoError(t, array.ValidateRecordFull(rec))
	require.Equal(t, int64(len(rows)), rec.NumRows())
	got, err := DecodeRecordBatch[T](rec)
	require.NoError(t, err)
	return got
}

type status string

type inner struct {
	Name string
	At   *time.Time
	Tags []string `kiln:"tags,dict"`
}

type allTypes struct {
	B        bool
	I        int
	I8       int8
	I16      int16
	I32      int32
	I64      int64
	U        uint
	U8       uint8
	U16      uint16
	U32      uint32
	U64      uint64
	F32      float32
	F64      float64
	S        string
	K        string `kiln:"k,dict"`
	Status   status
	Raw      []byte
	Fix      [3]byte
	T        time.Time
	D        time.Duration
	Day      Date
	Ints     []int64
	Names    []string
	Inner    inner
	PB       *bool
	PI       *int
	PI32     *int32
	PU8      *uint8
	PF64     *float64
	PS       *string
	PK       *string `kiln:"pk,dict"`
	PRaw     *[]byte
	PFix     *[3]byte
	PT       *time.Time
	PD       *time.Duration
	PDay     *Date
	PInts    *[]int64
	PtrElems []*int64
	PInner   *inner
}

func ptr[V any](v V) *V { return &v }

func TestSchemaAllTypes(t *testing.T) {
	s, err := SchemaOf[allTypes]()
	require.NoError(t, err)
	want := []struct{ name, typ string }{
		{"b", "bool"}, {"i", "int64"}, {"i8", "int8"}, {"i16", "int16"}, {"i32", "int32"},
		{"i64", "int64"}, {"u", "uint64"}, {"u8", "uint8"}, {"u16", "uint16"}, {"u32", "uint32"},
		{"u64", "uint64"}, {"f32", "float32"}, {"f64", "float64"}, {"s", "utf8"},
		{"k", "dictionary<values=utf8, indices=int32, ordered=false>"}, {"status", "utf8"},
		{"raw", "binary"}, {"fix", "fixed_size_binary[3]"}, {"t", "timestamp[us, tz=UTC]"},
		{"d", "duration[ns]"}, {"day", "date32"}, {"ints", "list<item: int64>"},
		{"names", "list<item: utf8>"},
		{"inner", "struct<name: utf8, at: timestamp[us, tz=UTC] nullable, tags: list<item: dictionary<values=utf8, indices=int32, ordered=false>>>"},
		{"pb", "bool"}, {"pi", "int64"}, {"pi32", "int32"}, {"pu8", "uint8"}, {"pf64", "float64"},
		{"ps", "utf8"}, {"pk", "dictionary<values=utf8, indices=int32, ordered=false>"},
		{"p_raw", "binary"}, {"p_fix", "fixed_size_binary[3]"}, {"pt", "timestamp[us, tz=UTC]"},
		{"pd", "duration[ns]"}, {"p_day", "date32"}, {"p_ints", "list<item: int64>"},
		{"ptr_elems", "list<item: int64, nullable>"},
		{"p_inner", "struct<name: utf8, at: timestamp[us, tz=UTC] nullable, tags: list<item: dictionary<values=utf8, indices=int32, ordered=false>>>"},
	}
	require.Equal(t, len(want), s.NumFields())
	for i, w := range want {
		f := s.Field(i)
		assert.Equal(t, w.name, f.Name)
		assert.Equal(t, w.typ, f.Type.String(), "column %s", f.Name)
		assert.Equal(t, f.Name[0] == 'p' && f.Name != "ptr_elems", f.Nullable, "column %s nullable", f.Name)
	}
}

func TestRoundTripAllTypes(t *testing.T) {
	ts := time.Date(2024, 1, 30, 12, 34, 56, 789_123_000, time.UTC)
	full := allTypes{
		B: true, I: math.MinInt64, I8: math.MinInt8, I16: math.MaxInt16, I32: math.MinInt32,
		I64: math.MaxInt64, U: math.MaxUint64, U8: math.MaxUint8, U16: math.MaxUint16,
		U32: math.MaxUint32, U64: math.MaxUint64, F32: -1.5, F64: math.Inf(1),
		S: "héllo, 世界", K: "purchase", Status: "active", Raw: []byte{0, 1, 2},
		Fix: [3]byte{7, 8, 9}, T: ts, D: -90 * time.Minute, Day: DateFor(2024, 2, 29),
		Ints: []int64{3, -1, 4}, Names: []string{"a", "", "c"},
		Inner: inner{Name: "in", At: &ts, Tags: []string{"x", "y", "x"}},
		PB:    ptr(false), PI: ptr(0), PI32: ptr(int32(-7)), PU8: ptr(uint8(0)),
		PF64: ptr(math.SmallestNonzeroFloat64), PS: ptr(""), PK: ptr("view"),
		PRaw: ptr([]byte("raw")), PFix: ptr([3]byte{1, 2, 3}), PT: ptr(ts.Add(time.Hour)),
		PD: ptr(time.Duration(1)), PDay: ptr(Date(-1)), PInts: ptr([]int64{5}),
		PtrElems: []*int64{ptr(int64(1)), nil, ptr(int64(3))},
		PInner:   &inner{Name: "p", Tags: []string{"z"}},
	}
	rows := []allTypes{full, {}, full}
	rows[2].K, rows[2].PK, rows[2].PInner = "view", nil, &inner{}
	got := roundTrip(t, rows)
	assert.Equal(t, rows, got)
	// Pointers of different rows never alias.
	*got[0].PI = 42
	assert.Equal(t, 0, *got[2].PI)
}

func TestRoundTripEmpty(t *testing.T) {
	rec, err := FromSlice[allTypes](checkedMem(t), nil)
	require.NoError(t, err)
	defer rec.Release()
	assert.Equal(t, int64(0), rec.NumRows())
	got, err := DecodeRecordBatch[allTypes](rec)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestEmptySlicesDecodeAsNil(t *testing.T) {
	type row struct {
		Raw   []byte
		Ints  []int64
		PInts *[]int64
	}
	got := roundTrip(t, []row{{Raw: []byte{}, Ints: []int64{}, PInts: &[]int64{}}})
	assert.Nil(t, got[0].Raw)
	assert.Nil(t, got[0].Ints)
	require.NotNil(t, got[0].PInts, "an empty list is not null")
	assert.Nil(t, *got[0].PInts)
}

func TestDecodedSlicesDoNotShareCapacity(t *testing.T) {
	type row struct {
		Raw  []byte
		Ints []int64
	}
	got := roundTrip(t, []row{{Raw: []byte("ab"), Ints: []int64{1, 2}}, {Raw: []byte("cd"), Ints: []int64{3, 4}}})
	got[0].Raw = append(got[0].Raw, 'X')
	got[0].Ints = append(got[0].Ints, 99)
	assert.Equal(t, []byte("cd"), got[1].Raw)
	assert.Equal(t, []int64{3, 4}, got[1].Ints)
}

func TestTimeZones(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	type row struct {
		UTC   time.Time
		Paris time.Time `kiln:"paris,tz=Europe/Paris"`
		Naive time.Time `kiln:"naive,tz="`
	}
	in := time.Date(2024, 7, 1, 9, 30, 0, 0, paris) // 07:30 UTC
	s, err := SchemaOf[row]()
	require.NoError(t, err)
	assert.Equal(t, "timestamp[us, tz=Europe/Paris]", s.Field(1).Type.String())
	assert.Equal(t, "timestamp[us]", s.Field(2).Type.String())

	rec, err := FromSlice(checkedMem(t), []row{{UTC: in, Paris: in, Naive: in}})
	require.NoError(t, err)
	defer rec.Release()
	instant := in.UnixMicro()
	assert.Equal(t, arrow.Timestamp(instant), rec.Column(0).(*array.Timestamp).Value(0))
	assert.Equal(t, arrow.Timestamp(instant), rec.Column(1).(*array.Timestamp).Value(0))
	// Naive stores the wall clock (09:30) as if it were UTC.
	assert.Equal(t, arrow.Timestamp(instant+2*3600*1e6), rec.Column(2).(*array.Timestamp).Value(0))

	got, err := DecodeRecordBatch[row](rec)
	require.NoError(t, err)
	// Same instant, presented in UTC.
	assert.True(t, got[0].UTC.Equal(in))
	assert.Equal(t, time.UTC, got[0].UTC.Location())
	assert.Equal(t, time.Date(2024, 7, 1, 7, 30, 0, 0, time.UTC), got[0].UTC)
	// Same instant, presented in the tag's zone.
	assert.True(t, got[0].Paris.Equal(in))
	assert.Equal(t, "Europe/Paris", got[0].Paris.Location().String())
	// Wall clock preserved, read back as UTC.
	assert.Equal(t, time.Date(2024, 7, 1, 9, 30, 0, 0, time.UTC), got[0].Naive)
}

func TestTimeUnitTruncation(t *testing.T) {
	type row struct {
		S  time.Time     `kiln:"s,unit=s"`
		MS time.Time     `kiln:"ms,unit=ms"`
		US time.Time     `kiln:"us"`
		NS time.Time     `kiln:"ns,unit=ns"`
		DS time.Duration `kiln:"ds,unit=s"`
		DU time.Duration `kiln:"du,unit=us"`
	}
	for _, tc := range []struct {
		name       string
		in         time.Time
		s, ms, us  time.Time
		d, ds, dus time.Duration
	}{
		{
			name: "after epoch",
			in:   time.Date(2024, 1, 30, 0, 0, 1, 999_999_999, time.UTC),
			s:    time.Date(2024, 1, 30, 0, 0, 1, 0, time.UTC),
			ms:   time.Date(2024, 1, 30, 0, 0, 1, 999_000_000, time.UTC),
			us:   time.Date(2024, 1, 30, 0, 0, 1, 999_999_000, time.UTC),
			d:    1999 * time.Millisecond, ds: time.Second, dus: 1999 * time.Millisecond,
		},
		{
			// Times round toward negative infinity (the earlier instant);
			// durations toward zero.
			name: "before epoch",
			in:   time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC),
			s:    time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
			ms:   time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
			us:   time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
			d:    -1999*time.Millisecond - 1, ds: -time.Second, dus: -1999 * time.Millisecond,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := roundTrip(t, []row{{S: tc.in, MS: tc.in, US: tc.in, NS: tc.in, DS: tc.d, DU: tc.d}})
			assert.Equal(t, tc.s, got[0].S)
			assert.Equal(t, tc.ms, got[0].MS)
			assert.Equal(t, tc.us, got[0].US)
			assert.Equal(t, tc.in, got[0].NS)
			assert.Equal(t, tc.ds, got[0].DS)
			assert.Equal(t, tc.dus, got[0].DU)
		})
	}
}

func TestTimeOutOfRange(t *testing.T) {
	type row struct {
		ID int64
		NS *time.Time `kiln:"ns,unit=ns"`
	}
	ok := time.Date(2262, 4, 11, 23, 47, 16, 854_775_807, time.UTC) // max int64 ns
	tooLate := ok.Add(time.Nanosecond)
	minNS := time.Unix(0, math.MinInt64).UTC()
	got := roundTrip(t, []row{{1, &ok}, {2, &minNS}, {3, nil}})
	assert.Equal(t, ok, *got[0].NS)
	assert.Equal(t, minNS, *got[1].NS)
	assert.Nil(t, got[2].NS)

	_, err := FromSlice(checkedMem(t), []row{{1, &ok}, {2, &tooLate}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "row 1")
	assert.Contains(t, err.Error(), `column "ns"`)
	assert.Contains(t, err.Error(), "out of range")

	zero := time.Time{}
	_, err = FromSlice(checkedMem(t), []row{{1, &zero}})
	assert.ErrorContains(t, err, "0001-01-01T00:00:00Z is out of range for timestamp[ns, tz=UTC]")
}

func TestEpochUnitsExact(t *testing.T) {
	// The slow path at the int64 boundaries agrees with big-number reasoning.
	for _, tc := range []struct {
		sec, nsec, perSec, nsPer int64
		want                     int64
		ok                       bool
	}{
		{-9223372037, 145224192, 1e9, 1, math.MinInt64, true},
		{-9223372037, 145224191, 1e9, 1, 0, false},
		{9223372036, 854775807, 1e9, 1, math.MaxInt64, true},
		{9223372036, 854775808, 1e9, 1, 0, false},
		{-9223372036855, 224_000_000, 1e3, 1e6, -9223372036854776, true},
		{math.MinInt64, 0, 1, 1e9, math.MinInt64, true},
		{math.MaxInt64, 999_999_999, 1, 1e9, math.MaxInt64, true},
	} {
		got, ok := epochUnits(tc.sec, tc.nsec, tc.perSec, tc.nsPer)
		assert.Equal(t, tc.ok, ok, "%+v", tc)
		if tc.ok {
			assert.Equal(t, tc.want, got, "%+v", tc)
		}
	}
}

func TestDate(t *testing.T) {
	assert.Equal(t, Date(0), DateFor(1970, 1, 1))
	assert.Equal(t, Date(-1), DateFor(1969, 12, 31))
	assert.Equal(t, "2024-02-29", DateFor(2024, 2, 29).String())
	tokyo := time.FixedZone("JST", 9*3600)
	// 2024-01-30 01:00 in Tokyo is still the 29th in UTC: DateOf uses t's zone.
	assert.Equal(t, DateFor(2024, 1, 30), DateOf(time.Date(2024, 1, 30, 1, 0, 0, 0, tokyo)))
	assert.Equal(t, time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC), DateFor(2024, 1, 30).Time())
}

// TestNestedValues covers every leaf type inside lists and structs, where
// Arrow's own builders do the appending.
func TestNestedValues(t *testing.T) {
	type leaves struct {
		B   bool
		I   int
		I8  int8
		I16 int16
		I32 int32
		U   uint
		U8  uint8
		U16 uint16
		U32 uint32
		U64 uint64
		F32 float32
		D   time.Duration `kiln:"d,unit=ms"`
		PD  *time.Duration
		Day Date
		PB  *bool
		PU  *uint16
		T   time.Time `kiln:"t,tz="`
		Fix [2]byte
	}
	type row struct {
		One  leaves
		Many []leaves
		Opt  *leaves
	}
	l := leaves{B: true, I: -1, I8: -2, I16: -3, I32: -4, U: 1, U8: 2, U16: 3, U32: 4, U64: 5, F32: 0.5,
		D: 1500 * time.Millisecond, PD: ptr(time.Duration(7)), Day: 19000, PB: ptr(true), PU: ptr(uint16(9)),
		T: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), Fix: [2]byte{1, 2}}
	rows := []row{{One: l, Many: []leaves{l, {}, l}, Opt: &l}, {Many: []leaves{{}}}}
	assert.Equal(t, rows, roundTrip(t, rows))
}

func TestDictionaryBeyondSmallSize(t *testing.T) {
	type row struct {
		K string `kiln:"k,dict"`
	}
	var rows []row
	for i := range 100 {
		rows = append(rows, row{K: fmt.Sprint("v", i%20)})
	}
	rec, err := FromSlice(checkedMem(t), rows)
	require.NoError(t, err)
	defer rec.Release()
	d := rec.Column(0).(*array.Dictionary)
	assert.Equal(t, 20, d.Dictionary().Len())
	assert.Equal(t, 13, d.GetValueIndex(53))
	got, err := DecodeRecordBatch[row](rec)
	require.NoError(t, err)
	assert.Equal(t, rows, got)
}

func TestNestedTimeOutOfRange(t *testing.T) {
	type in struct {
		At time.Time `kiln:"at,unit=ns"`
	}
	type row struct {
		S   in
		L   []in
		PL  *[]*time.Time `kiln:"pl,unit=ns"`
		Opt *in
	}
	ok := in{At: time.Unix(1, 0).UTC()}
	good := row{S: ok, L: []in{ok}, PL: &[]*time.Time{&ok.At, nil}, Opt: &ok}
	assert.Equal(t, []row{good, {S: ok}}, roundTrip(t, []row{good, {S: ok}}))
	for name, bad := range map[string]row{
		"struct":         {},
		"list":           {S: ok, L: []in{ok, {}}},
		"pointer list":   {S: ok, PL: &[]*time.Time{{}}},
		"pointer struct": {S: ok, Opt: &in{}},
	} {
		_, err := FromSlice(checkedMem(t), []row{good, bad})
		assert.ErrorContains(t, err, "typed: row 1: column", name)
		assert.ErrorContains(t, err, "out of range for timestamp[ns, tz=UTC]", name)
	}
}
