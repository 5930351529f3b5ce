package jsonarrow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testColumns() []Column {
	return []Column{
		{Field: arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64}},
		{Field: arrow.Field{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}},
		{Field: arrow.Field{Name: "user_id", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, Path: []string{"user", "id"}},
		{Field: arrow.Field{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true}},
		{Field: arrow.Field{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}},
		{Field: arrow.Field{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true}},
		{Field: arrow.Field{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true}},
		{Field: arrow.Field{Name: "tags", Type: arrow.BinaryTypes.String, Nullable: true}, Raw: true},
		{Field: arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Uint8, Nullable: true}},
	}
}

// rowsJSON renders a record batch as JSON rows for comparison.
func rowsJSON(t *testing.T, rec arrow.RecordBatch) string {
	t.Helper()
	b, err := rec.MarshalJSON()
	require.NoError(t, err)
	return string(b)
}

func TestDecoderAppend(t *testing.T) {
	d, err := NewDecoder(memory.DefaultAllocator, testColumns())
	require.NoError(t, err)
	defer d.Release()
	records := []string{
		`{"id": 1, "name": "a\u00e9\n", "user": {"id": 7, "x": [1,{"y":2}]}, "score": 1.5e2, "ok": true,
		  "ts": "2024-01-30T12:00:00.250+01:00", "day": "2024-01-30", "tags": ["x", {"k": null}], "n": 255, "extra": {"a": [1,2]}}`,
		`{"id": -2}`,
		` { "id" : 3 , "name" : null , "user" : null , "score" : 2 , "ts" : 1706616000000 } `,
		`{"id": 4, "user": {"id": 1}, "user": {"id": 2}, "tags": "s", "na\u006de": "escaped key"}`,
	}
	for i, r := range records {
		require.NoError(t, d.Append([]byte(r)), "record %d", i)
	}
	assert.Equal(t, 4, d.Len())
	rec := d.NewRecordBatch()
	defer rec.Release()
	assert.Equal(t, 0, d.Len())
	want := `[{"day":"2024-01-30","id":1,"n":255,"name":"aé\n","ok":true,"score":150,"tags":"[\"x\", {\"k\": null}]","ts":"2024-01-30T11:00:00.25Z","user_id":7}
,{"day":null,"id":-2,"n":null,"name":null,"ok":null,"score":null,"tags":null,"ts":null,"user_id":null}
,{"day":null,"id":3,"n":null,"name":null,"ok":null,"score":2,"tags":null,"ts":"2024-01-30T12:00:00Z","user_id":null}
,{"day":null,"id":4,"n":null,"name":"escaped key","ok":null,"score":null,"tags":"\"s\"","ts":null,"user_id":2}
]`
	assert.JSONEq(t, normalizeJSONRows(t, want), normalizeJSONRows(t, rowsJSON(t, rec)))
}

// normalizeJSONRows parses arrow's row JSON (one object per line) into a
// canonical form.
func normalizeJSONRows(t *testing.T, s string) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDecoderErrors(t *testing.T) {
	cases := []struct {
		rec, col, msg string
		syntax        bool
	}{
		{rec: `{"name": "x"}`, col: "id", msg: "missing in a non-nullable column"},
		{rec: `{"id": null}`, col: "id", msg: "null in a non-nullable column"},
		{rec: `{"id": "1"}`, col: "id", msg: `want int64, got a string "1"`},
		{rec: `{"id": 1.5}`, col: "id", msg: "want int64, got a number 1.5 (not an integer in range)"},
		{rec: `{"id": 1, "user": {"id": 3000000000}}`, col: "user_id", msg: "not an integer in range"},
		{rec: `{"id": 1, "n": 256}`, col: "n", msg: "not an unsigned integer in range"},
		{rec: `{"id": 1, "n": -1}`, col: "n", msg: "want uint8, got a number -1"},
		{rec: `{"id": 1, "ok": "true"}`, col: "ok", msg: `want bool, got a string "true"`},
		{rec: `{"id": 1, "score": [1]}`, col: "score", msg: "want float64, got an array"},
		{rec: `{"id": 1, "score": 1e999}`, col: "score", msg: "out of range"},
		{rec: `{"id": 1, "ts": "yesterday"}`, col: "ts", msg: "want an RFC 3339 time"},
		{rec: `{"id": 1, "day": "30/01/2024"}`, col: "day", msg: "want a YYYY-MM-DD date"},
		{rec: `{"id": 1, "name": 5}`, col: "name", msg: "want utf8, got a number 5"},
		{rec: "{\"id\": 1, \"name\": \"\xff\"}", col: "name", msg: "invalid UTF-8"},
		{rec: `[1, 2]`, msg: "record is an array, not a JSON object"},
		{rec: `{"id": 1,}`, syntax: true, msg: "want a string key"},
		{rec: `{"id": 1} x`, syntax: true, msg: "after the record"},
		{rec: `{"id": 01}`, syntax: true, msg: "want ',' or '}'"},
		{rec: `{"id": 1, "name": "a\x"}`, syntax: true, msg: "invalid escape"},
		{rec: `{"id": 1`, syntax: true, msg: "unterminated object"},
		{rec: ``, syntax: true, msg: "unexpected end of input"},
	}
	for _, c := range cases {
		t.Run(c.rec, func(t *testing.T) {
			d, err := NewDecoder(memory.DefaultAllocator, testColumns())
			require.NoError(t, err)
			defer d.Release()
			require.NoError(t, d.Append([]byte(`{"id": 0}`)))
			err = d.Append([]byte(c.rec))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
			var se *SyntaxError
			var ve *ValueError
			if c.syntax {
				require.ErrorAs(t, err, &se)
			} else {
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, c.col, ve.Column)
			}
			// Nothing of the bad record was appended.
			assert.Equal(t, 1, d.Len())
			rec := d.NewRecordBatch()
			defer rec.Release()
			for i, col := range rec.Columns() {
				assert.Equal(t, 1, col.Len(), "column %d", i)
			}
		})
	}
}

func TestNewDecoderRejects(t *testing.T) {
	_, err := NewDecoder(memory.DefaultAllocator, []Column{{Field: arrow.Field{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not supported")
	_, err = NewDecoder(memory.DefaultAllocator, []Column{{Field: arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64}, Raw: true}})
	assert.ErrorContains(t, err, "raw JSON text needs a utf8")
	_, err = NewDecoder(memory.DefaultAllocator, []Column{
		{Field: arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}, Path: []string{"x"}},
		{Field: arrow.Field{Name: "b", Type: arrow.PrimitiveTypes.Int64}, Path: []string{"x"}},
	})
	assert.ErrorContains(t, err, `also mapped to column "a"`)
}

func TestLookupElementsText(t *testing.T) {
	doc := []byte(` {"meta": {"next": "c\u0032", "n": 12, "none": null}, "data": [{"a":1}, {"a":2}], "d\u0061ta2": "x"} `)
	require.NoError(t, Validate(doc))
	root := Root(doc)

	sp, ok, err := Lookup(doc, root, []string{"meta", "next"})
	require.NoError(t, err)
	require.True(t, ok)
	s, ok, err := Text(doc, sp)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "c2", s)

	sp, ok, _ = Lookup(doc, root, []string{"meta", "n"})
	require.True(t, ok)
	n, ok, err := Int(doc, sp)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.EqualValues(t, 12, n)

	sp, ok, _ = Lookup(doc, root, []string{"meta", "none"})
	require.True(t, ok)
	_, ok, err = Text(doc, sp)
	require.NoError(t, err)
	assert.False(t, ok, "null has no text")

	_, ok, _ = Lookup(doc, root, []string{"meta", "next", "deeper"})
	assert.False(t, ok)
	_, ok, _ = Lookup(doc, root, []string{"missing"})
	assert.False(t, ok)
	_, ok, _ = Lookup(doc, root, []string{"data2"})
	assert.True(t, ok, "escaped keys match")

	sp, ok, _ = Lookup(doc, root, []string{"data"})
	require.True(t, ok)
	var got []string
	require.NoError(t, Elements(doc, sp, func(i int, el Span) error {
		got = append(got, fmt.Sprintf("%d:%s", i, doc[el.Start:el.End]))
		return nil
	}))
	assert.Equal(t, []string{`0:{"a":1}`, `1:{"a":2}`}, got)

	sp, _, _ = Lookup(doc, root, []string{"meta"})
	assert.ErrorContains(t, Elements(doc, sp, func(int, Span) error { return nil }), "want an array, got an object")
	stop := errors.New("stop")
	sp, _, _ = Lookup(doc, root, []string{"data"})
	assert.ErrorIs(t, Elements(doc, sp, func(int, Span) error { return stop }), stop)
}

func TestValidateMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `0`, `-0.5e+3`, `"\ud83d\ude00"`, `{"a":[true,false,null]}`,
		`{"a" 1}`, `[1,]`, `01`, `1.`, `"\u12"`, `tru`, "\"\x01\"", `{"a":1}}`, `[` + strings.Repeat("[", 600) + strings.Repeat("]", 601), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	} {
		assert.Equal(t, json.Valid([]byte(s)), Validate([]byte(s)) == nil, s)
	}
}

func TestUnescapeSurrogates(t *testing.T) {
	assert.Equal(t, "😀", string(unescape(nil, []byte(`\ud83d\ude00`))))
	assert.Equal(t, "\uFFFDx", string(unescape(nil, []byte(`\ud83dx`))))
	assert.Equal(t, "\"\\/\b\f\n\r\t", string(unescape(nil, []byte(`\"\\\/\b\f\n\r\t`))))
}

func TestDecoderChunking(t *testing.T) {
	// Batches taken at any point concatenate to the same values.
	d, err := NewDecoder(memory.DefaultAllocator, testColumns()[:2])
	require.NoError(t, err)
	defer d.Release()
	var ids []int64
	for i := range 10 {
		require.NoError(t, d.Append(fmt.Appendf(nil, `{"id": %d, "name": "n%d"}`, i, i)))
		if i%3 == 2 {
			rec := d.NewRecordBatch()
			ids = append(ids, rec.Column(0).(*array.Int64).Int64Values()...)
			rec.Release()
		}
	}
	rec := d.NewRecordBatch()
	defer rec.Release()
	ids = append(ids, rec.Column(0).(*array.Int64).Int64Values()...)
	assert.Equal(t, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, ids)
}

func TestDecoderTimestampOutOfRange(t *testing.T) {
	d, err := NewDecoder(memory.DefaultAllocator, []Column{
		{Field: arrow.Field{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true}},
	})
	require.NoError(t, err)
	defer d.Release()
	require.NoError(t, d.Append([]byte(`{"ts": "2262-01-01T00:00:00Z"}`)))
	err = d.Append([]byte(`{"ts": "2300-01-01T00:00:00Z"}`))
	var ve *ValueError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, ve.Error(), `a string "2300-01-01T00:00:00Z" is out of range for timestamp[ns`)
	assert.Equal(t, 1, d.Len())
}
