package source_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	_ "modernc.org/sqlite"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// A snapshot of a query: the schema is declared (SQLite's typing is
// dynamic), and rows come out ordered by the key.
func ExampleSQL() {
	dir, _ := os.MkdirTemp("", "kiln-example")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", filepath.Join(dir, "shop.db"))
	defer db.Close()
	db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, vip BOOLEAN)`)
	db.Exec(`INSERT INTO customers VALUES (2, 'bob', 0), (1, 'ann', 1)`)

	src := source.SQL(db, "SELECT id, name, vip FROM customers",
		source.SQLDatabase("shop"),
		source.SQLOrderBy("id"),
		source.SQLSchema(arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "vip", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		}, nil)))
	tbl, err := src.Read(kiln.NewContext(context.Background(), "bronze.customers", kiln.All))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tbl.Release()
	fmt.Println(tbl.NumRows(), "rows")
	for i := range int(tbl.NumCols()) {
		c := tbl.Column(i)
		fmt.Println(c.Name(), c.Data().Chunk(0))
	}
	// Output:
	// 2 rows
	// id [1 2]
	// name ["ann" "bob"]
	// vip [true false]
}

// Incremental landing: each daily run reads only the rows changed since the
// previous committed partition, by the cursor (updated_at, id), whose
// high-water mark is stored in each partition's manifest.
func ExampleIncremental() {
	dir, _ := os.MkdirTemp("", "kiln-example")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", filepath.Join(dir, "shop.db"))
	defer db.Close()
	db.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER, updated_at DATETIME)`)
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	insert := func(id, total int, at time.Time) {
		db.Exec(`INSERT INTO orders VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET total = excluded.total, updated_at = excluded.updated_at`, id, total, at)
	}

	p := kiln.New("shop", kiln.WithLake(filepath.Join(dir, "lake")), kiln.WithLogger(sqlQuiet()))
	p.Source("bronze.orders", source.SQL(db, "SELECT id, total, updated_at FROM orders",
		source.Incremental("updated_at", "id")))

	insert(1, 10, t0)
	insert(2, 20, t0)
	run := func(day kiln.Partition) {
		res, err := p.Run(context.Background(), day)
		if err != nil {
			fmt.Println(err)
			return
		}
		n, _ := res.Node("bronze.orders")
		fmt.Println(day, n.Status, n.Rows, "rows")
	}
	run(kiln.Date(2024, 3, 1))
	insert(3, 30, t0.Add(time.Hour))
	insert(1, 11, t0.Add(2*time.Hour)) // an update is read again
	run(kiln.Date(2024, 3, 2))
	run(kiln.Date(2024, 3, 3)) // nothing new
	// Output:
	// dt=2024-03-01 computed 2 rows
	// dt=2024-03-02 computed 2 rows
	// dt=2024-03-03 computed 0 rows
}
