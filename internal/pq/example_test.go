package pq_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/pq"
)

func Example() {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "event", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(
		`[{"user_id": 1, "event": "view"}, {"user_id": 2, "event": null}]`))
	if err != nil {
		panic(err)
	}
	defer rec.Release()
	tbl := array.NewTableFromRecords(sc, []arrow.RecordBatch{rec})
	defer tbl.Release()

	dir, _ := os.MkdirTemp("", "pq")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "part-00000.parquet")
	ctx := context.Background()
	if _, err := pq.WriteFile(ctx, path, tbl, pq.Defaults()); err != nil {
		panic(err)
	}
	got, err := pq.ReadFile(ctx, path, pq.ReadOptions{Columns: []string{"event"}})
	if err != nil {
		panic(err)
	}
	defer got.Release()
	fmt.Println(got.NumRows(), got.Schema().Field(0).Type, got.Column(0).Data().Chunk(0))
	// Output: 2 utf8 ["view" (null)]
}
