// Package quality holds kiln's data quality checks: declarative gates
// attached to a node and evaluated on every partition it computes, before
// anything downstream (transforms, sinks, the commit itself) sees the data.
//
//	events.Check(
//		quality.NotNull("user_id").Mostly(0.999),
//		quality.Unique("event_id"),
//		quality.Between("amount", 0, 1e6).Quarantine(),
//		quality.InSet("event_type", "view", "add_to_cart", "purchase"),
//		quality.RowCountChange(quality.DefaultRowCountChange).Warn(),
//		quality.PSI("amount", 0.25).Warn(),
//		quality.Freshness("ts", 26*time.Hour),
//	)
//
// # Severities
//
// Every check has a severity. Error (the default) halts the node: nothing
// downstream runs, nothing is committed for the partition, and the
// previously committed partition stays as it was. Warn records the failure
// and the run goes on. Quarantine (column checks only) diverts the
// unexpected rows to the dataset kiln.QuarantineDataset(node) with the
// columns _kiln_check and _kiln_reason, and passes the others on; both keep
// input row order and together hold every input row. Results are stored in
// the partition's manifest and the run record; Result.QualityPassRate gives
// a run's data_quality_pass_rate.
//
// # Great Expectations semantics
//
// Results carry the fields Great Expectations users know: element_count,
// missing_count and missing_percent, unexpected_count, unexpected_percent
// (of the non-null values), unexpected_percent_total (of all rows), a
// sample of at most SampleSize unexpected values with their row indexes
// (partial_unexpected), and observed_value for aggregates. Column checks
// ignore nulls, except NotNull, whose unexpected percentage is of all rows;
// a column check passes when (nonnull − unexpected)/nonnull >= mostly,
// compared as a raw float, and passes on zero rows or zero non-null values.
// Aggregates skip nulls; an aggregate of a column without non-null values
// is null and fails. Percentages of zero rows are 0 (Great Expectations
// reports null).
//
//	kiln                          Great Expectations
//	NotNull                       expect_column_values_to_not_be_null
//	Unique                        expect_column_values_to_be_unique
//	UniqueTogether                expect_compound_columns_to_be_unique
//	Between, AtLeast, AtMost      expect_column_values_to_be_between
//	InSet / NotInSet              expect_column_values_to_(not_)be_in_set
//	MatchesRegex / Not…           expect_column_values_to_(not_)match_regex
//	ValueLengthsBetween           expect_column_value_lengths_to_be_between
//	Increasing / Decreasing       expect_column_values_to_be_in/decreasing
//	OfType                        expect_column_values_to_be_of_type
//	Mean, Median, Stddev          expect_column_mean/median/stdev_to_be_between
//	Min, Max, Sum                 expect_column_min/max/sum_to_be_between
//	Quantiles                     expect_column_quantile_values_to_be_between
//	DistinctCount                 expect_column_unique_value_count_to_be_between
//	ProportionUnique              expect_column_proportion_of_unique_values_to_be_between
//	RowCount                      expect_table_row_count_to_be_between
//	ColumnSetEquals / Contains    expect_table_columns_to_match_set
//
// Columns may be integers (any width), uint64, floats, strings (utf8 and
// large_utf8), bools, dates, timestamps, times and durations, each check
// saying which it takes; ValidateSchema names a missing or unsuitable
// column at plan time. Dictionary-encoded and nested columns are not
// supported (NotNull takes any column).
//
// NaN is a value, not a null (as in Arrow): it passes NotNull, is never in
// a range or a set, is unexpected for Increasing, and makes an aggregate NaN
// (which fails). Observed values that JSON cannot hold (NaN, ±Inf) are
// reported as the strings "NaN", "+Inf" and "-Inf".
//
// # Across partitions and drift
//
// RowCountChange, NullRateChange, MeanShift and SchemaChange compare the
// partition with the previous committed one (or any Reference); Freshness
// compares the latest timestamp with the run's logical time. PSI, KS and
// ChiSquare measure distribution drift. They read the reference's profile
// from its manifest, which the same checks (or Profile) recorded when it
// was committed, so old data is never read again; see Profile,
// TableProfile and ReadProfile.
//
// # Reports
//
// NewReport, ReportOf and ReadReport build a Report: a text table for
// terminals and a stable JSON form.
//
// # Determinism and speed
//
// Checks read Arrow buffers directly, one kernel per value domain, with no
// interface call or allocation per value. Work is split into kiln's fixed
// row segments (internal/par.ChunkRows, chosen from the data, never from the
// thread count), evaluated in parallel and combined in segment order, so
// every result, floats included, is the same at any GOMAXPROCS.
package quality
