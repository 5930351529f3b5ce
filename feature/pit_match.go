package feature

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
	"github.com/kiln-data/kiln/transform"
)

// matchGroup returns, for each label row, the matching row of the group's
// data or -1. The match is transform.AsOfJoin's (kiln's one as-of kernel)
// with the entity keys, the label time against the event time, the created
// time as the tiebreak, the TTL as the tolerance and ExcludeCreatedAfter.
func matchGroup(ctx context.Context, labels arrow.Table, spec TrainingSpec, gd GroupData) ([]int32, error) {
	g, t := gd.Group, gd.Table
	where := func(err error) error { return fmt.Errorf("feature group %s: %w", g.ID(), err) }
	// Both sides are projected to the columns the match reads, under
	// fixed names, so label and group column names never clash.
	var lf, rf []arrow.Field
	var lc, rc []*arrow.Chunked
	defer func() {
		for _, c := range append(lc, rc...) {
			c.Release()
		}
	}()
	add := func(fs *[]arrow.Field, cs *[]*arrow.Chunked, name string, c *arrow.Chunked) {
		*fs = append(*fs, arrow.Field{Name: name, Type: c.DataType(), Nullable: true})
		*cs = append(*cs, c)
	}
	cfg := transform.AsOf{LeftTime: "label_time", RightTime: "event_time", Tolerance: g.TTL}
	for i, k := range g.Entity.Keys {
		lk := k
		if m, ok := spec.KeyColumns[k]; ok {
			lk = m
		}
		l, err := kiln.Column(labels, lk, nil)
		if err != nil {
			return nil, where(fmt.Errorf("label table: entity key: %w", err))
		}
		r, err := kiln.Column(t, k, nil)
		if err != nil {
			return nil, where(err)
		}
		if l, r, err = conformKeys(ctx, l, r); err != nil {
			return nil, where(fmt.Errorf("entity key %q of the label table (column %q) and the group: %w", k, lk, err))
		}
		name := fmt.Sprintf("key%d", i)
		cfg.By = append(cfg.By, name)
		add(&lf, &lc, name, l)
		add(&rf, &rc, name, r)
	}
	ltime, err := kiln.Column(labels, spec.Time, nil)
	if err != nil {
		return nil, fmt.Errorf("label table: time column: %w", err)
	}
	if kernels.TimeUnit(ltime.DataType()) == 0 {
		return nil, fmt.Errorf("label table: time column %q: type %s is not a timestamp or date", spec.Time, ltime.DataType())
	}
	etime, err := kiln.Column(t, g.EventTime, nil)
	if err != nil {
		return nil, where(err)
	}
	ltime.Retain()
	etime.Retain()
	add(&lf, &lc, cfg.LeftTime, ltime)
	add(&rf, &rc, cfg.RightTime, etime)
	if g.CreatedTime != "" {
		ctime, err := kiln.Column(t, g.CreatedTime, nil)
		if err != nil {
			return nil, where(err)
		}
		ctime.Retain()
		cfg.CreatedTime, cfg.ExcludeCreatedAfter = "created_time", spec.ExcludeCreatedAfter
		add(&rf, &rc, cfg.CreatedTime, ctime)
	}
	if err := checkTTL(g.TTL, append([]*arrow.Chunked{ltime}, rc[len(cfg.By):]...)); err != nil {
		return nil, where(err)
	}
	left, right := projected(lf, lc, labels.NumRows()), projected(rf, rc, t.NumRows())
	defer left.Release()
	defer right.Release()
	idx, err := transform.AsOfJoin(cfg).Match(kiln.NewContext(ctx, "feature.point_in_time", kiln.All), left, right)
	if err != nil {
		return nil, where(err)
	}
	return idx, nil
}

// projected returns a table over the chunked columns (the caller keeps
// its own references).
func projected(fields []arrow.Field, chunks []*arrow.Chunked, rows int64) arrow.Table {
	cols := make([]arrow.Column, len(chunks))
	for i, c := range chunks {
		cols[i] = *arrow.NewColumn(fields[i], c)
	}
	t := array.NewTable(arrow.NewSchema(fields, nil), cols, rows)
	for i := range cols {
		cols[i].Release()
	}
	return t
}

// checkTTL checks that the TTL is a whole number of the finest unit of the
// time columns (the join's common unit).
func checkTTL(ttl time.Duration, cols []*arrow.Chunked) error {
	unit := time.Duration(0)
	for _, c := range cols {
		if u := kernels.TimeUnit(c.DataType()); unit == 0 || u < unit {
			unit = u
		}
	}
	if ttl%unit != 0 {
		return fmt.Errorf("TTL %s is not a whole number of the time columns' unit %s", ttl, unit)
	}
	return nil
}

// conformKeys returns a label key column and a group key column as columns
// of one type the join can compare (retained: the caller releases them).
// Equal types stay as they are. Integers of different types compare by
// value: the label column is cast to the group's type, and a label value
// the group's type cannot hold becomes null (it cannot match). Strings of
// different types (string, large_string, string_view) compare by bytes;
// string_view, which the join kernel does not read, becomes string.
func conformKeys(ctx context.Context, l, r *arrow.Chunked) (*arrow.Chunked, *arrow.Chunked, error) {
	lt, rt := l.DataType(), r.DataType()
	target := rt
	switch {
	case isString(lt) && isString(rt):
		if rt.ID() == arrow.STRING_VIEW {
			target = arrow.BinaryTypes.String
		}
	case isInteger(lt) && isInteger(rt), arrow.TypeEqual(lt, rt):
	default:
		return nil, nil, fmt.Errorf("types %s and %s cannot be compared", lt, rt)
	}
	var err error
	if l, err = castTo(ctx, l, target); err != nil {
		return nil, nil, fmt.Errorf("label column: %w", err)
	}
	if r, err = castTo(ctx, r, target); err != nil {
		l.Release()
		return nil, nil, fmt.Errorf("group column: %w", err)
	}
	return l, r, nil
}

// castTo returns c as type dt (retained), values dt cannot hold as nulls.
func castTo(ctx context.Context, c *arrow.Chunked, dt arrow.DataType) (*arrow.Chunked, error) {
	if arrow.TypeEqual(c.DataType(), dt) {
		c.Retain()
		return c, nil
	}
	f := arrow.Field{Name: "key", Type: c.DataType(), Nullable: true}
	in := projected([]arrow.Field{f}, []*arrow.Chunked{c}, int64(c.Len()))
	defer in.Release()
	out, err := transform.Cast("key", dt).AllowLossy().Apply(kiln.NewContext(ctx, "feature.key_cast", kiln.All), []arrow.Table{in})
	if err != nil {
		return nil, err
	}
	defer out.Release()
	res := out.Column(0).Data()
	res.Retain()
	return res, nil
}

func isString(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

func isInteger(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

// latestRow is an entity's latest row with its event and created times
// (the event time when it has none) in the group's time unit.
type latestRow struct {
	row            int32
	event, created int64
}

// latestRows returns, for each entity of t that has a row with a key and
// an event time, its latest row: the last in (event time, created time,
// row) order, the row a point-in-time join at the end of time matches.
// They come in row order, with the finest unit of the time columns.
func latestRows(ctx context.Context, g *Group, t arrow.Table, keyCols []*arrow.Chunked) ([]latestRow, time.Duration, error) {
	keys := make([]kernels.Col, len(keyCols))
	for i, c := range keyCols {
		if c.DataType().ID() == arrow.STRING_VIEW {
			s, err := castTo(ctx, c, arrow.BinaryTypes.String)
			if err != nil {
				return nil, 0, fmt.Errorf("entity key %q: %w", g.Entity.Keys[i], err)
			}
			defer s.Release()
			c = s
		}
		keys[i] = kernels.NewCol(c)
	}
	groups, err := kernels.Group(keys)
	if err != nil {
		return nil, 0, fmt.Errorf("entity keys: %w", err)
	}
	r := kernels.AsOfRight{IDs: groups.IDs, N: groups.N, KeyNull: groups.NullKey}
	times := []string{g.EventTime}
	if g.CreatedTime != "" {
		times = append(times, g.CreatedTime)
	}
	cols := make([]kernels.Col, len(times))
	units := make([]time.Duration, len(times))
	for i, name := range times {
		c, err := kiln.Column(t, name, nil)
		if err != nil {
			return nil, 0, err
		}
		if units[i] = kernels.TimeUnit(c.DataType()); units[i] == 0 {
			return nil, 0, fmt.Errorf("column %q: type %s is not a timestamp or date", name, c.DataType())
		}
		cols[i] = kernels.NewCol(c)
	}
	unit := slices.Min(units)
	r.Time, r.TimeMul = cols[0], int64(units[0]/unit)
	if len(cols) > 1 {
		r.Created, r.CreatedMul = &cols[1], int64(units[1]/unit)
	}
	ix := kernels.NewAsOfIndex(r)
	out := make([]latestRow, 0, groups.N)
	for e := range groups.N {
		p := ix.Last(e)
		if p < 0 {
			continue
		}
		l := latestRow{row: ix.Rows[p], event: ix.Times[p], created: ix.Times[p]}
		if ix.Created != nil {
			l.created = ix.Created[p]
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b latestRow) int { return cmp.Compare(a.row, b.row) })
	return out, unit, nil
}
