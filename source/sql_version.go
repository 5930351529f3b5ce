package source

import (
	"fmt"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
)

// VersionedSQLSource is a SQLSource that tells its version with a cheap
// query, so the engine skips reading a partition whose version is unchanged
// since its last commit (a cache hit). Create one with SQLSource.VersionedBy.
type VersionedSQLSource struct {
	*SQLSource
	versionQuery string
}

type versionedSQLConfig struct {
	SQL          sqlConfig `json:"sql"`
	VersionQuery string    `json:"version_query"`
}

// VersionedBy returns the source made a kiln.SourceVersioner by query, which
// must be cheap and must return different rows whenever the data the source
// reads changes: for example
//
//	SELECT max(updated_at), count(*) FROM orders
//
// (count catches deletes, max catches updates, if every write bumps
// updated_at). The version hashes every value the query returns, the
// partition, and, for an incremental source, the previous partition's
// high-water mark. A query that misses a change makes kiln skip data that
// changed: when in doubt, do not version.
func (s *SQLSource) VersionedBy(query string) *VersionedSQLSource {
	return &VersionedSQLSource{SQLSource: s, versionQuery: trimQuery(query)}
}

// Spec implements kiln.Source: the SQLSource's config and the version query.
func (v *VersionedSQLSource) Spec() kiln.Spec {
	sp := v.SQLSource.Spec()
	sp.Name = "source.sql.versioned"
	sp.Config = versionedSQLConfig{SQL: v.cfg, VersionQuery: v.versionQuery}
	return sp
}

// SourceVersion implements kiln.SourceVersioner by running the version query
// (with the source's timeout and retries).
func (v *VersionedSQLSource) SourceVersion(ctx *kiln.Context) (string, error) {
	b := digest.NewBuilder("kiln.source.sql.version.v1").String("partition", ctx.Partition().String())
	marks, _, err := v.previousMark(ctx)
	if err != nil {
		return "", v.wrap(err)
	}
	for _, m := range marks {
		b.String("mark."+m.Type, m.Value)
	}
	err = v.withRetry(ctx, func(rc *sqlRun) error {
		rows, cancel, err := rc.query(v.versionQuery, nil)
		if err != nil {
			return err
		}
		defer cancel()
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return rc.queryErr(rc.ctx, v.versionQuery, err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		h := digest.NewBuilder("kiln.source.sql.version.rows.v1")
		var n uint64
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return rc.queryErr(rc.ctx, v.versionQuery, err)
			}
			n++
			for i, x := range vals {
				if x == nil {
					h.String(cols[i], "NULL")
					continue
				}
				m, err := encodeMark(cols[i:i+1], []any{x})
				if err != nil {
					h.String(cols[i], fmt.Sprintf("%T:%v", x, x))
					continue
				}
				h.String(cols[i]+"."+m[0].Type, m[0].Value)
			}
		}
		if err := rows.Err(); err != nil {
			return rc.queryErr(rc.ctx, v.versionQuery, err)
		}
		b.Uint("rows", n).Sum("values", h.Digest())
		return nil
	})
	if err != nil {
		return "", err
	}
	return b.Digest().String(), nil
}
