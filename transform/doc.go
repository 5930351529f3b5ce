// Package transform holds kiln's built-in transforms: pure, vectorized
// functions over Arrow tables that give the same bytes at any GOMAXPROCS.
//
// Every transform declares its output schema from its input schemas (so a
// pipeline fails at plan time, naming the column, when an input lacks what
// it needs), carries a name and version that enter the fingerprint, reports
// column lineage, and documents its output row order. Compose them with
// Chain:
//
//	clean := transform.Chain(
//		transform.DropNulls("user_id"),
//		transform.Dedupe([]string{"event_id"}, transform.KeepFirst),
//	)
//
// # What there is
//
//   - Row-local, keeping input order: Select, Rename, DropColumns, Cast,
//     Filter and Derive over typed expressions (Col, Lit, arithmetic,
//     comparisons, And/Or/Not, IsNull, Coalesce, If, Case, string and
//     date-part functions), FillNulls, DropNulls, ToUTC, ParseTimestamp,
//     FromEpoch.
//   - Keyed: Sort (stable, nulls last by default), Dedupe (KeepFirst,
//     KeepLast, KeepFirstBy) and DistinctRows, InnerJoin and LeftJoin (left
//     order, then right order), AsOfJoin (point-in-time: the latest right
//     row at or before each left row, within a tolerance), GroupBy with
//     Count, Sum, Mean, Min, Max, First/Last, Var/Std, CountDistinct and
//     exact quantiles (output ordered by the keys), Rolling time windows per
//     entity, Sessionize and Sessions.
//   - Preprocessing with fit and apply: StandardScaler, MinMaxScaler,
//     imputers, OneHot, Ordinal, TargetEncode, Bucketize, QuantileBuckets,
//     HashBuckets. Fit returns a hashed, serializable Artifact; Apply(art)
//     is a transform built only from it, and ApplyRecord serves single rows
//     online, so training and serving transform identically.
//
// # Semantics
//
// Null handling follows SQL unless a transform says otherwise: comparisons
// with null are null, filters drop null predicates, aggregates of no values
// are null and counts are 0, null keys never match in joins. Floats compare
// with a total order (NaN equals NaN and sorts above every number).
// Floating-point aggregates add values in input row order, so results do not
// depend on the thread count.
//
// Test your own transforms with package transform/transformtest.
package transform
