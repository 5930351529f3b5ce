package source

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
)

// SQLSource reads the result of a SQL query through any database/sql driver
// into an Arrow table. Create one with SQL or OpenSQL.
//
// # Modes
//
// A snapshot (the default) reads the whole result on every run. With
// Incremental, a run reads only the rows whose cursor is past the high-water
// mark stored with the previous committed partition (see below). With
// SQLTimeRange, a run reads only the rows whose time column falls in the
// partition's [Start, End); both can be combined.
//
// # Queries and row order
//
// The user query is wrapped, never edited:
//
//	SELECT * FROM (<query>) AS _kiln_q [WHERE <range and cursor>] ORDER BY <order>
//
// so it may be any SELECT (joins, views, CTEs where the database allows them
// in a subquery). The output's row order is the ORDER BY kiln adds: the
// cursor columns for Incremental, else the SQLOrderBy columns, else every
// output column in schema order (always deterministic, as rows equal in every
// column are indistinguishable; give SQLOrderBy a key instead to spare the
// sort, or when a column has no ordering, like PostgreSQL json). Text sorts
// by the database's collation. SQLQueryOrdered instead runs a snapshot
// query verbatim and keeps its own ORDER BY. Identifiers are quoted with
// double quotes (ANSI SQL: PostgreSQL, SQLite, and MySQL in ANSI_QUOTES
// mode); parameters are written $1, $2 (PostgreSQL, SQLite) unless
// SQLQuestionMarks is given.
//
// # Incremental reads and the high-water mark
//
// Incremental("updated_at", "id") reads
//
//	WHERE updated_at > $m1 OR (updated_at = $m1 AND id > $m2) ORDER BY updated_at, id
//
// where (m1, m2) is the mark: the cursor of the last row read by the latest
// committed partition before the current one (kiln.Context.PreviousState).
// The new mark, the cursor of the last row read (or the previous mark when
// no row is new), is stored in this partition's manifest
// (kiln.Context.SetState) and so takes effect only when the partition
// commits: a run that fails commits nothing and the next run resumes from the
// last committed mark. Rerunning a partition reads again from the previous
// partition's mark, so it yields the same rows as before plus any that
// arrived since, never a duplicate of an earlier partition's rows; the one
// exception is rerunning a partition older than the latest committed one,
// which re-reads up to the present (bound partitions with SQLTimeRange on
// the cursor column to make such reruns exact). The first partition, and
// every run of the All partition (which has no previous partition), read from
// the beginning.
//
// The cursor must be unique and must only grow: a timestamp alone is not
// enough when rows can share it (a row arriving later with the same
// updated_at as the mark would be skipped), hence the tie-breaking id. Rows
// committed by the database later with an older cursor (a long transaction)
// are missed by any cursor-based reader; read from a change log instead (see
// ApplyChanges). Cursor values are bound as parameters with the Go type the
// driver returned them in, so comparisons use the database's own ordering;
// in SQLite store timestamps in one format (the driver's, in UTC) so that
// text order is time order.
//
// # Types
//
// Without SQLSchema, the schema is inferred before any row is read from the
// column types the driver reports (database/sql ColumnType.DatabaseTypeName);
// every inferred column is nullable. With SQLSchema the declared schema wins
// (always declare it for SQLite, whose typing is dynamic), and its columns
// are taken from the query result by name.
//
//	database type (as the driver names it)            Arrow type
//	------------------------------------------------  ------------------
//	SMALLINT, INT2                                    int16
//	INT4 (PostgreSQL integer), MEDIUMINT              int32
//	INTEGER, INT, BIGINT, INT8 (any name with INT)    int64
//	REAL (SQLite), FLOAT, FLOAT8, DOUBLE [PRECISION]  float64
//	FLOAT4 (PostgreSQL real)                          float32
//	NUMERIC(p,s), DECIMAL(p,s) with 1 <= p <= 38      decimal128(p,s)
//	NUMERIC, DECIMAL without precision                float64
//	TEXT, VARCHAR, CHAR, UUID, JSON, other names      utf8
//	BYTEA, BLOB                                       binary
//	BOOL, BOOLEAN                                     bool
//	DATE                                              date32
//	TIMESTAMP, TIMESTAMPTZ, DATETIME                  timestamp[us, UTC]
//	no declared type (an expression in SQLite)        error: declare SQLSchema
//
// Values convert by the Arrow type they land in: integers from integers,
// integral floats and numeric text (range-checked); floats from numbers and
// numeric text; decimals from numbers and text (rounded half away from zero
// to the scale, precision checked); utf8 and binary from text and bytes;
// bool from booleans and the integers 0 and 1; date32 from times (their UTC
// date) and "YYYY-MM-DD" text; timestamps from times (converted to UTC,
// truncated to the unit, out of range when the unit cannot hold them: for
// nanoseconds, outside 1677-2262) and RFC 3339 or SQLite-style text (UTC
// when no offset is given). NULL becomes null, or is an error in a non-nullable
// declared column. A value that does not convert is an error naming the row
// (1-based in the result) and column, wrapping ErrBadValue; with
// SQLRejectBadRows the row is set aside with ctx.Reject instead (the
// high-water mark still moves past it).
//
// # Failures
//
// Every query runs under its own timeout (SQLTimeout, default 10 minutes);
// a query that times out fails the run and is not retried. A database that
// is unavailable (connection refused or reset, the server shutting down or
// starting, too many connections, SQLite busy) is retried with exponential
// backoff within a bounded budget (SQLRetry); when the budget is spent the
// run fails with an error wrapping ErrUnavailable and the cause, and
// nothing is committed. Errors name the source's database identity and the
// query, never the DSN.
//
// # Versions
//
// A SQLSource is not a kiln.SourceVersioner: a database changes under us
// and nothing cheap tells in general, so it is read on every run, and the
// engine does not rewrite a partition whose content hash is unchanged. When
// the user knows a cheap query that changes whenever the data does, wrap the
// source with VersionedBy to let unchanged partitions be skipped unread.
//
// A SQLSource is safe for concurrent use by several runs.
type SQLSource struct {
	db      *sql.DB
	openErr error
	owned   bool
	cfg     sqlConfig
	schema  *arrow.Schema // declared, or nil
	timeout time.Duration
	retry   Backoff
	retryIf func(error) bool
}

// sqlConfig is the source's Spec config: everything that changes the output,
// and no credentials.
type sqlConfig struct {
	Database      string     `json:"database"`
	Query         string     `json:"query"`
	Schema        []sqlField `json:"schema,omitempty"`
	Cursor        []string   `json:"cursor,omitempty"`
	OrderBy       []string   `json:"order_by,omitempty"`
	QueryOrdered  bool       `json:"query_ordered,omitempty"`
	TimeColumn    string     `json:"time_column,omitempty"`
	Reject        bool       `json:"reject_bad_rows,omitempty"`
	QuestionMarks bool       `json:"question_marks,omitempty"`
}

type sqlField struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

// Errors of SQL sources, checkable with errors.Is.
var (
	// ErrBadValue is wrapped by a SQLValueError: a value that does not fit
	// its column's Arrow type.
	ErrBadValue = errors.New("bad value")
	// ErrCursorChanged reports that the previous partition's high-water
	// mark was recorded for other cursor columns than the source's.
	ErrCursorChanged = errors.New("incremental cursor changed")
)

// SQLValueError is a value that does not convert to its column's Arrow type.
// It matches ErrBadValue with errors.Is.
type SQLValueError struct {
	// Row is the 1-based position of the row in the query result.
	Row int64
	// Column is the column name.
	Column string
	// Problem says what is wrong with the value.
	Problem string
}

func (e *SQLValueError) Error() string {
	return fmt.Sprintf("row %d column %q: %s", e.Row, e.Column, e.Problem)
}

// Is reports whether target is ErrBadValue.
func (e *SQLValueError) Is(target error) bool { return target == ErrBadValue }

// SQLOption configures a SQLSource.
type SQLOption func(*SQLSource)

// SQLDatabase names the database in the source's Spec, lineage and errors
// (for example "shop-primary"). It replaces the default identity: the
// driver's type for SQL, the driver name and the DSN without credentials or
// parameters for OpenSQL.
func SQLDatabase(name string) SQLOption { return func(s *SQLSource) { s.cfg.Database = name } }

// SQLSchema declares the output schema. Its columns are taken from the query
// result by name (extra result columns are ignored) and converted as the
// SQLSource documentation says. Declare it for SQLite.
func SQLSchema(schema *arrow.Schema) SQLOption { return func(s *SQLSource) { s.schema = schema } }

// Incremental reads only rows whose cursor, the listed columns compared as a
// tuple, is past the previous committed partition's high-water mark, in
// cursor order. The cursor must be unique and growing: use a sequence id, or
// a timestamp with a tie-breaking key, Incremental("updated_at", "id").
func Incremental(cursor ...string) SQLOption {
	return func(s *SQLSource) { s.cfg.Cursor = append([]string(nil), cursor...) }
}

// SQLOrderBy orders the output by the listed columns (ascending). They should
// form a unique key; with Incremental they break ties after the cursor.
func SQLOrderBy(columns ...string) SQLOption {
	return func(s *SQLSource) { s.cfg.OrderBy = append([]string(nil), columns...) }
}

// SQLQueryOrdered runs a snapshot query verbatim, trusting its own ORDER BY
// for the row order. It cannot be combined with Incremental or SQLTimeRange,
// which wrap the query.
func SQLQueryOrdered() SQLOption { return func(s *SQLSource) { s.cfg.QueryOrdered = true } }

// SQLTimeRange reads only rows whose column lies in the run partition's time
// range [Start, End). Partitions without time (All, static) read every row.
func SQLTimeRange(column string) SQLOption { return func(s *SQLSource) { s.cfg.TimeColumn = column } }

// SQLRejectBadRows sets rows with a value that does not convert aside with
// kiln.Context.Reject (committed to the node's rejected-records dataset)
// instead of failing the run.
func SQLRejectBadRows() SQLOption { return func(s *SQLSource) { s.cfg.Reject = true } }

// SQLQuestionMarks writes query parameters as ? (MySQL and others) instead
// of $1, $2.
func SQLQuestionMarks() SQLOption { return func(s *SQLSource) { s.cfg.QuestionMarks = true } }

// SQLTimeout bounds each query (the schema probe, the read, the version
// query), including reading its rows. Zero or less means no timeout. The
// default is 10 minutes.
func SQLTimeout(d time.Duration) SQLOption { return func(s *SQLSource) { s.timeout = d } }

// SQLRetry bounds the retries of an unavailable database. Zero fields keep
// the defaults: 5 attempts, 100ms initial wait, 10s max step, 1 minute
// budget.
func SQLRetry(b Backoff) SQLOption { return func(s *SQLSource) { s.retry = b } }

// sqlBackoff is SQLRetry's defaults.
var sqlBackoff = Backoff{Attempts: 5, Initial: 100 * time.Millisecond, Max: 10 * time.Second, Budget: time.Minute}

// SQLRetryIf adds a test for errors worth retrying (the database being
// briefly unavailable) to the built-in ones.
func SQLRetryIf(fn func(error) bool) SQLOption { return func(s *SQLSource) { s.retryIf = fn } }

// SQL returns a source reading query from db. The caller keeps ownership of
// db. See SQLSource for the modes, order, types and failure handling.
func SQL(db *sql.DB, query string, opts ...SQLOption) *SQLSource {
	s := newSQL(query, opts)
	s.db = db
	if s.cfg.Database == "" {
		s.cfg.Database = fmt.Sprintf("driver %T", db.Driver())
	}
	return s
}

// OpenSQL returns a source reading query from the database at dsn through the
// registered database/sql driver driverName (for example "sqlite" for
// modernc.org/sqlite or "pgx" for github.com/jackc/pgx/v5/stdlib; import the
// driver). The DSN never enters the Spec, manifests or errors: the default
// identity is the driver name with the DSN's host, port and database only.
// Close releases the connection pool.
func OpenSQL(driverName, dsn, query string, opts ...SQLOption) *SQLSource {
	s := newSQL(query, opts)
	s.owned = true
	s.db, s.openErr = sql.Open(driverName, dsn)
	if s.openErr != nil {
		// database/sql echoes only the driver name; keep it that way.
		s.openErr = fmt.Errorf("open driver %q: %w", driverName, s.openErr)
	}
	if s.cfg.Database == "" {
		s.cfg.Database = driverName + ":" + redactDSN(dsn)
	}
	return s
}

func newSQL(query string, opts []SQLOption) *SQLSource {
	s := &SQLSource{cfg: sqlConfig{Query: trimQuery(query)}, timeout: 10 * time.Minute}
	for _, o := range opts {
		o(s)
	}
	if s.schema != nil {
		s.cfg.Schema = make([]sqlField, s.schema.NumFields())
		for i, f := range s.schema.Fields() {
			t, err := digest.CanonicalType(f.Type)
			if err != nil {
				t = f.Type.String()
			}
			s.cfg.Schema[i] = sqlField{Name: f.Name, Type: t, Nullable: f.Nullable}
		}
	}
	return s
}

// Close closes the connection pool of a source made by OpenSQL; it does
// nothing for one made by SQL.
func (s *SQLSource) Close() error {
	if !s.owned || s.db == nil {
		return nil
	}
	return s.db.Close()
}

// Spec implements kiln.Source. The config holds the database identity, the
// query, the declared schema and the options that change the output; never
// the DSN.
func (s *SQLSource) Spec() kiln.Spec {
	return kiln.Spec{Name: "source.sql", Version: "1", Config: s.cfg}
}

// Schema implements kiln.Source: the declared schema (without touching the
// database), or the schema inferred from a probe of the query that reads no
// rows.
func (s *SQLSource) Schema(ctx *kiln.Context) (*arrow.Schema, error) {
	if s.schema != nil {
		return s.schema, nil
	}
	var schema *arrow.Schema
	err := s.withRetry(ctx, func(rc *sqlRun) error {
		shape, err := rc.probe()
		if err != nil {
			return err
		}
		schema = shape.schema
		return nil
	})
	if err != nil {
		return nil, err
	}
	return schema, nil
}

// Read implements kiln.Source. See SQLSource.
func (s *SQLSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	prevMark, prev, err := s.previousMark(ctx)
	if err != nil {
		return nil, s.wrap(err)
	}
	var res *sqlResult
	err = s.withRetry(ctx, func(rc *sqlRun) error {
		shape, err := rc.probe()
		if err != nil {
			return err
		}
		q, args := s.buildQuery(shape, prev, ctx.Partition())
		r, err := rc.fetch(shape, q, args)
		if err != nil {
			return err
		}
		res = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range res.rejects {
		ctx.Reject(r)
	}
	if len(s.cfg.Cursor) > 0 {
		mark := res.mark
		if mark == nil {
			mark = prevMark
		}
		if err := ctx.SetState(sqlState{Cursor: s.cfg.Cursor, Mark: mark}); err != nil {
			res.table.Release()
			return nil, s.wrap(err)
		}
	}
	return res.table, nil
}

// wrap prefixes an error with the source identity.
func (s *SQLSource) wrap(err error) error {
	return fmt.Errorf("sql source %q: %w", s.cfg.Database, err)
}
