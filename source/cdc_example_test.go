package source_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// Debezium-style events (op, lsn, before, after) applied to the current
// state of the table, one row per live key, sorted by key.
func ExampleApplyChanges() {
	image := arrow.StructOf(
		arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "op", Type: arrow.BinaryTypes.String},
		{Name: "lsn", Type: arrow.PrimitiveTypes.Int64},
		{Name: "before", Type: image, Nullable: true},
		{Name: "after", Type: image, Nullable: true},
	}, nil)
	events, _ := array.TableFromJSON(memory.DefaultAllocator, schema, []string{`[
		{"op": "c", "lsn": 10, "before": null, "after": {"id": 7, "email": "a@x"}},
		{"op": "c", "lsn": 11, "before": null, "after": {"id": 3, "email": "b@x"}},
		{"op": "d", "lsn": 13, "before": {"id": 3, "email": "b@x"}, "after": null},
		{"op": "u", "lsn": 12, "before": {"id": 7, "email": "a@x"}, "after": {"id": 7, "email": "a@y"}}
	]`})
	defer events.Release()

	apply := source.ApplyChanges(source.CDCConfig{Key: []string{"id"}, Seq: []string{"lsn"}})
	state, err := apply.Apply(kiln.NewContext(context.Background(), "silver.users", kiln.All), []arrow.Table{events})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer state.Release()
	for i := range int(state.NumCols()) {
		c := state.Column(i)
		fmt.Println(c.Name(), c.Data().Chunk(0))
	}
	// Output:
	// id [7]
	// email ["a@y"]
}
