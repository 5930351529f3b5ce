package typed

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// columns returns "name:type" per schema field, with "?" for nullable.
func columns(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		c := f.Name + ":" + f.Type.String()
		if f.Nullable {
			c += "?"
		}
		out = append(out, c)
	}
	return out
}

type tagged struct {
	UserID   int64         // snake case
	HTTPCode int32         `kiln:"status"` // renamed
	Secret   string        `kiln:"-"`      // skipped
	internal int64         // unexported: skipped
	EventTS  time.Time     `kiln:",unit=ms"` // name derived, option kept
	Kind     *string       `kiln:",dict"`
	Elapsed  time.Duration `kiln:"elapsed,unit=ms"`
}

func TestTagsAndSkips(t *testing.T) {
	s, err := SchemaOf[tagged]()
	require.NoError(t, err)
	assert.Equal(t, []string{
		"user_id:int64",
		"status:int32",
		"event_ts:timestamp[ms, tz=UTC]",
		"kind:dictionary<values=utf8, indices=int32, ordered=false>?",
		"elapsed:duration[ms]",
	}, columns(s))

	in := []tagged{{UserID: 1, HTTPCode: 200, Secret: "x", internal: 9, Kind: ptr("a")}}
	got := roundTrip(t, in)
	assert.Equal(t, int64(1), got[0].UserID)
	assert.Equal(t, int32(200), got[0].HTTPCode)
	assert.Empty(t, got[0].Secret)
	assert.Zero(t, got[0].internal)
	assert.Equal(t, "a", *got[0].Kind)
}

type Base struct {
	ID        int64
	CreatedAt time.Time
}

type audit struct {
	By string
}

type withEmbedded struct {
	Base         // promoted: id, created_at
	audit        // unexported type, exported fields still promoted
	ID    string // shadows Base.ID
	Name  string
	Named Base `kiln:"named"` // a tagged embedded-like field stays nested
}

func TestEmbeddedFlattening(t *testing.T) {
	s, err := SchemaOf[withEmbedded]()
	require.NoError(t, err)
	assert.Equal(t, []string{
		"created_at:timestamp[us, tz=UTC]",
		"by:utf8",
		"id:utf8",
		"name:utf8",
		"named:struct<id: int64, created_at: timestamp[us, tz=UTC]>",
	}, columns(s))

	ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	in := []withEmbedded{{Base: Base{ID: 7, CreatedAt: ts}, audit: audit{By: "me"}, ID: "outer", Name: "n", Named: Base{ID: 8}}}
	got := roundTrip(t, in)
	want := in[0]
	want.Base.ID = 0 // hidden by the outer ID: not stored
	assert.Equal(t, want, got[0])
}

type taggedEmbed struct {
	Base `kiln:"base"`
	X    int
}

func TestTaggedEmbeddedStructIsNested(t *testing.T) {
	s, err := SchemaOf[taggedEmbed]()
	require.NoError(t, err)
	assert.Equal(t, []string{"base:struct<id: int64, created_at: timestamp[us, tz=UTC]>", "x:int64"}, columns(s))
}

type A1 struct{ Key string }
type A2 struct{ Key int }

type conflict struct {
	A1
	A2
}

type dupTag struct {
	X int `kiln:"v"`
	Y int `kiln:"v"`
}

type embeddedPtr struct {
	*Base
	X int
}

type recursive struct {
	Name     string
	Children []recursive
}

type mutual struct {
	Next *mutualB
}
type mutualB struct {
	Back *mutual
}

func TestCompileErrors(t *testing.T) {
	type noFields struct{ a, b int }
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"non-struct", errOf[int], "typed: int is not a struct type"},
		{"pointer T", errOf[*tagged], "is not a struct type"},
		{"no exported fields", errOf[noFields], "has no exported fields"},
		{"embedded conflict", errOf[conflict], "fields conflict.A1.Key and conflict.A2.Key both map to column \"key\""},
		{"duplicate tag", errOf[dupTag], "both map to column \"v\""},
		{"embedded pointer", errOf[embeddedPtr], "embedded pointer to struct typed.Base is not supported"},
		{"recursive", errOf[recursive], "recursive struct type typed.recursive"},
		{"mutually recursive", errOf[mutual], "recursive struct type typed.mutual"},
		{"map", errOf[struct{ M map[string]int }], "field .M: unsupported Go type map[string]int"},
		{"interface", errOf[struct{ V any }], "unsupported Go type interface {}"},
		{"chan", errOf[struct{ C chan int }], "unsupported Go type chan int"},
		{"func", errOf[struct{ F func() }], "unsupported Go type func()"},
		{"complex", errOf[struct{ C complex128 }], "unsupported Go type complex128"},
		{"uintptr", errOf[struct{ U uintptr }], "unsupported Go type uintptr"},
		{"pointer to pointer", errOf[struct{ P **int }], "unsupported Go type **int (pointer to pointer)"},
		{"int array", errOf[struct{ A [4]int }], "unsupported Go type [4]int"},
		{"list of map", errOf[struct{ L []map[int]int }], "unsupported Go type map[int]int"},
		{"dict on int", errOf[struct {
			N int `kiln:"n,dict"`
		}], "field .N: tag option dict does not apply to Go type int"},
		{"unit on string", errOf[struct {
			S string `kiln:"s,unit=ms"`
		}], "tag option unit=ms does not apply"},
		{"tz on duration", errOf[struct {
			D time.Duration `kiln:"d,tz=UTC"`
		}], "tag option tz=UTC does not apply"},
		{"options on struct", errOf[struct {
			B Base `kiln:"b,dict"`
		}], "tag option dict does not apply to Go type typed.Base"},
		{"bad unit", errOf[struct {
			T time.Time `kiln:"t,unit=m"`
		}], `tag "t,unit=m": unknown unit "m"`},
		{"bad tz", errOf[struct {
			T time.Time `kiln:"t,tz=Nowhere/Land"`
		}], "tz=Nowhere/Land"},
		{"unknown option", errOf[struct {
			T int `kiln:"t,omitempty"`
		}], `unknown tag option "omitempty"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// errOf returns the error of compiling T, checking that every entry point
// reports it.
func errOf[T any]() error {
	_, err := CodecOf[T]()
	_, err2 := SchemaOf[T]()
	_, err3 := FromSlice[T](nil, nil)
	_, err4 := DecodeRecordBatch[T](nil)
	if err == nil || err2 == nil || err3 == nil || err4 == nil {
		return nil
	}
	return err
}

func TestOptionsApplyToElements(t *testing.T) {
	type row struct {
		Times []time.Time `kiln:"times,unit=s"`
		Kinds []*string   `kiln:"kinds,dict"`
	}
	s, err := SchemaOf[row]()
	require.NoError(t, err)
	assert.Equal(t, []string{
		"times:list<item: timestamp[s, tz=UTC]>",
		"kinds:list<item: dictionary<values=utf8, indices=int32, ordered=false>, nullable>",
	}, columns(s))
	ts := time.Date(2024, 1, 1, 0, 0, 1, 500, time.UTC)
	got := roundTrip(t, []row{{Times: []time.Time{ts}, Kinds: []*string{ptr("a"), nil, ptr("a")}}})
	assert.Equal(t, []time.Time{ts.Truncate(time.Second)}, got[0].Times)
	assert.Equal(t, []*string{ptr("a"), nil, ptr("a")}, got[0].Kinds)
}
