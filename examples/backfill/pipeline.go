package main

import (
	"log/slog"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
	"github.com/kiln-data/kiln/source"
	"github.com/kiln-data/kiln/transform"
)

// salesSchema pins the export's columns and types: a file that does not
// fit it (a missing column, a price that is not a number) fails its
// partition with the file, line and column, rather than landing as text.
var salesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "order_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "store_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "sku", Type: arrow.PrimitiveTypes.Int64},
	{Name: "qty", Type: arrow.PrimitiveTypes.Int64},
	{Name: "unit_price", Type: arrow.PrimitiveTypes.Float64},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
}, nil)

// storeDaily aggregates a day's sales per store. Output order: dt, store_id.
var storeDaily = transform.Chain(
	transform.Derive("dt", transform.Col("ts").Date()),
	transform.Derive("revenue", transform.Col("qty").Mul(transform.Col("unit_price"))),
	transform.GroupBy("dt", "store_id").Agg(
		transform.Count().As("orders"),
		transform.Sum("qty").As("units"),
		transform.Sum("revenue").As("revenue"),
	),
)

// store7d is each store's trailing 7-day revenue and orders, as of the end
// of the day: one row per store present in the window. Output order:
// store_id.
var store7d = transform.Rolling(transform.RollingWindows{
	By:   []string{"store_id"},
	Time: "dt",
	Windows: []transform.Window{
		transform.Over(7*kiln.Day, transform.Sum("revenue").As("revenue_7d")),
		transform.Over(7*kiln.Day, transform.Sum("orders").As("orders_7d")),
	},
	AtPartitionEnd: true,
})

// build declares the pipeline:
//
//	landing/sales/dt=*/sales.csv -> bronze.sales -> gold.store_daily -> (7 days) -> gold.store_7d
func build(lakeDir, landing string, logger *slog.Logger) *kiln.Pipeline {
	p := kiln.New("store_sales", kiln.WithLake(lakeDir), kiln.WithLogger(logger))
	sales := p.Source("bronze.sales", source.CSV(filepath.Join(landing, "sales"), source.WithSchema(salesSchema))).
		Check(quality.Unique("order_id"), quality.Between("qty", 1, 100))
	daily := p.Transform("gold.store_daily", storeDaily, sales).
		Check(quality.AtLeast("revenue", 0))
	p.Transform("gold.store_7d", store7d, kiln.Lookback(daily, 7*kiln.Day))
	return p
}
