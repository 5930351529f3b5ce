package source_test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/lineage"
	"github.com/kiln-data/kiln/source"
)

// sqliteDB opens a SQLite database in a temp file.
func sqliteDB(t testing.TB) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, path
}

func sqlExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	_, err := db.Exec(q, args...)
	require.NoError(t, err, q)
}

// sqlFlakyConnector wraps a driver's connector: its first fails connections are
// refused (forever when fails < 0), as if the server were down.
type sqlFlakyConnector struct {
	inner driver.Connector
	fails atomic.Int64
	calls atomic.Int64
}

type sqlDSNConnector struct {
	drv driver.Driver
	dsn string
}

func (c sqlDSNConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c sqlDSNConnector) Driver() driver.Driver                        { return c.drv }

// sqlFlakyDB returns a pool over driverName/dsn whose first fails
// connections are refused; every query opens a new connection.
func sqlFlakyDB(t testing.TB, driverName, dsn string, fails int64) (*sql.DB, *sqlFlakyConnector) {
	t.Helper()
	probe, err := sql.Open(driverName, dsn)
	require.NoError(t, err)
	drv := probe.Driver()
	probe.Close()
	var inner driver.Connector = sqlDSNConnector{drv, dsn}
	if dc, ok := drv.(driver.DriverContext); ok {
		inner, err = dc.OpenConnector(dsn)
		require.NoError(t, err)
	}
	c := &sqlFlakyConnector{inner: inner}
	c.fails.Store(fails)
	db := sql.OpenDB(c)
	db.SetMaxIdleConns(0)
	t.Cleanup(func() { db.Close() })
	return db, c
}

func (c *sqlFlakyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c.calls.Add(1)
	if f := c.fails.Load(); f != 0 {
		c.fails.Add(-1)
		if f < 0 {
			c.fails.Store(-1)
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: syscall.ECONNREFUSED}
	}
	return c.inner.Connect(ctx)
}

func (c *sqlFlakyConnector) Driver() driver.Driver { return c.inner.Driver() }

// read calls a source directly for a partition.
func sqlRead(t testing.TB, src kiln.Source, p kiln.Partition) (arrow.Table, *kiln.Context, error) {
	t.Helper()
	ctx := kiln.NewContext(context.Background(), "test", p)
	tbl, err := src.Read(ctx)
	if err == nil {
		t.Cleanup(tbl.Release)
	}
	return tbl, ctx, err
}

// sqlRows renders a table as one "a|b|c" string per row, nulls as "NULL".
func sqlRows(t testing.TB, tbl arrow.Table) []string {
	t.Helper()
	out := make([]string, 0, tbl.NumRows())
	rr := tbl.NumRows()
	cells := make([][]string, rr)
	for c := 0; c < int(tbl.NumCols()); c++ {
		r := 0
		for _, ch := range tbl.Column(c).Data().Chunks() {
			for i := 0; i < ch.Len(); i++ {
				v := "NULL"
				switch {
				case !ch.IsValid(i):
				case ch.DataType().ID() == arrow.DECIMAL128:
					v = ch.(*array.Decimal128).Value(i).ToString(ch.DataType().(*arrow.Decimal128Type).Scale)
				default:
					v = ch.ValueStr(i)
				}
				cells[r] = append(cells[r], v)
				r++
			}
		}
	}
	for _, c := range cells {
		out = append(out, strings.Join(c, "|"))
	}
	return out
}

func sqlQuiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// sqlLakeState reads the source state committed with a partition of a dataset
// ("" when none), and whether the partition is committed.
func sqlLakeState(t testing.TB, lakeDir, dataset string, p kiln.Partition) (string, bool) {
	t.Helper()
	dir := filepath.Join(append([]string{lakeDir}, strings.Split(dataset, ".")...)...)
	b, err := lake.ReadManifest(filepath.Join(dir, filepath.FromSlash(p.Dir())))
	if err != nil {
		return "", false
	}
	m, err := lineage.UnmarshalManifest(b)
	require.NoError(t, err)
	var buf bytes.Buffer
	if len(m.SourceState) > 0 {
		require.NoError(t, json.Compact(&buf, m.SourceState))
	}
	return buf.String(), true
}

// sqlCommitted reads a committed partition back.
func sqlCommitted(t testing.TB, lakeDir, dataset string, p kiln.Partition) []string {
	t.Helper()
	dir := filepath.Join(append([]string{lakeDir}, strings.Split(dataset, ".")...)...)
	tbl, _, err := sqlRead(t, source.Parquet(dir), p)
	require.NoError(t, err)
	return sqlRows(t, tbl)
}

func sqlJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
