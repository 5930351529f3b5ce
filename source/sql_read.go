package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/retry"
)

// sqlBatchRows is how many rows a SQL source puts in one record batch.
const sqlBatchRows = 64 * 1024

// sqlShape is what the probe learned about the query's result.
type sqlShape struct {
	schema *arrow.Schema
	names  []string // result column names
	src    []int    // per schema field, its result column
	cursor []int    // per cursor column, its result column
}

// sqlResult is one successful read.
type sqlResult struct {
	table   arrow.Table
	rejects []kiln.Rejected
	mark    []sqlMark // cursor of the last row read, nil when no row
}

// sqlRun is one attempt: the source, the attempt's context, the allocator.
type sqlRun struct {
	s   *SQLSource
	ctx context.Context
	mem memory.Allocator
}

// withRetry runs fn, retrying while the database is unavailable within the
// source's retry policy. The error names the source.
func (s *SQLSource) withRetry(kctx *kiln.Context, fn func(rc *sqlRun) error) error {
	if s.openErr != nil {
		return s.wrap(s.openErr)
	}
	if err := s.validate(); err != nil {
		return s.wrap(err)
	}
	attempt := 0
	err := retryUnavailable(kctx, s.retry.policy(sqlBackoff), func(ctx context.Context) error {
		attempt++
		err := fn(&sqlRun{s: s, ctx: ctx, mem: kctx.Allocator()})
		if err != nil && ctx.Err() == nil && s.retryable(err) {
			kctx.Logger().Warn("database unavailable", "database", s.cfg.Database, "attempt", attempt, "err", err)
			return retry.Mark(err)
		}
		return err
	})
	if err != nil {
		return s.wrap(err)
	}
	return nil
}

// query runs q under the source's timeout. The returned cancel must be
// called after the rows are closed.
func (rc *sqlRun) query(q string, args []any) (*sql.Rows, context.CancelFunc, error) {
	ctx, cancel := rc.ctx, context.CancelFunc(func() {})
	if rc.s.timeout > 0 {
		ctx, cancel = context.WithTimeout(rc.ctx, rc.s.timeout)
	}
	rows, err := rc.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		err = rc.queryErr(ctx, q, err)
		cancel()
		return nil, nil, err
	}
	return rows, cancel, nil
}

// queryErr names the query, and says so when it timed out.
func (rc *sqlRun) queryErr(ctx context.Context, q string, err error) error {
	if rc.ctx.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("query %q timed out after %s: %w", shortQuery(q), rc.s.timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("query %q: %w", shortQuery(q), err)
}

// probe learns the result's columns without reading rows, and resolves the
// output schema (declared or inferred) against them.
func (rc *sqlRun) probe() (*sqlShape, error) {
	s := rc.s
	q := s.probeQuery()
	rows, cancel, err := rc.query(q, nil)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, rc.queryErr(rc.ctx, q, err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return nil, rc.queryErr(rc.ctx, q, err)
	}
	sh := &sqlShape{names: make([]string, len(types))}
	index := make(map[string]int, len(types))
	for i, t := range types {
		sh.names[i] = t.Name()
		if _, dup := index[t.Name()]; dup {
			return nil, fmt.Errorf("query %q: result has two columns named %q (alias one)", shortQuery(s.cfg.Query), t.Name())
		}
		index[t.Name()] = i
	}
	lookup := func(name, role string) (int, error) {
		i, ok := index[name]
		if !ok {
			return 0, &kiln.SchemaError{Column: name, Problem: role + " missing from the query result " + fmt.Sprint(sh.names), Input: -1}
		}
		return i, nil
	}
	if s.schema != nil {
		sh.schema = s.schema
		for _, f := range s.schema.Fields() {
			i, err := lookup(f.Name, "declared column")
			if err != nil {
				return nil, err
			}
			if _, err := sqlKindOf(f.Type); err != nil {
				return nil, &kiln.SchemaError{Column: f.Name, Problem: err.Error(), Input: -1}
			}
			sh.src = append(sh.src, i)
		}
	} else {
		fields := make([]arrow.Field, len(types))
		for i, t := range types {
			dt, err := inferSQLType(t)
			if err != nil {
				return nil, &kiln.SchemaError{Column: t.Name(), Problem: err.Error(), Input: -1}
			}
			fields[i] = arrow.Field{Name: t.Name(), Type: dt, Nullable: true}
			sh.src = append(sh.src, i)
		}
		sh.schema = arrow.NewSchema(fields, nil)
	}
	for _, c := range s.cfg.Cursor {
		i, err := lookup(c, "cursor column")
		if err != nil {
			return nil, err
		}
		sh.cursor = append(sh.cursor, i)
	}
	for _, c := range s.cfg.OrderBy {
		if _, err := lookup(c, "order-by column"); err != nil {
			return nil, err
		}
	}
	if c := s.cfg.TimeColumn; c != "" {
		if _, err := lookup(c, "time-range column"); err != nil {
			return nil, err
		}
	}
	return sh, nil
}

// fetch runs the read query and converts its rows.
func (rc *sqlRun) fetch(sh *sqlShape, q string, args []any) (res *sqlResult, err error) {
	s := rc.s
	rows, cancel, err := rc.query(q, args)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, rc.queryErr(rc.ctx, q, err)
	}
	if !slices.Equal(names, sh.names) {
		return nil, fmt.Errorf("query %q: result columns %v changed since the schema probe %v", shortQuery(q), names, sh.names)
	}

	cols := make([]*sqlColumn, sh.schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.b.Release()
			}
		}
	}()
	for i, f := range sh.schema.Fields() {
		if cols[i], err = newSQLColumn(rc.mem, f, sh.src[i]); err != nil {
			return nil, err
		}
		cols[i].b.Reserve(sqlBatchRows)
	}
	var recs []arrow.RecordBatch
	defer func() {
		if err != nil {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	flush := func(n int) {
		arrs := make([]arrow.Array, len(cols))
		for i, c := range cols {
			arrs[i] = c.b.NewArray()
			c.b.Reserve(sqlBatchRows)
		}
		recs = append(recs, array.NewRecordBatch(sh.schema, arrs, int64(n)))
		for _, a := range arrs {
			a.Release()
		}
	}

	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	last := make([]any, len(sh.cursor))
	res = &sqlResult{}
	var row int64
	pending := 0
	for rows.Next() {
		row++
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("query %q: row %d: %w", shortQuery(q), row, err)
		}
		for k, i := range sh.cursor {
			last[k] = vals[i]
		}
		if bad := convertRow(cols, vals); bad != nil {
			verr := &SQLValueError{Row: row, Column: bad.name, Problem: bad.problem}
			if !s.cfg.Reject {
				return nil, fmt.Errorf("query %q: %w", shortQuery(q), verr)
			}
			res.rejects = append(res.rejects, kiln.Rejected{
				Where:  fmt.Sprintf("row %d", row),
				Reason: fmt.Sprintf("column %q: %s", bad.name, bad.problem),
				Raw:    rawRow(names, vals),
			})
			continue
		}
		for _, c := range cols {
			c.appendRow()
		}
		pending++
		if pending == sqlBatchRows {
			flush(pending)
			pending = 0
			if err := rc.ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, rc.queryErr(rc.ctx, q, err)
	}
	if pending > 0 || len(recs) == 0 {
		flush(pending)
	}
	if row > 0 && len(sh.cursor) > 0 {
		if res.mark, err = encodeMark(s.cfg.Cursor, last); err != nil {
			return nil, err
		}
	}
	res.table = array.NewTableFromRecords(sh.schema, recs)
	for _, r := range recs {
		r.Release()
	}
	return res, nil
}

type badValue struct{ name, problem string }

// convertRow converts a row into the columns' scratch fields, or returns the
// first column whose value does not convert.
func convertRow(cols []*sqlColumn, vals []any) *badValue {
	for _, c := range cols {
		if err := c.convert(vals[c.src]); err != nil {
			return &badValue{name: c.name, problem: err.Error()}
		}
	}
	return nil
}

// rawRow renders a rejected row as name=value pairs.
func rawRow(names []string, vals []any) string {
	b := make([]byte, 0, 64)
	for i, v := range vals {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, names[i]...)
		b = append(b, '=')
		switch x := v.(type) {
		case nil:
			b = append(b, "NULL"...)
		case []byte:
			b = fmt.Appendf(b, "%q", x)
		case string:
			b = fmt.Appendf(b, "%q", x)
		case time.Time:
			b = x.AppendFormat(b, time.RFC3339Nano)
		default:
			b = fmt.Append(b, x)
		}
	}
	return string(b)
}
