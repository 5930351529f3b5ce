package source_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// A hive-partitioned landing directory of CSV files: the run's partition
// picks the dt= directory, the schema is inferred from the newest file, and
// bad lines are set aside instead of failing the run.
func ExampleCSV() {
	dir, _ := os.MkdirTemp("", "kiln-example")
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "dt=2024-01-30"), 0o755)
	os.WriteFile(filepath.Join(dir, "dt=2024-01-30", "orders.csv"),
		[]byte("id,amount,placed_at\n1,9.99,2024-01-30T08:00:00Z\n2,\"12.50\",2024-01-30T09:30:00Z\n"), 0o644)

	src := source.CSV(dir, source.OnBadRecord(source.Reject))
	ctx := kiln.NewContext(context.Background(), "bronze.orders", kiln.Date(2024, 1, 30))
	schema, _ := src.Schema(ctx)
	tbl, err := src.Read(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tbl.Release()
	for _, f := range schema.Fields() {
		fmt.Println(f.Name, f.Type)
	}
	fmt.Println(tbl.NumRows(), "rows")
	// Output:
	// id int64
	// amount float64
	// placed_at timestamp[us, tz=UTC]
	// 2 rows
}

// NDJSON with a declared schema: "user.id" reads a nested key (flattened),
// while the struct column "geo" keeps its object.
func ExampleNDJSON() {
	dir, _ := os.MkdirTemp("", "kiln-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "events.ndjson"), []byte(
		`{"user":{"id":7},"geo":{"lat":48.1,"lon":11.6},"kind":"view"}`+"\n"+
			`{"user":{"id":8},"kind":"buy","ignored":[1,2]}`+"\n"), 0o644)

	src := source.NDJSON(filepath.Join(dir, "*.ndjson"), source.WithSchema(arrow.NewSchema([]arrow.Field{
		{Name: "user.id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "geo", Type: arrow.StructOf(
			arrow.Field{Name: "lat", Type: arrow.PrimitiveTypes.Float64},
			arrow.Field{Name: "lon", Type: arrow.PrimitiveTypes.Float64}), Nullable: true},
		{Name: "kind", Type: arrow.BinaryTypes.String},
	}, nil)))
	tbl, err := src.Read(kiln.NewContext(context.Background(), "bronze.events", kiln.All))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tbl.Release()
	for i := range int(tbl.NumCols()) {
		fmt.Println(tbl.Schema().Field(i).Name, tbl.Column(i).Data().Chunk(0))
	}
	// Output:
	// user.id [7 8]
	// geo {[48.1 (null)] [11.6 (null)]}
	// kind ["view" "buy"]
}

// Sources read object stores through gocloud.dev/blob URLs; a URL's query
// (endpoint, region) configures the bucket and stays out of the spec.
func ExampleFileSource_url() {
	src := source.CSV("s3://landing/events/dt={dt}/*.csv?region=eu-west-1&endpoint=http://127.0.0.1:9000&use_path_style=true",
		source.WithMapping(kiln.SchemaMapping{Renamed: map[string]string{"user": "user_id"}}))
	fmt.Println(src.Spec().Name, src.SchemaMapping().Renamed["user"])
	// Output:
	// source.csv user_id
}
