package source

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/kiln-data/kiln"
)

// trimQuery drops surrounding space and trailing semicolons, so the query can
// be wrapped as a subquery.
func trimQuery(q string) string {
	return strings.TrimRight(strings.TrimSpace(q), "; \t\r\n")
}

// quoteIdent quotes a column name as an ANSI SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// shortQuery is the query as errors show it: whitespace collapsed, cut
// after 160 characters.
func shortQuery(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 160 {
		q = q[:160] + "..."
	}
	return q
}

// probeQuery returns no rows but the result's columns.
func (s *SQLSource) probeQuery() string {
	return "SELECT * FROM (" + s.cfg.Query + ") AS _kiln_q WHERE 1=0"
}

// validate reports option combinations that cannot work.
func (s *SQLSource) validate() error {
	if s.cfg.Query == "" {
		return errors.New("empty query")
	}
	if s.cfg.QueryOrdered && (len(s.cfg.Cursor) > 0 || s.cfg.TimeColumn != "") {
		return errors.New("SQLQueryOrdered cannot be combined with Incremental or SQLTimeRange (they wrap the query; use SQLOrderBy)")
	}
	return nil
}

// params collects query parameters, written $n or, for QuestionMarks, ?
// (repeating the value at each use).
type params struct {
	qm   bool
	vals []any
	args []any
}

// add registers a value and returns its index for ref.
func (p *params) add(v any) int {
	p.vals = append(p.vals, v)
	if !p.qm {
		p.args = append(p.args, v)
	}
	return len(p.vals) - 1
}

// ref writes a use of parameter i.
func (p *params) ref(i int) string {
	if p.qm {
		p.args = append(p.args, p.vals[i])
		return "?"
	}
	return "$" + strconv.Itoa(i+1)
}

// buildQuery returns the read query and its arguments for a partition, given
// the previous high-water mark (nil for none).
func (s *SQLSource) buildQuery(sh *sqlShape, mark []any, part kiln.Partition) (string, []any) {
	if s.cfg.QueryOrdered {
		return s.cfg.Query, nil
	}
	p := &params{qm: s.cfg.QuestionMarks}
	var conds []string
	if s.cfg.TimeColumn != "" && part.Grain().Duration() > 0 {
		c := quoteIdent(s.cfg.TimeColumn)
		lo, hi := p.add(part.Start()), p.add(part.End())
		conds = append(conds, c+" >= "+p.ref(lo)+" AND "+c+" < "+p.ref(hi))
	}
	if len(mark) > 0 {
		idx := make([]int, len(mark))
		for i, v := range mark {
			idx[i] = p.add(v)
		}
		// (c1, ..., ck) > (m1, ..., mk), expanded for databases without
		// row-value comparison.
		var ors []string
		for k := range s.cfg.Cursor {
			var ands []string
			for j := 0; j < k; j++ {
				ands = append(ands, quoteIdent(s.cfg.Cursor[j])+" = "+p.ref(idx[j]))
			}
			ands = append(ands, quoteIdent(s.cfg.Cursor[k])+" > "+p.ref(idx[k]))
			ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	var b strings.Builder
	b.WriteString("SELECT * FROM (")
	b.WriteString(s.cfg.Query)
	b.WriteString(") AS _kiln_q")
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	b.WriteString(" ORDER BY ")
	order := s.orderColumns(sh)
	for i, c := range order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c))
	}
	return b.String(), p.args
}

// orderColumns is the output's sort key: cursor then SQLOrderBy columns, or
// every output column.
func (s *SQLSource) orderColumns(sh *sqlShape) []string {
	if len(s.cfg.Cursor) == 0 && len(s.cfg.OrderBy) == 0 {
		out := make([]string, sh.schema.NumFields())
		for i, f := range sh.schema.Fields() {
			out[i] = f.Name
		}
		return out
	}
	out := append([]string(nil), s.cfg.Cursor...)
	for _, c := range s.cfg.OrderBy {
		dup := false
		for _, d := range out {
			dup = dup || d == c
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

// redactDSN returns a credential-free identity for a DSN: for URLs the
// scheme, host, port and path; for key=value DSNs the host, port and dbname;
// for user:password@protocol(address)/db DSNs what follows the @; for file
// names the name. Query parameters are dropped.
func redactDSN(dsn string) string {
	dsn = strings.TrimSpace(dsn)
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			return u.Scheme + "://" + u.Host + u.Path
		}
		return "(unparsable DSN)"
	}
	if k, _, ok := strings.Cut(dsn, "="); ok && isIdent(k) {
		var keep []string
		for _, f := range strings.Fields(dsn) {
			k, _, _ := strings.Cut(f, "=")
			switch strings.ToLower(k) {
			case "host", "hostaddr", "port", "dbname", "database", "server":
				keep = append(keep, f)
			}
		}
		return strings.Join(keep, " ")
	}
	if at := strings.LastIndex(dsn, "@"); at >= 0 {
		dsn = dsn[at+1:]
	}
	if q := strings.IndexByte(dsn, '?'); q >= 0 {
		dsn = dsn[:q]
	}
	return dsn
}

func isIdent(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
