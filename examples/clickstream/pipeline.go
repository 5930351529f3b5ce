package main

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
	"github.com/kiln-data/kiln/source"
	"github.com/kiln-data/kiln/transform"
)

// clickSchema is the schema of the raw click log. NDJSON carries no types,
// so the source needs it; ts arrives as an RFC 3339 string and is parsed
// into a timestamp.
var clickSchema = arrow.NewSchema([]arrow.Field{
	{Name: "click_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "page", Type: arrow.BinaryTypes.String},
	{Name: "referrer", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "device", Type: arrow.BinaryTypes.String},
}, nil)

// sessionGap is the inactivity that ends a session, the usual web analytics
// convention.
const sessionGap = 30 * time.Minute

// sessionize cleans the day's clicks and tags each with its session: drop
// anonymous clicks, keep one copy of each resent line, then number each
// user's sessions in time order. Output order: input order (file order),
// with the session columns added.
//
// Sessions are cut at partition boundaries: a visit that spans midnight
// counts as two sessions, one per day. That keeps every day computable on its
// own (and cacheable), which is what daily features usually want.
var sessionize = transform.Chain(
	transform.DropNulls("user_id"),
	transform.Dedupe([]string{"click_id"}, transform.KeepFirst),
	transform.Sessionize(transform.Session{By: []string{"user_id"}, Time: "ts", Gap: sessionGap}),
)

// oneIf is 1 where cond holds, else 0: summed by a group-by, it counts rows.
func oneIf(cond transform.Expr) transform.Expr {
	return transform.If(cond, transform.Lit(int64(1)), transform.Lit(int64(0)))
}

// micros is a timestamp column as microseconds since the epoch.
func micros(col string) transform.Expr {
	return transform.Col(col).Cast(arrow.PrimitiveTypes.Int64)
}

// sessionFeatures summarizes each session: when it started, how long it
// lasted, how many clicks and distinct pages, product views, whether it
// converted, and where it came from. Output order: user_id, then session_id
// (a group-by is ordered by its keys).
//
// (When all you need is each session's start, end and click count,
// transform.Sessions gives exactly that in one step.)
var sessionFeatures = transform.Chain(
	transform.Derive("is_product", oneIf(transform.Col("page").HasPrefix("/product/"))),
	transform.Derive("is_purchase", oneIf(transform.Col("page").Eq(transform.Lit("/checkout/done")))),
	transform.GroupBy("user_id", transform.SessionID).Agg(
		transform.First(transform.SessionStart).As("start"),
		transform.First(transform.SessionEnd).As("end"),
		transform.Count().As("clicks"),
		transform.CountDistinct("page").As("distinct_pages"),
		transform.Sum("is_product").As("product_views"),
		transform.Max("is_purchase").As("converted"),
		transform.FirstBy("page", "ts").As("landing_page"),
		transform.LastBy("page", "ts").As("exit_page"),
		transform.FirstBy("referrer", "ts").As("referrer"),
		transform.First("device").As("device"),
	),
	transform.Derive("dt", transform.Col("start").Date()),
	transform.Derive("duration_s", micros("end").Sub(micros("start")).Div(transform.Lit(1e6))),
)

// userDaily are the per-user daily session features a model would use:
// sessions, clicks, average and longest session, product views and
// conversions. Output order: dt, user_id (a group-by is ordered by its keys).
var userDaily = transform.GroupBy("dt", "user_id").Agg(
	transform.Count().As("sessions"),
	transform.Sum("clicks").As("clicks"),
	transform.Mean("duration_s").As("avg_session_s"),
	transform.Max("duration_s").As("max_session_s"),
	transform.Sum("product_views").As("product_views"),
	transform.Sum("converted").As("conversions"),
)

// dailyKPIs is the dashboard table: per day and plan, active users,
// sessions, clicks per session and the share of sessions that bought. Its
// first step joins the user features (first input) with the user dimension
// (second input) to learn each user's plan. Output order: dt, plan.
var dailyKPIs = transform.Chain(
	transform.LeftJoin("user_id"),
	transform.FillNulls(map[string]any{"plan": "unknown"}),
	transform.GroupBy("dt", "plan").Agg(
		transform.Count().As("users"),
		transform.Sum("sessions").As("sessions"),
		transform.Sum("clicks").As("clicks"),
		transform.Mean("avg_session_s").As("avg_session_s"),
		transform.Sum("conversions").As("conversions"),
	),
	transform.Derive("clicks_per_session", transform.Col("clicks").Div(transform.Col("sessions"))),
	transform.Derive("conversion_rate", transform.Col("conversions").Div(transform.Col("sessions"))),
)

// build declares the clickstream pipeline over the landing directory.
//
//	landing/clicks/dt=*/clicks-*.ndjson -> bronze.clicks -> silver.clicks -> gold.sessions -> gold.user_daily --+
//	landing/users.csv                   -> bronze.users ---------------------------------------------------+-> gold.daily_sessions
func build(lakeDir, landing string, logger *slog.Logger) *kiln.Pipeline {
	p := kiln.New("clickstream", kiln.WithLake(lakeDir), kiln.WithLogger(logger))

	// File sources. The click log is laid out in dt= directories, so each
	// daily run reads only its own day's files (hive pruning). The user
	// dimension is one CSV file whose schema is inferred from its header
	// and values; as an unpartitioned node it is committed once and read
	// whole by every day.
	clicks := p.Source("bronze.clicks", source.NDJSON(filepath.Join(landing, "clicks"), source.WithSchema(clickSchema))).
		Check(
			quality.Unique("click_id").Mostly(0.98).Warn(), // a few resent lines are expected
			quality.NotNull("user_id").Mostly(0.95),        // anonymous traffic stays small
			quality.InSet("device", "mobile", "desktop", "tablet"),
		)
	users := p.Source("bronze.users", source.CSV(filepath.Join(landing, "users.csv"))).
		Unpartitioned().
		Check(quality.Unique("user_id"), quality.NotNull("country"))

	clean := p.Transform("silver.clicks", sessionize, clicks).
		Check(quality.Unique("click_id"))
	sessions := p.Transform("gold.sessions", sessionFeatures, clean).
		Check(
			quality.Between("duration_s", 0, 24*60*60),
			quality.AtLeast("clicks", 1),
		)
	perUser := p.Transform("gold.user_daily", userDaily, sessions).
		Check(quality.UniqueTogether("dt", "user_id"))
	p.Transform("gold.daily_sessions", dailyKPIs, perUser, users).
		Check(quality.Between("conversion_rate", 0, 1))
	return p
}
