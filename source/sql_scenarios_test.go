package source_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// sqlBackend is a database the shared SQL scenarios run against: SQLite in
// a temp file, or PostgreSQL from KILN_TEST_POSTGRES_DSN.
type sqlBackend struct {
	driver string
	dsn    string
	db     *sql.DB
	table  string
	tsType string
	// slowQuery runs for seconds and returns one column "x".
	slowQuery string
}

var sqlT0 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)

// sqlOrdersSchema is the declared schema of the orders table.
var sqlOrdersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "customer", Type: arrow.BinaryTypes.String},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "paid", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "updated_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
}, nil)

func (b *sqlBackend) createOrders(t testing.TB) {
	t.Helper()
	sqlExec(t, b.db, "DROP TABLE IF EXISTS "+b.table)
	sqlExec(t, b.db, fmt.Sprintf(`CREATE TABLE %s (id INTEGER NOT NULL PRIMARY KEY, customer TEXT,
		amount DECIMAL(10,2), paid BOOLEAN, updated_at %s NOT NULL)`, b.table, b.tsType))
}

// insert adds an order updated minutes after sqlT0; customer "" is NULL.
func (b *sqlBackend) insert(t testing.TB, id int, customer, amount string, minutes int) {
	t.Helper()
	var c any
	if customer != "" {
		c = customer
	}
	sqlExec(t, b.db, "INSERT INTO "+b.table+" (id, customer, amount, paid, updated_at) VALUES ($1, $2, $3, $4, $5)",
		id, c, amount, id%2 == 0, sqlT0.Add(time.Duration(minutes)*time.Minute))
}

func (b *sqlBackend) source(db *sql.DB, opts ...source.SQLOption) *source.SQLSource {
	opts = append([]source.SQLOption{source.SQLSchema(sqlOrdersSchema), source.SQLDatabase("test-" + b.driver),
		source.SQLRetry(source.Backoff{Attempts: 4, Initial: time.Millisecond, Budget: time.Second})}, opts...)
	return source.SQL(db, "SELECT id, customer, amount, paid, updated_at FROM "+b.table, opts...)
}

func sqlPipeline(lakeDir string, src kiln.Source) *kiln.Pipeline {
	p := kiln.New("sqltest", kiln.WithLake(lakeDir), kiln.WithLogger(sqlQuiet()))
	p.Source("bronze.orders", src)
	return p
}

// run runs one partition and returns the node's result.
func sqlRun(t testing.TB, p *kiln.Pipeline, part kiln.Partition, opts ...kiln.RunOption) (kiln.NodeResult, error) {
	t.Helper()
	res, err := p.Run(context.Background(), part, opts...)
	if res == nil {
		require.Error(t, err)
		return kiln.NodeResult{}, err
	}
	n, ok := res.Node("bronze.orders")
	require.True(t, ok || err != nil)
	return n, err
}

func sqlOrderRow(id int, customer, amount string, minutes int) string {
	ts := sqlT0.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)
	return fmt.Sprintf("%d|%s|%s|%v|%s", id, customer, amount, id%2 == 0, ts)
}

func scenarioSnapshot(t *testing.T, b *sqlBackend) {
	b.createOrders(t)
	b.insert(t, 3, "cy", "30.5", 1)
	b.insert(t, 1, "ann", "10", 3)
	b.insert(t, 2, "bob", "20.25", 2)
	tbl, _, err := sqlRead(t, b.source(b.db), kiln.All)
	require.NoError(t, err)
	assert.True(t, sqlOrdersSchema.Equal(tbl.Schema()))
	assert.Equal(t, []string{
		sqlOrderRow(1, "ann", "10.00", 3),
		sqlOrderRow(2, "bob", "20.25", 2),
		sqlOrderRow(3, "cy", "30.50", 1),
	}, sqlRows(t, tbl))
}

func scenarioIncremental(t *testing.T, b *sqlBackend) {
	b.createOrders(t)
	lakeDir := t.TempDir()
	p := sqlPipeline(lakeDir, b.source(b.db, source.Incremental("updated_at", "id")))
	d1, d2, d3, d4 := kiln.Date(2024, 3, 1), kiln.Date(2024, 3, 2), kiln.Date(2024, 3, 3), kiln.Date(2024, 3, 4)

	b.insert(t, 1, "ann", "10", 1)
	b.insert(t, 2, "bob", "20", 2)
	b.insert(t, 3, "cy", "30", 2) // ties with 2 on updated_at
	n, err := sqlRun(t, p, d1)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusComputed, n.Status)
	assert.Equal(t, []string{sqlOrderRow(1, "ann", "10.00", 1), sqlOrderRow(2, "bob", "20.00", 2), sqlOrderRow(3, "cy", "30.00", 2)},
		sqlCommitted(t, lakeDir, "bronze.orders", d1))
	st, ok := sqlLakeState(t, lakeDir, "bronze.orders", d1)
	require.True(t, ok)
	assert.Contains(t, st, `"cursor":["updated_at","id"]`)
	assert.Contains(t, st, `{"type":"int","value":"3"}`)

	b.insert(t, 4, "dee", "40", 2) // same updated_at as the mark, larger id: no gap
	b.insert(t, 5, "eve", "50", 3)
	sqlExec(t, b.db, "UPDATE "+b.table+" SET amount = $1, updated_at = $2 WHERE id = 1", "11", sqlT0.Add(5*time.Minute))
	want2 := []string{sqlOrderRow(4, "dee", "40.00", 2), sqlOrderRow(5, "eve", "50.00", 3), sqlOrderRow(1, "ann", "11.00", 5)}
	_, err = sqlRun(t, p, d2)
	require.NoError(t, err)
	assert.Equal(t, want2, sqlCommitted(t, lakeDir, "bronze.orders", d2))

	// Rerunning d2 reads again from d1's mark: the same rows, no duplicates.
	n, err = sqlRun(t, p, d2)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusUnchanged, n.Status)
	n, err = sqlRun(t, p, d2, kiln.Force())
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusComputed, n.Status)
	assert.Equal(t, want2, sqlCommitted(t, lakeDir, "bronze.orders", d2))

	b.insert(t, 6, "fay", "60", 6)
	_, err = sqlRun(t, p, d3)
	require.NoError(t, err)
	assert.Equal(t, []string{sqlOrderRow(6, "fay", "60.00", 6)}, sqlCommitted(t, lakeDir, "bronze.orders", d3))

	// Nothing new: an empty partition that carries the mark forward.
	n, err = sqlRun(t, p, d4)
	require.NoError(t, err)
	assert.EqualValues(t, 0, n.Rows)
	st3, _ := sqlLakeState(t, lakeDir, "bronze.orders", d3)
	st4, _ := sqlLakeState(t, lakeDir, "bronze.orders", d4)
	assert.Equal(t, st3, st4)
	assert.Contains(t, st4, `{"type":"int","value":"6"}`)
}

func scenarioResume(t *testing.T, b *sqlBackend) {
	b.createOrders(t)
	db, conn := sqlFlakyDB(t, b.driver, b.dsn, 0)
	lakeDir := t.TempDir()
	p := sqlPipeline(lakeDir, b.source(db, source.Incremental("updated_at", "id")))
	d1, d2, d3 := kiln.Date(2024, 3, 1), kiln.Date(2024, 3, 2), kiln.Date(2024, 3, 3)

	b.insert(t, 1, "ann", "10", 1)
	b.insert(t, 2, "bob", "20", 2)
	_, err := sqlRun(t, p, d1)
	require.NoError(t, err)

	// A bad value in the middle of d2 fails the run: nothing is committed.
	b.insert(t, 3, "cy", "30", 3)
	b.insert(t, 4, "", "40", 4) // NULL in the non-nullable customer column
	b.insert(t, 5, "eve", "50", 5)
	n, err := sqlRun(t, p, d2)
	require.Error(t, err)
	assert.Equal(t, kiln.StatusFailed, n.Status)
	assert.ErrorIs(t, err, source.ErrBadValue)
	assert.Contains(t, err.Error(), `row 2 column "customer"`)
	_, committed := sqlLakeState(t, lakeDir, "bronze.orders", d2)
	assert.False(t, committed, "a failed run commits nothing")

	// Fixed, the rerun resumes from d1's mark.
	sqlExec(t, b.db, "UPDATE "+b.table+" SET customer = 'dee' WHERE id = 4")
	_, err = sqlRun(t, p, d2)
	require.NoError(t, err)
	assert.Equal(t, []string{sqlOrderRow(3, "cy", "30.00", 3), sqlOrderRow(4, "dee", "40.00", 4), sqlOrderRow(5, "eve", "50.00", 5)},
		sqlCommitted(t, lakeDir, "bronze.orders", d2))

	// The database goes down during d3: the run fails cleanly, the
	// committed partitions stay, and d3 resumes once it is back.
	b.insert(t, 6, "fay", "60", 6)
	conn.fails.Store(-1)
	n, err = sqlRun(t, p, d3)
	require.Error(t, err)
	assert.Equal(t, kiln.StatusFailed, n.Status)
	assert.ErrorIs(t, err, source.ErrUnavailable)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	_, committed = sqlLakeState(t, lakeDir, "bronze.orders", d3)
	assert.False(t, committed)
	assert.Len(t, sqlCommitted(t, lakeDir, "bronze.orders", d2), 3)

	conn.fails.Store(0)
	_, err = sqlRun(t, p, d3)
	require.NoError(t, err)
	assert.Equal(t, []string{sqlOrderRow(6, "fay", "60.00", 6)}, sqlCommitted(t, lakeDir, "bronze.orders", d3))
}

func scenarioReject(t *testing.T, b *sqlBackend) {
	b.createOrders(t)
	lakeDir := t.TempDir()
	p := sqlPipeline(lakeDir, b.source(b.db, source.Incremental("updated_at", "id"), source.SQLRejectBadRows()))
	d1, d2 := kiln.Date(2024, 3, 1), kiln.Date(2024, 3, 2)
	b.insert(t, 1, "ann", "10", 1)
	b.insert(t, 2, "", "20", 2)
	b.insert(t, 3, "cy", "30", 3)
	n, err := sqlRun(t, p, d1)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Rows)
	assert.EqualValues(t, 1, n.Rejected)
	rej := sqlCommitted(t, lakeDir, "bronze.orders_rejected", d1)
	require.Len(t, rej, 1)
	assert.True(t, strings.HasPrefix(rej[0], `row 2|column "customer": NULL in non-nullable utf8 column|id=2 customer=NULL`), rej[0])

	// The mark moved past the rejected row.
	b.insert(t, 4, "dee", "40", 4)
	_, err = sqlRun(t, p, d2)
	require.NoError(t, err)
	assert.Equal(t, []string{sqlOrderRow(4, "dee", "40.00", 4)}, sqlCommitted(t, lakeDir, "bronze.orders", d2))
}

func scenarioUnavailable(t *testing.T, b *sqlBackend) {
	b.createOrders(t)
	b.insert(t, 1, "ann", "10", 1)

	// Down twice, then up: the read succeeds after retries.
	db, conn := sqlFlakyDB(t, b.driver, b.dsn, 2)
	tbl, _, err := sqlRead(t, b.source(db), kiln.All)
	require.NoError(t, err)
	assert.EqualValues(t, 1, tbl.NumRows())
	assert.GreaterOrEqual(t, conn.calls.Load(), int64(3))

	// Always down: a clean failure after the bounded attempts.
	db, conn = sqlFlakyDB(t, b.driver, b.dsn, -1)
	_, _, err = sqlRead(t, b.source(db), kiln.All)
	require.Error(t, err)
	assert.ErrorIs(t, err, source.ErrUnavailable)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.Contains(t, err.Error(), `sql source "test-`+b.driver+`"`)
	assert.Contains(t, err.Error(), "after 4 attempts")
	calls := conn.calls.Load()
	assert.GreaterOrEqual(t, calls, int64(4))
	assert.LessOrEqual(t, calls, int64(4*3), "database/sql tries a bad connection at most 3 times per query")
}

func scenarioTimeout(t *testing.T, b *sqlBackend) {
	src := source.SQL(b.db, b.slowQuery, source.SQLDatabase("slow"), source.SQLTimeout(100*time.Millisecond),
		source.SQLSchema(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)))
	_, _, err := sqlRead(t, src, kiln.All)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, errors.Is(err, source.ErrUnavailable), "a timeout is not retried")
	assert.Contains(t, err.Error(), `sql source "slow"`)
	assert.Contains(t, err.Error(), "timed out after 100ms")
}

func scenarioTimeRangeAndVersion(t *testing.T, b *sqlBackend) {
	b.createOrders(t)
	const day = 24 * 60
	b.insert(t, 1, "ann", "10", 1)
	b.insert(t, 2, "bob", "20", day+1)
	b.insert(t, 3, "cy", "30", 13*60+59) // 23:59 on the first day
	d1, d2 := kiln.Date(2024, 3, 1), kiln.Date(2024, 3, 2)

	src := b.source(b.db, source.SQLTimeRange("updated_at"), source.SQLOrderBy("id"))
	for _, c := range []struct {
		part kiln.Partition
		want []string
	}{
		{d1, []string{sqlOrderRow(1, "ann", "10.00", 1), sqlOrderRow(3, "cy", "30.00", 13*60+59)}},
		{d2, []string{sqlOrderRow(2, "bob", "20.00", day+1)}},
		{kiln.All, []string{sqlOrderRow(1, "ann", "10.00", 1), sqlOrderRow(2, "bob", "20.00", day+1), sqlOrderRow(3, "cy", "30.00", 13*60+59)}},
	} {
		tbl, _, err := sqlRead(t, src, c.part)
		require.NoError(t, err)
		assert.Equal(t, c.want, sqlRows(t, tbl), c.part.String())
	}

	// A version query lets an unchanged partition be skipped unread.
	lakeDir := t.TempDir()
	p := sqlPipeline(lakeDir, src.VersionedBy("SELECT max(updated_at) AS m, count(*) AS n FROM "+b.table))
	n, err := sqlRun(t, p, d1)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusComputed, n.Status)
	n, err = sqlRun(t, p, d1)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusCached, n.Status)
	b.insert(t, 4, "dee", "40", 30)
	n, err = sqlRun(t, p, d1)
	require.NoError(t, err)
	assert.Equal(t, kiln.StatusComputed, n.Status)
	assert.Equal(t, []string{sqlOrderRow(1, "ann", "10.00", 1), sqlOrderRow(3, "cy", "30.00", 13*60+59), sqlOrderRow(4, "dee", "40.00", 30)},
		sqlCommitted(t, lakeDir, "bronze.orders", d1))
}

// runSQLScenarios runs every shared scenario against a backend made fresh
// for each by mk.
func runSQLScenarios(t *testing.T, mk func(t *testing.T) *sqlBackend) {
	for _, sc := range []struct {
		name string
		fn   func(*testing.T, *sqlBackend)
	}{
		{"Snapshot", scenarioSnapshot},
		{"Incremental", scenarioIncremental},
		{"Resume", scenarioResume},
		{"Reject", scenarioReject},
		{"Unavailable", scenarioUnavailable},
		{"Timeout", scenarioTimeout},
		{"TimeRangeAndVersion", scenarioTimeRangeAndVersion},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.fn(t, mk(t)) })
	}
}

func TestSQLiteScenarios(t *testing.T) {
	runSQLScenarios(t, func(t *testing.T) *sqlBackend {
		db, path := sqliteDB(t)
		return &sqlBackend{driver: "sqlite", dsn: path, db: db, table: "orders", tsType: "DATETIME",
			slowQuery: `WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000)
				SELECT CAST(max(n) AS TEXT) AS x FROM c`}
	})
}
