package source_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

const benchSQLRows = 1_000_000

// benchSQLite fills a SQLite file with benchSQLRows rows of 6 columns.
func benchSQLite(b *testing.B) *sql.DB {
	b.Helper()
	db, _ := sqliteDB(b)
	sqlExec(b, db, `CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, flag BOOLEAN, ts DATETIME)`)
	sqlExec(b, db, `INSERT INTO bench
		WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $1)
		SELECT n, 'customer-' || (n % 1000), n * 0.25, n % 100, n % 2,
			strftime('%Y-%m-%d %H:%M:%S', 1700000000 + n, 'unixepoch') FROM c`, benchSQLRows)
	return db
}

// BenchmarkSQLiteExtract reads 1M rows x 6 columns (int64, utf8, float64,
// int64, bool, timestamp) from SQLite into Arrow, against a plain
// database/sql loop scanning the same rows into typed Go variables.
func BenchmarkSQLiteExtract(b *testing.B) {
	db := benchSQLite(b)
	b.Run("source", func(b *testing.B) {
		src := source.SQL(db, "SELECT id, name, amount, qty, flag, ts FROM bench", source.SQLOrderBy("id"))
		for b.Loop() {
			tbl, err := src.Read(kiln.NewContext(b.Context(), "bench", kiln.All))
			require.NoError(b, err)
			require.EqualValues(b, benchSQLRows, tbl.NumRows())
			tbl.Release()
		}
		b.ReportMetric(float64(benchSQLRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("database-sql-scan", func(b *testing.B) {
		for b.Loop() {
			rows, err := db.QueryContext(b.Context(), "SELECT id, name, amount, qty, flag, ts FROM bench ORDER BY id")
			require.NoError(b, err)
			var (
				id, qty int64
				name    string
				amount  float64
				flag    bool
				ts      time.Time
				n       int
			)
			for rows.Next() {
				require.NoError(b, rows.Scan(&id, &name, &amount, &qty, &flag, &ts))
				n++
			}
			require.NoError(b, rows.Err())
			rows.Close()
			require.Equal(b, benchSQLRows, n)
		}
		b.ReportMetric(float64(benchSQLRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
