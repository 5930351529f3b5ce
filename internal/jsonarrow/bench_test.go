package jsonarrow

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func BenchmarkDecoderAppend(b *testing.B) {
	d, err := NewDecoder(memory.DefaultAllocator, testColumns())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Release()
	recs := make([][]byte, 1024)
	var bytes int
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"id": %d, "name": "user %d", "user": {"id": %d, "tier": "gold"}, "score": %d.25, "ok": true, "ts": "2024-01-30T12:%02d:00Z", "day": "2024-01-30", "tags": ["a", "b"], "n": 7, "ignored": {"x": [1, 2, 3]}}`, i, i, i%1000, i, i%60)
		bytes += len(recs[i])
	}
	b.SetBytes(int64(bytes / len(recs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := d.Append(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		if d.Len() == 64*1024 {
			d.NewRecordBatch().Release()
		}
	}
}
