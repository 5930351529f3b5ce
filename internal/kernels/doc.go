// Package kernels holds kiln's columnar kernels for keyed work over Arrow
// columns: the engine under package transform's dedupe, sort, joins, as-of
// join, group-by, rolling windows and sessions.
//
//   - Group numbers the distinct keys of one or more columns densely (by
//     first occurrence). Each key column is first coded per row (integers
//     by offset from their minimum when their range is small, everything
//     else through a hash table), the codes are packed into one uint64, and
//     the packed keys are numbered through a plain array when their space is
//     small or a hash table otherwise (partitioned by hash and run in
//     parallel for large inputs).
//   - SortPerm returns a stable sort permutation for several keys with
//     direction and null placement: keys become order-preserving uint64
//     codes, packed into one when they fit, and are radix sorted.
//   - Take gathers rows by index into new arrays (negative index: null).
//   - The aggregation kernels (CountRows, SumInt, SumFloat, ArgMin,
//     Quantile...) reduce a value column per group id; the window kernels
//     (WindowSum, WindowArgMin...) reduce it over sliding time windows of
//     rows laid out by entity and time (OrderByEntity).
//   - AsOfIndex is kiln's one as-of (point-in-time) kernel: the right rows
//     laid out by entity, then (time, created time, input row), each left
//     row a binary search within its entity, walking back past rows
//     created after it when asked. transform.AsOfJoin, the feature store's
//     training sets (through it) and its latest value per entity use it.
//
// Determinism: every result depends only on the input values and their
// order, never on GOMAXPROCS. Parallel kernels split work into fixed chunks
// chosen from the data (internal/par) and write to disjoint slots; floating
// point reductions add each group's values in input row order (or, for
// windows, in a fixed order derived from the data alone).
//
// Columns are read through Col, a view of a chunked column; row indexes are
// int32, so a kernel handles at most MaxRows rows.
package kernels
