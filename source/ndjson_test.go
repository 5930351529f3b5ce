package source

import (
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestNDJSONFlattenedAndStructs(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"e.jsonl": `{"id":1,"user":{"id":7,"name":"ann"},"geo":{"lat":1.5,"lon":-2},"tags":["a","b"],"extra":{"x":[1,{"y":null}]}}
{"id":2,"user":{"id":8},"geo":null,"tags":[],"ts":"2024-01-30T00:00:01Z"}

  {"user.id":9,"id":3,"ts":1706572800000000,"s":"\u00e9\ud83d\ude00\n\"q\""}
`})
	geo := arrow.StructOf(ftField("lat", ftF64, true), ftField("lon", ftF64, true))
	schema := ftSchema(
		ftField("id", ftI64, false),
		ftField("user.id", ftI64, true),
		ftField("user.name", ftStr, true),
		ftField("geo", geo, true),
		ftField("tags", arrow.ListOf(ftStr), true),
		ftField("ts", ftTS, true),
		ftField("s", ftStr, true),
	)
	tbl, rej := ftMust(t, NDJSON(filepath.Join(dir, "e.jsonl"), WithSchema(schema)), kiln.All)
	assert.Empty(t, rej)
	assert.Equal(t, []string{
		`1|7|ann|{"lat":1.5,"lon":-2}|["a","b"]|(null)|(null)`,
		`2|8|(null)|(null)|[]|2024-01-30T00:00:01Z|(null)`,
		"3|9|(null)|(null)|(null)|2024-01-30T00:00:00Z|é😀\n\"q\"",
	}, ftRows(tbl))
}

func TestNDJSONBadRecords(t *testing.T) {
	schema := ftSchema(ftField("id", ftI64, false), ftField("v", ftF64, true), ftField("s", ftStr, true))
	cases := []struct {
		name, line, where, reason string
	}{
		{"invalid json", `{"id":2,"v":1.5`, ":2:16", "expected ',' or '}'"},
		{"wrong type", `{"id":2,"v":"1.5"}`, ":2:", `key "v": want float64, got a string`},
		{"not an integer", `{"id":2.5}`, ":2:", `key "id": want int64, got 2.5`},
		{"missing required", `{"v":1}`, ":2:1", `key "id": missing, and the column is not nullable`},
		{"null required", `{"id":null}`, ":2:", `key "id": null in a non-nullable column`},
		{"duplicate key", `{"id":2,"id":3}`, ":2:", `key "id": appears twice`},
		{"not an object", `[1,2]`, ":2:1", "a record must be a JSON object"},
		{"trailing data", `{"id":2} x`, ":2:10", "unexpected data after the object"},
		{"bad escape", `{"id":2,"s":"\x"}`, ":2:", `invalid escape \x`},
		{"control char", "{\"id\":2,\"s\":\"a\tb\"}", ":2:", "control character in a string"},
		{"bad unknown", `{"id":2,"z":[1,}`, ":2:", "invalid value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ftWrite(t, dir, map[string]string{"in.ndjson": `{"id":1}` + "\n" + tc.line + "\n" + `{"id":3,"s":"ok"}`})
			file := filepath.ToSlash(filepath.Join(dir, "in.ndjson"))
			_, _, err := ftRead(t, NDJSON(file, WithSchema(schema)), kiln.All)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadRecord)
			assert.Contains(t, err.Error(), file+tc.where)
			assert.Contains(t, err.Error(), tc.reason)

			tbl, rej := ftMust(t, NDJSON(file, WithSchema(schema), OnBadRecord(Reject)), kiln.All)
			assert.Equal(t, []string{"1|(null)|(null)", "3|(null)|ok"}, ftRows(tbl))
			require.Len(t, rej, 1)
			assert.Contains(t, rej[0].Where, file+tc.where)
			assert.Contains(t, rej[0].Reason, tc.reason)
			assert.Equal(t, tc.line, rej[0].Raw)
		})
	}
}

func TestNDJSONTypes(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"t.json": `{"i8":-128,"u16":65535,"f32":0.5,"b":true,"d":"2024-02-29","bin":"xyz","big":18446744073709551615}
{"i8":127,"u16":0,"f32":-1e-3,"b":false,"d":null,"bin":"","big":0}
`})
	schema := ftSchema(
		ftField("i8", arrow.PrimitiveTypes.Int8, true), ftField("u16", arrow.PrimitiveTypes.Uint16, true),
		ftField("f32", arrow.PrimitiveTypes.Float32, true), ftField("b", arrow.FixedWidthTypes.Boolean, true),
		ftField("d", arrow.FixedWidthTypes.Date32, true), ftField("bin", arrow.BinaryTypes.Binary, true),
		ftField("big", arrow.PrimitiveTypes.Uint64, true))
	tbl, _ := ftMust(t, NDJSON(filepath.Join(dir, "t.json"), WithSchema(schema)), kiln.All)
	assert.Equal(t, []string{
		"-128|65535|0.5|true|2024-02-29|eHl6|18446744073709551615",
		"127|0|-0.001|false|(null)||0",
	}, ftRows(tbl))

	ftWrite(t, dir, map[string]string{"o.json": `{"i8":128}`})
	_, _, err := ftRead(t, NDJSON(filepath.Join(dir, "o.json"), WithSchema(schema)), kiln.All)
	assert.ErrorContains(t, err, `key "i8": want int8, got 128`)
}

func TestNDJSONNeedsSchema(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"t.json": `{"a":1}`})
	_, err := NDJSON(dir).Schema(kiln.NewContext(t.Context(), "x", kiln.All))
	assert.ErrorContains(t, err, "a schema is required")
}

func TestNDJSONRenamedKey(t *testing.T) {
	dir := t.TempDir()
	ftWrite(t, dir, map[string]string{"a.json": `{"user":"u1"}` + "\n" + `{"user_id":"u2"}`})
	s := NDJSON(dir, WithSchema(ftSchema(ftField("user_id", ftStr, true))), WithMapping(kiln.SchemaMapping{Renamed: map[string]string{"user": "user_id"}}))
	tbl, _ := ftMust(t, s, kiln.All)
	assert.Equal(t, []string{"u1", "u2"}, ftRows(tbl))
}
