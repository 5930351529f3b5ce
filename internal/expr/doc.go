// Package expr is the typed, vectorized expression evaluator behind
// transform.Filter, transform.Derive and the row-local transforms (cast,
// timestamp parsing), plus the table-splitting helpers they share.
//
// An expression is a tree of Node values (plain data with a canonical JSON
// form). Compile type-checks a tree against an Arrow schema and returns a
// Program; Program.Eval evaluates it over a Batch of Arrow arrays, one
// operator at a time over whole arrays (no per-value interface calls).
// Constants are kept as length-1 arrays and folded at compile time.
//
// Semantics, in short (each file documents its part):
//   - nulls: SQL. Arithmetic, comparisons and functions of a null are null;
//     AND/OR are three-valued; coalesce and CASE skip nulls and evaluate
//     only the operands a row needs.
//   - numbers: integer arithmetic in int64 with overflow as an error
//     (ErrOverflow), float arithmetic in float64 (IEEE 754); division
//     always gives float64 and division by zero gives null, as in DuckDB.
//   - comparisons: floats use a total order (NaN = NaN, NaN greatest).
//   - time: fields and truncation in the timestamp type's zone (zone.go).
//   - casts: exact unless lossy values are allowed (cast.go).
//
// Around the evaluator: Split, Groups and Map cut a table into zero-copy
// pieces and run them in parallel (Groups gives the fixed chunks that
// deterministic reductions fold in order); Select and Selection.Take
// filter arrays by a boolean mask; Cast, ParseTimestamps, FromEpoch and
// LocalToUTC are the kernels of the cast and timestamp transforms; Keyer,
// Float64s, Int64s and StringsOf give the preprocessing steps columnar
// access to values.
//
// Errors: Compile returns *Error (column and sub-expression at fault);
// evaluation returns *RowError (0-based table row) wrapping ErrLossy or
// ErrOverflow.
package expr
