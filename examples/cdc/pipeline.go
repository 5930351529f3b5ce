package main

import (
	"database/sql"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
	"github.com/kiln-data/kiln/source"
	"github.com/kiln-data/kiln/transform"
)

var timestampUTC = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// SQLite's typing is dynamic, so the sources declare their schemas.
var (
	ordersSchema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "status", Type: arrow.BinaryTypes.String},
		{Name: "total", Type: arrow.PrimitiveTypes.Float64},
		{Name: "created_at", Type: timestampUTC},
		{Name: "updated_at", Type: timestampUTC},
	}, nil)
	changesSchema = arrow.NewSchema([]arrow.Field{
		{Name: "lsn", Type: arrow.PrimitiveTypes.Int64},
		{Name: "op", Type: arrow.BinaryTypes.String},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true}, // null in delete events
		{Name: "tier", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "changed_at", Type: timestampUTC},
	}, nil)
)

// changes says how to read the outbox as Debezium-style change events: op
// is the operation ("c", "u", "d"), lsn orders them, id is the key. The
// rows are flat (the image is the row itself); Debezium's envelope, with
// before and after structs, reads the same way.
var changes = source.CDCConfig{Key: []string{"id"}, Op: "op", Seq: []string{"lsn"}}

// landing is the daily extraction pipeline. Each run reads only what
// changed since the previous committed partition: the sources' high-water
// marks are stored in the partition manifests, so a run that fails commits
// no mark and the next one reads the same rows again.
func landing(lakeDir string, db *sql.DB, logger *slog.Logger) *kiln.Pipeline {
	p := kiln.New("shopdb_landing", kiln.WithLake(lakeDir), kiln.WithLogger(logger))

	// Orders are mutable rows with an update time: read the rows whose
	// (updated_at, id) is past the mark. An order updated on three days
	// lands three times, once per version; id breaks ties between rows
	// updated in the same microsecond.
	p.Source("bronze.shop_orders", source.SQL(db,
		"SELECT id, customer_id, status, total, created_at, updated_at FROM orders",
		source.SQLDatabase("shop"),
		source.Incremental("updated_at", "id"),
		source.SQLSchema(ordersSchema),
	)).Check(quality.InSet("status", "placed", "shipped", "delivered"))

	// The change log only grows: its sequence number alone is the cursor.
	events := p.Source("bronze.customer_changes", source.SQL(db,
		"SELECT lsn, op, id, email, tier, changed_at FROM customer_changes",
		source.SQLDatabase("shop"),
		source.Incremental("lsn"),
		source.SQLSchema(changesSchema),
	)).Check(quality.Unique("lsn"), quality.InSet("op", "c", "u", "d"))

	// The day's events applied on their own give the latest image of the
	// customers changed that day: a daily upsert feed (a customer deleted
	// that day is not in it).
	p.Transform("silver.customer_upserts", source.ApplyChanges(changes), events)
	return p
}

// state is the current-state pipeline. silver.customers applies every
// landed change event, all partitions in order, to rebuild the customers
// table as it is now; it is unpartitioned (one partition, All) and is
// recomputed whenever bronze.customer_changes gains a partition. It lives
// in its own pipeline because it reads what the landing pipeline committed.
func state(lakeDir string, logger *slog.Logger) *kiln.Pipeline {
	p := kiln.New("shopdb_state", kiln.WithLake(lakeDir), kiln.WithLogger(logger))
	events := source.Parquet(kiln.DatasetDir(lakeDir, "bronze.customer_changes"))
	customers := p.Source("silver.customers", source.CDC(events, changes)).
		Unpartitioned().
		Check(quality.Unique("id"), quality.NotNull("email"))
	p.Transform("gold.customer_tiers",
		transform.GroupBy("tier").Agg(transform.Count().As("customers")),
		customers).Unpartitioned()
	return p
}
