package source_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/source"
)

func TestSQLiteInfersSchemaFromDeclaredTypes(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, `CREATE TABLE t (a INTEGER, b BIGINT, c SMALLINT, d REAL, e DOUBLE PRECISION, f DECIMAL(10,2),
		g NUMERIC, h TEXT, i VARCHAR(20), j BLOB, k BOOLEAN, l DATE, m DATETIME, n TIMESTAMP, o CLOB, untyped)`)
	src := source.SQL(db, "SELECT a, b, c, d, e, f, g, h, i, j, k, l, m, n, o FROM t")
	schema, err := src.Schema(kiln.NewContext(t.Context(), "t", kiln.All))
	require.NoError(t, err)
	var got []string
	for _, f := range schema.Fields() {
		assert.True(t, f.Nullable, f.Name)
		got = append(got, f.Name+":"+f.Type.String())
	}
	assert.Equal(t, []string{"a:int64", "b:int64", "c:int16", "d:float64", "e:float64", "f:decimal(10, 2)",
		"g:float64", "h:utf8", "i:utf8", "j:binary", "k:bool", "l:date32", "m:timestamp[us, tz=UTC]",
		"n:timestamp[us, tz=UTC]", "o:utf8"}, got)

	// Expressions and untyped columns have no declared type: say what to do.
	for _, q := range []string{"SELECT untyped FROM t", "SELECT a + 1 AS x FROM t"} {
		_, err = source.SQL(db, q).Schema(kiln.NewContext(t.Context(), "t", kiln.All))
		require.Error(t, err, q)
		assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
		assert.Contains(t, err.Error(), "source.SQLSchema")
	}
}

func TestSQLDeclaredSchemaConvertsValues(t *testing.T) {
	db, _ := sqliteDB(t)
	ts := func(u arrow.TimeUnit) arrow.DataType { return &arrow.TimestampType{Unit: u, TimeZone: "UTC"} }
	for _, c := range []struct {
		dt      arrow.DataType
		literal string
		want    string // rendered value, or "error: <substring>"
	}{
		{arrow.PrimitiveTypes.Int64, "42", "42"},
		{arrow.PrimitiveTypes.Int64, "'42'", "42"},
		{arrow.PrimitiveTypes.Int64, "3.0", "3"},
		{arrow.PrimitiveTypes.Int64, "3.5", "error: cannot convert float64 3.5 to int64"},
		{arrow.PrimitiveTypes.Int64, "'abc'", `error: cannot convert string "abc" to int64`},
		{arrow.PrimitiveTypes.Int8, "300", "error: out of range"},
		{arrow.PrimitiveTypes.Uint8, "-1", "error: out of range"},
		{arrow.PrimitiveTypes.Uint32, "4000000000", "4000000000"},
		{arrow.PrimitiveTypes.Float32, "1", "1"},
		{arrow.PrimitiveTypes.Float64, "'2.5'", "2.5"},
		{arrow.PrimitiveTypes.Float64, "x'00'", "error: cannot convert"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, "'123.456'", "123.46"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, "'-1.5'", "-1.50"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, "7", "7.00"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, "0.25", "0.25"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, "1234.5", "error: cannot convert float64 1234.5 to decimal(5, 2)"},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, "'x'", "error: cannot convert"},
		{arrow.BinaryTypes.String, "'hé'", "hé"},
		{arrow.BinaryTypes.String, "42", "error: cannot convert int64 42 to utf8: wrong type"},
		{arrow.BinaryTypes.String, "x'ff'", "error: not valid UTF-8"},
		{arrow.BinaryTypes.LargeString, "'big'", "big"},
		{arrow.BinaryTypes.Binary, "'abc'", "YWJj"},
		{arrow.BinaryTypes.LargeBinary, "x'00ff'", "AP8="},
		{arrow.FixedWidthTypes.Boolean, "1", "true"},
		{arrow.FixedWidthTypes.Boolean, "0", "false"},
		{arrow.FixedWidthTypes.Boolean, "2", "error: wrong type"},
		{arrow.FixedWidthTypes.Date32, "'2024-02-29'", "2024-02-29"},
		{arrow.FixedWidthTypes.Date32, "'2024-02-29T23:30:00-02:00'", "2024-03-01"},
		{ts(arrow.Microsecond), "'2024-03-01T10:00:00.123456789Z'", "2024-03-01T10:00:00.123456Z"},
		{ts(arrow.Millisecond), "'2024-03-01 10:00:00.5'", "2024-03-01T10:00:00.5Z"},
		{ts(arrow.Second), "'2024-03-01 12:00:00+02:00'", "2024-03-01T10:00:00Z"},
		{ts(arrow.Nanosecond), "'2024-03-01'", "2024-03-01T00:00:00Z"},
		{ts(arrow.Nanosecond), "'2300-01-01'", "error: cannot convert string \"2300-01-01\" to timestamp[ns, tz=UTC]: out of range"},
		{ts(arrow.Microsecond), "'2300-01-01'", "2300-01-01T00:00:00Z"},
		{ts(arrow.Microsecond), "1700000000", "error: wrong type"},
		{ts(arrow.Microsecond), "'yesterday'", "error: not a date or time"},
		{arrow.PrimitiveTypes.Int64, "NULL", "NULL"},
	} {
		name := fmt.Sprintf("%s from %s", c.dt, c.literal)
		schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: c.dt, Nullable: true}}, nil)
		src := source.SQL(db, "SELECT "+c.literal+" AS v", source.SQLSchema(schema))
		tbl, _, err := sqlRead(t, src, kiln.All)
		if want, isErr := sqlCutPrefix(c.want, "error: "); isErr {
			require.Error(t, err, name)
			assert.ErrorIs(t, err, source.ErrBadValue, name)
			assert.Contains(t, err.Error(), want, name)
			assert.Contains(t, err.Error(), `row 1 column "v"`, name)
			continue
		}
		require.NoError(t, err, name)
		assert.Equal(t, []string{c.want}, sqlRows(t, tbl), name)
	}
}

func sqlCutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

func TestSQLBadValueNamesRowAndColumn(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, "CREATE TABLE m (id INTEGER, score INTEGER)")
	sqlExec(t, db, "INSERT INTO m VALUES (1, 10), (2, 'ten'), (3, 30)")
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "score", Type: arrow.PrimitiveTypes.Int32}}, nil)

	_, _, err := sqlRead(t, source.SQL(db, "SELECT id, score FROM m", source.SQLSchema(schema), source.SQLDatabase("metrics")), kiln.All)
	require.Error(t, err)
	var verr *source.SQLValueError
	require.True(t, errors.As(err, &verr))
	assert.Equal(t, int64(2), verr.Row)
	assert.Equal(t, "score", verr.Column)
	assert.Contains(t, err.Error(), `sql source "metrics": query "SELECT * FROM (SELECT id, score FROM m)`)

	tbl, ctx, err := sqlRead(t, source.SQL(db, "SELECT id, score FROM m", source.SQLSchema(schema), source.SQLRejectBadRows()), kiln.All)
	require.NoError(t, err)
	assert.Equal(t, []string{"1|10", "3|30"}, sqlRows(t, tbl))
	_ = ctx // rejected records are committed by the engine; see the Reject scenario
}

func TestSQLSpecHoldsNoCredentials(t *testing.T) {
	for _, c := range []struct{ driver, dsn, identity string }{
		{"pgx", "postgres://alice:s3cret@db.internal:5432/shop?sslmode=require&password=s3cret", "pgx:postgres://db.internal:5432/shop"},
		{"pgx", "host=db.internal port=5432 user=alice password=s3cret dbname=shop sslmode=disable", "pgx:host=db.internal port=5432 dbname=shop"},
		{"mysql", "alice:s3cret@tcp(db.internal:3306)/shop?parseTime=true", "mysql:tcp(db.internal:3306)/shop"},
		{"sqlite", "file:/data/shop.db?_pragma=busy_timeout(5000)", "sqlite:file:/data/shop.db"},
	} {
		src := source.OpenSQL(c.driver, c.dsn, "SELECT 1")
		spec := sqlJSON(t, src.Spec())
		assert.NotContains(t, spec, "s3cret")
		assert.NotContains(t, spec, "alice")
		assert.Contains(t, spec, fmt.Sprintf("%q", c.identity))
		if c.driver == "mysql" { // not registered: the error names the driver only
			_, _, err := sqlRead(t, src, kiln.All)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "s3cret")
		}
		require.NoError(t, src.Close())
	}
}

func TestSQLQueryOrderedAndQuestionMarks(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, "CREATE TABLE e (id INTEGER, at DATETIME)")
	for i := 1; i <= 4; i++ {
		sqlExec(t, db, "INSERT INTO e VALUES (?, ?)", i, sqlT0.Add(time.Duration(i)*time.Minute))
	}
	tbl, _, err := sqlRead(t, source.SQL(db, "SELECT id FROM e ORDER BY id DESC;", source.SQLQueryOrdered()), kiln.All)
	require.NoError(t, err)
	assert.Equal(t, []string{"4", "3", "2", "1"}, sqlRows(t, tbl))

	_, _, err = sqlRead(t, source.SQL(db, "SELECT id FROM e", source.SQLQueryOrdered(), source.Incremental("id")), kiln.All)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be combined")

	// ? parameters, repeated at each use: a time range and a mark.
	src := source.SQL(db, "SELECT id, at FROM e", source.SQLQuestionMarks(), source.Incremental("at", "id"), source.SQLTimeRange("at"))
	lakeDir := t.TempDir()
	p := sqlPipeline(lakeDir, src)
	_, err = sqlRun(t, p, kiln.Date(2024, 3, 1))
	require.NoError(t, err)
	assert.Len(t, sqlCommitted(t, lakeDir, "bronze.orders", kiln.Date(2024, 3, 1)), 4)
	sqlExec(t, db, "INSERT INTO e VALUES (?, ?)", 5, sqlT0.Add(kiln.Day))
	_, err = sqlRun(t, p, kiln.Date(2024, 3, 2))
	require.NoError(t, err)
	assert.Equal(t, []string{"5|2024-03-02T10:00:00Z"}, sqlCommitted(t, lakeDir, "bronze.orders", kiln.Date(2024, 3, 2)))
}

func TestSQLMissingColumnsAreSchemaErrors(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, "CREATE TABLE e (id INTEGER)")
	for _, opt := range []source.SQLOption{
		source.SQLSchema(arrow.NewSchema([]arrow.Field{{Name: "nope", Type: arrow.PrimitiveTypes.Int64}}, nil)),
		source.Incremental("updated_at"),
		source.SQLOrderBy("name"),
		source.SQLTimeRange("ts"),
	} {
		_, _, err := sqlRead(t, source.SQL(db, "SELECT id FROM e", opt), kiln.All)
		require.Error(t, err)
		assert.ErrorIs(t, err, kiln.ErrSchemaMismatch)
		assert.Contains(t, err.Error(), "missing from the query result [id]")
	}
}

func TestSQLSnapshotIsDeterministic(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, "CREATE TABLE d (k TEXT, v INTEGER)")
	for i := range 200 {
		sqlExec(t, db, "INSERT INTO d VALUES (?, ?)", fmt.Sprintf("k%d", (i*37)%50), i%7)
	}
	var hashes []digest.Sum
	for _, q := range []string{"SELECT k, v FROM d", "SELECT k, v FROM d ORDER BY v DESC"} {
		tbl, _, err := sqlRead(t, source.SQL(db, q), kiln.All)
		require.NoError(t, err)
		h, err := digest.Table(tbl)
		require.NoError(t, err)
		hashes = append(hashes, h)
	}
	assert.Equal(t, hashes[0], hashes[1], "the added ORDER BY over every column fixes the order")
}

func TestSQLCursorChangeIsRefused(t *testing.T) {
	db, _ := sqliteDB(t)
	sqlExec(t, db, "CREATE TABLE e (id INTEGER, seq INTEGER)")
	sqlExec(t, db, "INSERT INTO e VALUES (1, 1)")
	lakeDir := t.TempDir()
	_, err := sqlRun(t, sqlPipeline(lakeDir, source.SQL(db, "SELECT id, seq FROM e", source.Incremental("id"))), kiln.Date(2024, 3, 1))
	require.NoError(t, err)
	_, err = sqlRun(t, sqlPipeline(lakeDir, source.SQL(db, "SELECT id, seq FROM e", source.Incremental("seq"))), kiln.Date(2024, 3, 2))
	require.Error(t, err)
	assert.ErrorIs(t, err, source.ErrCursorChanged)
}
