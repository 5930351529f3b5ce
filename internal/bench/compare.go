package main

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// column is a column as DuckDB reads it from a Parquet file.
type column struct{ Name, Type string }

// agreement is the result of comparing kiln's output with DuckDB's.
type agreement struct {
	KilnRows, DuckRows int64
	KilnCols, DuckCols []column
	// Mismatches counts the rows that differ, per column (only columns
	// with differences).
	Mismatches map[string]int64
	// Example describes the first differing row, if any.
	Example string
}

// OK reports whether the outputs agree: same columns and types, same row
// count, and every value equal (floats within tolerance).
func (a agreement) OK() bool {
	return a.KilnRows == a.DuckRows && slices.Equal(a.KilnCols, a.DuckCols) && len(a.Mismatches) == 0
}

// String summarises a for the report.
func (a agreement) String() string {
	if a.OK() {
		return fmt.Sprintf("yes (%d rows, %d columns)", a.KilnRows, len(a.KilnCols))
	}
	var parts []string
	if a.KilnRows != a.DuckRows {
		parts = append(parts, fmt.Sprintf("rows kiln %d, duckdb %d", a.KilnRows, a.DuckRows))
	}
	if !slices.Equal(a.KilnCols, a.DuckCols) {
		parts = append(parts, fmt.Sprintf("columns kiln %v, duckdb %v", a.KilnCols, a.DuckCols))
	}
	for _, c := range a.KilnCols {
		if n := a.Mismatches[c.Name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d rows differ", c.Name, n))
		}
	}
	if a.Example != "" {
		parts = append(parts, "first: "+a.Example)
	}
	return "NO: " + strings.Join(parts, "; ")
}

// describe returns the columns of a Parquet file as DuckDB reads them.
func describe(ctx context.Context, db *sql.DB, path string) ([]column, error) {
	rows, err := db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("+sqlString(path)+"))")
	if err != nil {
		return nil, fmt.Errorf("duckdb describe %s: %w", path, err)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// countRows returns the row count of a Parquet file read by DuckDB.
func countRows(ctx context.Context, db *sql.DB, path string) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+sqlString(path)+")").Scan(&n)
	return n, err
}

// isFloatType reports whether a DuckDB type compares with tolerance.
func isFloatType(t string) bool { return t == "DOUBLE" || t == "FLOAT" }

// compare checks kiln's output against DuckDB's per FPB.md's agreement
// rule: integers (and dates, timestamps, strings) exactly, floats within
// 1e-6 + 1e-9·max(|a|,|b|), nulls equal nulls, rows matched by position.
// DuckDB reads both files, which also proves it opens kiln's.
func compare(ctx context.Context, db *sql.DB, kilnPath, duckPath string) (agreement, error) {
	var a agreement
	var err error
	if a.KilnCols, err = describe(ctx, db, kilnPath); err != nil {
		return a, err
	}
	if a.DuckCols, err = describe(ctx, db, duckPath); err != nil {
		return a, err
	}
	if a.KilnRows, err = countRows(ctx, db, kilnPath); err != nil {
		return a, err
	}
	if a.DuckRows, err = countRows(ctx, db, duckPath); err != nil {
		return a, err
	}
	if !slices.Equal(a.KilnCols, a.DuckCols) {
		return a, nil
	}
	var conds, sums, shows []string
	for _, c := range a.KilnCols {
		k, d := "k."+quoteIdent(c.Name), "d."+quoteIdent(c.Name)
		cond := fmt.Sprintf("%s IS NOT DISTINCT FROM %s", k, d)
		if isFloatType(c.Type) {
			cond = fmt.Sprintf("((%[1]s IS NULL AND %[2]s IS NULL) OR abs(%[1]s - %[2]s) <= 1e-6 + 1e-9 * greatest(abs(%[1]s), abs(%[2]s)))", k, d)
		}
		conds = append(conds, cond)
		sums = append(sums, fmt.Sprintf("count(*) FILTER (WHERE NOT coalesce(%s, false))", cond))
		shows = append(shows, fmt.Sprintf("'%s=' || coalesce(CAST(%s AS VARCHAR), 'NULL') || '/' || coalesce(CAST(%s AS VARCHAR), 'NULL')", c.Name, k, d))
	}
	from := fmt.Sprintf(`(SELECT * FROM read_parquet(%s, file_row_number = true)) k
  FULL JOIN (SELECT * FROM read_parquet(%s, file_row_number = true)) d USING (file_row_number)`,
		sqlString(kilnPath), sqlString(duckPath))
	counts := make([]int64, len(conds))
	ptrs := make([]any, len(conds))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	if err := db.QueryRowContext(ctx, "SELECT "+strings.Join(sums, ", ")+" FROM "+from).Scan(ptrs...); err != nil {
		return a, fmt.Errorf("duckdb compare: %w", err)
	}
	a.Mismatches = map[string]int64{}
	for i, n := range counts {
		if n > 0 {
			a.Mismatches[a.KilnCols[i].Name] = n
		}
	}
	if len(a.Mismatches) == 0 {
		return a, nil
	}
	q := fmt.Sprintf("SELECT 'row ' || file_row_number || ' (kiln/duckdb): ' || concat_ws(', ', %s) FROM %s WHERE NOT (%s) ORDER BY file_row_number LIMIT 1",
		strings.Join(shows, ", "), from, "coalesce("+strings.Join(conds, " AND ")+", false)")
	if err := db.QueryRowContext(ctx, q).Scan(&a.Example); err != nil {
		return a, fmt.Errorf("duckdb compare example: %w", err)
	}
	return a, nil
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// interop checks that DuckDB reads kiln-written files with kiln's types,
// as the issue requires ("kiln's files open in DuckDB unchanged"): the
// first day of events (the generator writes it with kiln's writer) and
// kiln's P2 output, whose timestamps must read as TIMESTAMP WITH TIME ZONE
// and dt as DATE. It returns the problems found.
func interop(ctx context.Context, db *sql.DB, data, kilnP2 string) []string {
	want := map[string]map[string]string{
		dayFile(data, 0): {"event_id": "BIGINT", "user_id": "BIGINT", "event_type": "VARCHAR", "amount": "DOUBLE", "ts": "TIMESTAMP WITH TIME ZONE"},
		kilnP2:           {"label_id": "BIGINT", "label_ts": "TIMESTAMP WITH TIME ZONE", "dt": "DATE", "revenue_30d": "DOUBLE"},
	}
	var probs []string
	for _, path := range []string{dayFile(data, 0), kilnP2} {
		cols, err := describe(ctx, db, path)
		if err != nil {
			probs = append(probs, err.Error())
			continue
		}
		got := map[string]string{}
		for _, c := range cols {
			got[c.Name] = c.Type
		}
		for _, name := range slices.Sorted(maps.Keys(want[path])) {
			if got[name] != want[path][name] {
				probs = append(probs, fmt.Sprintf("%s: column %s reads as %q, want %q", path, name, got[name], want[path][name]))
			}
		}
	}
	return probs
}
