package digest_test

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kiln-data/kiln/internal/digest"
)

func ExampleRecordBatch() {
	schema := arrow.NewSchema([]arrow.Field{{Name: "user_id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(`[{"user_id": 1}, {"user_id": 2}]`))
	if err != nil {
		panic(err)
	}
	defer rec.Release()
	sum, err := digest.RecordBatch(rec)
	if err != nil {
		panic(err)
	}
	// The same rows in a table of two one-row chunks hash the same.
	tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec.NewSlice(0, 1), rec.NewSlice(1, 2)})
	defer tbl.Release()
	sum2, err := digest.Table(tbl)
	if err != nil {
		panic(err)
	}
	fmt.Println(sum == sum2)
	// Output: true
}

func ExampleBuilder() {
	cfgHash := digest.Bytes([]byte(`{"days":30}`))
	fp := digest.NewBuilder("kiln.fingerprint.v1").
		String("node", "gold.user_30d").
		String("transform", "rolling_purchases").
		String("version", "v1").
		Sum("config", cfgHash).
		Digest()
	fmt.Println(len(fp.String()))
	// Output: 71
}
