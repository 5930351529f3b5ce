package source_test

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// postgresDSN returns the DSN of the test PostgreSQL server, or skips.
// .ci/postgres.sh starts one and prints the variable.
func postgresDSN(t *testing.T) string {
	dsn := os.Getenv("KILN_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("PostgreSQL tests skipped: set KILN_TEST_POSTGRES_DSN (eval \"$(bash .ci/postgres.sh)\") to run them")
	}
	return dsn
}

func postgresDB(t *testing.T) (*sql.DB, string) {
	dsn := postgresDSN(t)
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Ping(), "KILN_TEST_POSTGRES_DSN is set but the server does not answer")
	return db, dsn
}

var pgNonIdent = regexp.MustCompile(`[^a-z0-9]+`)

// pgTable returns a table name unique to the test, dropped after it.
func pgTable(t *testing.T, db *sql.DB) string {
	name := "kiln_" + pgNonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + name) })
	return name
}

func TestPostgresScenarios(t *testing.T) {
	postgresDSN(t)
	runSQLScenarios(t, func(t *testing.T) *sqlBackend {
		db, dsn := postgresDB(t)
		return &sqlBackend{driver: "pgx", dsn: dsn, db: db, table: pgTable(t, db), tsType: "TIMESTAMPTZ",
			slowQuery: "SELECT pg_sleep(5)::text AS x"}
	})
}

func TestPostgresTypeMapping(t *testing.T) {
	db, _ := postgresDB(t)
	tbl := pgTable(t, db)
	sqlExec(t, db, `CREATE TABLE `+tbl+` (
		i2 SMALLINT, i4 INTEGER, i8 BIGINT, f4 REAL, f8 DOUBLE PRECISION,
		dec NUMERIC(12,3), num NUMERIC, txt TEXT, vc VARCHAR(10), bin BYTEA, b BOOLEAN,
		d DATE, ts TIMESTAMP, tstz TIMESTAMPTZ, u UUID, j JSONB)`)
	sqlExec(t, db, `INSERT INTO `+tbl+` VALUES (1, 2, 3, 1.5, 2.25, 123456.789, 0.1, 'hé', 'v', '\x00ff', true,
		'2024-02-29', '2024-03-01 10:00:00.123456', '2024-03-01 12:00:00.5+02', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '{"a": 1}')`)
	sqlExec(t, db, `INSERT INTO `+tbl+` (i2) VALUES (NULL)`)
	src := source.SQL(db, "SELECT * FROM "+tbl)
	schema, err := src.Schema(kiln.NewContext(t.Context(), "pg", kiln.All))
	require.NoError(t, err)
	var got []string
	for _, f := range schema.Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	assert.Equal(t, []string{"i2:int16", "i4:int32", "i8:int64", "f4:float32", "f8:float64",
		"dec:decimal(12, 3)", "num:float64", "txt:utf8", "vc:utf8", "bin:binary", "b:bool",
		"d:date32", "ts:timestamp[us, tz=UTC]", "tstz:timestamp[us, tz=UTC]", "u:utf8", "j:utf8"}, got)

	out, _, err := sqlRead(t, src, kiln.All)
	require.NoError(t, err)
	assert.Equal(t, []string{
		`1|2|3|1.5|2.25|123456.789|0.1|hé|v|AP8=|true|2024-02-29|2024-03-01T10:00:00.123456Z|2024-03-01T10:00:00.5Z|6ba7b810-9dad-11d1-80b4-00c04fd430c8|{"a": 1}`,
		"NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
	}, sqlRows(t, out))
}

func TestPostgresDownIsCleanFailure(t *testing.T) {
	postgresDSN(t)
	// Nothing listens on port 1: every connection is refused.
	src := source.OpenSQL("pgx", "postgres://kiln:hunter2@127.0.0.1:1/shop?sslmode=disable&connect_timeout=1", "SELECT 1 AS x",
		source.SQLRetry(source.Backoff{Attempts: 3, Initial: time.Millisecond, Budget: time.Second}),
		source.SQLSchema(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)))
	defer src.Close()
	_, _, err := sqlRead(t, src, kiln.All)
	require.Error(t, err)
	assert.ErrorIs(t, err, source.ErrUnavailable)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.Contains(t, err.Error(), `sql source "pgx:postgres://127.0.0.1:1/shop"`)
	assert.NotContains(t, fmt.Sprint(src.Spec().Config), "hunter2")
}
