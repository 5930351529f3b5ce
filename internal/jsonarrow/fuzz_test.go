package jsonarrow

import (
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzValidate checks the scanner against encoding/json on any input.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"\u00e9"}]}`, `[`, `"\ud800"`, `-0.0e-1`, `{"a":1,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := Validate(b) == nil
		if want := json.Valid(b); got != want {
			t.Fatalf("Validate(%q) ok=%v, encoding/json says %v", b, got, want)
		}
	})
}

// FuzzDecoderAppend feeds any input to a decoder: no panics, only valid JSON
// is accepted, and a rejected record leaves the row count unchanged.
func FuzzDecoderAppend(f *testing.F) {
	for _, s := range []string{
		`{"id": 1, "name": "x", "user": {"id": 2}, "ts": "2024-01-30T00:00:00Z", "tags": [1]}`,
		`{"id": 1, "ts": 17}`, `{"id": "1"}`, `[]`, `{"user": {"id": {"id": 1}}}`,
	} {
		f.Add([]byte(s))
	}
	d, err := NewDecoder(memory.DefaultAllocator, testColumns())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		before := d.Len()
		err := d.Append(b)
		if err == nil && !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		if err != nil && d.Len() != before {
			t.Fatalf("a rejected record changed the row count")
		}
		if d.Len() > 1000 {
			d.NewRecordBatch().Release()
		}
	})
}
