package source

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// FuzzCSV feeds arbitrary bytes to the CSV reader: it must not panic; in
// Reject mode every non-blank record ends up as a row or a rejected record;
// and where encoding/csv reads the input without error, both agree field by
// field. The seed corpus is in testdata/fuzz/FuzzCSV.
//
//	go test ./source -run '^$' -fuzz FuzzCSV -fuzztime 30s
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3\n",
		"\"a\"\"b\",\"c,d\",\"e\nf\"\n",
		"1,2\n3,4,5\n\n6,7,8",
		"x,\"unterminated\n",
		"\"a\"b,c,d\n",
		"a\"b,c,d\n",
		"\xef\xbb\xbf1,2,3\r\n4,5,6\r\n",
		",,\n\"\",\"\",\"\"\n",
		"2024-01-30T10:00:00Z,1.5,-7\n",
	} {
		f.Add([]byte(s))
	}
	strs := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	typed := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "b", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "c", Type: arrow.PrimitiveTypes.Int16},
	}, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Typed columns, bad records set aside: must not panic or fail.
		o := newFileOptions("csv", "fuzz", []FileOption{NoHeader(), OnBadRecord(Reject)})
		tbl, _, err := readCSV(bytes.NewReader(data), "fuzz.csv", typed, typed, &o)
		if err != nil {
			t.Fatalf("reject mode failed: %v", err)
		}
		tbl.Release()

		// With a header and inference-style parsing, in small reads.
		o = newFileOptions("csv", "fuzz", []FileOption{OnBadRecord(Reject)})
		if tbl, _, err := readCSV(iotest.OneByteReader(bytes.NewReader(data)), "fuzz.csv", strs, strs, &o); err == nil {
			tbl.Release()
		}

		// Strings: compare with encoding/csv where it succeeds.
		o = newFileOptions("csv", "fuzz", []FileOption{NoHeader(), OnBadRecord(Reject), NullValues()})
		tbl, rej, err := readCSV(bytes.NewReader(data), "fuzz.csv", strs, strs, &o)
		if err != nil {
			t.Fatalf("reject mode failed: %v", err)
		}
		defer tbl.Release()
		if bytes.ContainsRune(data, '\r') || !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			return
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = 3
		var want [][]string
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return
			}
			want = append(want, rec)
		}
		if len(rej) > 0 {
			t.Fatalf("encoding/csv reads %d records, we rejected %v", len(want), rej)
		}
		if int(tbl.NumRows()) != len(want) {
			t.Fatalf("got %d rows, encoding/csv %d", tbl.NumRows(), len(want))
		}
		for c := range 3 {
			row := 0
			for _, ch := range tbl.Column(c).Data().Chunks() {
				s := ch.(*array.String)
				for i := range s.Len() {
					if s.Value(i) != want[row][c] {
						t.Fatalf("row %d column %d: got %q, encoding/csv %q", row, c, s.Value(i), want[row][c])
					}
					row++
				}
			}
		}
	})
}
