package source

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// FuzzNDJSON feeds arbitrary bytes to the NDJSON reader: it must not panic;
// in Reject mode every non-blank line ends up as a row or a rejected record;
// and a line encoding/json finds invalid is never a row. The seed corpus is
// in testdata/fuzz/FuzzNDJSON.
//
//	go test ./source -run '^$' -fuzz FuzzNDJSON -fuzztime 30s
func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"s":"a","user":{"id":2},"geo":{"lat":1.5},"tags":["x"]}`,
		`{"id":-0,"f":1e5,"ts":"2024-01-30T10:00:00Z","b":true}` + "\n\n" + `{"id":2}`,
		`{"s":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","x":[1,{"y":[null,true,false]}]}`,
		`{"id":1,"id":2}`,
		`[1,2,3]`,
		`{"id":01}`,
		`{"s":"\ud800"}`,
		`{"geo":{"lat":"x"}}`,
		"{\"s\":\"a\x00\"}",
	} {
		f.Add([]byte(s))
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
		{Name: "user.id", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "geo", Type: arrow.StructOf(arrow.Field{Name: "lat", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		o := newFileOptions("ndjson", "fuzz", []FileOption{OnBadRecord(Reject)})
		tbl, rej, err := readNDJSON(bytes.NewReader(data), "fuzz.ndjson", schema, &o)
		if err != nil {
			t.Fatalf("reject mode failed: %v", err)
		}
		defer tbl.Release()
		var lines, invalid int
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.Trim(line, " \t\r\n")) == 0 { // JSON whitespace
				continue
			}
			lines++
			if !json.Valid(line) {
				invalid++
			}
		}
		if got := int(tbl.NumRows()) + len(rej); got != lines {
			t.Fatalf("%d rows + %d rejected, want %d lines", tbl.NumRows(), len(rej), lines)
		}
		if len(rej) < invalid {
			t.Fatalf("%d lines are invalid JSON but only %d were rejected", invalid, len(rej))
		}
	})
}
