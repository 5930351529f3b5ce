package transform

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
	"github.com/kiln-data/kiln/internal/par"
)

// Session configures Sessionize and Sessions. It is plain data.
type Session struct {
	// By are the entity key columns (nulls form an entity of their own).
	// Empty: the whole input is one entity.
	By []string `json:"by"`
	// Time is the event time column: a timestamp (any unit), date32 or
	// date64.
	Time string `json:"time"`
	// Gap is the inactivity that ends a session: an event more than Gap
	// after the entity's previous event starts a new session (events
	// exactly Gap apart share one). It must be a whole number of the time
	// column's unit.
	Gap time.Duration `json:"gap"`
}

// Names of the session columns.
const (
	// SessionID is the 1-based number of the session within its entity,
	// in time order: (entity keys, session_id) identifies a session, and
	// it is stable as long as the entity's earlier events are.
	SessionID = "session_id"
	// SessionStart and SessionEnd are the times of the session's first and
	// last events (the time column's type).
	SessionStart = "session_start"
	SessionEnd   = "session_end"
	// SessionEvents is the session's number of events.
	SessionEvents = "session_events"
)

// SessionTransform splits each entity's events into sessions. Create one
// with Sessionize or Sessions.
type SessionTransform struct {
	cfg     Session
	summary bool
}

// Sessionize returns a transform tagging each event with its session: per
// entity, events ordered by time (ties by input order), a new session
// starting after a gap longer than cfg.Gap. The output is the input, rows in
// input order, plus the columns session_id (int64), session_start,
// session_end (the time column's type) and session_events (int64). Events
// with a null time get null session columns and are in no session.
func Sessionize(cfg Session) *SessionTransform { return &SessionTransform{cfg: cfg} }

// Sessions returns a transform summarizing sessions (see Sessionize): one
// row per session with the By keys, session_id, session_start, session_end
// and session_events, ordered by the keys (ascending, nulls last), then
// session_id.
func Sessions(cfg Session) *SessionTransform { return &SessionTransform{cfg: cfg, summary: true} }

// Spec implements kiln.Transform.
func (t *SessionTransform) Spec() kiln.Spec {
	c := t.cfg
	if c.By == nil {
		c.By = []string{}
	}
	if t.summary {
		return spec("sessions", "1", c)
	}
	return spec("sessionize", "1", c)
}

type sessionPlan struct {
	by     []int
	time   int
	gap    int64
	schema *arrow.Schema
}

func (t *SessionTransform) plan(in []*arrow.Schema) (*sessionPlan, error) {
	if err := oneInput("sessionize", in); err != nil {
		return nil, err
	}
	s := in[0]
	p := &sessionPlan{}
	by, kf, err := keyFields(s, 0, t.cfg.By)
	if err != nil {
		return nil, err
	}
	ti, tf, err := field(s, 0, t.cfg.Time, timeTypes...)
	if err != nil {
		return nil, err
	}
	if t.cfg.Gap < 0 {
		return nil, fmt.Errorf("transform.sessionize: negative gap %s", t.cfg.Gap)
	}
	if p.gap, err = unitsOf(t.cfg.Gap, kernels.TimeUnit(tf.Type), "gap"); err != nil {
		return nil, fmt.Errorf("transform.sessionize: %w", err)
	}
	p.by, p.time = by, ti
	fields := append([]arrow.Field(nil), s.Fields()...)
	nullable := true
	if t.summary {
		fields, nullable = kf, false
	}
	fields = append(fields,
		arrow.Field{Name: SessionID, Type: arrow.PrimitiveTypes.Int64, Nullable: nullable},
		arrow.Field{Name: SessionStart, Type: tf.Type, Nullable: nullable},
		arrow.Field{Name: SessionEnd, Type: tf.Type, Nullable: nullable},
		arrow.Field{Name: SessionEvents, Type: arrow.PrimitiveTypes.Int64, Nullable: nullable},
	)
	if err := checkNames(fields); err != nil {
		return nil, err
	}
	p.schema = arrow.NewSchema(fields, nil)
	return p, nil
}

// OutputSchema implements kiln.Transform.
func (t *SessionTransform) OutputSchema(in []*arrow.Schema) (*arrow.Schema, error) {
	p, err := t.plan(in)
	if err != nil {
		return nil, err
	}
	return p.schema, nil
}

// sessionRuns splits the laid-out events into sessions: session k covers
// positions [bounds[k], bounds[k+1]), number[k] is its 1-based number in its
// entity and entity[k] the entity.
func sessionRuns(o *kernels.EntityOrder, gap int64) (bounds []int32, number []int64, entity []int32) {
	for g := 0; g+1 < len(o.Start); g++ {
		s, e := int(o.Start[g]), int(o.Start[g+1])
		k := int64(0)
		for p := s; p < e; p++ {
			if p == s || uint64(o.Times[p])-uint64(o.Times[p-1]) > uint64(gap) {
				k++
				bounds = append(bounds, int32(p))
				number = append(number, k)
				entity = append(entity, int32(g))
			}
		}
	}
	bounds = append(bounds, int32(len(o.Rows)))
	return bounds, number, entity
}

// Apply implements kiln.Transform.
func (t *SessionTransform) Apply(ctx *kiln.Context, in []arrow.Table) (arrow.Table, error) {
	p, err := t.plan(schemasOf(in))
	if err != nil {
		return nil, err
	}
	tbl := in[0]
	if err := checkRows(tbl); err != nil {
		return nil, fmt.Errorf("transform.sessionize: %w", err)
	}
	n := int(tbl.NumRows())
	cols := tableCols(tbl)
	keys := pick(cols, p.by)
	ids, first, err := groupSorted(keys, n)
	if err != nil {
		return nil, fmt.Errorf("transform.sessionize: %w", err)
	}
	tc := cols[p.time]
	var use []bool
	if tc.Nulls > 0 {
		use = notNull(tc)
	}
	o := kernels.OrderByEntity(ids, len(first), kernels.Int64s(tc, 1), use)
	bounds, number, entity := sessionRuns(o, p.gap)
	ns := len(number)
	mem := ctx.Allocator()

	// Per session (summary) or per event: which rows hold the start and end
	// times, the number, the count.
	m := ns
	if !t.summary {
		m = n
	}
	startRow, endRow := make([]int32, m), make([]int32, m)
	num, cnt := make([]int64, m), make([]int64, m)
	var ok []bool
	if !t.summary {
		ok = make([]bool, n)
		for i := range startRow {
			startRow[i], endRow[i] = -1, -1
		}
	}
	for k := range ns {
		lo, hi := bounds[k], bounds[k+1]
		sr, er, c := o.Rows[lo], o.Rows[hi-1], int64(hi-lo)
		if t.summary {
			startRow[k], endRow[k], num[k], cnt[k] = sr, er, number[k], c
			continue
		}
		for _, r := range o.Rows[lo:hi] {
			startRow[r], endRow[r], num[r], cnt[r], ok[r] = sr, er, number[k], c, true
		}
	}
	var keyOut []arrow.Array
	if t.summary {
		rows := make([]int32, ns)
		for k, g := range entity {
			rows[k] = first[g]
		}
		if keyOut, err = kernels.TakeAll(ctx, mem, keys, rows); err != nil {
			return nil, err
		}
	}
	extra := make([]arrow.Array, 4)
	extra[0] = int64Array(mem, num, ok)
	extra[3] = int64Array(mem, cnt, ok)
	err = par.Do(ctx, 2, func(i int) error {
		var err error
		if i == 0 {
			extra[1], err = kernels.Take(mem, tc, startRow)
		} else {
			extra[2], err = kernels.Take(mem, tc, endRow)
		}
		return err
	})
	if err != nil {
		releaseAll(keyOut)
		releaseAll(extra)
		return nil, err
	}
	if t.summary {
		return newTable(p.schema, append(keyOut, extra...), ns), nil
	}
	return withColumns(p.schema, tbl, extra), nil
}

// ColumnLineage implements kiln.ColumnLineager: input columns are
// themselves; the session columns derive from the time column, windowed by
// the keys.
func (t *SessionTransform) ColumnLineage(in []*arrow.Schema) (map[string][]kiln.ColumnRef, error) {
	if _, err := t.plan(in); err != nil {
		return nil, err
	}
	out := map[string][]kiln.ColumnRef{}
	by := indirect(0, t.cfg.By, "WINDOW")
	if t.summary {
		for _, k := range t.cfg.By {
			out[k] = append([]kiln.ColumnRef{ref(0, k, "DIRECT", "IDENTITY")}, by...)
		}
	} else {
		out = identityLineage(in[0])
	}
	for _, c := range []string{SessionID, SessionStart, SessionEnd, SessionEvents} {
		sub := "AGGREGATION"
		if c == SessionID {
			sub = "TRANSFORMATION"
		}
		out[c] = append([]kiln.ColumnRef{ref(0, t.cfg.Time, "DIRECT", sub)}, by...)
	}
	return out, nil
}
